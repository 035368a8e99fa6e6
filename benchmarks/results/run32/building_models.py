"""The seconds one whole solve spends writing the building models of the placement network
(`solver.network.building_model`), with its stage seconds and the allocation's SHA-256
(benchmarks/RESULTS.md, run 32).

    PYTHONPATH=TREE python benchmarks/results/run32/building_models.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import time
from pathlib import Path
from typing import Any

import solver.network as network_module

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")


def main(instance: str, objective: str) -> None:
    inner = network_module.building_model
    spent = [0.0, 0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += 1

    setattr(network_module, "building_model", timed)  # noqa: B010 - read there by name
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        whole_digest.main(instance, 1800.0, objective)
    lines = printed.getvalue().splitlines()
    digest = next(line for line in lines if "sha256" in line).split()[-1][:8]
    stages = " ".join(
        f"{line.split(':')[0].strip()} {line.split(',')[1].strip()}"
        for line in lines
        if line.startswith("  ") and "optimal (" in line
    )
    print(f"{objective}: {spent[1]} building models in {spent[0]:.3f} s; {stages}; {digest}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
