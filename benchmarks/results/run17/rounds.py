"""The national instance solved in one process, ROUNDS times after one unmeasured solve, under
one fairness objective: the median and least wall-clock seconds of `solver.solve.solve` (the
solver package imported before), and the seconds the solver engines themselves took (MathOpt's
``solve`` calls, timed around them).

Usage: ``cd TREE && PYTHONPATH=TREE python /work/main/benchmarks/results/run17/rounds.py
OBJECTIVE ROUNDS``. Self-contained on purpose, so that it runs against older trees too.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from models.loader import load_region
from solver.solve import solve

engine_seconds = [0.0]
core_solve = backend_module.core_solve  # type: ignore[attr-defined]


def _timed_core_solve(*args: Any, **kwargs: Any) -> Any:
    started = time.perf_counter()
    try:
        return core_solve(*args, **kwargs)
    finally:
        engine_seconds[0] += time.perf_counter() - started


def main(objective: str, rounds: int) -> None:
    backend_module.core_solve = _timed_core_solve  # type: ignore[attr-defined]
    region = load_region("instances/nl")
    policy = dataclasses.replace(region.policy, objective=objective)
    region = dataclasses.replace(region, policy=policy)
    solve(region, hard_limit=False)
    walls, engines = [], []
    for _ in range(rounds):
        engine_seconds[0] = 0.0
        started = time.perf_counter()
        result = solve(region, hard_limit=False)
        walls.append(time.perf_counter() - started)
        engines.append(engine_seconds[0])
        assert result.status == "optimal", result.status
    print(
        f"{objective}: wall median {statistics.median(walls):.3f} s, least {min(walls):.3f} s; "
        f"engines median {statistics.median(engines):.3f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
