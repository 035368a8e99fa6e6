"""``fairshare compare`` and the loading of runs behind it (`reports.report_data`).

The batch directory is written here in the fixed layout of ``fairshare batch`` (``runs.csv``,
``store/runs/<id>.parquet``, ``store/municipalities/<id>.parquet``) from real solves of the
bundled Parkstad Limburg instance, so these tests do not depend on the batch code: two policies
times two scenarios, a Monte Carlo scenario of five seeded draws, and one run without allocation.
`write_batch` and `write_single_run` are used by ``test_report.py`` too.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from commands.report import compare
from instances import bundled_instance
from models.loader import load_region
from models.region import Region
from models.writer import write_instance_dir
from reports.compare import compare_tables
from reports.outputs import write_files
from reports.report_data import MUNICIPALITY_COLUMNS, load_runs
from reports.run_dir import measure_values
from reports.solve_report import SolveReport, solve_and_check
from solver.allocation_io import read_allocation
from solver.backends.base import SolverOptions
from solver.measures import measure
from solver.quotas import compute_quotas

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

PARKSTAD = bundled_instance("parkstad-limburg")
OBJECTIVES = {"sum": "sum_abs_deviation", "burden": "equal_burden"}
SCENARIOS = {"base": Fraction(1), "high": Fraction(13, 10)}
DRAWS = 5
#: Runs of the batch in plan order; the Monte Carlo draws are ``sum__mc__<draw>``.
DETERMINISTIC = ["sum__base", "sum__high", "burden__base", "burden__high"]
NO_ALLOCATION = "sum__impossible"
STALE = "sum__earlier_plan"


def with_policy(region: Region, objective: str, factor: Fraction = Fraction(1)) -> Region:
    """The region with another objective and every group's demand times ``factor``."""
    groups = tuple(replace(g, demand=int(g.demand * factor)) for g in region.groups)
    policy = replace(region.policy, objective=objective)
    return replace(region, groups=groups, policy=policy)


def solve(region: Region) -> SolveReport:
    report = solve_and_check(region, "ortools", SolverOptions(time_limit=30), hard_limit=False)
    assert report.result.allocation is not None
    return report


def write_single_run(region: Region, directory: Path) -> SolveReport:
    """What ``fairshare solve --out DIR`` writes."""
    report = solve(region)
    write_files(directory, report.files("csv"))
    return report


def _store(batch: Path, run: dict[str, Any], municipalities: list[dict[str, Any]]) -> None:
    """The municipalities (none for a failed run), then the run row, as the batch does."""
    run_id = run["run_id"]
    frame = pd.DataFrame(municipalities, columns=list(MUNICIPALITY_COLUMNS))
    frame.to_parquet(batch / "store" / "municipalities" / f"{run_id}.parquet", index=False)
    pd.DataFrame([run]).to_parquet(batch / "store" / "runs" / f"{run_id}.parquet", index=False)


def _solved_run(
    batch: Path, run_id: str, region: Region, policy: str, scenario: str, draw: int
) -> None:
    report = solve(region)
    result, allocation = report.result, report.result.allocation
    assert allocation is not None
    meta = {"instance": "parkstad-limburg", "policy": policy, "scenario": scenario, "draw": draw}
    run: dict[str, Any] = {"run_id": run_id, **meta, "status": result.status}
    run |= {"stop_reason": result.stop_reason, "error": "", "solve_seconds": 0.5}
    run |= {"run_seconds": 0.75, "backend": "ortools"}
    run |= measure_values(measure(region, allocation, compute_quotas(region)))
    run |= {f"stage_{s.name}": float(s.value or 0) for s in result.stages}
    rows = []
    for row, m in zip(report.municipality_rows, region.municipalities, strict=True):
        record: dict[str, Any] = {"run_id": run_id, **meta, "code": m.code, "name": m.name}
        record |= {"latitude": float(m.latitude or 0), "longitude": float(m.longitude or 0)}
        for column in MUNICIPALITY_COLUMNS[7:]:
            if column not in ("latitude", "longitude"):
                record[column] = float(Fraction(row[column])) if row[column] else float("nan")
        rows.append(record)
    _store(batch, run, rows)


