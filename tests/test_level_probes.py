"""A min-max stage's probes (`solver.levels.LevelProbe`): the placement network reads a probe's
bounds on each member's placements in all as it would read the member's rows, a probe it decides
writes no row, and one it cannot decide reaches the backend with every row of the probe."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from tiny_regions import after_needs, assert_same_answer, small_regions, solved

import solver.decomposition as decomposition_module
import solver.levels as levels_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends.base import Outcome, SolverOptions, Status
from solver.decomposition import _limits, _within_totals
from solver.levels import LevelProbe, bounded, feasibility, level_probe
from solver.minmax import MinMaxStage
from solver.run import Run

PROBED_OBJECTIVES = ("max_rel_deviation", "max_abs_deviation", "equal_burden", "leximin")


def _bounding_rows(run: Run) -> list[Any]:
    """The rows in force that the network reads as limits: all but the needs stage's row."""
    return [row for row in run.network_rows() if row.name != "stage[needs]"]


def _levels(run: Run, stage: MinMaxStage) -> list[Fraction]:
    """Levels around the stage's answer: the floor, the current allocation's largest measure,
    and levels between and beyond them."""
    assert run.values is not None
    worst = stage.worst(run.values, stage.members)
    floor = max(stage.least(code) for code in stage.members)
    return sorted({Fraction(0), floor, (floor + worst) / 2, worst, worst * 2 + 1})


@pytest.mark.parametrize("name", ["haaglanden", "groningen"])
@pytest.mark.parametrize("objective", PROBED_OBJECTIVES)
def test_the_network_reads_a_probes_totals_as_it_reads_its_rows(name: str, objective: str) -> None:
    run, stage = after_needs(load_instance(bundled_instance(name)).region, objective)
    network = run.network
    assert network is not None
    fixed = _bounding_rows(run)
    for level in _levels(run, stage):
        probe = level_probe(run, stage, dict.fromkeys(stage.members, level))
        assert probe.totals is not None
        assert probe.network_rows() == []
        by_rows = _limits(network, [*fixed, *probe.rows()])
        by_totals = _limits(network, fixed, probe.totals)
        assert by_rows is not None
        assert by_totals == by_rows, level


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    small_regions(max_municipalities=4, max_groups=3, vary_policy=True),
    st.sampled_from(PROBED_OBJECTIVES),
    st.lists(st.fractions(0, 5, max_denominator=50), min_size=1, max_size=4),
)
def test_random_probes_read_as_totals_or_as_rows_give_the_same_limits_and_answers(
    r: Region, objective: str, levels: list[Fraction]
) -> None:
    assume(r.policy.rule_enabled("fair_split"))
    run, stage = after_needs(r, objective)
    network = run.network
    assert network is not None
    fixed = _bounding_rows(run)
    for level in levels:
        wanted = dict.fromkeys(stage.members, level)
        probe = level_probe(run, stage, wanted)
        rows = LevelProbe(stage, wanted, None).rows()
        assert probe.rows() == rows
        event(f"read as totals: {probe.totals is not None}")
        if probe.totals is None:
            # A member's rows are not over its placements in all (a municipality with one
            # placement variable reads as a cell): the network gets the rows themselves.
            assert probe.network_rows() == rows
            continue
        assert probe.network_rows() == []
        assert _limits(network, fixed, probe.totals) == _limits(network, [*fixed, *rows])
        assert run.values is not None
        shown = [
            decomposition_module.feasibility_by_network(
                network, run.network_rows(), run.values, run.solve_building, totals=probe.totals
            )
        ]
        with patch.object(decomposition_module, "_totals_rule_out", lambda *_: False):
            shown.append(
                decomposition_module.feasibility_by_network(
                    network, run.network_rows(), run.values, run.solve_building, totals=probe.totals
                )
            )
        assert (shown[0] is None) == (shown[1] is None)
        if shown[0] is not None and shown[1] is not None:
            event(f"shown infeasible: {shown[0].values is None}")
            assert shown[0].values == shown[1].values


