"""The needs and fairness stages proven by bounds from the placement network (`solver.network`).

Needs (``sum_g a_g unmet_g + B(short)``): the least building cost ``B*`` (a MIP over the building
alone) plus the least unmet cost when every letting pool is as large as new social homes can make
it (a flow) is a lower bound; the building of ``B*`` with the flow over its own pools is an
allocation, or failing that a building of the same cost whose pools take the widest flow's
placements (a second building MIP). Equal values prove it optimal.

Fairness (the quota stage or the sum of absolute deviations, a convex cost per cell, with the
needs stage fixed at ``V`` and perhaps bounds from the stages between: a min-max stage's bounds
on each municipality's placements, the flow rows of a quota stage fixed at its bound): the
cheapest flow with every pool at its largest (`_local_social_most`), within those bounds, and
at most ``(V - B*) / a`` households unmet is a lower bound; the building asked to give every cap
what that flow uses, within the needs stage, makes it an allocation. Where that fails, the full
MIP solves the stage, started from the cheaper of two flows: over the current building, and
over the building nearest to the new social homes the bound's placements want; the rows of
`FlowBound.rows` for allocations no worse than that start narrow the placements it searches.

Min-max probes (`feasibility_by_network`): whether any allocation keeps every municipality's
measure within a level, decided on the same network where it can.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from solver.backends.base import Status
from solver.backends.flow import reduced_costs
from solver.beside import Beside
from solver.model import Constraint, Terms, evaluate
from solver.network import (
    BuildingSolver,
    FlowPlacements,
    Limits,
    PlacementNetwork,
    Totals,
    complete,
    flow_rows,
    local_building_rows,
    place,
    solve_building,
    split_costs,
)

Key = TypeVar("Key")


@dataclass(frozen=True)
class Found:
    """What the decomposition found for a stage: a whole point, whether it is proven optimal,
    and the proven lower bound of the stage's terms (``None`` if none)."""

    values: dict[int, int]
    proven: bool
    bound: int | None
    seconds: float
    #: The flow whose cost is ``bound``, which bounds every allocation near it (`FlowBound`).
    flow_bound: FlowBound | None = None


@dataclass(frozen=True)
class FlowBound:
    """The cheapest flow of a network in which every allocation's placements are a flow costing
    its stage value less ``base``; ``reduced``: the flow's reduced costs."""

    network: PlacementNetwork
    flow: FlowPlacements
    reduced: tuple[int, ...]
    base: int

    def at_bound(self, value: int) -> bool:
        """Whether a stage value of ``value`` is the flow's cost (the bound itself)."""
        return value == self.base + self.flow.cost

    def rows(self, value: int) -> list[Constraint]:
        """Rows that every allocation whose stage value is at most ``value`` obeys
        (`solver.network.flow_rows`)."""
        slack = value - self.base - self.flow.cost
        return flow_rows(self.network, self.flow, self.reduced, slack) if slack >= 0 else []


def needs_by_network(
    network: PlacementNetwork, terms: Terms, solver: BuildingSolver, *, beside: bool = False
) -> Found | None:
    """The needs stage, if its terms are unmet demand and building variables only; ``None``
    unless proven: the whole MIP then solves it without a start, since a start switches SCIP to
    its fast presolve, which made this stage of 5,000 municipalities 6x slower (run 4).

    The least building cost (`_least_building`) and each municipality's widest pool
    (`_local_social_most`) are two MIPs over the building that read nothing the other writes.
    With ``beside`` the second runs on a thread of its own while the first solves: OR-Tools'
    engines release Python's lock while they solve, and nationally the stage took 13 ms less
    (benchmarks/RESULTS.md, run 28)."""
    started = time.perf_counter()
    f = network.f
    unmet_cost = {g: terms.get(f.unmet[g], 0) for g in network.groups}
    building_terms = {i: c for i, c in terms.items() if i in network.building}
    if set(terms) - set(building_terms) - set(f.unmet.values()):
        return None
    pools = None
    if beside:
        pools = Beside(lambda: _local_social_most(network, solver), "fairshare-beside")
    try:
        least = _least_building(network, building_terms, solver)
    finally:
        if pools is not None:
            pools.result()
    if least is None:
        return None
    least_cost, building = least
    _local_social_most(network, solver)
    total = sum(network.supply.values())
    widest = place(network, network.social_most, unmet_cost, total)
    own = place(network, _social(network, building), unmet_cost, total)
    if widest is None or own is None:
        return None
    bound = least_cost + widest.cost
    values = complete(f.model, {}, building, own.placed, network)
    if not network.checker.holds((), values) or evaluate(terms, values) != bound:
        # The least building's pools house fewer: ask for a building of the same least cost
        # whose pools take the widest flow's placements.
        extra = _social_rows(network, widest.placed)
        if extra is None:
            return None
        _, wider = solve_building(
            network,
            solver,
            {},
            [*extra, *_within_needs(building_terms, least_cost)],
            guide=building_terms,
        )
        if wider is None:
            return None
        values = complete(f.model, {}, wider, widest.placed, network)
        if not network.checker.holds((), values) or evaluate(terms, values) != bound:
            return None
    return Found(values, True, bound, time.perf_counter() - started)


