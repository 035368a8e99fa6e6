"""Leximin rounds that end at the floor rounding alone sets, settled together
(`solver.leximin.floor_rounds`): the same stage values, allocation and notes as round by round,
with fewer level searches than rounds."""

from __future__ import annotations

import itertools
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from tiny_regions import assert_same_answer, assert_solved, small_regions

import solver.leximin as leximin_module
from instances import bundled_instance
from models.generate import generate_region
from models.loader import load_instance
from models.region import Region
from solver.backends.base import SolverOptions
from solver.levels import least_level
from solver.minmax import MinMaxStage
from solver.model import Constraint
from solver.result import Result
from solver.run import Run
from solver.solve import solve

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)
OPTIONS = SolverOptions(time_limit=60)


def _leximin(r: Region) -> Region:
    return replace(r, policy=replace(r.policy, objective="leximin"))


def _round_by_round(
    run: Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    level_rows: dict[str, list[int]],
    *,
    probe: bool,
) -> leximin_module.FloorRounds:
    """`floor_rounds` settling nothing: every round by its own level search."""
    return leximin_module.FloorRounds([], free, False, False, 0.0)


def _both(r: Region, monkeypatch: pytest.MonkeyPatch) -> tuple[Result, int]:
    """Solve with floor rounds settled together and round by round; assert the same stage values,
    allocation and notes; return the first result and its number of level searches."""
    searches = 0

    def counted(*args: object) -> object:
        nonlocal searches
        searches += 1
        return least_level(*args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(leximin_module, "least_level", counted)
        together = assert_solved(r, solve(r, "ortools", OPTIONS, hard_limit=False))
    with monkeypatch.context() as patch:
        patch.setattr(leximin_module, "floor_rounds", _round_by_round)
        apart = assert_solved(r, solve(r, "ortools", OPTIONS, hard_limit=False))
    assert_same_answer(together, apart)
    assert together.notes == apart.notes
    return together, searches


def _rounds(result: Result) -> int:
    note = next(n for n in result.notes if n.startswith("fairness_leximin"))
    return int(note.split(":")[1].split()[0])


@pytest.mark.parametrize("name", ["haaglanden", "groningen"])
def test_bundled_regions_settle_floor_rounds_together_with_the_same_answer(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    region = _leximin(load_instance(bundled_instance(name)).region)
    result, searches = _both(region, monkeypatch)
    assert searches < _rounds(result)


@pytest.mark.parametrize(("municipalities", "groups", "seed"), [(40, 5, 3), (60, 5, 2), (80, 4, 7)])
def test_generated_regions_settle_most_rounds_together_with_the_same_answer(
    municipalities: int, groups: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    region = _leximin(generate_region(municipalities, groups, seed=seed))
    result, searches = _both(region, monkeypatch)
    assert 4 * searches < _rounds(result)


@PROPERTY
@given(small_regions(vary_policy=True, objectives=["leximin"]))
def test_small_regions_get_the_same_answer_as_round_by_round(r: Region) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(r, monkeypatch)


class _StubRun:
    """The parts of a run that `floor_rounds` uses without probes: the current allocation and
    the rows in force."""

    def __init__(self, values: dict[int, int]) -> None:
        self.values = values
        self.rows: dict[int, tuple[object, Constraint]] = {}
        self._handles = itertools.count()

    def remaining(self) -> float:
        return 60.0

    def add_row(self, row: Constraint) -> int:
        handle = next(self._handles)
        self.rows[handle] = (None, row)
        return handle

    def remove_row(self, handle: int) -> None:
        del self.rows[handle]


def _stepped_stage() -> MinMaxStage:
    """Members A, B, C with one variable each (0, 1, 2), least measures 3/4, 1/2 and 1/4 at the
    value 10, each step away from 10 adding 1/4: B at 11 is at A's floor."""
    least = {"A": Fraction(3, 4), "B": Fraction(1, 2), "C": Fraction(1, 4)}
    index = {"A": 0, "B": 1, "C": 2}

    def value_of(code: str, value: int) -> Fraction:
        return least[code] + Fraction(abs(value - 10), 4)

    def interval(code: str, level: Fraction) -> tuple[Fraction, Fraction]:
        spread = 4 * (level - least[code])
        return 10 - spread, 10 + spread

    return MinMaxStage(
        "stepped",
        "ratio",
        ("A", "B", "C"),
        lambda code: {index[code]: 1},
        value_of,
        interval,
        lowest=None,
        leximin=True,
        target=lambda code: Fraction(10),
    )


def test_an_allocation_at_another_member_s_floor_settles_nothing_it_does_not_show() -> None:
    """B sits at A's floor, 3/4, above its own least: whether B is blocked there is a question
    for round 0 itself, so no round is settled without a probe."""
    run = _StubRun({0: 10, 1: 11, 2: 10})
    settled = leximin_module.floor_rounds(
        run,  # type: ignore[arg-type]
        _stepped_stage(),
        ("A", "B", "C"),
        {},
        probe=False,
    )
    assert settled.levels == [] and settled.free == ("A", "B", "C")
    assert run.rows == {}


def test_an_allocation_at_every_least_measure_settles_all_rounds_but_the_last() -> None:
    run = _StubRun({0: 10, 1: 10, 2: 10})
    stage = _stepped_stage()
    level_rows: dict[str, list[int]] = {}
    settled = leximin_module.floor_rounds(
        run,  # type: ignore[arg-type]
        stage,
        ("A", "B", "C"),
        level_rows,
        probe=False,
    )
    assert settled.levels == [Fraction(3, 4), Fraction(1, 2)]
    assert settled.free == ("C",)
    fixed = {row.name: row.rhs for _, row in run.rows.values()}
    # A at or below 3/4 and B at or below 1/2 (their least measures), C at or below 1/2.
    assert fixed == {
        "stepped_low[A]": 10,
        "stepped_high[A]": 10,
        "stepped_low[B]": 10,
        "stepped_high[B]": 10,
        "stepped_low[C]": 9,
        "stepped_high[C]": 11,
    }


def test_an_allocation_kept_that_fails_its_check_settles_only_what_the_current_one_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`floor_rounds` makes whole and checks only the allocation it keeps. Where that fails
    (here: every check refused), the rounds it settles are those the current allocation shows,
    and the stage still reaches the same values and allocation round by round."""
    region = _leximin(load_instance(bundled_instance("haaglanden")).region)
    settled: list[int] = []
    floor_rounds = leximin_module.floor_rounds

    def recorded(*args: object, **kwargs: object) -> leximin_module.FloorRounds:
        found = floor_rounds(*args, **kwargs)  # type: ignore[arg-type]
        settled.append(len(found.levels))
        return found

    monkeypatch.setattr(leximin_module, "floor_rounds", recorded)
    expected = assert_solved(region, solve(region, "ortools", OPTIONS, hard_limit=False))
    checked, settled[:] = sum(settled), []
    monkeypatch.setattr(leximin_module, "whole_point", lambda run, values: None)
    refused = assert_solved(region, solve(region, "ortools", OPTIONS, hard_limit=False))
    assert_same_answer(refused, expected)
    assert sum(settled) < checked
