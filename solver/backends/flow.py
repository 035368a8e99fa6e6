"""Min-cost flow through OR-Tools' network simplex (``SimpleMinCostFlow``), in integers.

The solver works in exact integer arithmetic: with integer supplies, capacities and unit costs its
optimal flow is integral and its cost exact, so that a bound taken from it needs no tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow


@dataclass(frozen=True)
class Arc:
    """An arc from node ``tail`` to node ``head`` carrying at most ``capacity`` units, each at
    ``cost``."""

    tail: int
    head: int
    capacity: int
    cost: int


@dataclass(frozen=True)
class FlowAnswer:
    """An optimal flow: its exact total cost and the flow on every arc, in the order given."""

    cost: int
    flows: tuple[int, ...]


class FlowError(RuntimeError):
    """The min-cost flow solver failed for another reason than that no flow exists (numbers out
    of its range, supplies that do not balance)."""


def cheapest_flow(supplies: Sequence[int], arcs: Sequence[Arc]) -> FlowAnswer | None:
    """The cheapest flow that sends every node's supply (negative: demand) over ``arcs``;
    ``None`` if no flow meets the supplies.

    Raises:
        FlowError: if the solver fails otherwise.
    """
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(
        np.array([a.tail for a in arcs], dtype=np.int32),
        np.array([a.head for a in arcs], dtype=np.int32),
        np.array([a.capacity for a in arcs], dtype=np.int64),
        np.array([a.cost for a in arcs], dtype=np.int64),
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
    return FlowAnswer(int(network.optimal_cost()), tuple(int(x) for x in flows))


def reduced_costs(nodes: int, arcs: Sequence[Arc], flows: Sequence[int]) -> tuple[int, ...] | None:
    """Reduced costs ``c + d(tail) - d(head)`` of ``arcs`` under node potentials ``d`` that prove
    ``flows`` optimal: ``d`` are shortest distances in the residual network (an arc with room
    forward at ``c``, one with flow backward at ``-c``) from a root joined to every node at 0,
    found by Bellman-Ford in integers. Every residual arc then has a reduced cost of at least 0
    (complementary slackness), so that any optimal flow of the same network carries nothing on
    an arc of positive reduced cost and fills every arc of negative reduced cost. ``None`` if the
    residual network has a negative cycle (the flow is not optimal)."""
    tail = np.array([a.tail for a in arcs], dtype=np.int64)
    head = np.array([a.head for a in arcs], dtype=np.int64)
    cost = np.array([a.cost for a in arcs], dtype=np.int64)
    capacity = np.array([a.capacity for a in arcs], dtype=np.int64)
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
            return tuple(int(x) for x in cost + distance[tail] - distance[head])
        distance = relaxed
    return None