def fairness_by_network(
    network: PlacementNetwork,
    terms: Terms,
    fixed: Sequence[Constraint],
    values: Mapping[int, int],
    solver: BuildingSolver,
) -> Found | None:
    """A stage of convex costs per cell (the quota stage, the sum of absolute deviations) after
    the needs stage, with the rows in force that `_rows_in_force` reads."""
    started = time.perf_counter()
    f = network.f
    costs = split_costs(network, terms)
    if costs is None:
        return None
    setting = _needs_in_force(network, fixed, solver)
    if setting is None:
        return None
    building_terms, unmet_weight, level, limits, least = setting
    total = sum(network.supply.values())
    no_cost = dict.fromkeys(network.groups, 0)
    unmet_most = _unmet_room(level - least[0], unmet_weight, total)
    widest = place(network, network.social_most, no_cost, unmet_most, costs, limits)
    if widest is None:
        return None
    base = sum(low * below for low, _, below, _, _ in costs.values())
    bound = base + widest.cost
    reduced = reduced_costs(widest.nodes, widest.arcs, widest.flows)
    flow_bound = None if reduced is None else FlowBound(network, widest, reduced, base)
    unmet = total - sum(widest.placed.values())
    within = _within_needs(building_terms, level - unmet_weight * unmet)
    extra = _social_rows(network, widest.placed)
    if extra is not None:
        extra += within
        # The building of the least needs often gives every cap enough already.
        building: dict[int, int] | None = least[1]
        if not all(row.holds(least[1]) for row in extra):
            _, building = solve_building(network, solver, {}, extra, guide=building_terms)
        if building is not None:
            point = complete(f.model, values, building, widest.placed, network)
            if network.checker.holds(fixed, point) and evaluate(terms, point) == bound:
                return Found(point, True, bound, time.perf_counter() - started, flow_bound)
    # Not proven (no building gives every cap what the bound's placements use, or none was
    # found): start the whole MIP from the cheaper of two flows, over the current building and
    # over the building that comes closest to the new social homes the bound's placements want.
    need = (building_terms, unmet_weight, level, limits)
    starts = [_start(network, fixed, values, values, need, costs)]
    wanted, _ = _social_wanted(network, widest.placed)
    _, nearest = solve_building(network, solver, {}, within, wanted)
    if nearest is not None:
        starts.append(_start(network, fixed, values, nearest, need, costs))
    found = [point for point in starts if point is not None]
    if not found:
        return None
    point = min(found, key=lambda p: evaluate(terms, p))
    return Found(point, False, bound, time.perf_counter() - started, flow_bound)


@dataclass(frozen=True)
class Feasibility:
    """What the network shows of a feasibility problem: ``values`` a whole point that meets every
    row, or ``None`` where no allocation can."""

    values: dict[int, int] | None
    seconds: float