def write_batch(batch: Path) -> Path:
    """A batch directory in the fixed layout, from real solves (about 2 s)."""
    (batch / "store" / "runs").mkdir(parents=True)
    (batch / "store" / "municipalities").mkdir(parents=True)
    region = load_region(PARKSTAD)
    plan = []
    for policy, objective in OBJECTIVES.items():
        for scenario, factor in SCENARIOS.items():
            run_id = f"{policy}__{scenario}"
            _solved_run(batch, run_id, with_policy(region, objective, factor), policy, scenario, -1)
            plan.append((run_id, policy, scenario, -1))
    for draw in range(DRAWS):
        factor = Fraction(random.Random(draw).randint(80, 120), 100)
        run_id = f"sum__mc__{draw}"
        _solved_run(
            batch, run_id, with_policy(region, OBJECTIVES["sum"], factor), "sum", "mc", draw
        )
        plan.append((run_id, "sum", "mc", draw))
    failed: dict[str, Any] = {
        "run_id": NO_ALLOCATION,
        "instance": "parkstad-limburg",
        "policy": "sum",
    }
    failed |= {"scenario": "impossible", "draw": -1, "status": "infeasible"}
    failed |= {"stop_reason": "infeasible", "error": "", "solve_seconds": 0.1, "run_seconds": 0.2}
    failed |= {"backend": "ortools", "max_abs_deviation": float("nan")}
    _store(batch, failed, [])
    plan.append((NO_ALLOCATION, "sum", "impossible", -1))
    for folder in ("runs", "municipalities"):  # a run of an earlier plan, not in runs.csv
        source = batch / "store" / folder / "sum__base.parquet"
        (batch / "store" / folder / f"{STALE}.parquet").write_bytes(source.read_bytes())
    with (batch / "runs.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run_id", "policy", "scenario", "draw"])
        writer.writerows(plan)
    return batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_batch(tmp_path_factory.mktemp("batch") / "batch")


@pytest.fixture(scope="module")
def singles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("single")
    region = load_region(PARKSTAD)
    write_single_run(region, root / "sum")
    write_single_run(with_policy(region, "equal_burden"), root / "burden")
    return root / "sum", root / "burden"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(compare, [str(a) for a in args])


def assert_input_error(result: Result, message: str) -> None:
    """Exit 2, the message on stderr, a fix, and no traceback."""
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Fix: " in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def placed(directory: Path) -> dict[str, int]:
    with (directory / "municipalities.csv").open(encoding="utf-8") as handle:
        return {row["code"]: int(row["placed"]) for row in csv.DictReader(handle)}


# --- single runs ----------------------------------------------------------------------------------


def test_compare_single_runs_lists_gains_and_losses_by_code(singles: tuple[Path, Path]) -> None:
    first, second = singles
    header, rows = compare_tables(load_runs([str(first), str(second)]))["placements"]
    assert header == [
        "code",
        "name",
        "placed sum",
        "placed burden",
        "burden - sum",
        "burden vs sum",
    ]
    a, b = placed(first), placed(second)
    assert [r[0] for r in rows] == sorted(a)
    for code, _, p_a, p_b, change, label in rows:
        assert (int(p_a), int(p_b), int(change)) == (a[code], b[code], b[code] - a[code])
        assert (
            label == {1: "gains", -1: "loses", 0: "same"}[(b[code] > a[code]) - (b[code] < a[code])]
        )
    assert {r[5] for r in rows} >= {"gains", "loses"}  # the rules really differ here


def test_measures_side_by_side_are_the_exact_measures(singles: tuple[Path, Path]) -> None:
    first, second = singles
    header, rows = compare_tables(load_runs([str(first), str(second)]))["measures"]
    assert header == ["measure", "sum", "burden", "meaning"]
    by_name = {r[0]: r for r in rows}
    region = load_region(PARKSTAD)
    for directory, column in ((first, 1), (second, 2)):
        exact = measure(region, read_allocation(region, directory))
        assert by_name["max deviation"][column] == f"{float(exact.max_abs_deviation):.4f}"
        assert by_name["within quota"][column] == str(exact.within_quota)
    # equal burden spreads placements per inhabitant more evenly
    assert float(by_name["Gini"][2]) < float(by_name["Gini"][1])


