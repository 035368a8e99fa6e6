"""What the level search remembers gives the answers it would compute afresh: the members'
largest measures below a level (`MinMaxStage.below_each`, kept for the most recent levels only),
the relative measure in its one-fraction form, and `PointChecker`, which checks a whole point as
integer arrays (`solver.point_check.RowMatrix`) and row by row in Python integers only where 64-bit
integers cannot decide exactly."""

from __future__ import annotations

import random
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tiny_regions import small_regions

from models.region import Region
from solver.formulation import formulate
from solver.minmax import (
    RECENT_LEVELS,
    REMEMBERED_PER_MEMBER,
    MinMaxStage,
    _linear_end,
    absolute_deviation_stage,
    burden_stage,
    norm_shortfall_stage,
    relative_deviation_stage,
)
from solver.model import Constraint, LinearModel
from solver.network import PointChecker, holds
from solver.objectives import add_split
from solver.point_check import RowMatrix, SplitTable

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)


def _afresh(stage: MinMaxStage, code: str, level: Fraction) -> Fraction | None:
    """`MinMaxStage.below` from its definition: the largest measure at a whole value whose
    measure is strictly below ``level``, over a range wide enough for the test regions."""
    values = [stage.value_of(code, e) for e in range(0, 2000)]
    below = [v for v in values if v < level]
    return max(below) if below else None


@PROPERTY
@given(small_regions(), st.lists(st.fractions(0, 3, max_denominator=50), min_size=1, max_size=40))
def test_below_each_matches_the_definition_at_every_level_asked(
    region: Region, levels: list[Fraction]
) -> None:
    stage = relative_deviation_stage(formulate(region), "fairness_max_rel")
    for level in [*levels, *levels[::-1]]:
        answers = stage.below_each(stage.members, level)
        assert answers == [_afresh(stage, code, level) for code in stage.members]
    assert len(stage._below_known._levels) <= RECENT_LEVELS


@PROPERTY
@given(small_regions())
def test_only_the_most_recent_levels_are_kept(region: Region) -> None:
    stage = relative_deviation_stage(formulate(region), "fairness_max_rel")
    levels = [Fraction(k, 3 * RECENT_LEVELS) for k in range(3 * RECENT_LEVELS)]
    for level in levels:
        stage.below_each(stage.members, level)
    assert list(stage._below_known._levels) == levels[-RECENT_LEVELS:]
    # Asking again at a kept level makes it the most recent.
    stage.below_each(stage.members, levels[-RECENT_LEVELS])
    assert list(stage._below_known._levels)[-1] == levels[-RECENT_LEVELS]


@PROPERTY
@given(small_regions(), st.integers(0, 60))
def test_the_relative_measure_is_the_deviation_over_the_quota(region: Region, total: int) -> None:
    f = formulate(region)
    stage = relative_deviation_stage(f, "fairness_max_rel")
    for code in stage.members:
        quota = f.quotas.municipality_total(code)
        assert stage.value_of(code, total) == abs(total - quota) / quota


def _random_model(rng: random.Random, scale: int = 1) -> LinearModel:
    """Variables within -3..9 and loose rows (most points near 0 meet them all), one of them an
    equality, one a row without terms; ``scale`` multiplies one row's coefficients and
    right-hand side."""
    model = LinearModel()
    for index in range(8):
        model.add_variable(f"x{index}", -3, rng.choice([None, 9]))
    for row in range(10):
        terms = {rng.randrange(8): rng.randint(-3, 3) for _ in range(rng.randint(1, 4))}
        model.add_constraint(f"r{row}", "test", terms, rng.choice(["<=", ">="]), rng.randint(2, 8))
    model.add_constraint("empty", "test", {}, "<=", 0)
    model.add_constraint("e", "test", {0: 1, 1: -1}, "==", 0)
    model.add_constraint("scaled", "test", {2: scale, 3: -scale}, "<=", 5 * scale)
    return model


