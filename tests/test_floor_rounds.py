"""Leximin rounds that end at the floor rounding alone sets, settled together
(`solver.solve._floor_rounds`): the same stage values, allocation and notes as round by round,
with fewer level searches than rounds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from tiny_regions import assert_solved, small_regions, stage_values

import solver.solve as solve_module
from instances import bundled_instance
from models.generate import generate_region
from models.loader import load_instance
from models.region import Region
from solver.backends.base import SolverOptions
from solver.minmax import MinMaxStage
from solver.result import Result
from solver.solve import solve

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)
OPTIONS = SolverOptions(time_limit=60)


def _leximin(r: Region) -> Region:
    return replace(r, policy=replace(r.policy, objective="leximin"))


def _round_by_round(
    run: solve_module._Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    level_rows: dict[str, list[int]],
    *,
    probe: bool,
) -> solve_module._FloorRounds:
    """`_floor_rounds` settling nothing: every round by its own level search."""
    return solve_module._FloorRounds([], free, False, 0.0)


def _both(r: Region, monkeypatch: pytest.MonkeyPatch) -> tuple[Result, int]:
    """Solve with floor rounds settled together and round by round; assert the same stage values,
    allocation and notes; return the first result and its number of level searches."""
    searches = 0
    least_level = solve_module._least_level

    def counted(*args: object) -> object:
        nonlocal searches
        searches += 1
        return least_level(*args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(solve_module, "_least_level", counted)
        together = assert_solved(r, solve(r, "ortools", OPTIONS, hard_limit=False))
    with monkeypatch.context() as patch:
        patch.setattr(solve_module, "_floor_rounds", _round_by_round)
        apart = assert_solved(r, solve(r, "ortools", OPTIONS, hard_limit=False))
    assert stage_values(together) == stage_values(apart)
    assert together.allocation == apart.allocation
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
