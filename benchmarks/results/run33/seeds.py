"""Whole solves of one instance under several seeds, one after the other: the status, the wall
seconds and the stages that took more than half a second (benchmarks/RESULTS.md, run 33).

    PYTHONPATH=TREE python benchmarks/results/run33/seeds.py INSTANCE OBJECTIVE 1,2,3,4,5
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from benchmarks.suite import get_instance
from solver.backends.base import SolverOptions
from solver.solve import solve


def main(instance: str, objective: str, seeds: list[int]) -> None:
    base = get_instance(instance).load()
    region = replace(base, policy=replace(base.policy, objective=objective))
    for seed in seeds:
        started = time.perf_counter()
        options = SolverOptions(seed=seed, time_limit=600)
        result = solve(region, options=options, hard_limit=False)
        seconds = time.perf_counter() - started
        slow = ", ".join(f"{s.name} {s.seconds:.2f} s" for s in result.stages if s.seconds > 0.5)
        print(f"seed {seed}: {result.status} in {seconds:.2f} s ({slow or 'no stage over 0.5 s'})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(seed) for seed in sys.argv[3].split(",")])
