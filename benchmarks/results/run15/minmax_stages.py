"""The national instance under one fairness objective, solved in one process: the seconds of each
stage and, in all, of the placement network's calls (`place`) and of its feasibility probes.

Usage: ``PYTHONPATH=TREE python benchmarks/results/run15/minmax_stages.py OBJECTIVE`` in TREE,
the tree to measure. The instance is solved once before the measured solve, so that imports and
first calls are not counted. Self-contained on purpose, so that it runs against older trees too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import solver.decomposition as decomposition_module
import solver.levels as levels_module
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.solve import solve

NATIONAL = Path(__file__).resolve().parents[3] / "instances" / "nl"


def _timed(function: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    return timed


def main(objective: str) -> None:
    region = load_region(NATIONAL)
    region = replace(region, policy=replace(region.policy, objective=objective))
    solve(region, options=SolverOptions(), hard_limit=False)
    places: list[float] = []
    probes: list[float] = []
    place = decomposition_module.place  # type: ignore[attr-defined]
    decomposition_module.place = _timed(place, places)  # type: ignore[attr-defined]
    probe = levels_module.feasibility_by_network  # type: ignore[attr-defined]
    levels_module.feasibility_by_network = _timed(probe, probes)  # type: ignore[attr-defined]
    started = time.perf_counter()
    result = solve(region, options=SolverOptions(), hard_limit=False)
    seconds = time.perf_counter() - started
    stages = ", ".join(f"{s.name} {s.seconds:.3f}" for s in result.stages)
    print(
        f"{objective}: {result.status} in {seconds:.3f} s ({stages}); "
        f"place {len(places)} calls {sum(places):.3f} s; "
        f"network probes {len(probes)} {sum(probes):.3f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1])
