"""The programme stage's problem as the backend is handed it, per fairness objective: its
variables, its rows, the deviation-split variables among them, and SCIP's seconds on it from
the previous stage's answer (the best of three solves), for the tree on ``PYTHONPATH``
(benchmarks/RESULTS.md, run 26).

    PYTHONPATH=TREE python benchmarks/results/run26/sizes.py INSTANCE OBJECTIVE[,...]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.solve import stage_problem


def main(name: str, objectives: list[str]) -> None:
    base = load_instance(bundled_instance(name)).region
    backend = backend_class("ortools")
    for objective in objectives:
        region = replace(base, policy=replace(base.policy, objective=objective))
        for stage in ("programme", "tie_break"):
            problem = stage_problem(region, stage, SolverOptions(time_limit=1800))
            if problem is None:
                print(f"{objective} {stage}: no problem")
                continue
            splits = sum(v.name.startswith("deviation_") for v in problem.model.variables)
            seconds = []
            for _ in range(3):
                solver = backend(problem.model, SolverOptions(time_limit=60))
                started = time.perf_counter()
                outcome = solver.minimize(problem.terms, 60, hint=problem.start)
                seconds.append(time.perf_counter() - started)
            print(
                f"{objective} {stage}: {len(problem.model.variables):,} variables "
                f"({splits:,} of deviation splits), {len(problem.model.constraints):,} rows, "
                f"{outcome.status.value} {outcome.objective}, SCIP {min(seconds):.3f} s"
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2].split(","))
