"""The needs and fairness stages by the placement network (`solver.network`,
`solver.decomposition`): caps and splits against brute force, the network read from the model,
and on random small regions the same stage values and allocation as the whole MIP, with every
network bound at or below the MIP's optimum."""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tiny_regions import (
    A,
    B,
    assert_same_answer,
    assert_solved,
    group,
    muni,
    region,
    small_regions,
)

from benchmarks.suite import get_instance
from instances import bundled_instance
from models.loader import load_instance
from models.policy import RULES, Policy
from models.region import Municipality, Region, TargetGroup, Targets
from solver.backends.base import LastBasis, Outcome, SolverOptions, Status
from solver.backends.flow import Arc, ArcColumns, cheapest_flow, reduced_costs
from solver.decomposition import needs_by_network
from solver.formulation import formulate
from solver.linear_stage import by_network, linear_stage
from solver.model import Constraint, LinearModel, Sense, Split, Terms
from solver.network import (
    LARGEST_CAPACITY,
    Cap,
    Limits,
    PlacementNetwork,
    _add_renumbered,
    _building_rows_model,
    _pool_arcs,
    building_model,
    read_network,
)
from solver.objectives import Stage, add_absolute_deviation
from solver.result import Result
from solver.run import Run, lexicographic_stages
from solver.solve import solve

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)
WITH_NETWORK = SolverOptions(time_limit=10)
WITHOUT_NETWORK = replace(WITH_NETWORK, network=False)


@given(
    st.integers(1, 12),
    st.integers(0, 5),
    st.integers(-30, 30),
    st.integers(0, 20),
    st.integers(0, 40),
)
def test_cap_most_and_social_needed_match_the_row(
    d: int, k: int, rhs: int, s: int, used: int
) -> None:
    cap = Cap((0,), d, k, 1 if k else None, rhs)
    assert cap.most(s) == max(n for n in range(-100, 200) if d * n - k * s <= rhs)
    needed = cap.social_needed(used)
    fits = [x for x in range(0, 1000) if d * used - k * x <= rhs]
    assert needed == (min(fits) if fits else None)


@given(st.fractions(0, 10, max_denominator=7), st.integers(0, 12))
def test_split_values_are_the_cheapest_split_that_meets_its_row(target: Fraction, x: int) -> None:
    model = LinearModel()
    p = model.add_variable("p", 0, 12)
    scale = 420  # every denominator up to 7 divides it
    terms, constant = add_absolute_deviation(model, {p: 1}, target, (0, 12), scale, "c", "dev")
    (split,) = model.splits
    values = {p: x, **split.values(x)}
    assert all(row.holds(values) for row in model.constraints)
    assert all(0 <= values[v.index] <= (v.upper or 0) for v in model.variables)
    assert sum(c * values[i] for i, c in terms.items()) + constant == scale * abs(x - target)


def test_split_records_the_row_of_its_variables() -> None:
    model = LinearModel()
    p = model.add_variable("p", 0, 5)
    add_absolute_deviation(model, {p: 1}, Fraction(5, 2), (0, 5), 2, "c", "dev")
    (split,) = model.splits
    assert split == Split("dev[c]", ((p, 1),), 2, 3, split.under, split.step, split.over)
    assert [c.name for c in model.constraints] == ["dev[c]"]


def _network_of(r: Region) -> PlacementNetwork | None:
    f = formulate(r)
    lexicographic_stages(f)
    return read_network(f)


def test_network_reads_pools_caps_and_tasks_of_a_two_municipality_region() -> None:
    r = region([muni(A, cap=20), muni(B, cap=15)], [group("g1", 6), group("g2", 3)], total=30)
    network = _network_of(r)
    assert network is not None
    assert network.supply == {"g1": 6, "g2": 3}
    assert set(network.municipality_caps) == {A, B}
    # Every letting pool grows with the municipality's new social homes (kappa 2/5: k 2, d 5).
    pools = [cap for caps in network.municipality_caps.values() for cap in caps]
    assert all((cap.d, cap.k) == (5, 2) and cap.social is not None for cap in pools)
    # At most its plan capacity, which is below the regional total.
    assert sorted(network.social_most.values()) == [15, 20]


