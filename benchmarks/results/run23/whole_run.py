"""One whole solve of a benchmark instance with its stage lines, on a given number of threads
(the pricing of column generation solves that many parts at once; benchmarks/RESULTS.md,
run 23).

    PYTHONPATH=. python benchmarks/results/run23/whole_run.py INSTANCE SECONDS THREADS \
        [OBJECTIVE]
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.solve import solve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")


def main(name: str, seconds: float, threads: int, objective: str | None) -> None:
    backend_class("ortools")
    region = get_instance(name).load()
    if objective is not None:
        region = replace(region, policy=replace(region.policy, objective=objective))
    started = time.perf_counter()

    def tell(line: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {line}", flush=True)

    options = SolverOptions(time_limit=seconds, threads=threads)
    result = solve(region, "ortools", options, hard_limit=False, progress=tell)
    whole_run.report(result, name, objective or "", f"threads {threads}")


if __name__ == "__main__":
    main(
        sys.argv[1],
        float(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4] if len(sys.argv) > 4 else None,
    )
