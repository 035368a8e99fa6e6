"""Splits left out of the reduced model and derived from their expressions
(`solver.reduction._derived_splits`), and rows of one variable that their bounds imply
(`solver.reduction._bounds_imply`): the same whole points, the same answers, a smaller model."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_regions import SENSES, assert_solved, random_row, stage_values

import solver.reduction as reduction_module
import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.allocation import Allocation
from solver.backends.base import SolverOptions
from solver.model import Constraint, LinearModel, Sense, Variable
from solver.objectives import add_split, expression_bounds
from solver.reduction import Reduction, _bounds_imply, reduce_model, reduction_row
from solver.run import Run
from solver.solve import _prepare, _solve_stage, solve


@pytest.fixture(autouse=True)
def _every_split_counts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Derive from one split on (`DERIVED_FROM`): the small models here have one, the pilot
    regions fewer than the tool derives. The national test runs as the tool does."""
    if "nationally" not in request.node.name:
        monkeypatch.setattr(reduction_module, "DERIVED_FROM", 1)


def _one_split(low: int = 2, high: int = 3) -> tuple[LinearModel, int, tuple[int, int, int]]:
    """``x`` in 0..5 and its split around ``low``..``high``: (model, x, (under, step, over))."""
    model = LinearModel()
    x = model.add_variable("x", 0, 5)
    split = add_split(model, {x: 1}, low, high, (0, 5), "x", "test")
    return model, x, (split.under, split.step, split.over)


def test_a_split_no_later_objective_prices_is_derived_from_its_expression() -> None:
    model, x, aux = _one_split()
    reduction = reduce_model(model, [], priced=set())
    assert reduction is not None
    assert [split.row for split in reduction.derived] == ["test[x]"]
    assert reduction.derived_variables == frozenset(aux)
    assert [v.name for v in reduction.model.variables] == ["x"]
    assert reduction.model.constraints == []
    for value in range(6):
        point = reduction.point({0: value})
        assert point[x] == value
        assert all(row.holds(point) for row in model.constraints)
        assert {i: point[i] for i in aux} == model.splits[0].values(value)


def test_a_priced_split_or_one_that_another_row_holds_stays() -> None:
    model, _, (under, _, over) = _one_split()
    priced = reduce_model(model, [], priced={over})
    assert priced is not None and priced.derived == ()
    cap = Constraint("stage[fairness]", "stage", ((under, 1), (over, 1)), "<=", 1)
    held = reduce_model(model, [cap], priced=set())
    assert held is not None and held.derived == ()
    # Without ``priced`` nothing is derived at all.
    whole = reduce_model(model, [])
    assert whole is not None and whole.derived == ()
    assert len(whole.model.variables) == 4


def test_a_split_only_an_implied_row_reads_is_derived_and_the_row_leaves_the_model() -> None:
    model, x, (under, _, over) = _one_split()
    cap = Constraint("stage[fairness]", "stage", ((under, 1), (over, 1)), "<=", 1)
    reduction = reduce_model(model, [cap], priced=set(), implied={cap.name})
    assert reduction is not None and len(reduction.derived) == 1
    assert reduction_row(reduction, cap) is None
    other = Constraint("other", "stage", ((x, 1), (over, 1)), "<=", 4)
    assert reduction.reads_derived(other.terms)
    assert not reduction.reads_derived(((x, 1),))
    with pytest.raises(ValueError, match="derives"):
        reduction.objective({under: 1})