@given(st.integers(0, 10**6), st.sampled_from([1, 7, 2**40, 2**61, 2**62, 2**70]))
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
def test_the_point_checker_answers_as_a_full_check_along_a_walk(seed: int, scale: int) -> None:
    """With coefficients of every size: from ``2**62`` on, 64-bit integers cannot decide and the
    rows are read one by one; at ``2**61`` the rows' weights are summed in Python integers
    (a coefficient times the longest row could pass 64-bit integers) and still fit them."""
    rng = random.Random(seed)
    model = _random_model(rng, scale)
    checker = PointChecker(model)
    point = dict.fromkeys(range(8), 0)
    answers = []
    for step in range(200):
        point = dict(point)
        moves = [(rng.randrange(8), rng.choice([-1, 1])) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            moves.append((1, moves[0][1]) if moves[0][0] == 0 else (0, 0))
        for index, step_by in moves:
            point[index] += step_by
        if step % 50 == 49:
            del point[rng.randrange(8)]  # a point without a variable meets nothing
        fixed = [Constraint("f", "stage", ((rng.randrange(8), 1),), "<=", rng.randint(-2, 4))]
        answers.append(checker.holds(fixed, point))
        assert answers[-1] == holds(model, fixed, point)
        point = {index: max(-3, min(9, point.get(index, 0))) for index in range(8)}
        if rng.random() < 0.2:
            point = dict.fromkeys(range(8), 0)
    event(f"points that hold: {answers.count(True) // 20 * 10}%")
    event(f"decided in 64-bit integers: {RowMatrix(model).exact}")


def test_the_row_matrix_gives_no_verdict_where_64_bit_integers_could_overflow() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, None)
    y = model.add_variable("y", 0, None)
    model.add_constraint("r", "test", {x: 2**31, y: -(2**31)}, "<=", 0)
    matrix = RowMatrix(model)
    assert matrix.holds({x: 5, y: 5}) is True
    assert matrix.holds({x: 6, y: 5}) is False
    # 2**31 * (2**31 + 2**31) = 2**63 would overflow: no verdict, and the checker reads the row.
    assert matrix.holds({x: 2**31, y: 2**31}) is None
    assert PointChecker(model).holds((), {x: 2**31, y: 2**31})
    assert matrix.holds({x: 2**70, y: 0}) is None
    assert matrix.holds({x: 1}) is False


def test_the_point_checker_reads_rows_added_to_the_model_after_it_was_made() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    checker = PointChecker(model)
    assert checker.holds((), {x: 7})
    model.add_constraint("x_at_most_5", "test", {x: 1}, "<=", 5)
    assert not checker.holds((), {x: 7})
    assert checker.holds((), {x: 5})


def _rounded_interval(
    stage: MinMaxStage, code: str, level: Fraction, strict: bool
) -> tuple[int | None, int | None]:
    """`MinMaxStage.bounds` from its definition: the ends of `MinMaxStage.interval` at the
    level, in Fractions, rounded inwards (past a whole end if strict)."""
    low, high = stage.interval(code, level)
    if strict:
        return (
            None if low is None else floor(low) + 1,
            None if high is None else ceil(high) - 1,
        )
    return None if low is None else ceil(low), None if high is None else floor(high)


STAGES = {
    "relative": lambda f: relative_deviation_stage(f, "fairness_max_rel"),
    "absolute": lambda f: absolute_deviation_stage(f, "fairness_max_abs"),
    "burden": lambda f: burden_stage(f, "fairness_max_burden"),
    "norm_shortfall": lambda f: norm_shortfall_stage(f, "norm_max_shortfall"),
}


def _levels(most: int) -> st.SearchStrategy[list[Fraction]]:
    """Lists of levels from 0 to 50 with denominators up to a million."""
    return st.lists(st.fractions(0, 50, max_denominator=10**6), min_size=1, max_size=most)


@PROPERTY
@given(small_regions(), st.sampled_from(sorted(STAGES)), _levels(20))
def test_whole_bounds_in_integers_are_the_rounded_interval(
    region: Region, kind: str, levels: list[Fraction]
) -> None:
    """`MinMaxStage.bounds` computes in integers from the ends' linear form; the bounds are
    those of the interval rounded in Fractions, at any level and at the members' own measures
    (where an end is whole and strictness matters)."""
    stage = STAGES[kind](formulate(region))
    for code in stage.members:
        measures = [stage.value_of(code, e) for e in range(0, 40)]
        for level in [*levels, *measures]:
            for strict in (False, True):
                expected = _rounded_interval(stage, code, level, strict)
                assert stage.bounds(code, level, strict) == expected


