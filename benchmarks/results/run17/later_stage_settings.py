"""One later stage (``programme`` or ``tie_break``) of an instance, built once with fairshare's
own settings, then solved on SCIP ROUNDS times under each of several settings, the settings
taking turns round by round (so that a change in the machine's speed touches all alike): the
value and the median seconds per setting. A setting is ``own`` or SCIP parameters
``name=value`` joined by ``+`` (an integer, a real where the value has a decimal point, a
character where it is one letter).

    PYTHONPATH=. python benchmarks/results/run17/later_stage_settings.py nl-342 tie_break 7 \\
        own lp/pricing=p
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from benchmarks.suite import get_instance
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.backends.mathopt_parameters import solve_parameters
from solver.model import evaluate
from solver.solve import stage_problem

chosen: list[str] = []


def _parameters(*args: Any, **options: Any) -> Any:
    proto = solve_parameters(*args, **options)
    for setting in chosen:
        name, value = setting.split("=")
        if value.isalpha() and len(value) == 1:
            proto.gscip.char_params[name] = value
        elif "." in value:
            proto.gscip.real_params[name] = float(value)
        else:
            proto.gscip.int_params[name] = int(value)
    return proto


def main(instance: str, stage: str, rounds: int, settings: list[str]) -> None:
    region = load_region(instance) if "/" in instance else get_instance(instance).load()
    problem = stage_problem(region, stage, SolverOptions(time_limit=600))
    if problem is None:
        raise SystemExit(f"a stage before {stage} was not proven")
    backend_module.solve_parameters = _parameters  # type: ignore[attr-defined]
    seconds: dict[str, list[float]] = {setting: [] for setting in settings}
    values: dict[str, set[int | None]] = {setting: set() for setting in settings}
    for _ in range(rounds):
        for setting in settings:
            chosen[:] = [] if setting == "own" else setting.split("+")
            backend = backend_module.MathOptBackend(problem.model, SolverOptions(time_limit=600))
            started = time.perf_counter()
            outcome = backend.minimize(problem.terms, 600, hint=problem.start)
            seconds[setting].append(time.perf_counter() - started)
            values[setting].add(
                None if outcome.values is None else evaluate(problem.terms, outcome.values)
            )
    for setting in settings:
        print(
            f"{instance} {stage} {setting}: values {sorted(values[setting], key=str)}, median "
            f"{statistics.median(seconds[setting]):.3f} s, least {min(seconds[setting]):.3f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:])