def test_too_few_splits_are_not_derived(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding the splits reads every row: below `DERIVED_FROM` candidates it is not done."""
    model, _, _ = _one_split()
    monkeypatch.setattr(reduction_module, "DERIVED_FROM", 2)
    reduction = reduce_model(model, [], priced=set())
    assert reduction is not None and reduction.derived == ()
    assert len(reduction.model.variables) == 4


def test_an_implied_row_that_reads_another_unfixed_variable_stays_with_its_splits() -> None:
    model, x, (under, _, over) = _one_split()
    cap = Constraint("stage[fairness]", "stage", ((x, 1), (under, 1), (over, 1)), "<=", 4)
    reduction = reduce_model(model, [cap], priced=set(), implied={cap.name})
    assert reduction is not None
    assert reduction.derived == () and reduction.implied == frozenset()
    assert reduction_row(reduction, cap) is not None


def _random_split_model(seed: int) -> tuple[LinearModel, list[Constraint], set[int]]:
    """Three variables in -1..2, a split over one of them, a few rows in force over the
    variables (some over the split's), and the split's variables priced or not."""
    rng = random.Random(seed)
    model = LinearModel()
    for index in range(3):
        model.add_variable(f"x{index}", -1, 2)
    expression = {rng.randrange(3): rng.choice([-1, 1])}
    low = rng.randint(-1, 1)
    bounds = expression_bounds(model, expression)
    add_split(model, expression, low, low + rng.randint(0, 2), bounds, "s", "test")
    rows = []
    for number in range(rng.randint(0, 3)):
        # Three rows in ten may read the split's variables too.
        count = len(model.variables) if rng.random() < 0.3 else 3
        rows.append(random_row(rng, f"f{number}", count))
    split = model.splits[0]
    priced = {split.over} if rng.random() < 0.2 else set()
    return model, rows, priced


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 10**6))
def test_derived_splits_keep_exactly_the_decisions_of_the_model(seed: int) -> None:
    """A split is derived only where no other row reads its variables and no objective prices
    them; the reduced model's answers, mapped to whole points, are then exactly the whole
    points that meet every row with the derived splits at their cheapest. So no value of the
    other variables is lost: the split's own row and bounds alone hold its variables, and the
    cheapest split meets them at any value of its expression."""
    model, rows, priced = _random_split_model(seed)
    reduction = reduce_model(model, rows, priced=priced)
    every_row = (*model.constraints, *rows)
    derived = () if reduction is None else reduction.derived
    for split in derived:
        carriers = {split.under, split.step, split.over}
        assert not carriers & priced
        assert all(
            row.name == split.row or not {i for i, _ in row.terms} & carriers for row in every_row
        )
    # The reduction also fixes a split whose expression it fixes at its cheapest values
    # (`solver.reduction._fix_splits`); those are compared at their cheapest too.
    fixed = {} if reduction is None else reduction.fixed
    at_cheapest = [
        split
        for split in model.splits
        if split in derived or all(i in fixed for i, _ in split.expression)
    ]
    ranges = [range(v.lower, (v.upper or 0) + 1) for v in model.variables]
    whole = set()
    for values in itertools.product(*ranges):
        point = dict(enumerate(values))
        cheapest = all(
            split.values(split.expression_at(point) or 0).items() <= point.items()
            for split in at_cheapest
        )
        if cheapest and all(row.holds(point) for row in every_row):
            whole.add(values)
    if reduction is None:
        assert not whole
        return
    mapped = [reduction_row(reduction, row) for row in rows]
    reduced_ranges = [range(v.lower, (v.upper or 0) + 1) for v in reduction.model.variables]
    answers = set()
    for values in itertools.product(*reduced_ranges):
        point = dict(enumerate(values))
        if all(c.holds(point) for c in reduction.model.constraints) and all(
            m is None or m.holds(point) for m in mapped
        ):
            full = reduction.point(point)
            answers.add(tuple(full[i] for i in range(len(model.variables))))
    assert answers == whole


@given(
    st.integers(-4, 4).filter(bool),
    st.sampled_from(SENSES),
    st.integers(-12, 12),
    st.integers(-3, 3),
    st.one_of(st.none(), st.integers(0, 3)),
)
def test_a_row_of_one_variable_is_implied_exactly_when_its_bounds_meet_it(
    coefficient: int, sense: Sense, rhs: int, low: int, high: int | None
) -> None:
    variable = Variable(0, "x", low, None if high is None else max(low, high), True)
    row = Constraint("r", "test", ((0, coefficient),), sense, rhs)
    # Without an upper bound, values up to 100 stand for all: |rhs| is at most 12.
    top = variable.upper if variable.upper is not None else 100
    everywhere = all(row.holds({0: x}) for x in range(low, top + 1))
    assert _bounds_imply(row, [variable]) == everywhere


def test_a_row_of_two_variables_is_never_taken_as_implied() -> None:
    variables = [Variable(0, "x", 0, 1, True), Variable(1, "y", 0, 1, True)]
    assert not _bounds_imply(Constraint("r", "t", ((0, 1), (1, 1)), "<=", 5), variables)


def _solved(
    r: Region, *, derived: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Fraction | None], Allocation | None, list[int]]:
    """Stage values and allocation of a solve, with the splits derived or not, and the
    variables of the reduced model."""
    sizes: list[int] = []

    def recording(*args: Any, **kwargs: Any) -> Reduction | None:
        if not derived:
            kwargs = {**kwargs, "priced": None}
        reduction = reduce_model(*args, **kwargs)
        if reduction is not None:
            sizes.append(len(reduction.model.variables))
        return reduction

    with monkeypatch.context() as patch:
        patch.setattr(run_module, "reduce_model", recording)
        result = assert_solved(
            r, solve(r, "ortools", SolverOptions(time_limit=60), hard_limit=False)
        )
    return stage_values(result), result.allocation, sizes


@pytest.mark.parametrize(
    ("name", "objective"),
    [
        ("haaglanden", "max_abs_deviation"),
        ("mra", "equal_burden"),
        ("groningen", "leximin"),
        ("nl", "max_abs_deviation"),
    ],
)
def test_derived_splits_change_no_answer_and_shrink_the_model(
    name: str, objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = load_instance(bundled_instance(name)).region
    r = replace(base, policy=replace(base.policy, objective=objective))
    values, allocation, sizes = _solved(r, derived=True, monkeypatch=monkeypatch)
    whole_values, whole_allocation, whole_sizes = _solved(r, derived=False, monkeypatch=monkeypatch)
    assert values == whole_values
    assert allocation == whole_allocation
    assert len(sizes) == len(whole_sizes) == 1
    assert sizes[0] < whole_sizes[0]


def test_nationally_the_programme_stage_holds_no_deviation_split() -> None:
    """After ``max_abs_deviation`` the 286 placements the flow rows leave free keep their
    deviation splits only in their own rows and the fairness-sum stage's row, which the flow
    rows imply: none of those variables reaches the backend."""
    base = load_instance(bundled_instance("nl")).region
    r = replace(base, policy=replace(base.policy, objective="max_abs_deviation"))
    run = Run(r, "ortools", SolverOptions(time_limit=60))
    for stage in run.stages:
        _prepare(run, stage)
        if stage.name == "programme":
            break
        _solve_stage(run, stage)
    assert run.reduction is not None
    names = [v.name for v in run.backend.model.variables]
    assert any(name.startswith("placed[") for name in names)
    assert not any(name.startswith("deviation_") for name in names)
    assert "stage[fairness_sum]" in {row.name for row in run.fixed}
    derived = min(run.reduction.derived_variables)
    with pytest.raises(RuntimeError, match="derives"):
        run.add_row(Constraint("later", "stage", ((derived, 1),), "<=", 5))
    run.finish_narrowing()


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.integers(0, 5), st.integers(-3, 3), max_size=4), st.integers(-2, 2))
def test_a_splits_row_is_the_row_add_constraint_writes(
    expression: dict[int, int], low: int
) -> None:
    """`add_split` writes its row's terms itself, sorted once: the same row as
    `LinearModel.add_constraint` writes (zero coefficients dropped, terms sorted by variable)."""
    model = LinearModel()
    for index in range(6):
        model.add_variable(f"x{index}", -2, 2)
    split = add_split(model, expression, low, low + 1, (-20, 20), "s", "test")
    row = model.constraints[-1]
    expected = LinearModel().add_constraint(
        row.name,
        "test",
        {**expression, split.under: 1, split.step: -1, split.over: -1},
        "==",
        low,
    )
    assert row == expected
    assert split.expression == tuple(sorted(expression.items()))
