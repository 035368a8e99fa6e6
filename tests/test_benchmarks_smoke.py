"""Smoke test of the benchmark, as CI runs it: the smallest instances, correctness only.

Runs ``syn-50-g4`` with every fast solver and its infeasible-by-design variant with the default
solver and CBC, once, through `benchmarks.runner.run_benchmarks` (each run in its own subprocess,
as the benchmark does), and checks statuses, the checker and the comparison with
``benchmarks/references.json``. Nothing here asserts a time. Also checks the suite's ids, the
variants and the scaling fit without solving anything.
"""

from __future__ import annotations

import csv
from fractions import Fraction

import pytest

from benchmarks.__main__ import main as benchmark_main
from benchmarks.output import CSV_COLUMNS, ratio_table, stage_table
from benchmarks.record import Row
from benchmarks.references import load_references
from benchmarks.runner import canonical, run_benchmarks
from benchmarks.scaling import fit_power, scaling_instances
from benchmarks.suite import INSTANCE_IDS, get_instance

BASE = "syn-50-g4"
INFEASIBLE = "syn-50-g4-infeasible"
SOLVERS = ("ortools-default", "ortools-highs", "cbc", "straightforward-cbc", "lp-relaxation")


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Row]:
    """The runs by (instance, solver); the CSV is written next to them."""
    folder = tmp_path_factory.mktemp("bench")
    measured = run_benchmarks([BASE], SOLVERS, time_limit=20.0, timeout=90.0, out=folder / "a.csv")
    measured += run_benchmarks(
        [INFEASIBLE], ("ortools-default", "cbc"), time_limit=20.0, timeout=90.0
    )
    return {(row.instance, row.solver): row for row in measured}


def test_suite_has_the_issue_ids() -> None:
    for instance_id in ("nl-342", "syn-1000-g8", "syn-5000-g8", "syn-15000-g8", INFEASIBLE):
        assert instance_id in INSTANCE_IDS
    assert len(set(INSTANCE_IDS)) == len(INSTANCE_IDS)
    assert get_instance("syn-77-g3").municipalities == 77  # any syn id, made on the fly


def test_variants_are_deterministic_and_shaped() -> None:
    base = get_instance(BASE).load()
    tight, loose = get_instance(f"{BASE}-tight").load(), get_instance(f"{BASE}-loose").load()
    infeasible = get_instance(INFEASIBLE).load()
    assert tight == get_instance(f"{BASE}-tight").load()
    capacity = sum(m.plan_capacity for m in base.municipalities)
    assert sum(m.plan_capacity for m in tight.municipalities) < capacity
    assert sum(m.plan_capacity for m in loose.municipalities) > capacity
    assert sum(g.demand for g in tight.groups) > sum(g.demand for g in base.groups)
    assert infeasible.targets.new_homes_min == capacity + 1


def test_references_exist_for_the_smoke_instances() -> None:
    references = load_references()
    assert references[BASE].status == "optimal" and references[BASE].proven
    assert references[INFEASIBLE].status == "infeasible"


def test_csv_has_the_issue_columns() -> None:
    named = ["instance", "solver", "build_s", "solve_s", "peak_mb", "status", "gap", "objective"]
    assert list(CSV_COLUMNS[: len(named)]) == named


def test_every_solver_ran_once(rows: dict[tuple[str, str], Row]) -> None:
    assert sorted(s for i, s in rows if i == BASE) == sorted(SOLVERS)
    for row in rows.values():
        assert (row.municipalities, row.groups) == (50, 4)


@pytest.mark.parametrize("solver", ["ortools-default", "ortools-highs", "cbc"])
def test_fairshare_solvers_optimal_checked_and_match(
    rows: dict[tuple[str, str], Row], solver: str
) -> None:
    row = rows[(BASE, solver)]
    assert row.status == "optimal", (row.stop_reason, row.gap_note)
    assert row.check == 0
    assert row.gap == 0.0
    assert row.matches_reference is True, row.reference_note


def test_straightforward_formulation_checked(rows: dict[tuple[str, str], Row]) -> None:
    row = rows[(BASE, "straightforward-cbc")]
    assert row.status == "optimal", (row.stop_reason, row.gap_note)
    assert row.check == 0
    assert row.matches_reference is True, row.reference_note


def test_lp_relaxation_bounds_the_needs_stage(rows: dict[tuple[str, str], Row]) -> None:
    lp, exact = rows[(BASE, "lp-relaxation")], rows[(BASE, "ortools-default")]
    assert lp.status == "optimal"
    assert lp.needs is not None and exact.needs is not None
    assert lp.needs <= exact.needs + Fraction(1, 1000)