def feasibility_by_network(
    network: PlacementNetwork,
    fixed: Sequence[Constraint],
    values: Mapping[int, int],
    solver: BuildingSolver,
    *,
    checked: bool = True,
    totals: Mapping[str, Totals] | None = None,
) -> Feasibility | None:
    """Whether some allocation meets the rows in force (the fixed needs stage and bounds on each
    municipality's placements in all: a min-max stage's probe). None can if the widest network
    has no flow within them, with at most ``(V - B*) / a`` households unmet (it is a relaxation:
    every allocation's placements are a flow of it); one is found if a building within the needs
    stage gives every cap what such a flow uses. ``None`` if neither is shown (any other row in
    force, or no such building found): the whole MIP decides then.

    The flow prices an unmet household at 1 and placing at nothing, so that it leaves as few
    households unmet as the bounds allow and the building as much room within the needs stage.
    Before the widest network, the pools of two buildings are tried as they are (no building MIP
    then): that of ``values`` and the one of the least building cost. Unless ``checked``, the
    point found is ``values`` with the building and the placements put in, not completed nor
    checked against every row (the caller checks the one it keeps). ``totals`` bounds
    municipalities' placements in all besides the rows (a probe's bounds, read without rows);
    a checked point is checked against them too.
    """
    started = time.perf_counter()
    extra = totals or {}

    def found(building: Mapping[int, int], placed: Mapping[int, int]) -> Feasibility | None:
        if not checked:
            return Feasibility({**values, **building, **placed}, time.perf_counter() - started)
        point = complete(network.f.model, values, building, placed, network)
        if not network.checker.holds(fixed, point) or not _within_totals(network, extra, point):
            return None
        return Feasibility(point, time.perf_counter() - started)

    setting = _needs_in_force(network, fixed, solver, extra)
    if setting is None:
        return None
    building_terms, unmet_weight, level, limits, least = setting
    total = sum(network.supply.values())
    unmet_cost = dict.fromkeys(network.groups, 1)
    unmet_most = _unmet_room(level - least[0], unmet_weight, total)
    if _totals_rule_out(network, limits, total, unmet_most):
        return Feasibility(None, time.perf_counter() - started)
    for building in (values, least[1]):
        room = level - evaluate(building_terms, building)
        unmet_room = _unmet_room(room, unmet_weight, total)
        own = place(network, _social(network, building), unmet_cost, unmet_room, None, limits)
        shown = None if own is None else found(building, own.placed)
        if shown is not None:
            return shown
    widest = place(network, network.social_most, unmet_cost, unmet_most, None, limits)
    if widest is None:
        return Feasibility(None, time.perf_counter() - started)
    wanted = _social_rows(network, widest.placed)
    if wanted is None:
        return None
    unmet = total - sum(widest.placed.values())
    wanted += _within_needs(building_terms, level - unmet_weight * unmet)
    # The probes' searches share their rows and variables (a row over one variable is a bound,
    # `solver.network.building_model`): each relaxation starts from the last one's basis, and
    # may end at another vertex of the same optimum than without it. Only the probes': the
    # stages the network proves take the building of a search of their own, and it starts the
    # later stages. With the fairness stage's search started so too, its building started the
    # programme stage of syn-342-g8 under `max_abs_deviation` elsewhere, and CP-SAT's proof of
    # that stage took 152 s instead of 1.3-1.6 s for two seeds of five. A probe's building
    # reaches later stages only in the min-max stage's answer: the next leximin levels, and the
    # start of the next stage's MIP where the network does not prove that stage. Where probes
    # start so, the allocations are those of before, and over five seeds so are the times
    # (benchmarks/RESULTS.md, run 33).
    _, wider = solve_building(
        network, solver, {}, wanted, guide=building_terms, last=network.probe_basis
    )
    if wider is None:
        return None
    return found(wider, widest.placed)


def _start(
    network: PlacementNetwork,
    fixed: Sequence[Constraint],
    values: Mapping[int, int],
    building: Mapping[int, int],
    need: tuple[Terms, int, int, Limits],
    costs: Mapping[int, tuple[int, int, int, int, int]],
) -> dict[int, int] | None:
    """The cheapest flow over ``building``'s pools as a whole point (``values`` for the rest;
    ``need``: the fixed rows as `_needs_row` reads them); ``None`` if it breaks a row."""
    building_terms, unmet_weight, level, limits = need
    total = sum(network.supply.values())
    room = level - evaluate(building_terms, building)
    unmet_most = _unmet_room(room, unmet_weight, total)
    no_cost = dict.fromkeys(network.groups, 0)
    flow = place(network, _social(network, building), no_cost, unmet_most, costs, limits)
    if flow is None:
        return None
    point = complete(network.f.model, values, building, flow.placed, network)
    return point if network.checker.holds(fixed, point) else None


def ruled_out_by_totals(
    network: PlacementNetwork,
    fixed: Sequence[Constraint],
    solver: BuildingSolver,
    totals: Mapping[str, Totals] | None = None,
) -> bool | None:
    """Whether the rows in force and ``totals`` rule out every allocation by the bounds on
    municipalities' placements in all alone (`_totals_rule_out`), without a flow: the first
    check of `feasibility_by_network`. ``False`` proves nothing; ``None`` where the network
    cannot read the rows."""
    setting = _needs_in_force(network, fixed, solver, totals)
    if setting is None:
        return None
    _, unmet_weight, level, limits, least = setting
    total = sum(network.supply.values())
    unmet_most = _unmet_room(level - least[0], unmet_weight, total)
    return _totals_rule_out(network, limits, total, unmet_most)


