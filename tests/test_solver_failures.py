"""Failures, as `fairshare solve` reports them: a solver process that dies is an error (exit 1),
not a limit; a solve past its hard limit is killed and has no solution (exit 4); an answer that
breaks a rule is an internal error (exit 1) and writes no file. The audit of the optimiser and
the benchmark of one stage per engine report a dead solver as an error too."""

from __future__ import annotations

import os
import signal
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

import benchmarks.stages as stages_module
import reports.solve_report as solve_report
import solver.solve as solve_module
from cli import main
from instances import bundled_instance
from models.loader import load_instance
from solver.backends.base import SolverOptions
from solver.check import Violation

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the hard limit needs fork; without it nothing is killed"
)


def _die(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hang(*_: object) -> None:
    time.sleep(60)


def test_a_solver_process_that_dies_is_an_error_not_a_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "_solve", _die)
    region = load_instance(bundled_instance("haaglanden")).region
    result = solve_module.solve(region, "ortools", SolverOptions(time_limit=30))
    assert (result.status, result.stop_reason) == ("error", "error")
    assert "killed by SIGKILL" in result.message


def test_a_solve_past_its_hard_limit_is_killed_and_has_no_solution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "_solve", _hang)
    monkeypatch.setattr(solve_module, "HARD_LIMIT_GRACE", 0.5)
    region = load_instance(bundled_instance("haaglanden")).region
    started = time.perf_counter()
    result = solve_module.solve(region, "ortools", SolverOptions(time_limit=0.1))
    assert time.perf_counter() - started < 30
    assert (result.status, result.stop_reason) == ("no_solution", "hard_time_limit")
    assert result.allocation is None


def test_fairshare_solve_exits_1_when_the_solver_process_dies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(solve_module, "_solve", _die)
    monkeypatch.delenv("FAIRSHARE_DEBUG", raising=False)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["solve", "--out", str(out)])
    assert run.exit_code == 1, run.output
    assert "solver failure: the solver process ended without an answer" in run.output
    assert "Traceback" not in run.output


def test_fairshare_solve_exits_1_and_writes_nothing_when_the_answer_breaks_a_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = Violation("plan_capacity", "GM0518", "12 new homes, plan capacity 10", Fraction(2))
    monkeypatch.setattr(solve_report, "check_allocation", lambda *_: [broken])
    monkeypatch.delenv("FAIRSHARE_DEBUG", raising=False)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["solve", "--out", str(out)])
    assert run.exit_code == 1, run.output
    assert "breaks the rules" in run.output
    assert "plan_capacity[GM0518]: 12 new homes, plan capacity 10" in run.output
    assert "Traceback" not in run.output
    assert not out.exists()


def test_fairshare_audit_of_the_optimiser_exits_1_when_a_solver_process_dies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solve_module, "_solve", _die)
    monkeypatch.delenv("FAIRSHARE_DEBUG", raising=False)
    parkstad = str(bundled_instance("parkstad-limburg"))
    arguments = [
        "audit",
        parkstad,
        "--optimiser",
        "--group",
        "homeless",
        "--from",
        "10",
        "--to",
        "10",
    ]
    run = CliRunner().invoke(main, arguments)
    assert run.exit_code == 1, run.output
    assert "solver failure in a solve of the audit" in run.output
    assert "raise --time-limit" not in run.output


def test_an_engine_that_dies_on_a_benchmarked_stage_is_a_row_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    region = load_instance(bundled_instance("haaglanden")).region
    problem = solve_module.stage_problem(region, "programme", SolverOptions(time_limit=30))
    assert problem is not None
    monkeypatch.setattr(stages_module, "_solve_on", _die)
    row = stages_module.solve_stage(problem, "highs", 5)
    assert (row.status, row.value) == ("error", None)
    assert "killed by SIGKILL" in row.stop_reason
