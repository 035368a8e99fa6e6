"""Reduced costs of the placement network and the rows they give the later stages
(`solver.backends.flow.reduced_costs`, `solver.network.flow_rows`), and the widest pools that
each municipality's own building rows allow (`solver.decomposition`)."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import event, given, settings
from hypothesis import strategies as st
from tiny_regions import A, B, assert_solved, group, muni, region, small_regions

from models.region import Region
from solver.backends import backend_class
from solver.backends.base import LastBasis, Outcome, SolverOptions, Status
from solver.backends.flow import Arc, cheapest_flow, reduced_costs
from solver.decomposition import _local_social_most
from solver.linear_stage import by_network, linear_stage
from solver.model import LinearModel, Terms
from solver.network import local_building_rows, read_network, solve_building
from solver.objectives import Stage
from solver.run import Run
from solver.solve import _allocation, solve

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)
WITH_NETWORK = SolverOptions(time_limit=10)
WITHOUT_NETWORK = replace(WITH_NETWORK, network=False)
NODES = 4


@st.composite
def small_networks(draw: st.DrawFn) -> tuple[list[int], list[Arc]]:
    """Up to five arcs among four nodes, with supplies that some flow meets."""
    arcs = draw(
        st.lists(
            st.builds(
                Arc,
                st.integers(0, NODES - 1),
                st.integers(0, NODES - 1),
                st.integers(0, 3),
                st.integers(-3, 5),
            ).filter(lambda a: a.tail != a.head),
            min_size=1,
            max_size=5,
        )
    )
    flows = [draw(st.integers(0, a.capacity)) for a in arcs]
    return _supplies(arcs, flows), arcs


def _supplies(arcs: list[Arc], flows: tuple[int, ...] | list[int]) -> list[int]:
    supplies = [0] * NODES
    for arc, flow in zip(arcs, flows, strict=True):
        supplies[arc.tail] += flow
        supplies[arc.head] -= flow
    return supplies


def _all_flows(supplies: list[int], arcs: list[Arc]) -> list[tuple[int, ...]]:
    return [
        flows
        for flows in itertools.product(*(range(a.capacity + 1) for a in arcs))
        if _supplies(arcs, flows) == supplies
    ]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(small_networks())
def test_reduced_costs_price_every_flow_against_the_cheapest(
    network: tuple[list[int], list[Arc]],
) -> None:
    """Every flow ``x`` meeting the supplies costs the cheapest flow's cost plus
    ``sum_a r_a (x_a - f_a)``, and every term of that sum is at least 0."""
    supplies, arcs = network
    answer = cheapest_flow(supplies, arcs)
    assert answer is not None
    reduced = reduced_costs(NODES, arcs, answer.flows)
    assert reduced is not None
    for flows in _all_flows(supplies, arcs):
        terms = [r * (x - f) for r, x, f in zip(reduced, flows, answer.flows, strict=True)]
        assert all(term >= 0 for term in terms)
        cost = sum(a.cost * x for a, x in zip(arcs, flows, strict=True))
        assert cost - answer.cost == sum(terms)


def test_reduced_costs_of_a_flow_that_is_not_the_cheapest_are_none() -> None:
    # One unit from 0 to 1, over a cheap arc (cost 1) or a dear one (cost 4).
    arcs = [Arc(0, 1, 1, 1), Arc(0, 1, 1, 4)]
    assert reduced_costs(2, arcs, (0, 1)) is None
    assert reduced_costs(2, arcs, (1, 0)) is not None


@PROPERTY
@given(small_regions(vary_policy=True, objectives=["sum_abs_deviation", "quota_respecting"]))
def test_flow_rows_hold_for_the_allocation_of_the_whole_mip(r: Region) -> None:
    """The rows that a fairness stage's flow gives the later stages cut off nothing: the whole
    MIP (without the network) reaches an allocation that obeys every one of them at that stage,
    and with them added (a stage fixed at its bound left to them, as the network run does) it
    reaches the same stages and allocation as without them. With quota_respecting the sum's
    network carries the quota stage's rows as bounds on its arcs."""
    run = Run(r, "ortools", WITHOUT_NETWORK)
    network = Run(r, "ortools", WITH_NETWORK)
    if network.network is None:
        return
    added = 0
    for stage in run.stages:
        assert isinstance(stage, Stage)
        network.rows, network.values = dict(run.rows), run.values
        network.records, network.implied = list(run.records), set(run.implied)
        found = by_network(network, stage) if stage.name.startswith("fairness") else None
        outcome = linear_stage(run, stage)
        assert outcome.status == Status.OPTIMAL and outcome.values is not None
        if found is None or found.flow_bound is None:
            continue
        value = run.fixed[-1].rhs
        rows = found.flow_bound.rows(value)
        assert all(row.holds(outcome.values) for row in rows)
        for row in rows:
            run.add_row(row)
        if found.flow_bound.at_bound(value):
            run.implied.add(f"stage[{stage.name}]")
        added += len(rows)
    event("rows" if added else "no rows")
    alone = solve(r, "ortools", WITHOUT_NETWORK, hard_limit=False)
    assert [(s.name, s.value) for s in alone.stages] == [(s.name, s.value) for s in run.records]
    assert alone.allocation is not None and run.values is not None
    assert alone.allocation == _allocation(run.f, run.values)


def _cbc(
    model: LinearModel, terms: Terms, guide: Terms | None = None, last: LastBasis | None = None
) -> Outcome:
    return backend_class("cbc")(model, SolverOptions(time_limit=10)).minimize(terms, 10)


def test_widest_pools_allow_for_each_municipalitys_own_rows() -> None:
    """A municipality above the social threshold builds at least 40% middle segment, so that at
    most 6 of its 10 planned homes can be social; the widest pools use 6, and each
    municipality's most equals that of its own rows solved alone by CBC."""
    high = muni(A, social=40, cap=10)
    r = region([high, muni(B, cap=10)], [group("g1", 4)], total=15)
    network = read_network(Run(r, "ortools", WITH_NETWORK).f)
    assert network is not None
    before = dict(network.social_most)
    _local_social_most(network, _cbc)
    social = network.f.new_social
    assert before[social[A]] == 10 and network.social_most[social[A]] == 6
    local = local_building_rows(network)
    names = network.f.model.variables
    for code, index in social.items():
        own = [row for row in local if all(f"[{code}]" in names[i].name for i, _ in row.terms)]
        outcome, building = solve_building(network, _cbc, {index: -1}, rows=own)
        assert outcome.status == Status.OPTIMAL and building is not None
        assert network.social_most[index] == building[index]
    assert_solved(r, solve(r, "ortools", WITH_NETWORK, hard_limit=False))