def _totals_rule_out(
    network: PlacementNetwork, limits: Limits, total: int, unmet_most: int
) -> bool:
    """Whether the bounds on municipalities' placements in all (``limits.totals``) rule out
    every flow of the network with at most ``unmet_most`` of the ``total`` households unmet:
    the placements add up to at least ``total`` less the most that may stay unmet (within
    ``limits.all_unmet``) and to at most ``total`` less the least, so the upper bounds together
    may not fall short of the first, nor the lower bounds pass the second. Every flow meets
    both, so ``True`` proves that none exists (nor any allocation within the bounds).

    Nationally every failing probe of the min-max and leximin stages fails so, and is shown to
    in one pass over the municipalities instead of three flows (benchmarks/RESULTS.md,
    run 28)."""
    low_unmet, high_unmet = limits.all_unmet
    least_unmet = max(0, low_unmet or 0)
    most_unmet = unmet_most if high_unmet is None else min(unmet_most, high_unmet)
    if least_unmet > most_unmet:
        return True
    highs: int | None = 0
    lows = 0
    for code in network.cells_of:
        low, high = limits.totals.get(code, (None, None))
        lows += max(0, low or 0)
        if highs is not None:
            highs = None if high is None else highs + high
    return lows > total - least_unmet or (highs is not None and highs < total - most_unmet)


def _unmet_room(room: int, unmet_weight: int, total: int) -> int:
    """The most households that may stay unmet when ``room`` of the needs stage is left after
    the building (every household if unmet demand is not weighed)."""
    return room // unmet_weight if unmet_weight else total


def _within_needs(building_terms: Terms, most: int) -> list[Constraint]:
    """The row ``building terms <= most``: the building's share of the fixed needs stage."""
    if not building_terms:
        return []
    terms = tuple(sorted(building_terms.items()))
    return [Constraint("building_within_needs", "stage", terms, "<=", most)]


def _least_building(
    network: PlacementNetwork, building_terms: Terms, solver: BuildingSolver
) -> tuple[int, dict[int, int]] | None:
    """The least value of ``building_terms`` over the building rows alone (proven optimal) and a
    building reaching it; remembered per objective."""
    key = tuple(sorted(building_terms.items()))
    if key in network.least_building:
        return network.least_building[key]
    outcome, building = solve_building(network, solver, building_terms)
    if outcome.status != Status.OPTIMAL or building is None:
        return None
    least = (evaluate(building_terms, building), building)
    network.least_building[key] = least
    return least


def _local_social_most(network: PlacementNetwork, solver: BuildingSolver) -> None:
    """Lower `PlacementNetwork.social_most` to the most new social homes each municipality's own
    building rows allow (with a middle-segment minimum of 40%, at most 60% of plan capacity), so
    that the widest pools are ones some building can give: one MIP maximises the sum over those
    rows alone, which are separable, so that its optimum has every municipality at its own most.
    Left as it is unless that MIP is proven optimal."""
    if network.social_most_local:
        return
    network.social_most_local = True
    objective = dict.fromkeys(network.social_most, -1)
    outcome, building = solve_building(
        network, solver, objective, rows=local_building_rows(network)
    )
    if outcome.status != Status.OPTIMAL or building is None:
        return
    for index, most in network.social_most.items():
        network.social_most[index] = min(most, building[index])


def _needs_in_force(
    network: PlacementNetwork,
    fixed: Sequence[Constraint],
    solver: BuildingSolver,
    totals: Mapping[str, Totals] | None = None,
) -> tuple[Terms, int, int, Limits, tuple[int, dict[int, int]]] | None:
    """`_rows_in_force` with the least value of its building terms and a building reaching it
    (`_least_building`), once each municipality's widest pool is known (`_local_social_most`);
    ``None`` where either is not known."""
    needs = _rows_in_force(network, fixed, totals)
    if needs is None:
        return None
    building_terms, unmet_weight, level, limits = needs
    least = _least_building(network, building_terms, solver)
    if least is None:
        return None
    _local_social_most(network, solver)
    return building_terms, unmet_weight, level, limits, least


def _rows_in_force(
    network: PlacementNetwork,
    fixed: Sequence[Constraint],
    totals: Mapping[str, Totals] | None = None,
) -> tuple[Terms, int, int, Limits] | None:
    """The fixed rows as ``(building terms, weight of an unmet household, level, limits)``: the
    needs row, which must weigh every group's unmet households alike, and rows that bound
    placements or unmet demand (`_limits`, narrowed by ``totals`` on municipalities' placements
    in all); ``None`` if there is any other row."""
    needs = [row for row in fixed if row.name == "stage[needs]"]
    if len(needs) != 1 or needs[0].sense != "<=":
        return None
    row = needs[0]
    unmet = set(network.f.unmet.values())
    building = {i: c for i, c in row.terms if i in network.building}
    weights = {c for i, c in row.terms if i in unmet}
    if len(building) + sum(1 for i, _ in row.terms if i in unmet) != len(row.terms):
        return None
    if len(weights) > 1 or min(weights, default=1) <= 0:
        return None
    limits = _limits(network, [other for other in fixed if other is not row], totals)
    if limits is None:
        return None
    return building, next(iter(weights), 0), row.rhs, limits


