"""The needs and fairness stages of one instance, with the seconds of each building MIP.

Usage: ``PYTHONPATH=TREE python benchmarks/results/run15/needs_only.py INSTANCE`` (a directory
or a benchmark id such as ``syn-5000-g8``), run in TREE, the tree to measure.
Self-contained on purpose, so that it runs against older trees too.
"""

from __future__ import annotations

import sys
import time

from benchmarks.suite import get_instance
from models.loader import load_region
from solver.backends.base import LastBasis, Outcome, SolverOptions
from solver.linear_stage import linear_stage
from solver.model import LinearModel, Terms
from solver.objectives import Stage
from solver.run import Run


def main(name: str) -> None:
    region = load_region(name) if "/" in name else get_instance(name).load()
    run = Run(region, "ortools", SolverOptions(time_limit=600))
    building_seconds: list[float] = []
    solve_building = run.solve_building

    def timed(
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        outcome = solve_building(model, terms, guide, last)
        building_seconds.append(round(time.perf_counter() - started, 3))
        return outcome

    run.solve_building = timed  # type: ignore[method-assign]
    stages = []
    for stage in run.stages[:2]:
        assert isinstance(stage, Stage)
        started = time.perf_counter()
        linear_stage(run, stage)
        stages.append((stage.name, round(time.perf_counter() - started, 3)))
    records = [(r.name, r.method, str(r.value)) for r in run.records]
    print(name, stages, "building MIPs", building_seconds, records)


if __name__ == "__main__":
    main(sys.argv[1])