def test_a_stage_over_the_building_is_probed_by_rows() -> None:
    """The norm shortfall's expression is ``n y_m - d s_m``: no placements, so no totals."""
    base = load_instance(bundled_instance("haaglanden")).region
    r = replace(base, policy=replace(base.policy, norm_objective="equalise"))
    run = Run(r, "ortools", SolverOptions(time_limit=30))
    stage = run.stages[0]
    assert isinstance(stage, MinMaxStage) and stage.name == "norm_max_shortfall"
    assert run.network is not None
    probe = level_probe(run, stage, dict.fromkeys(stage.members, Fraction(3)))
    assert probe.totals is None
    assert probe.network_rows() == probe.rows() != []


def _rows_added(run: Run, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the rows added to ``run`` from now on."""
    added: list[str] = []
    add_row = run.add_row

    def recorded(row: Any) -> int:
        added.append(row.name)
        return add_row(row)

    monkeypatch.setattr(run, "add_row", recorded)
    return added


@pytest.mark.parametrize("objective", PROBED_OBJECTIVES)
def test_a_probe_the_network_decides_writes_no_row_and_answers_as_with_rows(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, stage = after_needs(load_instance(bundled_instance("haaglanden")).region, objective)
    for level in _levels(run, stage):
        members = dict.fromkeys(stage.members, level)
        with bounded(run, stage, stage.members, level):
            with_rows = feasibility(run)
        with monkeypatch.context() as patch:
            added = _rows_added(run, patch)
            without = feasibility(run, level_probe(run, stage, members))
        assert added == []
        assert without.status == with_rows.status, level
        assert without.values == with_rows.values, level


def test_a_probe_the_network_cannot_decide_reaches_the_backend_with_its_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, stage = after_needs(load_instance(bundled_instance("haaglanden")).region, "equal_burden")
    before = dict(run.rows)
    monkeypatch.setattr(levels_module, "feasibility_by_network", lambda *_, **__: None)
    level = _levels(run, stage)[-1]
    probe = level_probe(run, stage, dict.fromkeys(stage.members, level))
    assert probe.totals is not None
    seen: list[set[str]] = []
    minimize = run.minimize

    def watched(*args: Any, **kwargs: Any) -> Outcome:
        seen.append({row.name for row in run.fixed})
        return minimize(*args, **kwargs)

    monkeypatch.setattr(run, "minimize", watched)
    outcome = feasibility(run, probe)
    assert outcome.status == Status.OPTIMAL
    assert len(seen) == 1
    assert {row.name for row in probe.rows()} <= seen[0]
    assert run.rows == before


def test_a_checked_point_must_keep_every_total_within_its_bounds() -> None:
    run, _ = after_needs(load_instance(bundled_instance("haaglanden")).region, "equal_burden")
    network = run.network
    assert network is not None and run.values is not None
    code = run.f.region.codes[0]
    placed = sum(run.values[i] for i in network.cells_of[code])
    assert _within_totals(network, {code: (placed, placed)}, run.values)
    assert _within_totals(network, {code: (None, placed)}, run.values)
    assert not _within_totals(network, {code: (placed + 1, None)}, run.values)
    assert not _within_totals(network, {code: (None, placed - 1)}, run.values)


@pytest.mark.parametrize("name", ["haaglanden", "groningen"])
@pytest.mark.parametrize("objective", PROBED_OBJECTIVES)
def test_probes_the_totals_rule_out_have_no_flow_either(
    name: str, objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_totals_rule_out` only ends a probe early: with it and without it every probe gets the
    same answer, and at the levels tried it rules out some."""
    run, stage = after_needs(load_instance(bundled_instance(name)).region, objective)
    network = run.network
    assert network is not None and run.values is not None
    ruled_out = 0
    rule_out = decomposition_module._totals_rule_out

    def counted(*args: Any) -> bool:
        nonlocal ruled_out
        answer = rule_out(*args)
        ruled_out += answer
        return answer

    for level in [*_levels(run, stage), *(Fraction(n, 4) for n in range(12))]:
        probe = level_probe(run, stage, dict.fromkeys(stage.members, level))
        shown = []
        for check in (counted, lambda *_: False):
            monkeypatch.setattr(decomposition_module, "_totals_rule_out", check)
            shown.append(
                decomposition_module.feasibility_by_network(
                    network, run.network_rows(), run.values, run.solve_building, totals=probe.totals
                )
            )
        assert shown[0] is not None and shown[1] is not None
        assert shown[0].values == shown[1].values, level
    assert ruled_out > 0


def _without_totals_search(*args: Any) -> tuple[Fraction | None, None]:
    """`_search_by_totals` searching nothing: the lower level as given."""
    return args[5], None


@pytest.mark.parametrize("objective", ["max_abs_deviation", "equal_burden", "max_rel_deviation"])
@pytest.mark.parametrize("name", ["haaglanden", "groningen", "mra", "nl"])
def test_the_search_by_totals_changes_no_stage_value_nor_allocation(
    name: str, objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = load_instance(bundled_instance(name)).region
    r = replace(base, policy=replace(base.policy, objective=objective))
    with_search = solved(r, "ortools")
    monkeypatch.setattr(levels_module, "_search_by_totals", _without_totals_search)
    without = solved(r, "ortools")
    assert_same_answer(with_search, without)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    small_regions(max_municipalities=5, max_groups=3, vary_policy=True),
    st.sampled_from(["max_abs_deviation", "equal_burden", "max_rel_deviation"]),
)
def test_random_regions_reach_the_same_answer_without_the_search_by_totals(
    r: Region, objective: str
) -> None:
    variant = replace(r, policy=replace(r.policy, objective=objective))
    with_search = solved(variant, "ortools")
    with patch.object(levels_module, "_search_by_totals", _without_totals_search):
        without = solved(variant, "ortools")
    assert_same_answer(with_search, without)


@pytest.mark.parametrize("objective", ["max_abs_deviation", "equal_burden"])
def test_the_search_by_totals_ends_between_a_level_ruled_out_and_one_left(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nationally the bounds on totals settle the level: the level the search returns as left
    is not ruled out, its lower level is, no measure lies between them, and the flow search
    after it needs a single probe (before it only the floor's)."""
    base = load_instance(bundled_instance("nl")).region
    r = replace(base, policy=replace(base.policy, objective=objective))
    searched: list[tuple[Fraction | None, Fraction | None]] = []
    search = levels_module._search_by_totals
    probes, before = 0, 0
    probe = decomposition_module.feasibility_by_network

    def recorded(*args: Any) -> tuple[Fraction | None, Fraction | None]:
        nonlocal before
        before = probes
        run, _, stage, members = args[:4]
        found = search(*args)
        searched.append(found)
        lower, passing = found
        assert lower is not None and passing is not None
        assert levels_module._next_level_below(stage, members, passing, lower) is None
        for level, ruled_out in ((lower, True), (passing, False)):
            bounds = level_probe(run, stage, dict.fromkeys(members, level))
            assert bounds.totals is not None
            verdict = decomposition_module.ruled_out_by_totals(
                run.network, run.network_rows(), run.solve_building, bounds.totals
            )
            assert verdict is ruled_out
        return found

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal probes
        probes += 1
        return probe(*args, **kwargs)

    monkeypatch.setattr(levels_module, "_search_by_totals", recorded)
    monkeypatch.setattr(levels_module, "feasibility_by_network", counted)
    result = solved(r, "ortools")
    assert len(searched) == 1
    record = next(s for s in result.stages if s.name.startswith("fairness_max"))
    assert record.value == searched[0][1]
    assert before <= 1 and probes - before == 1
