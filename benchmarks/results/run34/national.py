"""The national instance under every objective: the median wall time of five solves after one
warm-up, in one process (benchmarks/RESULTS.md, run 34).

    PYTHONPATH=TREE python benchmarks/results/run34/national.py LABEL
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace

from instances import bundled_instance
from models.loader import load_region
from solver.solve import solve

OBJECTIVES = (
    "sum_abs_deviation",
    "max_abs_deviation",
    "max_rel_deviation",
    "leximin",
    "quota_respecting",
    "equal_burden",
)


def main(label: str) -> None:
    national = load_region(bundled_instance("nl"))
    medians = []
    for objective in OBJECTIVES:
        region = replace(national, policy=replace(national.policy, objective=objective))
        solve(region, hard_limit=False)
        seconds = []
        for _ in range(5):
            started = time.perf_counter()
            result = solve(region, hard_limit=False)
            seconds.append(time.perf_counter() - started)
            assert result.status == "optimal", (objective, result.status)
        medians.append(f"{objective} {statistics.median(seconds):.3f}")
    print(f"{label}: " + " | ".join(medians), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
