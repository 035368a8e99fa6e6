"""``fairshare report``: one self-contained HTML file and a workbook with the same tables.

The browser test opens the report from disk in headless Chromium (Debian's ``chromium`` package,
which ``.ci/run`` installs) with every network request recorded, and checks that the tables and
images are shown and that the console stays free of errors. Without Chromium it fails, unless
``FAIRSHARE_SKIP_BROWSER=1`` is set for local development.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from test_compare import DRAWS, NO_ALLOCATION, PARKSTAD, write_batch, write_single_run

from commands.report import report
from instances import bundled_instance
from models.loader import load_region
from reports.compare import build_series
from reports.plots import placements_vs_quota
from reports.report_data import load_runs

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

#: Sheets of the workbook and, in this order, the tables of the HTML.
BATCH_SHEETS = ["runs", "measures", "placements", "social shares", "uncertainty", "municipalities"]
IMAGES_BATCH = 5  # measures, placements, social shares, map, uncertainty bands
IMAGES_SINGLE = 4  # no uncertainty without Monte Carlo draws


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_batch(tmp_path_factory.mktemp("batch") / "batch")


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("single") / "parkstad"
    write_single_run(load_region(PARKSTAD), directory)
    return directory


@pytest.fixture(scope="module")
def batch_report(batch: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = run(batch, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(report, [str(a) for a in args])


def assert_input_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Fix: " in result.stderr
    assert "Traceback" not in result.output


def images(page: str) -> list[str]:
    return re.findall(r'<img alt="[^"]*" src="([^"]*)"', page)


def sheets(path: Path) -> dict[str, list[list[object]]]:
    workbook = openpyxl.load_workbook(path)
    return {
        name: [[c.value for c in row] for row in workbook[name].iter_rows()]
        for name in workbook.sheetnames
    }


# --- content ------------------------------------------------------------------------------------


def test_batch_report_is_self_contained_with_every_table_and_figure(batch_report: Path) -> None:
    page = batch_report.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page
    assert "<title>fairshare report: Parkstad Limburg</title>" in page
    sources = images(page)
    assert len(sources) == IMAGES_BATCH
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert re.findall(r"<h2>([^<]*)</h2>", page) == [
        "Runs",
        "Measures",
        "Placements against quota",
        "Social housing share",
        "The region",
        "Uncertainty over the Monte Carlo draws",
        "Municipalities of every run",
    ]
    assert f"run {NO_ALLOCATION} has no allocation (status infeasible)" in page
    assert "sum/mc (median of 5 draws)" in page
    assert page.count("<table>") == len(BATCH_SHEETS)


def test_workbook_holds_the_same_tables(batch_report: Path) -> None:
    tables = sheets(batch_report.with_suffix(".xlsx"))
    assert list(tables) == BATCH_SHEETS
    assert len(tables["runs"]) == 1 + 4 + DRAWS + 1
    assert len(tables["placements"]) == 1 + 7
    assert len(tables["municipalities"]) == 1 + 7 * (4 + DRAWS)
    page = batch_report.read_text(encoding="utf-8")
    for cell in tables["placements"][0]:
        assert f"<th>{cell}</th>" in page


def test_uncertainty_bands_are_the_quantiles_of_the_draws(batch: Path, batch_report: Path) -> None:
    stored = pd.concat(
        pd.read_parquet(batch / "store" / "municipalities" / f"sum__mc__{d}.parquet")
        for d in range(DRAWS)
    )
    rows = sheets(batch_report.with_suffix(".xlsx"))["uncertainty"]
    header, body = rows[0], rows[1:]
    assert header == [
        "series",
        "code",
        "name",
        "quota (median)",
        "min",
        "p10",
        "median",
        "p90",
        "max",
    ]
    assert [r[1] for r in body] == sorted(stored["code"].unique())
    for row in body:
        placed = stored.loc[stored["code"] == row[1], "placed"].to_numpy()
        expected = [placed.min(), *np.quantile(placed, [0.1, 0.5, 0.9]), placed.max()]
        assert [float(str(v)) for v in row[4:]] == pytest.approx(expected, abs=1e-4)


def test_single_run_report_has_no_uncertainty_section(single: Path, tmp_path: Path) -> None:
    result = run(single, "--out", tmp_path / "single.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "single.html").read_text(encoding="utf-8")
    assert len(images(page)) == IMAGES_SINGLE
    assert "Uncertainty" not in page
    assert list(sheets(tmp_path / "single.xlsx")) == [s for s in BATCH_SHEETS if s != "uncertainty"]


def test_same_input_gives_byte_identical_report(batch: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        assert run(batch, "--out", tmp_path / name / "r.html").exit_code == 0
    for suffix in (".html", ".xlsx"):
        first = (tmp_path / "a" / "r").with_suffix(suffix).read_bytes()
        assert first == (tmp_path / "b" / "r").with_suffix(suffix).read_bytes()


def test_figures_carry_no_version_metadata(batch: Path) -> None:
    series = build_series(load_runs([str(batch)]), summarise_draws=True)
    png = placements_vs_quota(series)
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png
    assert png == placements_vs_quota(series)


def test_without_the_instance_the_map_has_no_borders_and_says_so(
    batch: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "batch"
    shutil.copytree(batch, copy)
    for path in (copy / "store" / "runs").glob("*.parquet"):
        frame = pd.read_parquet(path).assign(instance="somewhere else")
        frame.to_parquet(path, index=False)
    result = run(copy, "--out", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "the instance is unknown: no borders on the map" in page
    assert len(images(page)) == IMAGES_BATCH
    assert load_runs([str(copy)]).region is None
    assert load_runs([str(copy)], instance=PARKSTAD).region is not None


def test_a_run_without_allocation_alone_gives_a_report_without_figures(
    batch: Path, tmp_path: Path
) -> None:
    result = run(f"{batch}:{NO_ALLOCATION}", "--out", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert images(page) == [] and "no run has an allocation" in page


# --- refusals -----------------------------------------------------------------------------------


def test_report_refuses_to_overwrite_either_file_without_force(
    single: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    out.with_suffix(".xlsx").write_text("keep", encoding="utf-8")
    assert_input_error(run(single, "--out", out), "the output exists already")
    assert not out.exists()
    assert out.with_suffix(".xlsx").read_text(encoding="utf-8") == "keep"
    assert run(single, "--out", out, "--force").exit_code == 0
    assert out.with_suffix(".xlsx").read_bytes().startswith(b"PK")
    assert_input_error(run(single, "--out", out), "the output exists already")


def test_report_refuses_bad_arguments(batch: Path, tmp_path: Path) -> None:
    assert_input_error(run(tmp_path / "missing", "--out", tmp_path / "r.html"), "no such run")
    assert_input_error(run(f"{batch}:nope", "--out", tmp_path / "r.html"), "no run 'nope'")
    assert_input_error(run(batch, "--out", tmp_path / "r.pdf"), "must end in .html or .htm")
    other = bundled_instance("haaglanden")
    result = run(batch, "--instance", other, "--out", tmp_path / "r.html")
    assert_input_error(result, "its municipalities are not those of the runs")
    assert not list(tmp_path.iterdir())


# --- in a browser -------------------------------------------------------------------------------


def chromium() -> str:
    """Debian's Chromium; a failure without it, a skip only with FAIRSHARE_SKIP_BROWSER=1."""
    if os.environ.get("FAIRSHARE_SKIP_BROWSER") == "1":
        pytest.skip("FAIRSHARE_SKIP_BROWSER=1: the report is not rendered in a browser")
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "the browser test needs Debian's chromium package (`apt-get install chromium`; "
            ".ci/run installs it). Set FAIRSHARE_SKIP_BROWSER=1 to skip this test locally."
        )
    return path


