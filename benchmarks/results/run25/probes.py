"""The level search of a min-max stage, counted: the network probes, the least-level linear
programs and the integer probes of the stages before ``fairness_sum`` of one instance, and
their seconds (benchmarks/RESULTS.md, run 25).

    PYTHONPATH=TREE python benchmarks/results/run25/probes.py INSTANCE OBJECTIVE [alternate]

``INSTANCE`` is a bundled instance (``nl``) or a benchmark id (``syn-1000-g8``). With
``alternate`` (on a tree from run 25 on) the network search probes the ceiling every other probe
all along, as before run 25 (`solver.levels._close` always true).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

import solver.levels as levels
from benchmarks.suite import get_instance
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.backends.ortools_mathopt import MathOptBackend
from solver.solve import stage_problem


def region_of(name: str, objective: str) -> Region:
    try:
        region = get_instance(name).load()
    except KeyError:
        region = load_instance(bundled_instance(name)).region
    return replace(region, policy=replace(region.policy, objective=objective))


def main(name: str, objective: str, alternate: bool) -> None:
    backend_class("ortools")
    region = region_of(name, objective)
    counts = {"network probes": 0, "least-level programs": 0, "integer probes": 0}
    seconds = {"network search": 0.0, "least-level programs": 0.0}

    def counted(key: str, function: Any, timed: str | None = None) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                if timed is not None:
                    seconds[timed] += time.perf_counter() - started

        return wrapper

    levels.feasibility_by_network = counted("network probes", levels.feasibility_by_network)  # type: ignore[attr-defined]
    setattr(levels, "_integer_probe", counted("integer probes", levels._integer_probe))  # noqa: B010
    least = MathOptBackend.relaxation_least_level
    MathOptBackend.relaxation_least_level = counted(  # type: ignore[method-assign]
        "least-level programs", least, "least-level programs"
    )
    network_level = levels._network_level

    def network_timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return network_level(*args)
        finally:
            seconds["network search"] += time.perf_counter() - started

    setattr(levels, "_network_level", network_timed)  # noqa: B010
    if alternate:
        setattr(levels, "_close", lambda _lower, _upper: True)  # noqa: B010
    started = time.perf_counter()
    stage_problem(region, "fairness_sum", SolverOptions())
    total = time.perf_counter() - started
    print(
        f"{name} {objective}{' alternate' if alternate else ''}: stages before fairness_sum "
        f"{total:.2f} s, network search {seconds['network search']:.2f} s, "
        + ", ".join(f"{key} {value}" for key, value in counts.items())
        + f" ({seconds['least-level programs']:.2f} s)"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["alternate"])
