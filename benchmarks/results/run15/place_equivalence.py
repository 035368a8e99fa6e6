"""Every call of `place` in solves of one instance under the given fairness objectives, compared
field by field with `place` as it was at 2a945d6 (before run 15), on the same arguments.

Usage, from the root of the tree::

    git show 2a945d6:solver/network.py > /tmp/old_network.py
    PYTHONPATH=.:/tmp python benchmarks/results/run15/place_equivalence.py instances/nl \\
        sum_abs_deviation leximin equal_burden max_abs_deviation quota_respecting

Prints the number of calls compared after each objective; stops at the first difference.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import old_network  # type: ignore[import-not-found]

import solver.decomposition as decomposition_module
import solver.network as network_module
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.solve import solve


def _fields(flow: Any) -> dict[str, Any]:
    values = {field.name: getattr(flow, field.name) for field in dataclasses.fields(flow)}
    values["arcs"] = [(a.tail, a.head, a.capacity, a.cost) for a in values["arcs"]]
    return values


def main(instance: str, objectives: list[str]) -> None:
    calls = 0
    new_place = network_module.place

    def both(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        new = new_place(*args, **kwargs)
        old = old_network.place(*args, **kwargs)
        calls += 1
        if (new is None) != (old is None):
            raise SystemExit(f"call {calls}: one of them found no flow")
        if new is not None:
            for name, value in _fields(new).items():
                if value != _fields(old)[name]:
                    raise SystemExit(f"call {calls}: {name} differs")
        return new

    decomposition_module.place = both  # type: ignore[attr-defined]
    for objective in objectives:
        region = load_region(instance)
        policy = dataclasses.replace(region.policy, objective=objective)
        result = solve(
            dataclasses.replace(region, policy=policy), options=SolverOptions(), hard_limit=False
        )
        print(f"{objective}: {result.status}, {calls} calls of place identical so far")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
