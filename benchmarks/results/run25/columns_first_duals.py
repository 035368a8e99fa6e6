"""The programme stage of a benchmark instance tried block by block twice, as `fairshare solve`
reaches it: first from the duals of the narrowing relaxation begun beside the stage
(`solver.run.Run.start_narrowing`, the usual path below `RELAXATION_UP_TO` variables), then
from those of the stage's own relaxation (benchmarks/RESULTS.md, run 25).

    PYTHONPATH=. python benchmarks/results/run25/columns_first_duals.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import solver.solve as solve_module
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import Outcome, SolverOptions
from solver.objectives import Stage
from solver.run import Run


def told(label: str, outcome: Outcome | None, seconds: float) -> None:
    if outcome is None:
        print(f"{label}: no bound, {seconds:.1f} s", flush=True)
    else:
        print(f"{label}: {outcome.status.value}, {outcome.note}, {seconds:.1f} s", flush=True)


def main(name: str, objective: str) -> None:
    backend_class("ortools")
    region = get_instance(name).load()
    region = replace(region, policy=replace(region.policy, objective=objective))
    run = Run(region, "ortools", SolverOptions(time_limit=3000))
    started = time.perf_counter()
    for stage in run.stages:
        solve_module._prepare(run, stage)
        if stage.name == "programme":
            break
        outcome = solve_module._solve_stage(run, stage)
        print(f"{stage.name}: {outcome.status.value}, {time.perf_counter() - started:.1f} s in")
    if not isinstance(stage, Stage) or stage.name != "programme":
        raise SystemExit("no programme stage")
    run.start_narrowing(stage)
    started = time.perf_counter()
    told(
        "from the narrowing relaxation's duals",
        run.by_columns(stage.terms, run.values),
        time.perf_counter() - started,
    )
    run.finish_narrowing()
    started = time.perf_counter()
    told(
        "from the stage's own relaxation",
        run.by_columns(stage.terms, run.values),
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
