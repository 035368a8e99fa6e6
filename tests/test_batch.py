"""``fairshare batch``: the plan, its variations, the store, resuming, failures, and Dask.

Plans here are tiny and run on the bundled Parkstad Limburg instance (7 municipalities, a solve
takes a tenth of a second). Its plan capacities sum exactly to its least new-build target (2,211
homes), so any cut of capacity makes it infeasible: the failed run of these tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from batch import load_store
from batch.plan import load_plan
from batch.runs import plan_tasks
from batch.scenario import apply_scenario, band_factor, vary
from batch.spec import MonteCarlo, PolicyVariation, Scenario
from batch.store import MUNICIPALITY_SCHEMA, RUN_FIELDS, TIMING_COLUMNS
from batch.worker import measure_columns
from commands.batch import batch
from instances import bundled_instance
from models.errors import InputError
from models.loader import load_region
from models.policy import KeyFactor

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
PARKSTAD = load_region(bundled_instance("parkstad-limburg"))

SMALL_PLAN = """\
[batch]
time_limit = 30

[[instances]]
name = "parkstad-limburg"

[[policies]]
name = "sum"
objective = "sum_abs_deviation"

[[policies]]
name = "burden"
objective = "equal_burden"

[[scenarios]]
name = "baseline"

[[scenarios]]
name = "demand+10%"
demand_factor = "1.1"

[[scenarios]]
name = "capacity-10%"
capacity_factor = "0.9"

[[scenarios]]
name = "band"
monte_carlo = { draws = 2, seed = 7, demand_band = "0.1" }
"""


def write_plan(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(batch, list(args))


def without_timings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in TIMING_COLUMNS if c in frame.columns])


def stored_files(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every store file with its modification time and bytes."""
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted((out / "store").rglob("*.parquet"))
    }


# --- the plan -------------------------------------------------------------------------------------