@pytest.mark.parametrize("solver", ["ortools-default", "cbc"])
def test_infeasible_variant_is_infeasible(rows: dict[tuple[str, str], Row], solver: str) -> None:
    row = rows[(INFEASIBLE, solver)]
    assert row.status == "infeasible", (row.stop_reason, row.gap_note)
    assert row.check is None
    assert row.matches_reference is True, row.reference_note


def test_csv_written(
    rows: dict[tuple[str, str], Row], tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = list(tmp_path_factory.getbasetemp().glob("bench*/a.csv"))
    assert files
    with files[0].open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert [r["solver"] for r in read] == list(SOLVERS)


def test_a_memory_limit_reaches_the_child_and_is_recorded() -> None:
    """The child runs fairshare with the limit (a spent budget stops it, saying why); the LP
    relaxation, not fairshare's solve, has none, and its row says so."""
    limited = run_benchmarks(
        [BASE], ("ortools-default", "lp-relaxation"), time_limit=20.0, timeout=90.0, memory_limit=1
    )
    by_solver = {row.solver: row for row in limited}
    fairshare = by_solver["ortools-default"]
    assert fairshare.memory_limit == 1
    assert fairshare.status == "no_solution" and fairshare.stop_reason == "memory_limit"
    relaxation = by_solver["lp-relaxation"]
    assert relaxation.memory_limit is None and relaxation.status == "optimal"


def test_alias_and_scaling_helpers() -> None:
    assert canonical("ortools-scip") == "ortools-default"
    assert scaling_instances([342, 50], [8, 4]) == ["syn-50-g8", "syn-342-g8", "syn-342-g4"]
    fitted = fit_power([50, 500, 5000], [0.1, 1.0, 10.0])
    assert fitted is not None and abs(fitted[0] - 1.0) < 1e-9


def test_stage_table_gives_each_stage_its_column_and_marks_unproven_ones() -> None:
    def stage(name: str, seconds: float, status: str = "optimal") -> dict[str, object]:
        return {"name": name, "status": status, "seconds": seconds}

    proven = Row("a", "ortools-default", 9, 5, stages=[stage("needs", 0.25), stage("tie", 1.5)])
    stopped = Row("a", "cbc", 9, 5, stages=[stage("needs", 12.345, "feasible")])
    failed = Row("a", "straightforward-cbc", 9, 5)
    lines = stage_table([proven, stopped, failed]).splitlines()
    assert lines[0] == "| instance | solver | needs | tie |"
    assert lines[2] == "| a | ortools-default | 0.25 | 1.50 |"
    assert lines[3] == "| a | cbc | 12.35 (feasible) |  |"
    assert len(lines) == 4  # a run without stages has no row


def test_repeated_runs_take_turns_and_are_numbered() -> None:
    rows = run_benchmarks(
        [BASE], ("lp-relaxation", "ortools-default"), time_limit=20.0, timeout=90.0, repeat=2
    )
    assert [(r.solver, r.repetition) for r in rows] == [
        ("ortools-default", 1),
        ("lp-relaxation", 1),
        ("ortools-default", 2),
        ("lp-relaxation", 2),
    ]
    assert all(r.status == "optimal" for r in rows)
    assert all(r.matches_reference for r in rows if r.solver == "ortools-default")


def test_a_repeat_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_benchmarks([BASE], ("lp-relaxation",), repeat=0)
    with pytest.raises(SystemExit) as stopped:
        benchmark_main(["run", "--instances", BASE, "--repeat", "0"])
    assert stopped.value.code == 2
    assert "expected at least 1 run" in capsys.readouterr().err


def test_the_ratio_table_compares_the_medians_of_the_repetitions() -> None:
    def run(solver: str, total: float, repetition: int, status: str = "optimal") -> Row:
        return Row(
            "a",
            solver,
            9,
            5,
            build_s=0.0,
            solve_s=total,
            total_s=total,
            peak_mb=100.0,
            status=status,
            repetition=repetition,
        )

    rows = [
        run("ortools-default", 0.10, 1),
        run("lp-relaxation", 0.05, 1),
        run("ortools-default", 0.90, 2),  # one slow spell
        run("lp-relaxation", 0.05, 2),
        run("ortools-default", 0.12, 3, "feasible"),
        run("lp-relaxation", 0.06, 3),
    ]
    lines = ratio_table(rows, ["ortools-default"]).splitlines()
    assert lines[0].startswith("| instance | solver | runs | status | total_s | x LP total |")
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells[:6] == ["a", "ortools-default", "3", "optimal 2, feasible 1", "0.12", "2.40"]
    assert len(lines) == 3  # the LP relaxation is not one of fairshare's solvers
