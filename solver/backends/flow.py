"""Min-cost flow through OR-Tools' network simplex (``SimpleMinCostFlow``), in integers.

The solver works in exact integer arithmetic: with integer supplies, capacities and unit costs its
optimal flow is integral and its cost exact, so that a bound taken from it needs no tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from ortools.graph.python import min_cost_flow


class Arc(NamedTuple):
    """An arc from node ``tail`` to node ``head`` carrying at most ``capacity`` units, each at
    ``cost``: one at a time, as `solver.network.place` adds the arcs of the pools and of unmet
    demand (the placements' arcs, thousands per network, are made as `ArcColumns`)."""

    tail: int
    head: int
    capacity: int
    cost: int


@dataclass(frozen=True, eq=False)
class ArcColumns:
    """Arcs as four integer columns (tails, heads, capacities, unit costs): a network of the
    national instance has about 8,000 arcs and is made for every probe of a level search, and
    the solver takes columns: made as rows (`Arc`) and turned into columns, turning the arcs of
    the 66 networks of one national leximin solve took 0.12 s of its 3.6 s in a profile
    (benchmarks/RESULTS.md, run 17)."""

    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    costs: np.ndarray

    @classmethod
    def of(cls, arcs: Sequence[Arc]) -> ArcColumns:
        """The columns of ``arcs``."""
        if not arcs:
            return cls(*(np.zeros(0, dtype=np.int64) for _ in range(4)))
        tail, head, capacity, cost = zip(*arcs, strict=True)
        return cls(*(np.array(column, dtype=np.int64) for column in (tail, head, capacity, cost)))

    def joined(self, more: ArcColumns) -> ArcColumns:
        """These arcs, then ``more``."""
        return ArcColumns(
            *(
                np.concatenate([mine, theirs])
                for mine, theirs in (
                    (self.tails, more.tails),
                    (self.heads, more.heads),
                    (self.capacities, more.capacities),
                    (self.costs, more.costs),
                )
            )
        )

    def __len__(self) -> int:
        return len(self.tails)

    def capacity(self, arc: int) -> int:
        """The capacity of arc number ``arc``."""
        return int(self.capacities[arc])

    def cost_of(self, flows: Sequence[int]) -> int:
        """The exact cost of ``flows`` (one per arc), in Python integers."""
        return sum(c * x for c, x in zip(self.costs.tolist(), flows, strict=True))


@dataclass(frozen=True)
class FlowAnswer:
    """An optimal flow: its exact total cost and the flow on every arc, in the order given."""

    cost: int
    flows: tuple[int, ...]


class FlowError(RuntimeError):
    """The min-cost flow solver failed for another reason than that no flow exists (numbers out
    of its range, supplies that do not balance)."""


def cheapest_flow(supplies: Sequence[int], arcs: Sequence[Arc] | ArcColumns) -> FlowAnswer | None:
    """The cheapest flow that sends every node's supply (negative: demand) over ``arcs``;
    ``None`` if no flow meets the supplies.

    Raises:
        FlowError: if the solver fails otherwise.
    """
    network = min_cost_flow.SimpleMinCostFlow()
    columns = _columns(arcs)
    network.add_arcs_with_capacity_and_unit_cost(
        columns.tails.astype(np.int32),
        columns.heads.astype(np.int32),
        columns.capacities,
        columns.costs,
    )
    network.set_nodes_supplies(
        np.arange(len(supplies), dtype=np.int32), np.array(supplies, dtype=np.int64)
    )
    status = network.solve()
    if status == network.INFEASIBLE:
        return None
    if status != network.OPTIMAL:
        raise FlowError(f"min-cost flow: {status!r}")
    flows = network.flows(np.arange(len(arcs), dtype=np.int32))
    return FlowAnswer(int(network.optimal_cost()), tuple(flows.tolist()))


def reduced_costs(
    nodes: int, arcs: Sequence[Arc] | ArcColumns, flows: Sequence[int]
) -> tuple[int, ...] | None:
    """Reduced costs ``c + d(tail) - d(head)`` of ``arcs`` under node potentials ``d`` that prove
    ``flows`` optimal: ``d`` are shortest distances in the residual network (an arc with room
    forward at ``c``, one with flow backward at ``-c``) from a root joined to every node at 0,
    found by Bellman-Ford in integers. Every residual arc then has a reduced cost of at least 0
    (complementary slackness), so that any optimal flow of the same network carries nothing on
    an arc of positive reduced cost and fills every arc of negative reduced cost. ``None`` if the
    residual network has a negative cycle (the flow is not optimal)."""
    columns = _columns(arcs)
    tail, head, capacity, cost = columns.tails, columns.heads, columns.capacities, columns.costs
    flow = np.array(flows, dtype=np.int64)
    forward, backward = flow < capacity, flow > 0
    tails = np.concatenate([tail[forward], head[backward]])
    heads = np.concatenate([head[forward], tail[backward]])
    costs = np.concatenate([cost[forward], -cost[backward]])
    distance = np.zeros(nodes, dtype=np.int64)
    for _ in range(nodes + 1):
        relaxed = distance.copy()
        np.minimum.at(relaxed, heads, distance[tails] + costs)
        if np.array_equal(relaxed, distance):
            return tuple((cost + distance[tail] - distance[head]).tolist())
        distance = relaxed
    return None


def _columns(arcs: Sequence[Arc] | ArcColumns) -> ArcColumns:
    """``arcs`` as columns."""
    return arcs if isinstance(arcs, ArcColumns) else ArcColumns.of(arcs)
