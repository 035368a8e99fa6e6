"""Reading raw tables from CSV files and workbook sheets, before any column is interpreted.

The CSV reader accepts what a Dutch Excel writes: ``;`` as separator, decimal commas, UTF-8 with or
without a byte-order mark, and Windows-1252 (cp1252). A table remembers where each row came from so
that every later problem can name its file, sheet and row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from models.cells import Cell, is_blank, uses_decimal_comma
from models.errors import Problem

_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class RawRow:
    """One data row: its spreadsheet row number and its cells by column name."""

    number: int
    cells: dict[str, Cell]


@dataclass
class RawTable:
    """A table as read: column names in file order, rows, and how its numbers are written."""

    file: str
    columns: list[str]
    rows: list[RawRow]
    sheet: str | None = None
    decimal_comma: bool | None = None
    problems: list[Problem] = field(default_factory=list)

    def problem(
        self,
        message: str,
        fix: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Cell = None,
        severity: str = "error",
    ) -> Problem:
        """A `Problem` located in this table."""
        shown = None if value is None else str(value)
        return Problem(
            file=self.file,
            sheet=self.sheet,
            row=row,
            column=column,
            value=shown,
            message=message,
            fix=fix,
            severity="warning" if severity == "warning" else "error",
        )


def decode_text(data: bytes) -> str:
    """Decode file bytes: UTF-8 (with or without BOM) first, else Windows-1252.

    cp1252 decodes almost any byte sequence, so it is only tried when strict UTF-8 fails.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def sniff_delimiter(header_line: str) -> str:
    """The separator of a CSV file, judged from its header line (the most frequent candidate)."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_table(path: Path, display_name: str | None = None) -> RawTable:
    """Read a CSV file into a `RawTable`; structural problems are collected on the table.

    Blank lines are skipped (their row numbers still count, as in a spreadsheet).
    """
    name = display_name or path.name
    table = RawTable(file=name, columns=[], rows=[])
    data = path.read_bytes()
    try:
        if b"\x00" in data:
            raise UnicodeError("NUL byte")
        text = decode_text(data)
    except UnicodeError:
        table.problems.append(
            table.problem(
                "the file is not a text (CSV) file in UTF-8 or Windows-1252",
                "save the table from Excel as 'CSV UTF-8' or 'CSV (semicolon delimited)'; "
                "give a workbook as the instance itself (fairshare validate FILE.xlsx)",
            )
        )
        return table
    lines = text.splitlines()
    delimiter = sniff_delimiter(lines[0]) if lines else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    if not records or all(is_blank(c) for c in records[0]):
        table.problems.append(
            table.problem(
                "the file is empty or its first line (the header) is blank",
                "put the column names on the first line",
                row=1,
            )
        )
        return table
    header = list(records[0])
    while is_blank(header[-1]):  # trailing separators, as Excel writes them
        header.pop()
    table.columns = _header(table, header)
    for index, record in enumerate(records[1:], start=2):
        if all(is_blank(c) for c in record):
            continue
        if len(record) > len(table.columns):
            extra = record[len(table.columns) :]
            if any(not is_blank(c) for c in extra):
                table.problems.append(
                    table.problem(
                        f"the row has {len(record)} cells but the header has "
                        f"{len(table.columns)} columns",
                        "remove the extra cells or add a column name to the header; a value with "
                        f"the separator {delimiter!r} in it must be quoted",
                        row=index,
                    )
                )
        cells: dict[str, Cell] = {
            column: (record[i] if i < len(record) else None)
            for i, column in enumerate(table.columns)
        }
        table.rows.append(RawRow(number=index, cells=cells))
    table.decimal_comma = _decimal_convention(table, delimiter)
    return table


def _header(table: RawTable, names: list[str]) -> list[str]:
    """Clean header names and report blank or repeated ones."""
    columns: list[str] = []
    for position, raw in enumerate(names, start=1):
        name = (raw or "").strip()
        if not name:
            name = f"(column {position})"
            table.problems.append(
                table.problem(
                    f"column {position} has no name",
                    "give every column a name in the header row, or delete the empty column",
                    row=1,
                    column=name,
                )
            )
        elif name in columns:
            table.problems.append(
                table.problem(
                    "the column name appears twice in the header",
                    "keep one column of this name",
                    row=1,
                    column=name,
                )
            )
            name = f"{name} (column {position})"
        columns.append(name)
    return columns


def _decimal_convention(table: RawTable, delimiter: str) -> bool | None:
    """``True`` if the table writes decimal commas, ``False`` for points, ``None`` if unknown.

    A comma-separated file cannot hold unquoted decimal commas, so it uses a point. Otherwise the
    table uses decimal commas as soon as one cell does.
    """
    if delimiter == ",":
        return False
    for row in table.rows:
        if any(uses_decimal_comma(cell) for cell in row.cells.values()):
            return True
    return None


def table_from_records(
    file: str, sheet: str | None, header: list[Cell], records: list[tuple[int, list[Cell]]]
) -> RawTable:
    """Build a `RawTable` from already typed records (a workbook sheet).

    ``records`` pairs each row's spreadsheet number with its cells.
    """
    table = RawTable(file=file, sheet=sheet, columns=[], rows=[], decimal_comma=None)
    table.columns = _header(table, ["" if c is None else str(c) for c in header])
    for number, record in records:
        if all(is_blank(c) for c in record):
            continue
        cells: dict[str, Cell] = {
            column: (record[i] if i < len(record) else None)
            for i, column in enumerate(table.columns)
        }
        table.rows.append(RawRow(number=number, cells=cells))
    return table
