"""One stage's problem as the backend is handed it (`solver.solve.stage_problem`) and the
benchmark that solves it on each engine (`python -m benchmarks stage`)."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from benchmarks.__main__ import main as benchmarks_main
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import SolverOptions, Status
from solver.model import evaluate
from solver.network import holds
from solver.solve import solve, stage_problem

OPTIONS = SolverOptions(time_limit=60)


@pytest.fixture(scope="module")
def haaglanden() -> Region:
    return load_instance(bundled_instance("haaglanden")).region


@pytest.fixture(scope="module")
def solved_values(haaglanden: Region) -> dict[str, Fraction]:
    result = solve(haaglanden, "ortools", OPTIONS, hard_limit=False)
    assert result.status == "optimal"
    return {s.name: s.value for s in result.stages if s.value is not None}


@pytest.mark.parametrize("stage", ["needs", "fairness_sum", "programme", "tie_break"])
def test_the_stage_problem_has_the_stage_optimum_of_a_whole_solve(
    haaglanden: Region, solved_values: dict[str, Fraction], stage: str
) -> None:
    """Solved on its own, the problem reaches the value the whole solve records for the stage,
    and its start (the previous stage's answer) meets all its rows."""
    problem = stage_problem(haaglanden, stage, OPTIONS)
    assert problem is not None and problem.name == stage
    if stage != "needs":
        assert holds(problem.model, (), problem.start)
    backend = backend_class("ortools")(problem.model, OPTIONS)
    outcome = backend.minimize(problem.terms, 60, hint=problem.start or None)
    assert outcome.status == Status.OPTIMAL and outcome.values is not None
    assert holds(problem.model, (), outcome.values)
    value = evaluate(problem.terms, outcome.values) + problem.constant
    assert Fraction(value, problem.scale) == solved_values[stage]


def test_from_the_programme_stage_on_the_problem_is_the_reduced_model(
    haaglanden: Region,
) -> None:
    whole = stage_problem(haaglanden, "fairness_sum", OPTIONS)
    reduced = stage_problem(haaglanden, "programme", OPTIONS)
    assert whole is not None and reduced is not None
    assert len(reduced.model.variables) < len(whole.model.variables)
    assert any(row.name == "stage[needs]" for row in reduced.model.constraints)


def test_no_problem_for_an_unknown_or_a_min_max_stage(haaglanden: Region) -> None:
    assert stage_problem(haaglanden, "no_such_stage", OPTIONS) is None
    policy = replace(haaglanden.policy, objective="max_rel_deviation")
    min_max = replace(haaglanden, policy=policy)
    assert stage_problem(min_max, "fairness_max_rel", OPTIONS) is None
    assert stage_problem(min_max, "tie_break", OPTIONS) is not None


def test_the_benchmark_solves_the_stage_on_each_engine_and_writes_it(tmp_path: Path) -> None:
    out, mps = tmp_path / "stage.json", tmp_path / "stage.mps"
    code = benchmarks_main(
        [
            "stage",
            "--instance",
            "haaglanden",
            "--stage",
            "programme",
            "--engines",
            "scip,highs,highs+scip",
            "--time-limit",
            "60",
            "--json",
            str(out),
            "--mps",
            str(mps),
        ]
    )
    assert code == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    engines = record["engines"]
    assert [row["engine"] for row in engines] == ["scip", "highs", "highs+scip"]
    assert all(row["status"] == "optimal" and row["checked"] for row in engines)
    assert engines[0]["value"] == engines[1]["value"] == engines[2]["value"]
    assert record["start_value"] >= engines[0]["value"]
    text = mps.read_text(encoding="utf-8")
    assert text.count("\n") > record["rows"]
    start = json.loads((tmp_path / "stage.mps.start.json").read_text(encoding="utf-8"))
    assert len(start) == record["variables"]
    assert all(name in text for name in start)


def test_the_benchmark_solves_the_first_stage_without_a_start(tmp_path: Path) -> None:
    out = tmp_path / "needs.json"
    arguments = ["stage", "--instance", "haaglanden", "--stage", "needs", "--engines", "scip"]
    assert benchmarks_main([*arguments, "--json", str(out)]) == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["start_value"] is None
    assert record["engines"][0]["status"] == "optimal" and record["engines"][0]["checked"]


def test_the_benchmark_refuses_an_unknown_engine_or_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert benchmarks_main(["stage", "--instance", "haaglanden", "--stage", "x"]) == 2
    assert "no linear stage 'x'" in capsys.readouterr().err
    arguments = ["stage", "--instance", "haaglanden", "--stage", "needs", "--engines", "glpk"]
    assert benchmarks_main(arguments) == 2
    assert "unknown engine 'glpk'" in capsys.readouterr().err
    arguments[-1] = "glpk+scip"
    assert benchmarks_main(arguments) == 2
    assert "unknown engine 'glpk'" in capsys.readouterr().err


@pytest.mark.parametrize("backend_name", ["ortools", "cbc"])
def test_the_engine_log_is_printed_only_when_asked(
    haaglanden: Region, backend_name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    problem = stage_problem(haaglanden, "programme", OPTIONS)
    assert problem is not None
    printed = []
    for log in (False, True):
        backend = backend_class(backend_name)(problem.model, replace(OPTIONS, log=log))
        outcome = backend.minimize(problem.terms, 60, hint=problem.start)
        assert outcome.status == Status.OPTIMAL
        printed.append(capfd.readouterr().out)
    assert printed[0] == ""
    assert len(printed[1].splitlines()) > 5
