"""The linear programs of `solver.levels._guides` (the least real level of a min-max stage)
recorded during a solve up to the fairness sum, then solved again by GLOP and HiGHS with each
of their methods, in turns, ROUNDS times (benchmarks/RESULTS.md, run 23).

    PYTHONPATH=. python benchmarks/results/run23/least_level.py INSTANCE OBJECTIVE ROUNDS

INSTANCE: ``nl`` (the bundled national instance) or a benchmark instance.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
from benchmarks.suite import get_instance
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.backends.mathopt_proto import solve_relaxation
from solver.solve import stage_problem

RECORDED: list[Any] = []
#: The names under which the backend holds the relaxation's solve and MathOpt's module.
SOLVE, MATHOPT = "solve_relaxation", "mathopt"


def main(name: str, objective: str, rounds: int) -> None:
    backend_class("ortools")
    real_least_level = mathopt_module.MathOptBackend.relaxation_least_level
    real_solve = solve_relaxation
    recording = [False]

    def recorded_solve(proto: Any, *args: Any, **kwargs: Any) -> Any:
        if recording[0]:
            copy = type(proto)()
            copy.CopyFrom(proto)
            RECORDED.append(copy)
        return real_solve(proto, *args, **kwargs)

    def least_level(self: Any, *args: Any, **kwargs: Any) -> Any:
        recording[0] = True
        try:
            return real_least_level(self, *args, **kwargs)
        finally:
            recording[0] = False

    setattr(mathopt_module, SOLVE, recorded_solve)
    mathopt_module.MathOptBackend.relaxation_least_level = least_level  # type: ignore[method-assign]
    if name == "nl":
        region = load_instance(bundled_instance("nl")).region
    else:
        region = get_instance(name).load()
    region = replace(region, policy=replace(region.policy, objective=objective))
    stage_problem(region, "fairness_sum", SolverOptions(time_limit=1200))
    setattr(mathopt_module, SOLVE, real_solve)
    methods = {
        "glop": ("GLOP", None),
        "glop-primal": ("GLOP", "PRIMAL_SIMPLEX"),
        "highs": ("HIGHS", None),
        "highs-primal": ("HIGHS", "PRIMAL_SIMPLEX"),
        "highs-ipm": ("HIGHS", "BARRIER"),
    }
    mathopt = getattr(mathopt_module, MATHOPT)
    for number, proto in enumerate(RECORDED):
        seconds: dict[str, list[float]] = {method: [] for method in methods}
        values: dict[str, float | None] = {}
        for _ in range(rounds):
            for method, (solver, algorithm) in methods.items():
                started = time.perf_counter()
                result = real_solve(
                    proto,
                    600,
                    getattr(mathopt.SolverType, solver),
                    None if algorithm is None else getattr(mathopt.LPAlgorithm, algorithm),
                )
                seconds[method].append(time.perf_counter() - started)
                values[method] = (
                    result.solutions[0].primal_solution.objective_value
                    if result is not None and result.solutions
                    else None
                )
        size = f"{len(proto.variables.ids):,} variables"
        print(f"{name} {objective}, least-level LP {number} ({size}), median of {rounds}:")
        for method in methods:
            print(
                f"  {method}: {statistics.median(seconds[method]):.3f} s "
                f"({min(seconds[method]):.3f}-{max(seconds[method]):.3f}), "
                f"level {values[method]!r}"
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
