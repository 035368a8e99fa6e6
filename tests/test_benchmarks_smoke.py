"""Smoke test of the benchmark runner: the smallest instance, three solvers, correctness only.

Runs ``syn-50-g4`` with ``ortools-scip``, ``cbc`` and ``straightforward-cbc`` once through
`benchmarks.runner.run_benchmarks` (each in its own subprocess, as the benchmark does). Nothing here
asserts a time.
"""

from __future__ import annotations

import pytest

from benchmarks.runner import Row, run_benchmarks

SOLVERS = ("ortools-scip", "cbc", "straightforward-cbc")


@pytest.fixture(scope="module")
def rows() -> dict[str, Row]:
    """The three runs by solver name."""
    measured = run_benchmarks(["syn-50-g4"], SOLVERS, time_limit=20.0, timeout=60.0)
    return {row.solver: row for row in measured}


def test_every_solver_ran_once(rows: dict[str, Row]) -> None:
    assert sorted(rows) == sorted(SOLVERS)
    for row in rows.values():
        assert (row.municipalities, row.groups) == (50, 4)


def test_reference_is_optimal(rows: dict[str, Row]) -> None:
    row = rows["ortools-scip"]
    assert row.status == "optimal", (row.stop_reason, row.gap_note)
    assert row.needs is not None and row.fairness is not None


def test_cbc_is_optimal(rows: dict[str, Row]) -> None:
    row = rows["cbc"]
    assert row.status == "optimal", (row.stop_reason, row.gap_note)


def test_no_checker_violations(rows: dict[str, Row]) -> None:
    for row in rows.values():
        assert row.check == 0, (row.solver, row.status, row.stop_reason)


def test_cbc_matches_reference(rows: dict[str, Row]) -> None:
    assert rows["cbc"].matches_reference is True
