"""The memory limit (``SolverOptions.memory_limit``, ``fairshare solve --memory-limit``): SCIP gets
what is left of the budget as its own limit, a search stopped there says so and is never called
optimal, a budget the solve does not reach changes nothing, and the summary records the limit."""

from __future__ import annotations

import json
import platform
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import solver.backends.ortools_mathopt as backend_module
from cli import main
from instances import bundled_instance
from models.loader import load_region
from solver.backends.base import MEMORY_LIMIT, Outcome, SolverOptions, Status
from solver.backends.mathopt_parameters import SCIP_LEAST_MEMORY_MB, scip_memory_limit
from solver.backends.mathopt_proto import core_solve
from solver.backends.ortools_mathopt import MathOptBackend
from solver.memory import resident_mib
from solver.model import LinearModel
from solver.result import NO_SOLUTION, OPTIMAL, raise_limit
from solver.solve import solve

LINUX = platform.system() == "Linux"
#: A budget far above anything these tests hold.
AMPLE_MIB = 1_000_000


def _knapsack(memory_limit: int | None, engine: str = "scip") -> MathOptBackend:
    """Maximise the value of whole items (up to 3 of each) under a weight budget."""
    model = LinearModel()
    weights = [23, 31, 29, 44, 53, 38, 63, 85, 89, 82]
    for index in range(len(weights)):
        model.add_variable(f"item{index}", 0, 3)
    model.add_constraint("weight", "test", {i: w for i, w in enumerate(weights)}, "<=", 1_165)
    options = SolverOptions(time_limit=10, engine=engine, memory_limit=memory_limit)
    return MathOptBackend(model, options)


KNAPSACK_VALUES = {i: -v for i, v in enumerate([92, 57, 49, 68, 60, 43, 67, 84, 87, 72])}


def test_scip_gets_the_rest_of_the_budget() -> None:
    assert scip_memory_limit(1_000, 380) == 620.0


def test_a_spent_budget_leaves_scip_the_least_limit() -> None:
    assert scip_memory_limit(100, 380) == SCIP_LEAST_MEMORY_MB


def test_without_the_resident_memory_scip_gets_the_whole_budget() -> None:
    assert scip_memory_limit(1_000, None) == 1_000.0


@pytest.mark.skipif(not LINUX, reason="/proc/self/status is Linux's")
def test_the_resident_memory_grows_with_what_the_process_touches() -> None:
    before = resident_mib()
    held = bytearray(64 * 2**20)  # zero-filled, so every page is touched
    after = resident_mib()
    assert before is not None and after is not None
    assert after - before >= 48
    del held


def _parameters(monkeypatch: pytest.MonkeyPatch, engine: str, memory_limit: int | None) -> Any:
    """The parameters the engine gets for the knapsack, the solve itself still run."""
    seen: list[Any] = []

    def recording(proto: Any, solver: Any, parameters: Any, model_parameters: Any) -> Any:
        seen.append(parameters)
        return core_solve(proto, solver, parameters, model_parameters)

    monkeypatch.setattr(backend_module, "core_solve", recording)
    _knapsack(memory_limit, engine).minimize(KNAPSACK_VALUES, 10)
    return seen[0]


@pytest.mark.skipif(not LINUX, reason="the budget is counted from the resident memory")
def test_scip_is_given_the_rest_of_the_budget_only_with_the_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limited = _parameters(monkeypatch, "scip", AMPLE_MIB)
    resident = resident_mib()
    assert resident is not None
    assert limited.gscip.real_params["limits/memory"] == pytest.approx(AMPLE_MIB - resident, abs=16)
    unlimited = _parameters(monkeypatch, "scip", None)
    assert "limits/memory" not in unlimited.gscip.real_params


def test_the_other_engines_get_no_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _knapsack(AMPLE_MIB, "highs")._memory_mb("highs") is None
    proto = _parameters(monkeypatch, "highs", AMPLE_MIB)
    assert "limits/memory" not in proto.gscip.real_params


def test_a_stop_at_the_memory_limit_names_that_option() -> None:
    stopped = Outcome(Status.NO_SOLUTION, MEMORY_LIMIT, None, None, None, 1.0)
    assert raise_limit(stopped.stop_reason) == "raise --memory-limit"
    timed_out = Outcome(Status.NO_SOLUTION, "time_limit", None, None, None, 1.0)
    assert raise_limit(timed_out.stop_reason) == "raise --time-limit"


@pytest.mark.skipif(not LINUX, reason="the budget is counted from the resident memory")
def test_a_search_stopped_at_the_memory_limit_says_so_and_claims_nothing() -> None:
    stopped = _knapsack(1).minimize(KNAPSACK_VALUES, 10)
    assert stopped.stop_reason == MEMORY_LIMIT
    assert stopped.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    solved = _knapsack(AMPLE_MIB).minimize(KNAPSACK_VALUES, 10)
    assert solved.status == Status.OPTIMAL


@pytest.mark.skipif(not LINUX, reason="the budget is counted from the resident memory")
def test_a_solve_over_its_budget_ends_without_an_optimum() -> None:
    region = load_region(bundled_instance("groningen"))
    result = solve(region, options=SolverOptions(memory_limit=1), hard_limit=False)
    assert result.status == NO_SOLUTION and result.stop_reason == MEMORY_LIMIT
    assert not result.proven_optimal
    assert result.memory_limit == 1


def test_a_budget_the_solve_does_not_reach_changes_nothing() -> None:
    region = load_region(bundled_instance("groningen"))
    options = SolverOptions()
    plain = solve(region, options=options, hard_limit=False)
    ample = solve(region, options=replace(options, memory_limit=AMPLE_MIB), hard_limit=False)
    assert plain.status == ample.status == OPTIMAL
    assert plain.allocation == ample.allocation
    assert [s.value for s in plain.stages] == [s.value for s in ample.stages]


@pytest.mark.skipif(not LINUX, reason="the budget is counted from the resident memory")
def test_the_command_exits_4_naming_the_memory_limit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["solve", str(bundled_instance("groningen")), "--memory-limit", "1"]
    )
    assert result.exit_code == 4, result.output
    assert "memory_limit" in result.output and "raise --memory-limit" in result.output
    result = CliRunner().invoke(
        main,
        [
            "solve",
            str(bundled_instance("groningen")),
            "--memory-limit",
            str(AMPLE_MIB),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["memory_limit_mib"] == AMPLE_MIB
    assert summary["status"] == OPTIMAL


@pytest.mark.skipif(not LINUX, reason="ru_maxrss is read in KiB on Linux")
def test_the_solve_reports_the_peak_memory_of_its_process(tmp_path: Path) -> None:
    region = load_region(bundled_instance("groningen"))
    result = solve(region, options=SolverOptions(), hard_limit=False)
    now = resident_mib()
    assert result.peak_memory_mib is not None and now is not None
    assert result.peak_memory_mib >= now
    # the same peak as the kernel's high-water mark of resident memory, in MiB
    assert abs(result.peak_memory_mib - _high_water_mib()) <= 2
    out = tmp_path / "out"
    command = CliRunner().invoke(
        main, ["solve", str(bundled_instance("groningen")), "--out", str(out)]
    )
    assert command.exit_code == 0, command.output
    timings = json.loads((out / "timings.json").read_text())
    assert timings["peak_memory_mib"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert "peak_memory_mib" not in summary


def _high_water_mib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM in /proc/self/status")
