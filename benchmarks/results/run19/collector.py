"""Python's cyclic garbage collector during a solve (benchmarks/RESULTS.md, run 19): for each
instance, a solve with the collector running as before (`solver.memory.collector_paused`
replaced by a step that pauses nothing), with the seconds and runs it took, then a solve as
fairshare runs it (paused), after which one collection counts the cyclic garbage the solve
left; and the build alone (`solver.run.Run`) with the collector on and off.

    PYTHONPATH=. python benchmarks/results/run19/collector.py INSTANCE[,...] SECONDS [OBJECTIVE]

SECONDS is each solve's time limit.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from dataclasses import replace

import solver.memory
import solver.solve as solve_module
from benchmarks.results.run19.national_rounds import CollectorClock
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.run import Run


def main(instances: list[str], seconds: float, objective: str | None) -> None:
    backend_class("ortools")
    clock = CollectorClock()
    gc.callbacks.append(clock)
    paused = solver.memory.collector_paused
    options = SolverOptions(time_limit=seconds)
    for instance in instances:
        region = get_instance(instance).load()
        if objective is not None:
            region = replace(region, policy=replace(region.policy, objective=objective))
        gc.collect()
        setattr(solve_module, "collector_paused", contextlib.nullcontext)  # noqa: B010
        clock.seconds, clock.runs = 0.0, 0
        started = time.perf_counter()
        result = solve_module.solve(region, "ortools", options, hard_limit=False)
        took = time.perf_counter() - started
        print(
            f"{instance}: collector on: {result.status}, {took:.3f} s, collector "
            f"{clock.runs} runs, {clock.seconds:.3f} s"
        )
        setattr(solve_module, "collector_paused", paused)  # noqa: B010
        gc.collect()
        started = time.perf_counter()
        result = solve_module.solve(region, "ortools", options, hard_limit=False)
        took = time.perf_counter() - started
        garbage = gc.collect()
        print(
            f"{instance}: collector paused: {result.status}, {took:.3f} s, then one collection "
            f"found {garbage} objects of cyclic garbage"
        )
        for running in (True, False):
            gc.collect()
            if not running:
                gc.disable()
            clock.seconds, clock.runs = 0.0, 0
            started = time.perf_counter()
            Run(region, "ortools", options)
            took = time.perf_counter() - started
            gc.enable()
            state = "on" if running else "off"
            print(
                f"{instance}: build with the collector {state}: {took:.3f} s, of it the "
                f"collector's {clock.seconds:.3f} s"
            )


if __name__ == "__main__":
    main(sys.argv[1].split(","), float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
