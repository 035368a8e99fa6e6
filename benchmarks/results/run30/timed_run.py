"""One whole solve of a benchmark instance (run 24's `whole_digest.py`: the stage lines and the
SHA-256 of the allocation), with the seconds spent in the steps of column generation summed
over the run: the pricings, the first duals, the entering columns, the masters' models, the
Lagrangian bounds and the completions (benchmarks/RESULTS.md, run 30).

    PYTHONPATH=TREE python benchmarks/results/run30/timed_run.py INSTANCE SECONDS OBJECTIVE
"""

from __future__ import annotations

import collections
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solver.columns as columns_module

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")

SECONDS: dict[str, float] = collections.defaultdict(float)
CALLS: collections.Counter[str] = collections.Counter()


def timed(owner: Any, name: str, label: str) -> None:
    """``owner.name`` replaced by a wrapper that adds its calls and seconds to ``label``."""
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SECONDS[label] += time.perf_counter() - started
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def main(instance: str, seconds: float, objective: str) -> None:
    timed(columns_module.BlockPricer, "cheapest", "pricing")
    for name in ("_first_duals", "_completed", "_enter", "master_model", "lagrangian_bound"):
        timed(columns_module, name, name.strip("_"))
    started = time.perf_counter()
    whole_digest.main(instance, seconds, objective)
    print(f"total {time.perf_counter() - started:.2f}")
    for label, spent in SECONDS.items():
        print(f"{label:20s} {CALLS[label]:4d} {spent:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])
