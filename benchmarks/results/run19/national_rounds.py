"""The national instance in one process under each fairness objective, ROUNDS times: each
solve's wall-clock seconds, its build, and the seconds Python's cyclic garbage collector took
during it, then the medians (benchmarks/RESULTS.md, run 19). Run it on two trees in turns to
compare them (``PYTHONPATH`` names the tree).

    PYTHONPATH=. python benchmarks/results/run19/national_rounds.py ROUNDS [OBJECTIVE,...]
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace

from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.solve import solve

OBJECTIVES = (
    "sum_abs_deviation,max_abs_deviation,max_rel_deviation,leximin,quota_respecting,equal_burden"
)


class CollectorClock:
    """The seconds and the number of the collector's runs, from `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = 0
        self._started = 0.0

    def __call__(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs += 1


def main(rounds: int, objectives: list[str]) -> None:
    backend_class("ortools")
    national = load_instance(bundled_instance("nl")).region
    clock = CollectorClock()
    gc.callbacks.append(clock)
    seconds: dict[str, list[float]] = defaultdict(list)
    builds: dict[str, list[float]] = defaultdict(list)
    collected: dict[str, list[float]] = defaultdict(list)
    for round_number in range(rounds):
        for objective in objectives:
            region = replace(national, policy=replace(national.policy, objective=objective))
            clock.seconds, clock.runs = 0.0, 0
            started = time.perf_counter()
            result = solve(region, hard_limit=False)
            took = time.perf_counter() - started
            seconds[objective].append(took)
            builds[objective].append(result.build_seconds)
            collected[objective].append(clock.seconds)
            stages = " ".join(f"{s.name}={s.seconds:.3f}" for s in result.stages)
            print(
                f"{round_number} {objective} {result.status} {took:.3f} s, build "
                f"{result.build_seconds:.3f} s, collector {clock.runs} runs "
                f"{clock.seconds:.3f} s; {stages}"
            )
    print("\nmedians (s)")
    for objective in objectives:
        print(
            f"{objective}: whole {statistics.median(seconds[objective]):.3f}, build "
            f"{statistics.median(builds[objective]):.3f}, collector "
            f"{statistics.median(collected[objective]):.3f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else OBJECTIVES).split(","))
