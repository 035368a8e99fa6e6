"""Input validation: every kind of mistake is reported at its file, row and column, with a fix.

Each test breaks one thing in the small valid instance of `instance_factory` and checks the exact
set of locations reported, so that a problem in the wrong place, a missing one, or a spurious
follow-up problem all fail the test.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from instance_factory import (
    ADJACENCY,
    DELETE,
    MUNICIPALITIES,
    REGION,
    ROW,
    load_problems,
    locations,
    small_region,
    the_problem,
    toml_line,
    write_instance,
)

from cli import main
from models.loader import load_instance
from models.workbook import write_workbook

M, A, R = MUNICIPALITIES, ADJACENCY, REGION


def test_the_factory_instance_is_valid(tmp_path: Path) -> None:
    loaded = load_instance(write_instance(tmp_path / "inst"))
    assert loaded.region == small_region()
    assert loaded.warnings == ()


# --- files and sheets -------------------------------------------------------------------------


def test_missing_region_toml(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst")
    (directory / REGION).unlink()
    problems = load_problems(directory)
    assert len(problems) == 1
    problem = problems[0]
    assert Path(problem.file) == directory / REGION
    assert "settings file" in problem.message
    assert "region.toml" in problem.fix


def test_missing_municipalities_file_named_in_region_toml(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst", settings={"files.municipalities": "gemeenten.csv"}
    )
    problems = load_problems(directory)
    line = toml_line(directory, r"municipalities = ")
    assert locations(problems) == {(R, line, "files.municipalities")}
    problem = the_problem(problems, R, line, "files.municipalities")
    assert problem.value == "gemeenten.csv"
    assert "gemeenten.csv does not exist" in problem.message
    assert "correct its name" in problem.fix


def test_missing_sheet_in_workbook(tmp_path: Path) -> None:
    path = tmp_path / "inst.xlsx"
    write_workbook(small_region(), path)
    workbook = openpyxl.load_workbook(path)
    del workbook["municipalities"]
    workbook.save(path)
    problems = load_problems(path)
    assert [(p.file, p.sheet, p.severity) for p in problems] == [
        ("inst.xlsx", "municipalities", "error")
    ]
    assert "'municipalities' is missing" in problems[0].message
    assert "add a sheet named 'municipalities'" in problems[0].fix


# --- columns ----------------------------------------------------------------------------------


def test_missing_required_column(tmp_path: Path) -> None:
    problems = load_problems(write_instance(tmp_path / "inst", drop_columns=["population"]))
    assert locations(problems) == {(M, 1, "population")}
    problem = the_problem(problems, M, 1, "population")
    assert "required column 'population' is missing" in problem.message
    assert "add a column 'population'" in problem.fix


def test_unknown_column_that_is_a_typo_names_the_closest_column(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", rename_columns={"population": "populaton"})
    problems = load_problems(directory)
    assert locations(problems) == {(M, 1, "populaton"), (M, 1, "population")}
    typo = the_problem(problems, M, 1, "populaton")
    assert "unknown column" in typo.message
    assert "did you mean 'population'?" in typo.fix


def test_prior_and_arrears_columns_for_an_undefined_group(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        cells={(2, "prior_refugees"): "3", (2, "arrears_permit_holder"): "1"},
    )
    problems = load_problems(directory)
    assert locations(problems) == {(M, 1, "prior_refugees"), (M, 1, "arrears_permit_holder")}
    unknown = the_problem(problems, M, 1, "prior_refugees")
    assert "target group 'refugees'" in unknown.message
    assert "define the group" in unknown.fix
    typo = the_problem(problems, M, 1, "arrears_permit_holder")
    assert "did you mean 'arrears_permit_holders'?" in typo.fix


def test_factor_columns_are_accepted(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        cells={(ROW["GM0518"], "factor_gdp"): "41.2", (ROW["GM1916"], "factor_gdp"): "-3"},
    )
    region = load_instance(directory).region
    assert region.municipality("GM0518").factors["factor_gdp"] == Fraction("41.2")
    assert region.municipality("GM1916").factors == {"factor_gdp": Fraction(-3)}
    assert "factor_gdp" not in region.municipality("GM0603").factors


# --- cells ------------------------------------------------------------------------------------


def test_text_in_a_number_column(tmp_path: Path) -> None:
    problems = load_problems(write_instance(tmp_path / "inst", cells={(3, "dwellings"): "veel"}))
    assert locations(problems) == {(M, 3, "dwellings")}
    problem = the_problem(problems, M, 3, "dwellings")
    assert problem.value == "veel"
    assert "expected a number" in problem.message
    assert "whole number" in problem.fix


def test_empty_required_value(tmp_path: Path) -> None:
    problems = load_problems(write_instance(tmp_path / "inst", cells={(4, "population"): None}))
    assert locations(problems) == {(M, 4, "population")}
    problem = the_problem(problems, M, 4, "population")
    assert "required value is empty" in problem.message
    assert "inhabitants" in problem.fix


def test_negative_count(tmp_path: Path) -> None:
    problems = load_problems(write_instance(tmp_path / "inst", cells={(4, "plan_capacity"): "-5"}))
    assert locations(problems) == {(M, 4, "plan_capacity")}
    problem = the_problem(problems, M, 4, "plan_capacity")
    assert problem.value == "-5"
    assert "negative" in problem.message
    assert "at least 0" in problem.fix


def test_social_stock_above_dwellings(tmp_path: Path) -> None:
    row = ROW["GM1916"]  # 36500 dwellings
    directory = write_instance(tmp_path / "inst", cells={(row, "social_stock"): "40000"})
    problems = load_problems(directory)
    assert locations(problems) == {(M, row, "social_stock")}
    problem = the_problem(problems, M, row, "social_stock")
    assert problem.value == "40000"
    assert "40000" in problem.message and "36500" in problem.message
    assert "at most the housing stock" in problem.fix


@pytest.mark.parametrize(
    ("value", "message"), [("-1", "negative"), ("-0.5", "negative"), ("101", "above 100")]
)
def test_percentage_outside_0_to_100(tmp_path: Path, value: str, message: str) -> None:
    row = ROW["GM0603"]  # gives social_share_pct only
    directory = write_instance(tmp_path / "inst", cells={(row, "social_share_pct"): value})
    problems = load_problems(directory)
    assert locations(problems) == {(M, row, "social_share_pct")}
    problem = the_problem(problems, M, row, "social_share_pct")
    assert problem.value == value
    assert message in problem.message
    assert "between 0 and 100" in problem.fix


@pytest.mark.parametrize("code", ["GM518", "XX0518", "gm0629", "GM06299"])
def test_malformed_code(tmp_path: Path, code: str) -> None:
    row = ROW["GM0629"]
    problems = load_problems(write_instance(tmp_path / "inst", cells={(row, "code"): code}))
    # GM0629 is gone from the table, so the two borders that name it are reported too.
    assert locations(problems) == {(M, row, "code"), (A, 3, "code_b"), (A, 6, "code_a")}
    problem = the_problem(problems, M, row, "code")
    assert problem.value == code
    assert "not a CBS municipality code" in problem.message
    assert "GM followed by 4 digits" in problem.fix and "BU + 8" in problem.fix


def test_duplicate_code_names_the_first_row(tmp_path: Path) -> None:
    row = ROW["GM1916"]
    directory = write_instance(tmp_path / "inst", cells={(row, "code"): "GM0603"})
    problems = load_problems(directory)
    assert locations(problems) == {(M, row, "code"), (A, 4, "code_b"), (A, 5, "code_b")} | {
        (A, 6, "code_b")
    }
    problem = the_problem(problems, M, row, "code")
    assert problem.value == "GM0603"
    assert f"row {ROW['GM0603']} has the same code" in problem.message
    assert "one row per municipality" in problem.fix


def test_social_stock_and_percentage_that_disagree(tmp_path: Path) -> None:
    row = ROW["GM0603"]  # 27000 dwellings, social_share_pct 30 (8100 dwellings)
    agreeing = write_instance(tmp_path / "agree", cells={(row, "social_stock"): "8100"})
    assert load_instance(agreeing).region.municipality("GM0603").social_stock == 8100
    directory = write_instance(tmp_path / "inst", cells={(row, "social_stock"): "5000"})
    problems = load_problems(directory)
    assert locations(problems) == {(M, row, "social_share_pct")}
    problem = the_problem(problems, M, row, "social_share_pct")
    assert problem.value == "30"
    assert "disagrees with social_stock 5000 of 27000" in problem.message
    assert "give only one of social_stock and social_share_pct" in problem.fix


# --- adjacency --------------------------------------------------------------------------------


def test_adjacency_naming_an_unknown_code(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", adjacency_cells={(3, "code_b"): "GM9999"})
    problems = load_problems(directory)
    assert locations(problems) == {(A, 3, "code_b")}
    problem = the_problem(problems, A, 3, "code_b")
    assert problem.value == "GM9999"
    assert "not in the municipality table" in problem.message


def _pairs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"code_a": a, "code_b": b} for a, b in pairs]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            _pairs(("GM0518", "GM0603"), ("GM0629", "GM0629"), ("GM0518", "GM0629")),
            "cannot border itself",
        ),
        (
            _pairs(("GM0518", "GM0603"), ("GM0518", "GM0603"), ("GM0518", "GM0629")),
            "already listed in row 2",
        ),
        (
            _pairs(("GM0518", "GM0603"), ("GM0603", "GM0518"), ("GM0518", "GM0629")),
            "already listed in row 2",
        ),
    ],
    ids=["self-loop", "duplicate", "duplicate-reversed"],
)
def test_adjacency_self_loop_and_duplicate_pair(
    tmp_path: Path, rows: list[dict[str, str]], message: str
) -> None:
    rows = [*rows, *_pairs(("GM0518", "GM1916"))]
    problems = load_problems(write_instance(tmp_path / "inst", adjacency_rows=rows))
    assert locations(problems) == {(A, 3, "code_b")}
    problem = the_problem(problems, A, 3, "code_b")
    assert message in problem.message
    assert problem.value == rows[1]["code_b"]


def test_disconnected_graph_is_a_warning(tmp_path: Path) -> None:
    rows = _pairs(("GM0518", "GM0603"), ("GM0629", "GM1916"))
    directory = write_instance(tmp_path / "inst", adjacency_rows=rows)
    loaded = load_instance(directory)
    assert len(loaded.region.edges) == 2
    assert [(w.file, w.severity) for w in loaded.warnings] == [(A, "warning")]
    warning = loaded.warnings[0]
    assert "not connected: 2 parts" in warning.message
    assert "GM0629 Wassenaar, GM1916 Leidschendam-Voorburg" in warning.message
    result = CliRunner().invoke(main, ["validate", str(directory)])
    assert result.exit_code == 0, result.output
    assert "warning: adjacency.csv: the region's graph is not connected" in result.stdout


# --- settings ---------------------------------------------------------------------------------


def test_unknown_setting_key_names_the_closest(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        settings={"region.horizon_year": 7, "policy.social_nrom": "0.3"},
    )
    problems = load_problems(directory)
    horizon = toml_line(directory, r"horizon_year = ")
    norm = toml_line(directory, r"social_nrom = ")
    assert locations(problems) == {
        (R, horizon, "region.horizon_year"),
        (R, norm, "policy.social_nrom"),
    }
    assert (
        "did you mean 'horizon_years'?"
        in the_problem(problems, R, horizon, "region.horizon_year").fix
    )
    problem = the_problem(problems, R, norm, "policy.social_nrom")
    assert "unknown setting" in problem.message
    assert "did you mean 'social_norm'?" in problem.fix


@pytest.mark.parametrize(("value", "message"), [(2.5, "whole number"), (-3, "at least 0")])
def test_demand_not_a_whole_number_or_negative(tmp_path: Path, value: float, message: str) -> None:
    directory = write_instance(tmp_path / "inst", settings={"targets.demand.permit_holders": value})
    problems = load_problems(directory)
    line = toml_line(directory, r"permit_holders = ")
    key = "targets.demand.permit_holders"
    assert locations(problems) == {(R, line, key)}
    problem = the_problem(problems, R, line, key)
    assert problem.value == str(value)
    assert message in problem.message
    assert "demand" in problem.fix


@pytest.mark.parametrize("value", [0, -1])
def test_horizon_years_not_positive(tmp_path: Path, value: int) -> None:
    directory = write_instance(tmp_path / "inst", settings={"region.horizon_years": value})
    problems = load_problems(directory)
    line = toml_line(directory, r"horizon_years = ")
    assert locations(problems) == {(R, line, "region.horizon_years")}
    problem = the_problem(problems, R, line, "region.horizon_years")
    assert problem.value == str(value)
    assert "at least 1" in problem.message
    assert "years to the horizon" in problem.fix


def test_targets_naming_an_unknown_group(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", settings={"targets.demand.permit_holder": 5})
    problems = load_problems(directory)
    line = toml_line(directory, r"permit_holder = ")
    assert locations(problems) == {(R, line, "targets.demand.permit_holder")}
    problem = the_problem(problems, R, line, "targets.demand.permit_holder")
    assert "not defined" in problem.message
    assert "did you mean 'permit_holders'?" in problem.fix


@pytest.mark.parametrize("relative", [True, False], ids=["parent", "absolute"])
def test_file_path_outside_the_instance_directory(tmp_path: Path, relative: bool) -> None:
    outside = write_instance(tmp_path / "other") / MUNICIPALITIES  # exists and is valid
    name = "../other/municipalities.csv" if relative else str(outside)
    directory = write_instance(tmp_path / "inst", settings={"files.municipalities": name})
    problems = load_problems(directory)
    line = toml_line(directory, r"municipalities = ")
    assert locations(problems) == {(R, line, "files.municipalities")}
    problem = the_problem(problems, R, line, "files.municipalities")
    assert problem.value == name
    assert "outside the instance directory" in problem.message
    assert "relative name" in problem.fix


def test_group_in_persons_without_household_size(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", settings={"groups.0.household_size": DELETE})
    problems = load_problems(directory)
    line = toml_line(directory, r"\[\[groups\]\]")  # the key is absent: its group's line
    # Only the missing size: the group stays defined for its demand and its prior_ columns.
    assert locations(problems) == {(R, line, "groups.0.household_size")}
    problem = the_problem(problems, R, line, "groups.0.household_size")
    assert "household size" in problem.message
    assert "household_size" in problem.fix


def test_only_in_naming_an_unknown_code(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst", settings={"groups.1.only_in": ["GM0518", "GM0999"]}
    )
    problems = load_problems(directory)
    line = toml_line(directory, r"only_in = ")
    assert locations(problems) == {(R, line, "groups.1.only_in")}
    problem = the_problem(problems, R, line, "groups.1.only_in")
    assert problem.value == "GM0999"
    assert "not in the municipality table" in problem.message


def test_toml_syntax_error_reports_the_line(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst")
    text = (directory / REGION).read_text(encoding="utf-8")
    line = toml_line(directory, r"name = ")
    (directory / REGION).write_text(
        text.replace('name = "Example region"', "name = Example region"), encoding="utf-8"
    )
    problems = load_problems(directory)
    assert locations(problems) == {(R, line, None)}
    assert "not valid TOML" in problems[0].message
    assert "double quotes" in problems[0].fix


# --- everything at once -----------------------------------------------------------------------

Location = tuple[str, int | None, str | None, str | None]

#: Planted problems: (file, row or key line, column, value) -> a word the message must contain.
PLANTED: dict[tuple[str, int | str, str, str | None], str] = {
    (M, 1, "subregoin", None): "unknown column",
    (M, ROW["GM0603"], "dwellings", "veel"): "expected a number",
    (M, ROW["GM0629"], "plan_capacity", "-5"): "negative",
    (M, ROW["GM1916"], "social_share_pct", "120"): "above 100",
    (A, 2, "code_b", "GM0518"): "border itself",
    (A, 4, "code_b", "GM9999"): "not in the municipality table",
    (R, "horizon", "region.horizon_years", "0"): "at least 1",
    (R, "letting", "policy.letting_priority_max", "140%"): "between 0 and 1",
}


def _broken_copy(tmp_path: Path) -> tuple[Path, dict[Location, str]]:
    directory = write_instance(
        tmp_path / "broken",
        rename_columns={"subregion": "subregoin"},
        cells={
            (ROW["GM0603"], "dwellings"): "veel",
            (ROW["GM0629"], "plan_capacity"): "-5",
            (ROW["GM1916"], "social_share_pct"): "120",
        },
        adjacency_cells={(2, "code_b"): "GM0518", (4, "code_b"): "GM9999"},
        settings={"region.horizon_years": 0, "policy.letting_priority_max": "140%"},
    )
    lines = {
        "horizon": toml_line(directory, r"horizon_years = "),
        "letting": toml_line(directory, r"letting_priority_max = "),
    }
    expected: dict[Location, str] = {
        (file, lines[row] if isinstance(row, str) else row, column, value): word
        for (file, row, column, value), word in PLANTED.items()
    }
    return directory, expected


def test_many_problems_in_different_files_are_all_reported(tmp_path: Path) -> None:
    directory, expected = _broken_copy(tmp_path)
    problems = load_problems(directory)  # one InputError with all of them
    assert {(p.file, p.row, p.column, p.value) for p in problems} == set(expected)
    for p in problems:
        assert expected[(p.file, p.row, p.column, p.value)] in p.message
        assert p.fix


def test_many_problems_through_the_cli(tmp_path: Path) -> None:
    directory, expected = _broken_copy(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(directory)])
    assert result.exit_code == 2
    assert f"{len(expected)} problem(s) in the input" in result.stderr
    for file, row, column, _ in expected:
        where = "line" if file == R else "row"
        what = "key" if file == R else "column"
        assert f"{file}, {where} {row}, {what} '{column}'" in result.stderr
    assert "Traceback" not in result.output
