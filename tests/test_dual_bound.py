"""The exact lower bound from a relaxation's duals (`solver.dual_bound.integer_bound`): hand-made
cases, the blocks rounded up one by one, and on random small integer programs never above the
optimum whatever the multipliers. The bounds the same duals imply once the objective is capped
(`implied_bounds`): a hand-made case, and on random small integer programs never cutting off a
point within the cap."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solver.dual_bound as dual_bound_module
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.dual_bound import implied_bounds, integer_bound
from solver.model import LinearModel, Sense, linked_blocks

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def test_a_fractional_relaxation_optimum_is_rounded_up() -> None:
    # min -x  s.t.  2x <= 3, 0 <= x <= 10: the relaxation's optimum is -1.5 (dual -1/2).
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    model.add_constraint("row", "test", {x: 2}, "<=", 3)
    assert integer_bound(model, {x: -1}, {0: -0.5}) == -1


def test_rows_sharing_no_variable_are_rounded_up_one_by_one() -> None:
    # Two copies of the case above: -1.5 each, so -3 for the whole, -2 block by block.
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    y = model.add_variable("y", 0, 10)
    model.add_constraint("x", "test", {x: 2}, "<=", 3)
    model.add_constraint("y", "test", {y: 2}, "<=", 3)
    assert integer_bound(model, {x: -1, y: -1}, {0: -0.5, 1: -0.5}) == -2


def test_whole_multipliers_need_no_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every multiplier whole (none at all, as for a search without an objective) each
    block's part is whole: the bound is their sum, found without the blocks."""

    def no_blocks(*_: object) -> list[int]:
        raise AssertionError("blocks read")

    monkeypatch.setattr(dual_bound_module, "linked_blocks", no_blocks)
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    y = model.add_variable("y", 1, 10)
    model.add_constraint("x", "test", {x: 2}, "<=", 3)
    model.add_constraint("y", "test", {y: 1}, ">=", 2)
    assert integer_bound(model, {}, {}) == 0
    # min -x + y with multipliers -1 on 2x <= 3 and 1 on y >= 2: the rows give -3 + 2, the
    # reduced costs (1 for x, 0 for y) nothing at x's lower bound.
    assert integer_bound(model, {x: -1, y: 1}, {0: -1.0, 1: 1.0}) == -1


def test_with_the_relaxations_duals_the_blocks_reach_the_optimum_of_the_widest_pools() -> None:
    # Most new social homes s within each municipality's own rows: s + a <= y, 5a >= 2y,
    # y <= C. With C = 8 and 13 the relaxation gives 4.8 + 7.8 = 12.6; the integers 4 + 7.
    model = LinearModel()
    objective = {}
    for code, capacity in (("A", 8), ("B", 13)):
        y = model.add_variable(f"y[{code}]", 0, 100)
        s = model.add_variable(f"s[{code}]", 0, 100)
        a = model.add_variable(f"a[{code}]", 0, 100)
        model.add_constraint(f"segments[{code}]", "test", {s: 1, a: 1, y: -1}, "<=", 0)
        model.add_constraint(f"middle[{code}]", "test", {a: 5, y: -2}, ">=", 0)
        model.add_constraint(f"capacity[{code}]", "test", {y: 1}, "<=", capacity)
        objective[s] = -1
    relaxation = backend_class("ortools")(model, SolverOptions()).relaxation(objective, 10)
    assert relaxation is not None
    assert math.isclose(sum(objective[i] * relaxation.values[i] for i in objective), -12.6)
    assert integer_bound(model, objective, relaxation.duals) == -11


def test_no_bound_without_the_variable_bound_a_reduced_cost_needs() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, None)
    assert integer_bound(model, {x: -1}, {}) is None
    assert integer_bound(model, {x: 1}, {}) == 0


def test_no_bound_for_a_continuous_variable_or_a_dual_that_is_not_finite() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 10, integer=False)
    assert integer_bound(model, {x: 1}, {}) is None
    whole = LinearModel()
    y = whole.add_variable("y", 0, 10)
    whole.add_constraint("row", "test", {y: 1}, ">=", 1)
    assert integer_bound(whole, {y: 1}, {0: math.inf}) is None


SENSES: tuple[Sense, ...] = ("<=", ">=", "==")


@st.composite
def small_programs(draw: st.DrawFn) -> tuple[LinearModel, dict[int, int], dict[int, float]]:
    model = LinearModel()
    count = draw(st.integers(1, 3))
    for i in range(count):
        low = draw(st.integers(-3, 2))
        model.add_variable(f"x{i}", low, draw(st.integers(low, 3)))
    for r in range(draw(st.integers(0, 3))):
        chosen = draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=count, unique=True))
        terms = {i: draw(st.integers(-3, 3).filter(bool)) for i in chosen}
        model.add_constraint(
            f"r{r}", "test", terms, draw(st.sampled_from(SENSES)), draw(st.integers(-6, 6))
        )
    objective = {i: draw(st.integers(-4, 4)) for i in range(count)}
    duals = {
        r: draw(st.floats(-4, 4, allow_nan=False).map(lambda v: round(v * 8) / 8))
        for r in range(len(model.constraints))
    }
    return model, objective, duals