@pytest.mark.parametrize(
    "objective",
    ["max_abs_deviation", "max_rel_deviation", "equal_burden", "leximin", "quota_respecting"],
)
def test_the_sum_after_a_first_fairness_stage_is_proven_by_the_network(objective: str) -> None:
    """A min-max stage bounds each municipality's placements in all, which the network takes as
    bounds on its pool arcs; a quota stage is itself a convex cost per cell, and once fixed at
    its bound its flow rows bound the arcs of the sum's network. Its probes, the quota stage and
    the sum after them are decided there, with the same answer as the whole MIP."""
    r = region([muni(A, cap=20), muni(B, cap=15)], [group("g1", 6), group("g2", 5)], total=30)
    r = replace(r, policy=replace(r.policy, objective=objective))
    with_network, _ = _same(r)
    methods = {s.name: s.method for s in with_network.stages}
    assert methods["needs"] == methods["fairness_sum"] == "network"
    assert methods.get("fairness_quota", "network") == "network"


@PROPERTY
@given(
    small_regions(
        vary_policy=True,
        objectives=[
            "max_abs_deviation",
            "max_rel_deviation",
            "equal_burden",
            "leximin",
            "quota_respecting",
        ],
    )
)
def test_network_and_whole_mip_agree_after_a_first_fairness_stage(r: Region) -> None:
    with_network, _ = _same(r)
    methods = {s.name: s.method for s in with_network.stages}
    event(f"fairness_sum by the {methods.get('fairness_sum')}")


def test_the_bundled_haaglanden_instance_is_proven_by_the_network() -> None:
    from models.loader import load_region

    r = load_region("instances/haaglanden")
    result = solve(r, "ortools", SolverOptions(time_limit=60), hard_limit=False)
    assert_solved(r, result)
    methods = {s.name: s.method for s in result.stages}
    assert methods == {
        "needs": "network",
        "fairness_sum": "network",
        "programme": "mip",
        "tie_break": "mip",
    }
    without = solve(r, "ortools", replace(SolverOptions(time_limit=60), network=False))
    assert_same_answer(without, result)


def _same(r: Region) -> tuple[Result, Result]:
    with_network = assert_solved(r, solve(r, "ortools", WITH_NETWORK, hard_limit=False))
    without = assert_solved(r, solve(r, "ortools", WITHOUT_NETWORK, hard_limit=False))
    assert all(s.method == "mip" for s in without.stages)
    assert_same_answer(with_network, without)
    return with_network, without


@PROPERTY
@given(small_regions(vary_policy=True, objectives=["sum_abs_deviation"]))
def test_network_and_whole_mip_reach_the_same_stages_and_allocation(r: Region) -> None:
    _same(r)


@PROPERTY
@given(small_regions(vary_policy=True, objectives=["sum_abs_deviation"]))
def test_network_bounds_never_exceed_the_mip_optimum(r: Region) -> None:
    """The lower bounds hold even where the network does not prove the stage: each is at most
    the stage's optimum found by the whole MIP, and equal to it where the network proves it."""
    run = Run(r, "ortools", WITHOUT_NETWORK)
    network = Run(r, "ortools", WITH_NETWORK)
    if network.network is None:
        return
    for stage in run.stages[:2]:
        if not isinstance(stage, Stage) or stage.name not in ("needs", "fairness_sum"):
            break
        network.rows, network.values = dict(run.rows), run.values
        network.records = list(run.records)
        found = by_network(network, stage)
        outcome = linear_stage(run, stage)
        assert outcome.status == Status.OPTIMAL and outcome.objective is not None
        event(f"{stage.name}: {'proven' if found and found.proven else 'not proven'}")
        if found is not None and found.bound is not None:
            assert found.bound <= round(outcome.objective)
            if found.proven:
                assert found.bound == round(outcome.objective)


