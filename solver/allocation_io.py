"""Reading an allocation back from a solve's output directory, e.g. after a planner edited it.

Only the decisions are read: ``new_homes``, ``new_social`` and ``new_middle`` from
``municipalities.csv`` and ``placed`` from ``placements.csv``, or, where the directory has
neither CSV file, from the sheets of the same names in ``allocation.xlsx`` (`fairshare solve
--format xlsx`); every other column is recomputed. The CSV files may have been saved by Dutch Excel
(``;``, decimal comma, cp1252). Every municipality of the region needs exactly one row, and every
municipality and group exactly one placement row.
"""

from __future__ import annotations

from pathlib import Path

from models.cells import Cell, CellError, is_blank, parse_int
from models.errors import InputError, Problem
from models.region import Region
from models.tables import RawTable, read_csv_table, table_from_records
from models.workbook import read_sheets
from solver.allocation import Allocation

DECISIONS = ("new_homes", "new_social", "new_middle")
#: The tables of an allocation: CSV files of these names, or sheets of `WORKBOOK`.
TABLES = ("municipalities", "placements")
#: The workbook `fairshare solve --format xlsx` writes.
WORKBOOK = "allocation.xlsx"


def _integer(
    table: RawTable, row_number: int, column: str, cell: Cell, problems: list[Problem]
) -> int:
    try:
        if is_blank(cell):
            raise CellError("the value is empty")
        value = parse_int(cell, decimal_comma=table.decimal_comma)
    except CellError as error:
        problems.append(
            table.problem(
                str(error), "give a whole number", row=row_number, column=column, value=cell
            )
        )
        return 0
    return value


def _require(table: RawTable, columns: tuple[str, ...], problems: list[Problem]) -> bool:
    missing = [c for c in columns if c not in table.columns]
    for column in missing:
        problems.append(
            table.problem(
                f"required column '{column}' is missing",
                f"add the column '{column}'",
                row=1,
                column=column,
            )
        )
    return not missing


def read_allocation(region: Region, directory: Path) -> Allocation:
    """The allocation in ``directory``, validated against the region's codes and groups.

    Raises:
        InputError: with every problem found (missing file, row or column, bad number, unknown or
            duplicate code or group).
    """
    problems: list[Problem] = []
    tables = _tables(directory, problems)
    if problems:
        raise InputError(problems)
    municipalities, placements = tables["municipalities"], tables["placements"]
    codes = set(region.codes)
    groups = {g.id for g in region.groups}
    decisions: dict[str, dict[str, int]] = {d: {} for d in DECISIONS}
    if _require(municipalities, ("code", *DECISIONS), problems):
        for row in municipalities.rows:
            code = str(row.cells.get("code") or "").strip()
            if code not in codes or code in decisions["new_homes"]:
                what = "not in the region" if code not in codes else "listed twice"
                problems.append(
                    municipalities.problem(
                        f"the code is {what}",
                        "keep one row per municipality",
                        row=row.number,
                        column="code",
                        value=code,
                    )
                )
                continue
            for column in DECISIONS:
                decisions[column][code] = _integer(
                    municipalities, row.number, column, row.cells.get(column), problems
                )
        for code in sorted(codes - set(decisions["new_homes"])):
            problems.append(
                municipalities.problem(
                    f"no row for municipality {code}", "add its row", column="code", value=code
                )
            )
    placed: dict[tuple[str, str], int] = {}
    if _require(placements, ("code", "group", "placed"), problems):
        for row in placements.rows:
            code = str(row.cells.get("code") or "").strip()
            group = str(row.cells.get("group") or "").strip()
            if code not in codes or group not in groups or (code, group) in placed:
                problems.append(
                    placements.problem(
                        "unknown municipality or group, or a row listed twice",
                        "keep one row per municipality and group of the region",
                        row=row.number,
                        column="code" if code not in codes else "group",
                        value=f"{code},{group}",
                    )
                )
                continue
            placed[(code, group)] = _integer(
                placements, row.number, "placed", row.cells.get("placed"), problems
            )
        for code in sorted(codes):
            for group in sorted(groups):
                if (code, group) not in placed:
                    problems.append(
                        placements.problem(
                            f"no row for {code} and group {group}",
                            "add the row (placed 0 if none)",
                            column="code",
                            value=code,
                        )
                    )
    if problems:
        raise InputError(problems)
    return Allocation(
        decisions["new_homes"],
        decisions["new_social"],
        decisions["new_middle"],
        {cell: n for cell, n in sorted(placed.items())},
    )


def _tables(directory: Path, problems: list[Problem]) -> dict[str, RawTable]:
    """The allocation's tables: the CSV files, or the sheets of `WORKBOOK` where there is no
    CSV file of them; each problem found is added to ``problems``."""
    workbook = directory / WORKBOOK
    if workbook.is_file() and not any((directory / f"{n}.csv").is_file() for n in TABLES):
        return _sheets(workbook, problems)
    tables = {}
    for name in TABLES:
        path = directory / f"{name}.csv"
        if not path.is_file():
            problems.append(
                Problem(
                    file=str(path),
                    message="the file is missing",
                    fix="give the output directory of `fairshare solve` (--format csv or xlsx)",
                )
            )
        else:
            tables[name] = read_csv_table(path)
            problems += tables[name].problems
    return tables


def _sheets(path: Path, problems: list[Problem]) -> dict[str, RawTable]:
    """The allocation's tables from the sheets of a workbook."""
    sheets = read_sheets(path, f"give the {WORKBOOK} that `fairshare solve --format xlsx` wrote")
    tables = {}
    for name in TABLES:
        if name not in sheets:
            problems.append(
                Problem(
                    file=path.name,
                    sheet=name,
                    message="the sheet is missing",
                    fix=f"keep the sheet '{name}' that `fairshare solve --format xlsx` wrote",
                )
            )
            continue
        header, records = sheets[name]
        tables[name] = table_from_records(path.name, name, header, records)
        problems += tables[name].problems
    return tables
