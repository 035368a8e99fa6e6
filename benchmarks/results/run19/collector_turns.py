"""A solve with Python's cyclic garbage collector paused (as fairshare runs it) and one with it
running (`solver.solve.collector_paused` replaced by a step that pauses nothing), in turns,
ROUNDS times in one process; the medians of their wall-clock seconds, of the seconds until the
fairness stage is fixed (the build, the needs stage and the fairness stages: what a solve cut
short by SECONDS still compares) and of the collector's seconds (benchmarks/RESULTS.md, run 19).

    PYTHONPATH=. python benchmarks/results/run19/collector_turns.py INSTANCE ROUNDS SECONDS \
        [OBJECTIVE]

SECONDS is each solve's time limit.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
import time
from dataclasses import replace

import solver.memory
import solver.solve as solve_module
from benchmarks.results.run19.national_rounds import CollectorClock
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions


def main(instance: str, rounds: int, seconds: float, objective: str | None) -> None:
    backend_class("ortools")
    clock = CollectorClock()
    gc.callbacks.append(clock)
    steps = {"paused": solver.memory.collector_paused, "running": contextlib.nullcontext}
    options = SolverOptions(time_limit=seconds)
    region = get_instance(instance).load()
    if objective is not None:
        region = replace(region, policy=replace(region.policy, objective=objective))
    walls: dict[str, list[float]] = {name: [] for name in steps}
    collected: dict[str, list[float]] = {name: [] for name in steps}
    early: dict[str, list[float]] = {name: [] for name in steps}
    for round_number in range(rounds):
        for name, step in steps.items():
            setattr(solve_module, "collector_paused", step)  # noqa: B010
            gc.collect()
            clock.seconds, clock.runs = 0.0, 0
            started = time.perf_counter()
            result = solve_module.solve(region, "ortools", options, hard_limit=False)
            took = time.perf_counter() - started
            through_fairness = result.build_seconds + sum(
                stage.seconds
                for stage in result.stages
                if stage.name == "needs" or stage.name.startswith("fairness")
            )
            walls[name].append(took)
            collected[name].append(clock.seconds)
            early[name].append(through_fairness)
            print(
                f"{round_number} {name}: {result.status}, {took:.3f} s, through fairness "
                f"{through_fairness:.3f} s, collector {clock.runs} runs, {clock.seconds:.3f} s",
                flush=True,
            )
    setattr(solve_module, "collector_paused", steps["paused"])  # noqa: B010
    for name in steps:
        wall, spent = statistics.median(walls[name]), statistics.median(collected[name])
        print(
            f"{instance} {objective or 'default'} {name}: median {wall:.3f} s, through fairness "
            f"{statistics.median(early[name]):.3f} s, collector {spent:.3f} s ({rounds} solves)"
        )


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]),
        float(sys.argv[3]),
        sys.argv[4] if len(sys.argv) > 4 else None,
    )
