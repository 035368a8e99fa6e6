"""The CSV reader accepts what a (Dutch) Excel exports, and refuses numbers it cannot read safely.

Every dialect is written from the same tables as the canonical comma-separated UTF-8 instance and
must load into an equal `Region`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from instance_factory import (
    ADJACENCY,
    MUNICIPALITIES,
    ROW,
    canonical_tables,
    load_problems,
    locations,
    small_region,
    the_problem,
    write_instance,
    write_table,
)

from models.loader import load_instance
from models.region import Region

NAMES = {"GM0629": "Súdwest-Fryslân", "GM1916": "Leidschendam-Voorburg (Zuid-Hollând)"}
_DECIMAL = re.compile(r"-?\d+\.\d+")

Table = tuple[list[str], list[list[str]]]


def dialect_region() -> Region:
    """The small region with names outside ASCII (and one with a comma-free apostrophe)."""
    region = small_region()
    municipalities = tuple(
        replace(m, name=NAMES.get(m.code, m.name)) for m in region.municipalities
    )
    return replace(region, municipalities=municipalities)


def decimal_commas(table: Table) -> Table:
    """The table with every decimal number written with a decimal comma (0.057 -> 0,057)."""
    header, rows = table
    return header, [[c.replace(".", ",") if _DECIMAL.fullmatch(c) else c for c in r] for r in rows]


def trailing_separators(table: Table) -> Table:
    """The table with two empty cells at the end of every line, header included."""
    header, rows = table
    return [*header, "", ""], [[*r, "", ""] for r in rows]


def same(table: Table) -> Table:
    return table


# name -> (how the tables are rewritten, write_table options, a check of the bytes written)
DIALECTS: dict[str, tuple[Callable[[Table], Table], dict[str, str], Callable[[bytes], bool]]] = {
    "semicolon-decimal-comma": (
        decimal_commas,
        {"delimiter": ";"},
        lambda data: b";0,057;" in data and b"0.057" not in data,
    ),
    "utf8-bom": (same, {"encoding": "utf-8-sig"}, lambda data: data.startswith(b"\xef\xbb\xbf")),
    "cp1252": (
        same,
        {"encoding": "cp1252"},
        lambda data: "Súdwest-Fryslân".encode("cp1252") in data,
    ),
    "tab": (same, {"delimiter": "\t"}, lambda data: b"\t" in data and b"," not in data),
    "crlf": (same, {"newline": "\r\n"}, lambda data: data.count(b"\r\n") >= 3),
    "trailing-separators": (
        trailing_separators,
        {"delimiter": ";"},
        lambda data: data.splitlines()[0].endswith(b";;"),
    ),
    "dutch-excel": (
        lambda table: trailing_separators(decimal_commas(table)),
        {"delimiter": ";", "encoding": "cp1252", "newline": "\r\n"},
        lambda data: b";0,057;" in data and b";;\r\n" in data and b"\xfa" in data,
    ),
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Region:
    """The region as loaded from the canonical comma-separated UTF-8 files."""
    directory = write_instance(tmp_path_factory.mktemp("plain") / "inst", region=dialect_region())
    assert "Súdwest-Fryslân" in (directory / MUNICIPALITIES).read_text(encoding="utf-8")
    return load_instance(directory).region


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_dialect_loads_as_the_plain_version(
    tmp_path: Path, reference: Region, dialect: str
) -> None:
    rewrite, options, looks_right = DIALECTS[dialect]
    directory = write_instance(tmp_path / "inst", region=dialect_region())
    for name, table in canonical_tables(dialect_region()).items():
        header, rows = rewrite(table)
        write_table(directory / name, header, rows, **options)
    assert looks_right((directory / MUNICIPALITIES).read_bytes())
    if dialect == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            (directory / MUNICIPALITIES).read_bytes().decode("utf-8")
    loaded = load_instance(directory)
    assert loaded.region == reference
    assert loaded.region.municipality("GM0629").name == "Súdwest-Fryslân"
    assert loaded.warnings == ()


def _semicolon_instance(tmp_path: Path, changes: dict[tuple[int, str], str]) -> Path:
    """The instance with a ';'-separated municipalities.csv in decimal commas, cells changed."""
    directory = write_instance(tmp_path / "inst")
    header, rows = decimal_commas(canonical_tables()[MUNICIPALITIES])
    for (row, column), value in changes.items():
        rows[row - 2][header.index(column)] = value
    write_table(directory / MUNICIPALITIES, header, rows, delimiter=";")
    return directory


def test_decimal_point_in_a_decimal_comma_file_is_ambiguous(tmp_path: Path) -> None:
    row = ROW["GM0518"]
    directory = _semicolon_instance(tmp_path, {(row, "latitude"): "52.0705"})
    assert b";-0,12;52.0705;4,3007;" in (directory / MUNICIPALITIES).read_bytes()
    problems = load_problems(directory)
    assert locations(problems) == {(MUNICIPALITIES, row, "latitude")}
    problem = the_problem(problems, MUNICIPALITIES, row, "latitude")
    assert problem.value == "52.0705"
    assert "ambiguous" in problem.message
    assert "52,0705" in problem.fix  # the example is written in the file's own convention


def test_decimal_comma_in_a_comma_separated_file_is_ambiguous(tmp_path: Path) -> None:
    row = ROW["GM1916"]
    directory = write_instance(tmp_path / "inst", cells={(row, "turnover_rate"): "0,06"})
    problems = load_problems(directory)
    assert locations(problems) == {(MUNICIPALITIES, row, "turnover_rate")}
    assert "ambiguous" in the_problem(problems, MUNICIPALITIES, row, "turnover_rate").message


@pytest.mark.parametrize("value", ["1.234,5", "566.221,0", "566 221"])
def test_thousands_separator_is_reported(tmp_path: Path, value: str) -> None:
    row = ROW["GM0518"]
    directory = _semicolon_instance(tmp_path, {(row, "population"): value})
    problems = load_problems(directory)
    assert locations(problems) == {(MUNICIPALITIES, row, "population")}
    problem = the_problem(problems, MUNICIPALITIES, row, "population")
    assert problem.value == value
    assert "thousands separators" in problem.message
    assert "whole number" in problem.fix


@pytest.mark.parametrize(
    ("written", "pct", "stock"),
    [("29%", Fraction(29), 7830), (" 29 % ", Fraction(29), 7830), ("29,5%", Fraction(59, 2), 7965)],
)
def test_percentage_with_percent_sign_is_accepted(
    tmp_path: Path, written: str, pct: Fraction, stock: int
) -> None:
    directory = _semicolon_instance(tmp_path, {(ROW["GM0603"], "social_share_pct"): written})
    municipality = load_instance(directory).region.municipality("GM0603")  # 27000 dwellings
    assert municipality.social_share_pct_given == pct
    assert municipality.social_stock == stock
    assert municipality.social_stock_from_pct


def test_adjacency_in_decimal_commas(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst")
    header, rows = decimal_commas(canonical_tables()[ADJACENCY])
    write_table(directory / ADJACENCY, header, rows, delimiter=";")
    assert b"6,3" in (directory / ADJACENCY).read_bytes()
    edge = load_instance(directory).region.edges[0]
    assert (edge.code_a, edge.code_b, edge.shared_border_km) == (
        "GM0518",
        "GM0603",
        Fraction("6.3"),
    )
