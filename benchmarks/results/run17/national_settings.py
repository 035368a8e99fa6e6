"""A later stage of the national instance (``programme`` or ``tie_break``) solved on SCIP five
times with SCIP parameters added to the backend's own, printing its value and the median and
least seconds of the five. The parameters hold for every SCIP solve of the run, the earlier
stages' too, whose answers (among equally good ones) can then differ: the value counted from
the previous stage's answer can differ, the stage's own value (``absolute``) cannot.

    python benchmarks/results/run17/national_settings.py tie_break lp/initalgorithm=p

A parameter ``name=value`` is SCIP's integer parameter, its real one where the value has a
decimal point, its character one where the value is one letter.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.backends.mathopt_parameters import solve_parameters
from solver.model import evaluate
from solver.solve import stage_problem


def main(stage: str, settings: list[str]) -> None:
    def parameters(*args: Any, **options: Any) -> Any:
        proto = solve_parameters(*args, **options)
        for setting in settings:
            name, value = setting.split("=")
            if value.isalpha() and len(value) == 1:
                proto.gscip.char_params[name] = value
            elif "." in value:
                proto.gscip.real_params[name] = float(value)
            else:
                proto.gscip.int_params[name] = int(value)
        return proto

    backend_module.solve_parameters = parameters  # type: ignore[attr-defined]
    problem = stage_problem(load_region("instances/nl"), stage, SolverOptions(time_limit=60))
    if problem is None:
        raise SystemExit(f"a stage before {stage} was not proven")
    seconds, value, absolute = [], None, None
    for _ in range(5):
        backend = backend_module.MathOptBackend(problem.model, SolverOptions(time_limit=60))
        backend._set_objective(backend._proto, problem.terms)
        started = time.perf_counter()
        outcome = backend._solve(problem.terms, 60, problem.start, tight=False)
        seconds.append(time.perf_counter() - started)
        value = None if outcome.values is None else evaluate(problem.terms, outcome.values)
        absolute = None if value is None else value + problem.constant
    print(
        f"{stage} {' '.join(settings) or '(the backend own)'}: {outcome.status.value}, value "
        f"{value} (absolute {absolute}), median {statistics.median(seconds):.3f} s, "
        f"least {min(seconds):.3f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