def _limits(
    network: PlacementNetwork,
    rows: Sequence[Constraint],
    extra: Mapping[str, Totals] | None = None,
) -> Limits | None:
    """What ``rows`` bound, as `Limits`: each row must be ``sum (<=, >=, ==) c`` with
    coefficients 1 over one placement, over every placement of one municipality (a min-max
    stage), over one group's unmet demand or over all unmet demand (rows of `flow_rows`);
    ``None`` if any row is anything else (`PlacementNetwork.bounded`). ``extra`` bounds
    municipalities' placements in all as rows after ``rows`` would."""
    totals: dict[str, Totals] = {}
    cells: dict[int, Totals] = {}
    groups: dict[str, Totals] = {}
    everything: dict[str, Totals] = {}
    for row in rows:
        if not row.terms and row.holds({}):
            continue  # a member without placements (a min-max stage's bound on nothing)
        bounded = network.bounded(row.terms)
        if bounded is None:
            return None
        kind, key = bounded
        if kind == "cell":
            _narrow(cells, int(key), row)
        elif kind == "unmet":
            _narrow(groups, str(key), row)
        elif kind == "total":
            _narrow(totals, str(key), row)
        else:
            _narrow(everything, "", row)
    for code, (low, high) in (extra or {}).items():
        least, most = totals.get(code, (None, None))
        totals[code] = (_larger(least, low), _smaller(most, high))
    return Limits(totals, cells, groups, everything.get("", (None, None)))


def _narrow(bounds: dict[Key, Totals], key: Key, row: Constraint) -> None:
    """Narrow ``bounds[key]`` by the row ``sum (<=, >=, ==) rhs``."""
    least, most = bounds.get(key, (None, None))
    if row.sense in (">=", "=="):
        least = _larger(least, row.rhs)
    if row.sense in ("<=", "=="):
        most = _smaller(most, row.rhs)
    bounds[key] = (least, most)


def _larger(bound: int | None, other: int | None) -> int | None:
    """The tighter of two lower bounds (``None``: no bound)."""
    return other if bound is None else bound if other is None else max(bound, other)


def _smaller(bound: int | None, other: int | None) -> int | None:
    """The tighter of two upper bounds (``None``: no bound)."""
    return other if bound is None else bound if other is None else min(bound, other)


def _within_totals(
    network: PlacementNetwork, totals: Mapping[str, Totals], point: Mapping[int, int]
) -> bool:
    """Whether every municipality's placements in all at ``point`` lie within its ``totals``."""
    for code, (low, high) in totals.items():
        placed = sum(point[i] for i in network.cells_of.get(code, ()))
        if (low is not None and placed < low) or (high is not None and placed > high):
            return False
    return True


def _social_wanted(
    network: PlacementNetwork, placed: Mapping[int, int]
) -> tuple[dict[int, int], bool]:
    """The new social homes every cap wants for ``placed`` (per variable, at most what the
    building can give), and whether that is enough for every cap."""
    wanted: dict[int, int] = {}
    enough = True
    for cap in network.caps():
        social = cap.social_needed(sum(placed[i] for i in cap.cells))
        if cap.social is None:
            enough = enough and social is not None
            continue
        most = network.social_most[cap.social]
        if social is None or social > most:
            enough, social = False, most
        if social:
            wanted[cap.social] = max(wanted.get(cap.social, 0), social)
    return wanted, enough


def _social_rows(network: PlacementNetwork, placed: Mapping[int, int]) -> list[Constraint] | None:
    """Rows ``s_m >= n`` with the new social homes every cap needs for ``placed``; ``None`` if a
    cap cannot take them at all."""
    wanted, enough = _social_wanted(network, placed)
    if not enough:
        return None
    return [
        Constraint(f"social_needed[{index}]", "stage", ((index, 1),), ">=", n)
        for index, n in sorted(wanted.items())
    ]


def _social(network: PlacementNetwork, values: Mapping[int, int]) -> dict[int, int]:
    return {s: values[s] for s in network.social_most}
