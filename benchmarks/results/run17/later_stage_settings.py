"""One later stage (``programme`` or ``tie_break``) of an instance solved on SCIP ROUNDS times
under each of several settings: the value and the median and least seconds per setting. A
setting is ``own`` (fairshare's) or SCIP parameters ``name=value`` joined by ``+`` (an integer,
a real where the value has a decimal point, a character where it is one letter).

By default the stage is built once with fairshare's own settings and the settings take turns
round by round (so that a change in the machine's speed touches all alike). With
``--whole-run`` each setting holds for the whole run, the earlier stages' solves too, and the
stage is built under it: their answers can then differ among equally good ones, and with them
the value counted from the previous stage's answer, but not the stage's own value (printed as
``absolute``).

    PYTHONPATH=. python benchmarks/results/run17/later_stage_settings.py nl-342 tie_break 7 \\
        own lp/pricing=p
    PYTHONPATH=. python benchmarks/results/run17/later_stage_settings.py --whole-run nl-342 \\
        tie_break 5 own lp/initalgorithm=p
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from benchmarks.suite import get_instance
from models.loader import load_region
from models.region import Region
from solver.backends.base import SolverOptions
from solver.backends.mathopt_parameters import solve_parameters
from solver.model import evaluate
from solver.solve import StageProblem, stage_problem

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


def _choose(setting: str) -> None:
    chosen[:] = [] if setting == "own" else setting.split("+")


def _problem(region: Region, stage: str) -> StageProblem:
    problem = stage_problem(region, stage, SolverOptions(time_limit=600))
    if problem is None:
        raise SystemExit(f"a stage before {stage} was not proven")
    return problem


def _solve(problem: StageProblem) -> tuple[float, int | None]:
    backend = backend_module.MathOptBackend(problem.model, SolverOptions(time_limit=600))
    started = time.perf_counter()
    outcome = backend.minimize(problem.terms, 600, hint=problem.start)
    seconds = time.perf_counter() - started
    return seconds, None if outcome.values is None else evaluate(problem.terms, outcome.values)


def _line(instance: str, stage: str, setting: str, values: str, seconds: list[float]) -> str:
    return (
        f"{instance} {stage} {setting}: {values}, median {statistics.median(seconds):.3f} s, "
        f"least {min(seconds):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--whole-run", action="store_true")
    parser.add_argument("instance")
    parser.add_argument("stage")
    parser.add_argument("rounds", type=int)
    parser.add_argument("settings", nargs="+")
    args = parser.parse_args()
    name = args.instance
    region = load_region(name) if "/" in name else get_instance(name).load()
    backend_module.solve_parameters = _parameters  # type: ignore[attr-defined]
    if args.whole_run:
        for setting in args.settings:
            _choose(setting)
            problem = _problem(region, args.stage)
            solves = [_solve(problem) for _ in range(args.rounds)]
            value = solves[-1][1]
            absolute = None if value is None else value + problem.constant
            text = f"value {value} (absolute {absolute})"
            print(_line(name, args.stage, setting, text, [s for s, _ in solves]), flush=True)
        return
    _choose("own")
    problem = _problem(region, args.stage)
    seconds: dict[str, list[float]] = {setting: [] for setting in args.settings}
    values: dict[str, set[int | None]] = {setting: set() for setting in args.settings}
    for _ in range(args.rounds):
        for setting in args.settings:
            _choose(setting)
            spent, value = _solve(problem)
            seconds[setting].append(spent)
            values[setting].add(value)
    for setting in args.settings:
        text = f"values {sorted(values[setting], key=str)}"
        print(_line(name, args.stage, setting, text, seconds[setting]))


if __name__ == "__main__":
    main()