@PROPERTY
@given(small_programs())
def test_the_bound_is_never_above_the_integer_optimum_whatever_the_multipliers(
    program: tuple[LinearModel, dict[int, int], dict[int, float]],
) -> None:
    model, objective, duals = program
    ranges = [range(v.lower, (v.upper or 0) + 1) for v in model.variables]
    feasible = [
        sum(objective[i] * x for i, x in enumerate(point))
        for point in itertools.product(*ranges)
        if all(row.holds(dict(enumerate(point))) for row in model.constraints)
    ]
    bound = integer_bound(model, objective, duals)
    assert bound is not None  # every variable is bounded
    if feasible:
        assert bound <= min(feasible)


@PROPERTY
@given(st.lists(st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True), max_size=6))
def test_blocks_are_the_connected_components_of_the_variables_the_rows_link(
    rows: list[list[int]],
) -> None:
    model = LinearModel()
    for i in range(8):
        model.add_variable(f"x{i}", 0, 1)
    graph = nx.Graph()
    graph.add_nodes_from(range(8))
    for r, indices in enumerate(rows):
        model.add_constraint(f"r{r}", "test", dict.fromkeys(indices, 1), "<=", 1)
        graph.add_edges_from(itertools.pairwise(indices))
    blocks = linked_blocks(model.constraints, len(model.variables))
    for component in nx.connected_components(graph):
        assert len({blocks[i] for i in component}) == 1
    assert len(set(blocks)) == nx.number_connected_components(graph)


def test_a_capped_objective_that_the_relaxation_reaches_fixes_every_reduced_cost() -> None:
    # min x + y  s.t.  x + y >= 2, x - y >= 0, 0 <= x, y <= 5: the optimum is 2 (duals 1 and 0).
    # Capped at 2, the reduced costs are 0 for both: nothing is fixed. With z (cost 1, no row)
    # added, z has reduced cost 1 and the cap fixes it at 0; at a cap of 3 it may reach 1.
    model = LinearModel()
    x = model.add_variable("x", 0, 5)
    y = model.add_variable("y", 0, 5)
    z = model.add_variable("z", 0, 5)
    model.add_constraint("sum", "test", {x: 1, y: 1}, ">=", 2)
    model.add_constraint("order", "test", {x: 1, y: -1}, ">=", 0)
    objective = {x: 1, y: 1, z: 1}
    assert implied_bounds(model, objective, 2, {0: 1.0, 1: 0.0}) == {z: (0, 0)}
    assert implied_bounds(model, objective, 3, {0: 1.0, 1: 0.0}) == {z: (0, 1)}
    # A cap below the bound: no point is within it, and nothing is claimed.
    assert implied_bounds(model, objective, 1, {0: 1.0, 1: 0.0}) is None


def test_a_negative_reduced_cost_raises_the_lower_bound() -> None:
    # min -x over 0 <= x <= 7 with no rows: capped at -5, x >= 5.
    model = LinearModel()
    x = model.add_variable("x", 0, 7)
    assert implied_bounds(model, {x: -1}, -5, {}) == {x: (5, 7)}
    assert implied_bounds(model, {x: -1}, -7, {}) == {x: (7, 7)}


@PROPERTY
@given(small_programs(), st.integers(-8, 8))
def test_implied_bounds_keep_every_point_within_the_cap_whatever_the_multipliers(
    program: tuple[LinearModel, dict[int, int], dict[int, float]], cap: int
) -> None:
    model, objective, duals = program
    ranges = [range(v.lower, (v.upper or 0) + 1) for v in model.variables]
    within = [
        point
        for point in itertools.product(*ranges)
        if all(row.holds(dict(enumerate(point))) for row in model.constraints)
        and sum(objective[i] * x for i, x in enumerate(point)) <= cap
    ]
    bounds = implied_bounds(model, objective, cap, duals)
    if bounds is None:
        # Only where the duals prove that no point is within the cap (every variable is bounded).
        assert not within
        return
    narrowed = model.with_bounds(bounds)
    for point in within:
        for variable, value in zip(narrowed.variables, point, strict=True):
            assert variable.lower <= value <= (variable.upper or 0)
    for index, (lower, upper) in bounds.items():
        original = model.variables[index]
        assert original.lower <= lower and upper is not None and upper <= (original.upper or 0)
        assert (lower, upper) != (original.lower, original.upper)
