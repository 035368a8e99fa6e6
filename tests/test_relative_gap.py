"""A relative gap (`SolverOptions.gap`, `fairshare solve --gap`): a stage that stops within it is
fixed at its answer's value and the solve goes on, so every stage runs; the result is feasible
with stop reason ``gap_limit``, never optimal, and the allocation obeys every rule and is no
better than the proven optimum in the first stage (CBC reports no bound, so within a gap every
stage of it is unproven)."""

from __future__ import annotations

import pytest
from tiny_regions import assert_solved

from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends.base import SolverOptions
from solver.check import check_allocation
from solver.solve import solve


@pytest.fixture(scope="module")
def haaglanden() -> Region:
    return load_instance(bundled_instance("haaglanden")).region


def test_within_a_gap_cbc_runs_every_stage_and_calls_nothing_optimal(haaglanden: Region) -> None:
    options = SolverOptions(time_limit=60, gap=1e-6)
    proven = assert_solved(haaglanden, solve(haaglanden, "cbc", SolverOptions(time_limit=60)))
    within = solve(haaglanden, "cbc", options)
    assert (within.status, within.stop_reason) == ("feasible", "gap_limit")
    assert not within.proven_optimal
    assert [s.name for s in within.stages] == [s.name for s in proven.stages]
    assert all(s.status == "feasible" and s.stop_reason == "gap_limit" for s in within.stages)
    assert within.allocation is not None
    assert check_allocation(haaglanden, within.allocation) == []
    exact, reached = proven.stages[0].value, within.stages[0].value
    assert exact is not None and reached is not None and reached >= exact


def test_within_a_wide_gap_ortools_goes_on_past_a_stage_it_did_not_prove(
    haaglanden: Region,
) -> None:
    """Without the placement network every stage is a MIP on SCIP; with a gap of 50% SCIP
    stops the programme stage within it, and the tie-break stage still runs."""
    options = SolverOptions(time_limit=60, gap=0.5, network=False)
    result = solve(haaglanden, "ortools", options)
    stopped = [s.name for s in result.stages if s.stop_reason == "gap_limit"]
    assert stopped and stopped[0] != "tie_break"
    assert [s.name for s in result.stages][-1] == "tie_break"
    assert (result.status, result.stop_reason) == ("feasible", "gap_limit")
    assert result.allocation is not None
    assert check_allocation(haaglanden, result.allocation) == []