def test_a_building_mip_stopped_by_the_time_limit_proves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The least building cost must be proven optimal before it bounds anything: with every
    building MIP reported as stopped by the time limit, no stage is proven by the network, and
    the whole MIP still proves them all."""
    calls: list[str] = []
    original = Run.solve_building

    def stopped(
        self: Run,
        model: LinearModel,
        terms: dict[int, int],
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        outcome = original(self, model, terms, guide, last)
        calls.append(outcome.status.value)
        return replace(outcome, status=Status.FEASIBLE, stop_reason="time_limit", bound=None)

    monkeypatch.setattr(Run, "solve_building", stopped)
    r = region([muni(A, cap=20), muni(B, cap=15)], [group("g1", 6), group("g2", 3)], total=30)
    result = assert_solved(r, solve(r, "ortools", WITH_NETWORK, hard_limit=False))
    assert calls, "the network asked for no building"
    assert all(s.method == "mip" for s in result.stages)


def test_cheapest_flow_is_exact_and_none_without_a_flow() -> None:
    # Two sources of 3 and 2 units, two sinks of 4 and 1: the cheap arcs are capped.
    arcs = [Arc(0, 2, 2, 1), Arc(0, 3, 3, 5), Arc(1, 2, 2, 2), Arc(1, 3, 1, 1)]
    answer = cheapest_flow([3, 2, -4, -1], arcs)
    assert answer is not None
    costs = [
        sum(flow * arc.cost for flow, arc in zip(flows, arcs, strict=True))
        for flows in itertools.product(*(range(a.capacity + 1) for a in arcs))
        if flows[0] + flows[1] == 3
        and flows[2] + flows[3] == 2
        and flows[0] + flows[2] == 4
        and flows[1] + flows[3] == 1
    ]
    assert answer.cost == min(costs) == 2 + 5 + 2 * 2
    assert cheapest_flow([3, 2, -4, -1], arcs[:2]) is None


def test_arcs_as_columns_give_the_flow_and_reduced_costs_of_arcs_as_rows() -> None:
    arcs = [Arc(0, 2, 2, 1), Arc(0, 3, 3, 5), Arc(1, 2, 2, 2), Arc(1, 3, 1, 1)]
    columns = ArcColumns.of(arcs[:1]).joined(ArcColumns.of(arcs[1:]))
    by_rows = cheapest_flow([3, 2, -4, -1], arcs)
    by_columns = cheapest_flow([3, 2, -4, -1], columns)
    assert by_rows is not None and by_rows == by_columns
    assert len(columns) == 4 and [columns.capacity(a) for a in range(4)] == [2, 3, 2, 1]
    assert columns.cost_of(by_rows.flows) == by_rows.cost
    assert reduced_costs(4, columns, by_rows.flows) == reduced_costs(4, arcs, by_rows.flows)
    assert cheapest_flow([3, 2, -4, -1], ArcColumns.of(arcs[:2])) is None


def test_leximin_ties_do_not_depend_on_the_answer_returned() -> None:
    """A leximin round in which no member is blocked fixes the lowest code at the first of its
    values at the level that some allocation reaches, and the run's values then meet that row:
    fixing it at its value in a stale answer made this region end in an error ("a later stage
    became infeasible"), with and without the network. Equal populations make many ties."""
    shut = frozenset({"GM0001", "GM0003", "GM0006"})

    def municipality(n: int, dwellings: int, social: int, cap: int) -> Municipality:
        return Municipality(
            code=f"GM000{n}",
            name=f"M{n}",
            population=20,
            dwellings=dwellings,
            social_stock=social,
            plan_capacity=cap,
        )

    r = Region(
        name="ties",
        base_year=2024,
        horizon_years=1,
        default_turnover_rate=Fraction(1, 10),
        targets=Targets(11, 17),
        policy=Policy(
            social_norm=Fraction(1, 4),
            low_social_threshold=Fraction(1, 4),
            high_social_min_middle=Fraction(1, 3),
            letting_priority_max=Fraction(1, 2),
            weight_norm_shortfall=3,
            objective="leximin",
            rules={**dict.fromkeys(RULES, True), "social_norm": False, "new_build_mix": False},
        ),
        groups=(
            TargetGroup(
                id="g0",
                name="Group 0",
                unit="persons",
                demand=19,
                household_size=Fraction(3, 2),
                not_in=shut | {"GM0002", "GM0004"},
            ),
            TargetGroup(id="g1", name="Group 1", unit="households", demand=0, not_in=shut),
            TargetGroup(
                id="g2", name="Group 2", unit="persons", demand=8, household_size=Fraction(3, 2)
            ),
        ),
        municipalities=(
            replace(municipality(1, 182, 161, 2), min_new_homes=2, turnover_rate=Fraction(1, 8)),
            municipality(2, 141, 42, 1),
            municipality(3, 20, 16, 2),
            replace(municipality(4, 21, 16, 4), min_new_homes=1),
            replace(municipality(5, 187, 56, 6), min_new_homes=2),
            replace(municipality(6, 54, 30, 6), min_new_homes=3),
        ),
    )
    _same(r)


def _pool_bounds_one_by_one(
    network: PlacementNetwork, social: dict[int, int], total: int, limits: Limits
) -> list[tuple[int, int]] | None:
    """Each municipality's least and most placements in all, from its caps one by one."""
    bounds = []
    for code in network.f.region.codes:
        caps = [
            cap.most(0 if cap.social is None else social[cap.social])
            for cap in network.municipality_caps.get(code, [])
        ]
        most = min(caps, default=total)
        low, high = limits.totals.get(code, (None, None))
        least = max(0, low or 0)
        most = most if high is None else min(most, high)
        if least > most:
            return None
        bounds.append((least, most))
    return bounds


@PROPERTY
@given(small_regions(), st.integers(0, 10**6), st.sampled_from([10, 10**4, 10**19]))
def test_the_pool_arcs_bound_each_municipality_as_its_caps_one_by_one(
    r: Region, seed: int, largest: int
) -> None:
    """`solver.network._pool_arcs` takes each municipality's least cap in 64-bit integers
    (cap by cap in Python integers where the new social homes are too large for that): the
    bounds of its arcs are those of the caps read one by one, within the rows in force."""
    network = read_network(formulate(r))
    assert network is not None
    rng = random.Random(seed)
    social = {index: rng.randint(0, largest) for index in network.f.new_social.values()}
    total = sum(network.supply.values())
    totals = {
        code: (rng.choice([None, rng.randint(0, 30)]), rng.choice([None, rng.randint(0, 60)]))
        for code in r.codes
        if rng.random() < 0.5
    }
    limits = Limits(totals=totals)
    nodes = {code: 10 + place for place, code in enumerate(r.codes)}
    arcs = _pool_arcs(network, social, total, limits, nodes, 99)
    expected = _pool_bounds_one_by_one(network, social, total, limits)
    if expected is None:
        assert arcs is None
        return
    assert arcs is not None
    most = [
        least + room
        for least, room in zip(arcs.given, arcs.columns.capacities.tolist(), strict=True)
    ]
    assert list(zip(arcs.given, most, strict=True)) == [
        (least, min(high, LARGEST_CAPACITY)) for least, high in expected
    ]
    assert arcs.columns.tails.tolist() == [nodes[code] for code in r.codes]
    assert set(arcs.columns.heads.tolist()) <= {99}


def _needs_found(r: Region, beside: bool) -> tuple[object, dict[int, int], list[str]]:
    """The needs stage of ``r`` by the network (with the widest pools' MIP beside the least
    building's or after it), the widest pools, and the threads its building MIPs ran on."""
    run = Run(r, "ortools", SolverOptions(time_limit=30))
    assert run.network is not None
    threads: list[str] = []

    def recorded(
        model: LinearModel,
        terms: dict[int, int],
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        threads.append(threading.current_thread().name)
        return run.solve_building(model, terms, guide, last)

    needs = run.stages[0]
    assert isinstance(needs, Stage)
    found = needs_by_network(run.network, needs.terms, recorded, beside=beside)
    assert found is not None
    return found.values, dict(run.network.social_most), threads


@pytest.mark.parametrize("name", ["haaglanden", "groningen", "nl"])
def test_the_needs_stage_is_the_same_with_its_building_mips_side_by_side(name: str) -> None:
    r = load_instance(bundled_instance(name)).region
    apart = _needs_found(r, beside=False)
    together = _needs_found(r, beside=True)
    assert together[:2] == apart[:2]
    assert set(apart[2]) == {threading.main_thread().name}
    assert "fairshare-beside" in together[2]


def test_an_error_beside_the_needs_stage_is_raised_on_the_callers_thread() -> None:
    r = load_instance(bundled_instance("haaglanden")).region
    run = Run(r, "ortools", SolverOptions(time_limit=30))
    assert run.network is not None

    def failing(
        model: LinearModel,
        terms: dict[int, int],
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        if threading.current_thread() is not threading.main_thread():
            raise ValueError("engine failed beside")
        return run.solve_building(model, terms, guide, last)

    needs = run.stages[0]
    assert isinstance(needs, Stage)
    with pytest.raises(ValueError, match="engine failed beside"):
        needs_by_network(run.network, needs.terms, failing, beside=True)


def test_a_building_search_without_an_objective_is_steered_by_the_needs_stages_building(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """syn-342-g8 under the sum asks the network for a building that gives every cap what the
    fairness stage's bound uses (no bundled instance does: the least building suffices there).
    Each such search, without terms, hands `Run.solve_building` the needs stage's building
    terms as its guide, renumbered into the building's own model (every guided variable the
    one of the same name with the needs stage's coefficient), and is proven at 0."""
    region = get_instance("syn-342-g8").load()
    searches: list[tuple[Run, LinearModel, Terms | None, Outcome]] = []
    original = Run.solve_building

    def recorded(
        self: Run,
        model: LinearModel,
        terms: dict[int, int],
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        outcome = original(self, model, terms, guide, last)
        if not terms:
            searches.append((self, model, guide, outcome))
        return outcome

    monkeypatch.setattr(Run, "solve_building", recorded)
    assert solve(region, hard_limit=False).status == "optimal"
    assert searches, "the network asked for no building without an objective"
    for run, model, guide, outcome in searches:
        needs = run.stages[0]
        assert isinstance(needs, Stage) and needs.name == "needs"
        position = {v.name: v.index for v in model.variables}
        names = [v.name for v in run.f.model.variables]
        wanted = {position[names[i]]: c for i, c in needs.terms.items() if names[i] in position}
        assert guide == wanted and wanted
        assert all(model.variables[i].name.startswith("norm_shortfall[") for i in wanted)
        assert outcome.status == Status.OPTIMAL and outcome.objective == outcome.bound == 0


def test_a_building_model_with_every_row_is_a_copy_that_keeps_the_networks_own_intact() -> None:
    """`building_model` with every building row (the national instance) equals the model
    written anew from those rows and the extra ones; what a search adds to its copy (a
    variable, a row, a bound narrowed by a row over one variable) reaches neither the
    network's building model nor the next copy."""
    region = load_instance(bundled_instance("nl")).region
    network = read_network(Run(region, "ortools", SolverOptions(time_limit=30)).f)
    assert network is not None
    first = min(network.building)
    extra = [Constraint("extra", "stage", ((first, 1),), ">=", 1)]
    copy, renumber = building_model(network, extra)
    fresh, fresh_renumber = _building_rows_model(network, [*network.building_rows, *extra])
    assert renumber == fresh_renumber
    assert copy.variables == fresh.variables and copy.constraints == fresh.constraints
    copy.add_variable("missing[x]", 0, 1)
    copy.add_constraint("wanted[x]", "stage", {renumber[first]: 1}, ">=", 0)
    again, _ = building_model(network, [])
    base, _ = network.building_alone
    assert copy.variables[renumber[first]].lower == 1
    # Every national building row over one variable is a bound of the building model.
    longer = [row for row in network.building_rows if len(row.terms) > 1]
    assert len(longer) < len(network.building_rows)
    for model in (again, base):
        assert len(model.variables) == len(network.building)
        assert len(model.constraints) == len(longer)
        assert model.variables[renumber[first]].lower == 0
        assert "missing[x]" not in {v.name for v in model.variables}


@pytest.mark.parametrize(
    ("coefficient", "sense", "rhs", "bounds"),
    [
        (2, ">=", 5, (3, 10)),
        (2, "<=", 5, (0, 2)),
        (-2, ">=", -5, (0, 2)),
        (-2, "<=", -5, (3, 10)),
        (3, "==", 6, (2, 2)),
        (3, "==", 7, None),
        (1, ">=", 11, None),
        (1, "<=", -1, None),
    ],
)
def test_a_row_over_one_variable_is_a_bound_where_it_leaves_whole_values(
    coefficient: int, sense: Sense, rhs: int, bounds: tuple[int, int] | None
) -> None:
    """``coefficient * x (sense) rhs`` for x in 0..10 narrows x to the whole values it allows;
    where none is left (or an equality does not divide) it stays a row, for the solver to
    find the model infeasible."""
    model = LinearModel()
    model.add_variable("x", 0, 10)
    row = Constraint("row", "test", ((0, coefficient),), sense, rhs)
    _add_renumbered(model, {0: 0}, [row])
    if bounds is None:
        assert model.constraints == [row] and (
            model.variables[0].lower,
            model.variables[0].upper,
        ) == (0, 10)
    else:
        assert model.constraints == []
        assert (model.variables[0].lower, model.variables[0].upper) == bounds


@pytest.mark.parametrize(
    ("lower", "upper", "coefficient", "sense", "rhs", "bounds"),
    [
        (0, None, 3, ">=", 7, (3, None)),
        (0, None, 3, "<=", 7, (0, 2)),
        (-7, 5, -2, ">=", 5, (-7, -3)),
        (-7, None, -2, "<=", 5, (-2, None)),
        (-7, 5, 2, "==", -6, (-3, -3)),
        (0, 10, 0, ">=", -1, None),
    ],
)
def test_a_row_over_one_variable_narrows_open_and_negative_bounds(
    lower: int,
    upper: int | None,
    coefficient: int,
    sense: Sense,
    rhs: int,
    bounds: tuple[int, int | None] | None,
) -> None:
    """Without an upper bound, below zero and with a negative coefficient the bounds narrow to
    the whole values the row allows; a row whose coefficient is 0 stays a row."""
    model = LinearModel()
    model.add_variable("x", lower, upper)
    row = Constraint("row", "test", ((0, coefficient),), sense, rhs)
    _add_renumbered(model, {0: 0}, [row])
    if bounds is None:
        assert len(model.constraints) == 1
        assert (model.variables[0].lower, model.variables[0].upper) == (lower, upper)
    else:
        assert model.constraints == []
        assert (model.variables[0].lower, model.variables[0].upper) == bounds


def test_a_row_over_one_continuous_variable_stays_a_row() -> None:
    model = LinearModel()
    model.add_variable("x", 0, 10, integer=False)
    row = Constraint("row", "test", ((0, 2),), ">=", 5)
    _add_renumbered(model, {0: 0}, [row])
    assert model.constraints == [row]