@PROPERTY
@given(small_regions(), st.sampled_from(sorted(STAGES)), _levels(40))
def test_remembered_measures_and_bound_rows_are_those_written_afresh(
    region: Region, kind: str, levels: list[Fraction]
) -> None:
    """`MinMaxStage.measure_at` and `MinMaxStage.bound_constraints` remember what they gave
    (`REMEMBERED_PER_MEMBER` entries per member at most): asked again, in any order, they give
    what `value_of` and rows written from `bounds` give, and a caller that changes the list
    it got changes nothing that is remembered."""
    stage = STAGES[kind](formulate(region))
    fresh = STAGES[kind](formulate(region))
    limit = REMEMBERED_PER_MEMBER * max(1, len(stage.members))
    for level in [*levels, *levels[::-1], *levels]:
        for code in stage.members:
            low, high = fresh.bounds(code, level, False)
            rows = stage.bound_constraints(code, level)
            assert [(row.sense, row.rhs) for row in rows] == [
                *([(">=", low)] if low is not None else []),
                *([("<=", high)] if high is not None else []),
            ]
            assert all(row.terms == fresh.terms(code) for row in rows)
            rows.clear()
            assert len(stage.bound_constraints(code, level)) == (low is not None) + (
                high is not None
            )
            for e in (0, 1, 7, 40) if high is None else (max(high, 0), max(high - 1, 0)):
                assert stage.measure_at(code, e) == fresh.value_of(code, e)
    assert len(stage._measures) <= limit
    assert len(stage._bound_rows) <= limit


@PROPERTY
@given(small_regions(), st.sampled_from(sorted(STAGES)), st.randoms(use_true_random=False))
def test_the_least_levels_of_any_members_are_their_distinct_least_measures_sorted(
    region: Region, kind: str, draw: random.Random
) -> None:
    """`MinMaxStage.least_levels` gives, for any subset of the members (a leximin stage's free
    members), their distinct least measures, largest first."""
    stage = STAGES[kind](formulate(region))
    for _ in range(5):
        members = tuple(c for c in stage.members if draw.random() < 0.6)
        expected = sorted({stage.least(code) for code in members}, reverse=True)
        assert stage.least_levels(members) == expected


def test_an_end_bounded_at_some_levels_only_is_refused() -> None:
    with pytest.raises(ValueError, match="every level or none"):
        _linear_end(Fraction(1), None)


def _splits_one_by_one(model: LinearModel, values: dict[int, int]) -> dict[int, int]:
    """`Split.values` of every split whose expression has a value, one split after another."""
    parts: dict[int, int] = {}
    for split in model.splits:
        x = split.expression_at(values)
        if x is not None:
            parts.update(split.values(x))
    return parts


def _model_with_splits(rng: random.Random, splits: int, scale: int) -> LinearModel:
    model = LinearModel()
    decisions = [model.add_variable(f"x[{i}]", -scale, scale) for i in range(8)]
    for k in range(splits):
        chosen = rng.sample(decisions, rng.randint(0, 4))
        expression = {i: rng.choice([-2, -1, 1, 3]) for i in chosen}
        low = rng.randint(-scale, scale)
        add_split(
            model, expression, low, low + rng.randint(0, 1), (-10 * scale, 10 * scale), f"{k}", "t"
        )
    return model


@PROPERTY
@given(st.integers(0, 10**6), st.sampled_from([1, 50, 10**9]))
def test_the_split_table_gives_the_splits_one_by_one(seed: int, scale: int) -> None:
    """`SplitTable.split_values` gives every split's cheapest values, in the order of the
    splits, as `Split.values` one split after another; splits whose expression lacks a value
    are left out."""
    rng = random.Random(seed)
    model = _model_with_splits(rng, rng.randint(0, 12), scale)
    decisions = range(8)
    values = {i: rng.randint(-scale, scale) for i in decisions if rng.random() < 0.8}
    table = SplitTable(model.splits)
    parts = table.split_values(values, len(model.variables))
    assert parts is not None
    expected = _splits_one_by_one(model, values)
    assert list(parts.items()) == list(expected.items())
    assert all(type(value) is int for value in parts.values())


def test_the_split_table_defers_where_64_bit_integers_could_overflow() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0)
    add_split(model, {x: 1}, 5, 6, (0, 2**70), "x", "t")
    table = SplitTable(model.splits)
    assert table.split_values({x: 2**62}, 4) is None
    assert table.split_values({x: 2**70}, 4) is None
    assert table.split_values({x: 9}, 4) == {1: 0, 2: 1, 3: 3}


def test_the_split_table_defers_splits_over_other_splits_variables() -> None:
    """A split over another split's variables needs that split's values first: the table
    gives no answer and the caller reads the splits in order."""
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    first = add_split(model, {x: 1}, 3, 4, (0, 10), "first", "t")
    add_split(model, {first.over: 1}, 2, 2, (0, 10), "second", "t")
    table = SplitTable(model.splits)
    assert table.chained
    assert table.split_values({x: 9}, len(model.variables)) is None