class Rendered:
    """What Chromium made of a page: errors, requests, tables and images."""

    def __init__(self, path: Path) -> None:
        from playwright.sync_api import ConsoleMessage, sync_playwright

        executable = chromium()
        self.errors: list[str] = []
        self.requests: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True)
            try:
                page = browser.new_page()

                def console(message: ConsoleMessage) -> None:
                    if message.type == "error":
                        self.errors.append(message.text)

                page.on("console", console)
                page.on("pageerror", lambda error: self.errors.append(str(error)))
                page.on("request", lambda request: self.requests.append(request.url))
                page.goto(path.as_uri(), wait_until="load")
                self.title = page.title()
                tables = page.locator("table")
                # (visible, body rows) per table
                self.tables = [
                    (tables.nth(i).is_visible(), tables.nth(i).locator("tbody tr").count())
                    for i in range(tables.count())
                ]
                self.images: list[list[Any]] = page.evaluate(
                    "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
                )
            finally:
                browser.close()


def test_report_renders_in_chromium_without_errors(batch_report: Path) -> None:
    rendered = Rendered(batch_report)
    assert rendered.title == "fairshare report: Parkstad Limburg"
    assert len(rendered.tables) == len(BATCH_SHEETS)
    *shown, folded = rendered.tables  # every run's municipalities sit in a closed <details>
    assert all(visible and rows > 0 for visible, rows in shown), rendered.tables
    assert folded == (False, 7 * (4 + DRAWS))
    assert len(rendered.images) == IMAGES_BATCH
    assert all(complete and width > 0 for complete, width in rendered.images), rendered.images
    assert rendered.errors == []
    assert all(url.startswith(("file:", "data:")) for url in rendered.requests), rendered.requests


def test_the_browser_check_sees_broken_images_and_script_errors(tmp_path: Path) -> None:
    """The control: the same checks on a page that is broken in each of the ways looked for."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body>'
        '<img alt="broken" src="data:image/png;base64,AAAA">'
        "<script>console.error('logged'); undefined_function();</script></body></html>",
        encoding="utf-8",
    )
    rendered = Rendered(page)
    assert rendered.images == [[True, 0]]
    assert any("logged" in e for e in rendered.errors)
    assert any("undefined_function" in e for e in rendered.errors)