def test_plan_problems_are_reported_at_once_with_line_key_and_fix(tmp_path: Path) -> None:
    text = """\
[batch]
backend = "ortool"

[[instances]]
name = "parkstad"

[[policies]]
name = "p"
objective = "sum_abs_deviaton"

[[scenarios]]
name = "s"
demand_factor = "-1"
monte_carlo = { draws = 0, seed = 7 }

[[scenario]]
name = "typo"
"""
    result = run(str(write_plan(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    with pytest.raises(InputError) as caught:
        load_plan(tmp_path / "plan.toml")
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {
        (2, "batch.backend"),
        (5, "instances[1].name"),
        (9, "policies[1].objective"),
        (13, "scenarios[1].demand_factor"),
        (14, "scenarios[1].monte_carlo.draws"),
        (14, "scenarios[1].monte_carlo"),
        (16, "scenario"),
    }
    fixes = {p.column: p.fix for p in caught.value.problems}
    assert "did you mean 'ortools'" in fixes["batch.backend"]
    assert "did you mean 'sum_abs_deviation'" in fixes["policies[1].objective"]
    assert "did you mean 'scenarios'" in fixes["scenario"]
    assert "demand_band" in fixes["scenarios[1].monte_carlo"]
    assert not (tmp_path / "out").exists()


def test_a_plan_without_instances_or_with_bad_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="names no instance"):
        load_plan(write_plan(tmp_path, '[[scenarios]]\nname = "s"\n'))
    with pytest.raises(InputError) as caught:
        load_plan(write_plan(tmp_path, '[[instances]]\nname = "haaglanden\n'))
    assert caught.value.problems[0].row == 2
    text = '[[instances]]\nname = "haaglanden"\n\n[[scenarios]]\nname = "s"\n'
    text += 'demand_factor = { homeles = "1.2" }\n'
    with pytest.raises(InputError) as caught:
        load_plan(write_plan(tmp_path, text))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (6, "scenarios[1].demand_factor.homeles")
    assert "did you mean 'homeless'" in problem.fix


def test_the_example_plan_is_valid_with_a_monte_carlo_scenario() -> None:
    plan = load_plan(ROOT / "instances" / "haaglanden" / "batch.toml")
    assert len(plan.policies) >= 3 and len(plan.scenarios) >= 4
    assert any(s.monte_carlo is not None for s in plan.scenarios)
    tasks = plan_tasks(plan)
    assert len({t.run_id for t in tasks}) == len(tasks)


# --- variations -----------------------------------------------------------------------------------


def test_scenario_factors_are_applied_exactly_and_rounded_half_up_once() -> None:
    scenario = Scenario(
        "s",
        demand_factor=Fraction(11, 10),
        demand_factors={"youth_care_leavers": Fraction(15, 11)},
        capacity_factor=Fraction(9, 10),
        turnover_factor=Fraction(1, 2),
        kappa=Fraction(3, 10),
    )
    varied = vary(PARKSTAD, PolicyVariation("p", {"objective": "leximin"}), scenario)
    demand = {g.id: g.demand for g in varied.groups}
    # 2699 * 1.1 = 2968.9; 718 * 1.1 = 789.8; 897 * 1.1 = 986.7; 1794 * 1.1 = 1973.4;
    # youth care: 359 * 1.1 * 15/11 = 538.5, rounded half up once to 539.
    assert demand == {
        "permit_holders": 2969,
        "sheltered_housing_outflow": 790,
        "homeless": 987,
        "youth_care_leavers": 539,
        "labour_migrants": 1973,
    }
    capacity = {m.code: m.plan_capacity for m in varied.municipalities}
    assert capacity["GM0882"] == 111  # 123 * 0.9 = 110.7
    assert capacity["GM0986"] == 39  # 43 * 0.9 = 38.7
    assert varied.default_turnover_rate == PARKSTAD.default_turnover_rate / 2
    assert all(
        varied.turnover_rate(m) == PARKSTAD.default_turnover_rate / 2 for m in varied.municipalities
    )
    assert varied.policy.letting_priority_max == Fraction(3, 10)
    assert varied.policy.objective == "leximin"
    weighted = apply_scenario(
        PARKSTAD, Scenario("k", key_factors=(KeyFactor("dwellings", Fraction(1)),))
    )
    assert weighted.policy.distribution_key == "weighted"
    assert weighted.policy.key_factors == (KeyFactor("dwellings", Fraction(1)),)
    assert PARKSTAD.groups[0].demand == 2699  # nothing changed in place


def test_monte_carlo_draws_are_deterministic_within_the_band_and_stable() -> None:
    scenario = Scenario("mc", monte_carlo=MonteCarlo(3, 7, demand_band=Fraction(1, 10)))
    draws = [apply_scenario(PARKSTAD, scenario, d) for d in range(3)]
    again = apply_scenario(PARKSTAD, scenario, 1)
    assert again == draws[1]
    assert draws[0] != draws[1]
    for draw in draws:
        for base, group in zip(PARKSTAD.groups, draw.groups, strict=True):
            assert (
                Fraction(9, 10) * base.demand - 1
                <= group.demand
                <= Fraction(11, 10) * base.demand + 1
            )
    factor = band_factor(Fraction(1, 10), 7, 1, "demand", "homeless")
    homeless = next(g for g in draws[1].groups if g.id == "homeless")
    assert homeless.demand == int(897 * factor + Fraction(1, 2))
    # The number of draws is not part of a draw's identity: raising it keeps the earlier runs.
    more = Scenario("mc", monte_carlo=MonteCarlo(9, 7, demand_band=Fraction(1, 10)))
    assert more.canonical(1) == scenario.canonical(1) != scenario.canonical(2)


# --- running --------------------------------------------------------------------------------------


def test_batch_writes_the_store_and_records_a_failed_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = write_plan(tmp_path, SMALL_PLAN)
    result = run(str(plan), "--out", str(out), "--workers", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert "10 runs in the plan: 0 done before, 10 to run" in result.output
    assert "2 failed" in result.output
    runs, municipalities = load_store(out)
    assert len(runs) == 10
    failed = runs[runs["status"] != "optimal"]
    assert set(failed["scenario"]) == {"capacity-10%"}
    assert set(failed["status"]) == {"infeasible"}
    assert all("infeasible" in e for e in failed["error"])
    assert failed[measure_columns()[0]].isna().all()
    solved = runs[runs["status"] == "optimal"]
    assert (solved["error"] == "").all()
    assert sorted(set(runs["draw"])) == [-1, 0, 1]
    # the layout: fixed columns, measures, stage values; one row per run and municipality
    assert list(runs.columns[: len(RUN_FIELDS)]) == [name for name, _ in RUN_FIELDS]
    assert {"stage_needs", "stage_fairness_sum", "stage_fairness_max_burden"} <= set(runs.columns)
    assert list(municipalities.columns) == MUNICIPALITY_SCHEMA.names
    assert len(municipalities) == 8 * 7
    assert municipalities["placed"].dtype == "int64" and municipalities["quota"].dtype == "float64"
    listed = pd.read_csv(out / "runs.csv")
    assert len(listed) == 10 and list(listed["scenario"][:4]) == [
        "baseline",
        "demand+10%",
        "capacity-10%",
        "band",
    ]
    assert (out / "plan.toml").read_text() == SMALL_PLAN
    # every run has both files; placements of a solved run match its placed total
    assert len(list((out / "store" / "municipalities").glob("*.parquet"))) == 10
    first = solved.iloc[0]
    rows = municipalities[municipalities["run_id"] == first["run_id"]]
    assert rows["placed"].sum() == first["placed_total"]


def test_the_hard_limit_changes_neither_run_ids_nor_results(tmp_path: Path) -> None:
    text = SMALL_PLAN.split("[[policies]]")[0] + '[[scenarios]]\nname = "a"\n'
    text += '[[scenarios]]\nname = "capacity-10%"\ncapacity_factor = "0.9"\n'
    plain = write_plan(tmp_path / "plain", text)
    forked = write_plan(tmp_path / "forked", text.replace("[batch]", "[batch]\nhard_limit = true"))
    for plan in (plain, forked):
        result = run(str(plan), "--out", str(plan.parent / "out"), "--workers", "2", "--quiet")
        assert result.exit_code == 0, result.output
    runs, municipalities = load_store(plain.parent / "out")
    forked_runs, forked_municipalities = load_store(forked.parent / "out")
    assert list(runs["status"]) == ["optimal", "infeasible"]
    pd.testing.assert_frame_equal(without_timings(runs), without_timings(forked_runs))
    pd.testing.assert_frame_equal(municipalities, forked_municipalities)


def test_a_memory_limit_names_new_runs_and_stops_a_run_over_it(tmp_path: Path) -> None:
    """Plans without ``memory_limit`` keep their run ids (the key is named only where set); a
    run over its budget ends without a solution, saying why."""
    text = SMALL_PLAN.split("[[policies]]")[0] + '[[scenarios]]\nname = "a"\n'
    plain = write_plan(tmp_path / "plain", text)
    limited = write_plan(tmp_path / "limited", text.replace("[batch]", "[batch]\nmemory_limit = 1"))
    ample = write_plan(
        tmp_path / "ample", text.replace("[batch]", "[batch]\nmemory_limit = 1000000")
    )
    assert set(load_plan(plain).settings.canonical()) == {
        "backend",
        "engine",
        "time_limit",
        "seed",
        "gap",
        "threads",
    }
    plain_ids = [t.run_id for t in plan_tasks(load_plan(plain))]
    assert plain_ids != [t.run_id for t in plan_tasks(load_plan(limited))]
    result = run(str(limited), "--out", str(limited.parent / "out"), "--quiet")
    assert result.exit_code == 0, result.output
    runs, _ = load_store(limited.parent / "out")
    assert list(runs["status"]) == ["no_solution"]
    assert list(runs["stop_reason"]) == ["memory_limit"]
    result = run(str(ample), "--out", str(ample.parent / "out"), "--quiet")
    assert result.exit_code == 0, result.output
    assert list(load_store(ample.parent / "out")[0]["status"]) == ["optimal"]


@pytest.mark.parametrize("value", ["0", "1.5", '"2000"', "true"])
def test_a_memory_limit_that_is_not_a_whole_number_of_mib_is_refused(
    tmp_path: Path, value: str
) -> None:
    text = SMALL_PLAN.replace("[batch]", f"[batch]\nmemory_limit = {value}")
    with pytest.raises(InputError) as caught:
        load_plan(write_plan(tmp_path, text))
    problems = [p for p in caught.value.problems if p.column == "batch.memory_limit"]
    assert len(problems) == 1 and problems[0].row == 2
    assert "whole number >= 1" in problems[0].fix


def test_rerun_skips_completed_runs_and_redoes_a_missing_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = write_plan(
        tmp_path,
        SMALL_PLAN.split("[[policies]]")[0] + '[[scenarios]]\nname = "a"\n'
        '[[scenarios]]\nname = "b"\ndemand_factor = "0.9"\n'
        '[[scenarios]]\nname = "c"\nkappa = "0.3"\n',
    )
    assert run(str(plan), "--out", str(out), "--workers", "2", "--quiet").exit_code == 0
    before = stored_files(out)
    missing = sorted((out / "store" / "runs").glob("*.parquet"))[1]
    missing.unlink()
    result = run(str(plan), "--out", str(out), "--workers", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert "3 runs in the plan: 2 done before, 1 to run" in result.output
    after = stored_files(out)
    assert after.keys() == before.keys()
    redone = str(missing.relative_to(out))
    for name, (mtime, data) in before.items():
        if name != redone and not name.endswith(missing.name):
            assert after[name] == (mtime, data), name
    result = run(str(plan), "--out", str(out), "--quiet")
    assert "3 done before, 0 to run" in result.output
    assert len(pd.read_csv(out / "runs.csv")) == 3


def _start(plan: Path, out: Path, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from commands.batch import batch; batch()",
            str(plan),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_runs(out: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list((out / "store" / "runs").glob("*.parquet"))) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("no run completed within 60 s")


MANY_DRAWS = """\
[[instances]]
name = "parkstad-limburg"

[[scenarios]]
name = "band"
monte_carlo = { draws = 24, seed = 3, demand_band = "0.2", turnover_band = "0.1" }
"""


def test_a_killed_batch_loses_no_completed_run_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = write_plan(tmp_path, MANY_DRAWS)
    process = _start(plan, out, workers=1)
    try:
        _wait_for_runs(out, 2, process)
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, at once
        process.communicate()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    before = stored_files(out)
    completed = {p.stem for p in (out / "store" / "runs").glob("*.parquet")}
    done = len(completed)
    assert 2 <= done < 24
    result = run(str(plan), "--out", str(out), "--workers", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert f"{done} done before, {24 - done} to run" in result.output
    after = stored_files(out)
    assert len([n for n in after if n.startswith("store/runs/")]) == 24
    for name, value in before.items():
        if Path(name).stem in completed:
            assert after[name] == value, name  # untouched: same bytes, same time
    runs, _ = load_store(out)
    assert len(runs) == 24 and (runs["status"] == "optimal").all()
    assert not [p for p in (out / "store").rglob(".*")]  # no temporary file left


def test_sigterm_stops_the_batch_with_exit_130_and_keeps_the_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = _start(write_plan(tmp_path, MANY_DRAWS), out, workers=1)
    try:
        _wait_for_runs(out, 1, process)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    listed = pd.read_csv(out / "runs.csv")
    assert len(listed) == len(list((out / "store" / "runs").glob("*.parquet"))) >= 1


def test_workers_and_scheduler_together_are_bad_input(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, SMALL_PLAN)
    result = run(str(plan), "--out", str(tmp_path / "o"), "--workers", "2", "--scheduler", "x")
    assert result.exit_code == 2
    assert "Fix:" in result.output


def test_dask_cluster_gives_the_same_results_as_local_workers(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    plan = write_plan(tmp_path, SMALL_PLAN)
    local, remote = tmp_path / "local", tmp_path / "dask"
    assert run(str(plan), "--out", str(local), "--workers", "2", "--quiet").exit_code == 0
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run(
            str(plan), "--out", str(remote), "--scheduler", cluster.scheduler_address, "--quiet"
        )
    assert result.exit_code == 0, result.output
    local_runs, local_municipalities = load_store(local)
    dask_runs, dask_municipalities = load_store(remote)
    pd.testing.assert_frame_equal(without_timings(local_runs), without_timings(dask_runs))
    pd.testing.assert_frame_equal(local_municipalities, dask_municipalities)
    assert sorted(p.name for p in (local / "store" / "runs").iterdir()) == sorted(
        p.name for p in (remote / "store" / "runs").iterdir()
    )
