"""The solve-side commands end to end: exit codes, output files, MPS export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from instances import bundled_instance


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_solve_writes_every_output_file_and_exits_0(tmp_path: Path) -> None:
    code, output = _run("solve", str(bundled_instance("groningen")), "--out", str(tmp_path))
    assert code == 0, output
    assert "optimal" in output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["municipalities.csv", "placements.csv", "summary.json", "timings.json"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["proven_optimal"] is True
    assert [s["name"] for s in summary["stages"]] == [
        "needs",
        "fairness_sum",
        "programme",
        "tie_break",
    ]
    assert summary["check"]["violations"] == []


def test_no_network_solves_every_stage_as_one_mip_with_the_same_tables(tmp_path: Path) -> None:
    """``--no-network`` changes how the stages are proven (summary.json says which way), not
    the allocation."""
    instance = str(bundled_instance("groningen"))
    code, output = _run("solve", instance, "--out", str(tmp_path / "net"))
    assert code == 0, output
    code, output = _run("solve", instance, "--no-network", "--out", str(tmp_path / "mip"))
    assert code == 0, output
    for name in ("municipalities.csv", "placements.csv"):
        assert (tmp_path / "net" / name).read_bytes() == (tmp_path / "mip" / name).read_bytes()
    methods = {
        side: [
            s["method"]
            for s in json.loads((tmp_path / side / "summary.json").read_text())["stages"]
        ]
        for side in ("net", "mip")
    }
    assert methods["mip"] == ["mip"] * 4
    assert methods["net"][:2] == ["network", "network"]


def test_infeasible_instance_exits_3(tmp_path: Path) -> None:
    instance = tmp_path / "parkstad"
    shutil.copytree(bundled_instance("parkstad-limburg"), instance)
    settings = instance / "region.toml"
    text = settings.read_text().replace("new_homes_min = 2211", "new_homes_min = 5000")
    settings.write_text(text)
    code, output = _run("solve", str(instance), "--out", str(tmp_path / "out"))
    assert code == 3, output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert not (tmp_path / "out" / "municipalities.csv").exists()


def test_engine_with_the_cbc_backend_is_bad_input() -> None:
    code, output = _run("solve", "--backend", "cbc", "--engine", "highs")
    assert code == 2
    assert "Traceback" not in output


def test_export_writes_a_named_mps_model(tmp_path: Path) -> None:
    out = tmp_path / "model.mps"
    code, output = _run("export", str(bundled_instance("haaglanden")), str(out))
    assert code == 0, output
    text = out.read_text()
    assert "letting_pool[GM0518]" in text and "new_homes[GM0518]" in text
    code, _ = _run("export", str(bundled_instance("haaglanden")), str(out))
    assert code == 2  # refuses to overwrite without --force


def test_log_prints_the_solver_log_and_changes_no_output_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The solver writes its log to the process's standard output (file descriptor 1), which
    CliRunner does not capture; capfd does."""
    instance = str(bundled_instance("groningen"))
    printed = {}
    for side, flags in (("with-log", ["--log"]), ("without-log", [])):
        code, output = _run("solve", instance, "--out", str(tmp_path / side), *flags)
        assert code == 0, output
        printed[side] = capfd.readouterr().out
    assert "presolving" in printed["with-log"]
    assert "presolving" not in printed["without-log"]
    for name in ("municipalities.csv", "placements.csv", "summary.json"):
        assert (tmp_path / "with-log" / name).read_bytes() == (
            tmp_path / "without-log" / name
        ).read_bytes()
