"""One later stage of a benchmark instance proven block by block on its own
(`solver.columns.solve_by_columns`), from zero duals above `RELAXATION_UP_TO` variables as in a
whole solve, with each pricing's bound printed (benchmarks/RESULTS.md, run 22).

    PYTHONPATH=. python benchmarks/results/run22/columns_replay.py INSTANCE OBJECTIVE STAGE \
        SECONDS [CACHE.pickle]

The stage's problem comes from `solver.solve.stage_problem` (every stage before it solved), or
from CACHE.pickle where that file exists (it is written otherwise).
"""

from __future__ import annotations

import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import solver.columns as columns_module
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.columns import Priced
from solver.model import LinearModel
from solver.solve import StageProblem, stage_problem


def main(name: str, objective: str, stage: str, seconds: float, cache: Path | None) -> None:
    options = SolverOptions(time_limit=seconds)
    if cache is not None and cache.exists():
        problem: StageProblem | None = pickle.loads(cache.read_bytes())
    else:
        region = get_instance(name).load()
        region = replace(region, policy=replace(region.policy, objective=objective))
        problem = stage_problem(region, stage, options)
        if cache is not None:
            cache.write_bytes(pickle.dumps(problem))
    if problem is None:
        raise SystemExit(f"{name}: no stage {stage}, or a stage before it is not proven")
    started = time.perf_counter()
    price = columns_module.price

    def told(*args: Any, **kwargs: Any) -> Priced | None:
        priced = price(*args, **kwargs)
        bound = "none" if priced is None else f"{float(priced.bound):,.1f}"
        print(f"[{time.perf_counter() - started:7.1f}s] pricing, bound {bound}", flush=True)
        return priced

    columns_module.price = told

    def backend_for(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, options)

    found = columns_module.solve_by_columns(
        problem.model, problem.terms, problem.start, backend_for, started + seconds
    )
    spent = time.perf_counter() - started
    size = f"{len(problem.model.variables):,} variables"
    if found is None:
        print(f"{name} {objective} {stage}: {size}, not proven in {spent:.1f} s")
    else:
        print(
            f"{name} {objective} {stage}: {size}, proven in {spent:.1f} s, {found.rounds} rounds, "
            f"value {found.value:,} (reduced), bound {float(found.bound):,.1f}"
        )


if __name__ == "__main__":
    main(
        sys.argv[1],
        sys.argv[2],
        sys.argv[3],
        float(sys.argv[4]),
        Path(sys.argv[5]) if len(sys.argv) > 5 else None,
    )
