"""The level search of min-max stages on the linear relaxation (`solver.levels.relaxed_level`).

A level that the relaxation rules out must be infeasible for whole numbers too, the relaxation
must be feasible at the level it leaves, and the stage values must not depend on whether the
backend can solve relaxations at all. The floor that rounding alone sets (`MinMaxStage.least`)
must be a true floor, and the rows of a real level (`MinMaxStage.level_rows`) must hold exactly
where the measure is within that level.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_regions import (
    A,
    B,
    C,
    D,
    after_needs,
    assert_same_answer,
    group,
    muni,
    region,
    small_regions,
    solved,
)

import solver.levels as levels_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions, Status
from solver.backends.ortools_mathopt import MathOptBackend
from solver.decomposition import feasibility_by_network
from solver.levels import bounded, floor_level, relaxed_level
from solver.model import Constraint, LevelRow, LinearModel
from solver.result import Result

MIN_MAX_OBJECTIVES = ("max_rel_deviation", "max_abs_deviation", "equal_burden", "leximin")


def _one_variable(*rows: Constraint) -> Backend:
    model = LinearModel()
    model.add_variable("x", 0, 5)
    for row in rows:
        model.add_constraint(row.name, row.rule, dict(row.terms), row.sense, row.rhs)
    return MathOptBackend(model, SolverOptions(time_limit=10))


def test_a_relaxation_without_solution_answers_false() -> None:
    backend = _one_variable(
        Constraint("at_least_4", "test", ((0, 1),), ">=", 4),
        Constraint("at_most_3", "test", ((0, 1),), "<=", 3),
    )
    assert backend.relaxation_feasible(10) is False


def test_a_feasible_relaxation_proves_nothing_about_whole_numbers() -> None:
    # 2x = 3 has the fractional solution 1.5 only.
    backend = _one_variable(Constraint("twice_is_3", "test", ((0, 2),), "==", 3))
    assert backend.relaxation_feasible(10) is True
    assert backend.minimize({}, 10).status == Status.INFEASIBLE


def test_the_relaxation_sees_constraints_added_and_removed() -> None:
    backend = _one_variable()
    handle = backend.add_constraint(Constraint("over_5", "test", ((0, 1),), ">=", 6))
    assert backend.relaxation_feasible(10) is False
    backend.remove_constraint(handle)
    assert backend.relaxation_feasible(10) is True


def test_cbc_cannot_tell() -> None:
    model = LinearModel()
    model.add_variable("x", 0, 5)
    assert backend_class("cbc")(model, SolverOptions()).relaxation_feasible(10) is None


def _uneven() -> Region:
    """Four municipalities of different sizes and two groups: the fair levels are not round."""
    return region(
        [
            muni(A, cap=20, population=700),
            muni(B, cap=15, social=20, population=300),
            muni(C, cap=10, population=130),
            muni(D, cap=10, population=90),
        ],
        [group("permit_holders", 11), group("homeless", 4, not_in=[C])],
        total=(20, 40),
    )


@pytest.mark.parametrize("objective", MIN_MAX_OBJECTIVES)
def test_levels_the_relaxation_rules_out_are_infeasible_for_whole_numbers(objective: str) -> None:
    run, stage = after_needs(_uneven(), objective)
    assert run.values is not None
    upper = stage.worst(run.values, stage.members)
    lower, candidate, _ = relaxed_level(run, stage, stage.members, upper, None, Fraction(0))
    assert candidate < upper
    with bounded(run, stage, stage.members, candidate):
        assert run.backend.relaxation_feasible(30) is True
    if lower is not None:
        assert lower < candidate
        with bounded(run, stage, stage.members, lower):
            assert run.backend.minimize({}, 30).status == Status.INFEASIBLE
    below = [stage.below(code, candidate) for code in stage.members]
    if None in below:
        # Settled by rounding alone: some member has no whole value below the candidate.
        return
    assert lower is not None
    # No member's measure lies strictly between the two: the search has settled every bit.
    assert max(level for level in below if level is not None) <= lower


def test_the_relaxation_rules_out_a_level_on_the_uneven_region() -> None:
    run, stage = after_needs(_uneven(), "equal_burden")
    assert run.values is not None
    upper = stage.worst(run.values, stage.members)
    lower, _, _ = relaxed_level(run, stage, stage.members, upper, None, Fraction(0))
    assert lower is not None


def _without_relaxation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MathOptBackend, "relaxation_feasible", lambda self, time_limit: None)


@pytest.mark.parametrize("objective", MIN_MAX_OBJECTIVES)
def test_the_stage_values_do_not_depend_on_the_relaxation(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = replace(_uneven(), policy=replace(_uneven().policy, objective=objective))
    with_relaxation = solved(r, "ortools")
    _without_relaxation(monkeypatch)
    without = solved(r, "ortools")
    assert_same_answer(with_relaxation, without)


# On random small regions too: the same stage values and allocation with and without the
# relaxation, for every min-max objective.
@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    small_regions(max_municipalities=4, max_groups=2, vary_policy=True),
    st.sampled_from(MIN_MAX_OBJECTIVES),
)
def test_random_regions_reach_the_same_answer_without_the_relaxation(
    r: Region, objective: str
) -> None:
    variant = replace(r, policy=replace(r.policy, objective=objective))
    with_relaxation = solved(variant, "ortools")
    with patch.object(MathOptBackend, "relaxation_feasible", lambda self, time_limit: None):
        without = solved(variant, "ortools")
    assert_same_answer(with_relaxation, without)


@pytest.mark.parametrize("objective", MIN_MAX_OBJECTIVES)
def test_the_least_measure_is_the_least_over_every_whole_value(objective: str) -> None:
    _, stage = after_needs(_uneven(), objective)
    for code in stage.members:
        start = stage.lowest if stage.lowest is not None else -50
        brute_force = min(stage.value_of(code, e) for e in range(start, 50))
        assert stage.least(code) == brute_force, code


@pytest.mark.parametrize("objective", MIN_MAX_OBJECTIVES)
def test_no_allocation_stays_below_the_floor_level(objective: str) -> None:
    run, stage = after_needs(_uneven(), objective)
    below, floor = floor_level(stage, stage.members)
    if below is None:
        assert floor == 0
        return
    assert below < floor
    with bounded(run, stage, stage.members, below):
        assert run.backend.minimize({}, 30).status == Status.INFEASIBLE


def test_the_least_level_of_the_relaxation() -> None:
    # x <= 5 from its bounds; x + t >= 8 needs t >= 3, and x - 2 t <= -1 needs t >= 3 too.
    backend = _one_variable()
    assert backend.relaxation_least_level([({0: 1}, 1.0, ">=", 8.0)], 10) == pytest.approx(3)
    rows: list[LevelRow] = [({0: 1}, 1.0, ">=", 8.0), ({0: 1}, -2.0, "<=", -1.0)]
    assert backend.relaxation_least_level(rows, 10) == pytest.approx(3)
    assert backend.relaxation_least_level([({0: 1}, 0.0, ">=", 8.0)], 10) is None


@pytest.mark.parametrize("objective", MIN_MAX_OBJECTIVES)
def test_the_level_rows_hold_exactly_where_the_measure_is_within_the_level(objective: str) -> None:
    _, stage = after_needs(_uneven(), objective)
    for code in stage.members:
        rows = stage.level_rows(code)
        assert rows
        for level in (Fraction(0), Fraction(1, 7), Fraction(2, 3), Fraction(5), Fraction(40)):
            for e in range(0, 40):
                # e_m = e: every term of the expression stands for e_m itself here.
                within = all(
                    (e + slope * float(level) >= rhs - 1e-9)
                    if sense == ">="
                    else (e + slope * float(level) <= rhs + 1e-9)
                    for _, slope, sense, rhs in rows
                )
                assert within == (stage.value_of(code, e) <= level), (code, level, e)


def _network_probes(r: Region) -> tuple[Result, int]:
    """The solve and the number of level probes decided on the placement network."""
    probes = 0
    probe = feasibility_by_network

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal probes
        probes += 1
        return probe(*args, **kwargs)

    with patch.object(levels_module, "feasibility_by_network", counted):
        return solved(r, "ortools"), probes


def test_the_network_level_search_probes_its_ceiling_only_once_close() -> None:
    """Nationally under ``equal_burden`` the probes of the ceiling just below the best level,
    far from the highest level shown infeasible, only lower the best level by a hair: the
    search that probes the ceiling once and then only where the two levels are close
    (`_close`) reaches the same answer in fewer probes than the one that alternates the
    ceiling with midpoints all along."""
    base = load_instance(bundled_instance("nl")).region
    r = replace(base, policy=replace(base.policy, objective="equal_burden"))
    close, close_probes = _network_probes(r)
    with patch.object(levels_module, "_close", lambda _lower, _upper: True):
        alternating, alternating_probes = _network_probes(r)
    assert_same_answer(close, alternating)
    assert close_probes < alternating_probes


def _least_level_programs(r: Region) -> tuple[Result, int]:
    """The solve and the number of least-level linear programs it solved (`_guides`)."""
    programs = 0
    program = MathOptBackend.relaxation_least_level

    def counted(self: MathOptBackend, *args: Any, **kwargs: Any) -> Any:
        nonlocal programs
        programs += 1
        return program(self, *args, **kwargs)

    with patch.object(MathOptBackend, "relaxation_least_level", counted):
        return solved(r, "ortools"), programs


@pytest.mark.parametrize("name", ["groningen", "nl"])
def test_the_network_level_search_solves_no_linear_program(name: str) -> None:
    """Under ``equal_burden`` the least real level of the relaxation lies above the levels
    the first probes show infeasible (nationally 17.63 against 16.28), where the search used
    to solve it: one linear program of 0.05 s nationally and 11.5 s at 5,000 municipalities.
    The search on the placement network now solves none, and reaches the answer of the search
    without the network, on the relaxation and the MIP."""
    base = load_instance(bundled_instance(name)).region
    r = replace(base, policy=replace(base.policy, objective="equal_burden"))
    result, programs = _least_level_programs(r)
    without_network = solved(r, "ortools", SolverOptions(time_limit=120, network=False))
    assert programs == 0
    assert_same_answer(result, without_network)