def test_compare_prints_and_writes_xlsx_and_csv(singles: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = singles
    result = run(first, second, "--out", tmp_path / "c.xlsx")
    assert result.exit_code == 0, result.output
    assert "burden vs sum" in result.stdout and "Loosemore-Hanby" in result.stdout
    workbook = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert workbook.sheetnames == ["placements", "measures"]
    assert workbook["placements"].max_row == 1 + 7
    assert run(first, second, "--out", tmp_path / "c.csv").exit_code == 0
    lines = (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("code,name,placed sum") and len(lines) == 8


def test_compare_refuses_to_overwrite_without_force(
    singles: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "c.csv"
    out.write_text("keep", encoding="utf-8")
    assert_input_error(run(*singles, "--out", out), "the output exists already")
    assert out.read_text(encoding="utf-8") == "keep"
    assert run(*singles, "--out", out, "--force").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("code,name")


def test_compare_refuses_bad_arguments(singles: tuple[Path, Path], tmp_path: Path) -> None:
    first, _ = singles
    assert_input_error(run(first, tmp_path / "missing"), "no such run or batch directory")
    (tmp_path / "empty").mkdir()
    assert_input_error(run(first, tmp_path / "empty"), "not a run directory")
    assert_input_error(run(first, "--runs", "a,b"), "no batch directory is given")
    assert_input_error(run(first), "compare needs at least two runs")
    assert_input_error(run(*singles, "--out", tmp_path / "c.txt"), "must end in .xlsx or .csv")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text("{", encoding="utf-8")
    assert_input_error(run(first, tmp_path / "bad"), "not valid JSON")


def test_an_instance_that_does_not_match_the_run_is_refused(
    singles: tuple[Path, Path], tmp_path: Path
) -> None:
    region = load_region(PARKSTAD)
    first, *others = region.municipalities
    doubled = replace(first, population=first.population * 2)
    write_instance_dir(replace(region, municipalities=(doubled, *others)), tmp_path / "other")
    result = run(*singles, "--instance", tmp_path / "other")
    assert_input_error(result, f"was not solved on this instance: quota of {first.code}")
    assert_input_error(
        run(*singles, "--instance", bundled_instance("haaglanden")), "not in the region"
    )


def test_a_single_run_of_an_unknown_region_needs_instance(
    singles: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = singles
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("municipalities.csv", "placements.csv"):
        (copy / name).write_bytes((first / name).read_bytes())
    summary = (first / "summary.json").read_text(encoding="utf-8")
    (copy / "summary.json").write_text(summary.replace("Parkstad Limburg", "Elders"), "utf-8")
    assert_input_error(run(copy, second), "cannot find the instance of run copy")
    assert run(copy, second, "--instance", PARKSTAD).exit_code == 0


# --- batches ------------------------------------------------------------------------------------


def test_batch_runs_by_option_colon_id_or_label_give_the_same_table(batch: Path) -> None:
    by_option = run(batch, "--runs", "burden__base,sum__base")
    by_colon = run(f"{batch}:burden__base", f"{batch}:sum__base")
    by_label = run(batch, "--runs", "burden/base,sum/base")
    assert by_option.exit_code == 0, by_option.output
    assert by_option.stdout == by_colon.stdout == by_label.stdout
    # runs are shown by policy/scenario; the first named is the reference
    assert "sum/base vs burden/base" in by_option.stdout
    draw = run(f"{batch}:sum/mc/3", f"{batch}:sum__mc__4")
    assert "sum/mc/4 vs sum/mc/3" in draw.stdout


def test_batch_and_single_run_load_into_the_same_frames(
    batch: Path, singles: tuple[Path, Path]
) -> None:
    """The default policy's run, solved once into a run directory and once into the batch."""
    single = load_runs([str(singles[0])])
    stored = load_runs([f"{batch}:sum__base"])
    columns = [c for c in MUNICIPALITY_COLUMNS if c not in ("run_id", "policy", "scenario")]
    columns.remove("instance")
    pd.testing.assert_frame_equal(single.municipalities[columns], stored.municipalities[columns])
    assert list(single.runs.columns[:11]) == list(stored.runs.columns[:11])
    for name in ("max_abs_deviation", "gini", "gallagher", "within_quota", "stage_fairness_sum"):
        assert single.runs[name].iloc[0] == pytest.approx(stored.runs[name].iloc[0])
    assert single.runs["run_id"].iloc[0] == "sum"  # a run directory's name is its id


def test_whole_batch_in_plan_order_with_a_note_on_the_run_without_allocation(batch: Path) -> None:
    data = load_runs([str(batch)])
    expected = [*DETERMINISTIC, *(f"sum__mc__{d}" for d in range(DRAWS)), NO_ALLOCATION]
    assert list(data.runs["run_id"]) == expected
    assert data.notes == (f"run {NO_ALLOCATION} has no allocation (status infeasible)",)
    result = run(batch)
    assert result.exit_code == 0, result.output
    assert f"note: run {NO_ALLOCATION} has no allocation" in result.stderr
    assert "sum/mc/4 vs sum/base" in result.stdout
    assert STALE not in result.stdout
    # named explicitly, the stale run is found; two runs labelled sum/base are shown by id
    assert f"sum__base vs {STALE}" in run(f"{batch}:{STALE}", f"{batch}:sum__base").stdout


def test_unknown_run_id_names_the_known_ones(batch: Path) -> None:
    result = run(f"{batch}:nope", f"{batch}:sum__base")
    assert_input_error(result, "no run 'nope' in this batch")
    assert "burden/base" in result.stderr
    assert_input_error(run(batch, "--runs", "sum__base,nope"), "no run 'nope'")


def test_same_run_twice_is_refused(batch: Path) -> None:
    assert_input_error(run(f"{batch}:sum__base", f"{batch}:sum__base"), "named twice")
