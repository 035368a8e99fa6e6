"""The instance as one Excel workbook: sheets ``settings``, ``groups``, ``municipalities`` and
``adjacency`` (optional), plus a ``columns`` sheet that documents every column and is not read.

The ``settings`` sheet has one row per setting: ``section``, ``key``, ``value`` (and a ``meaning``
column for the reader), mirroring the tables of ``region.toml``: section ``policy.rules``, key
``social_norm``, value ``TRUE`` is ``[policy.rules] social_norm = true``.
"""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.cells import Cell, format_fraction, is_blank
from models.errors import InputError, Problem
from models.fileio import atomic_write_bytes, deterministic_xlsx
from models.region import Region
from models.schema import ADJACENCY_COLUMNS, GROUP_COLUMNS, MUNICIPALITY_COLUMNS, Column
from models.serialize import adjacency_table, municipality_table, settings_dict
from models.settings import GROUP_KEYS, KeyPath, SettingsDocument
from models.tables import RawTable, table_from_records

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SETTINGS_SHEET = "settings"
GROUPS_SHEET = "groups"
MUNICIPALITIES_SHEET = "municipalities"
ADJACENCY_SHEET = "adjacency"
COLUMNS_SHEET = "columns"
SETTINGS_HEADER = ["section", "key", "value", "meaning"]


def _cell(value: Any) -> Cell | bool:
    """A workbook value as a parser cell: floats become exact fractions of their shortest repr."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, int | str) or value is None:
        return value
    return str(value)


def _records(sheet: Worksheet) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return [], []
    header = list(rows[0])
    while header and is_blank(header[-1]):
        header.pop()
    records = [
        (number, [_cell(v) for v in row[: len(header)]])
        for number, row in enumerate(rows[1:], start=2)
    ]
    return header, records


def read_sheets(path: Path, fix: str) -> dict[str, tuple[list[Any], list[tuple[int, list[Any]]]]]:
    """Every sheet of an .xlsx workbook: its header and its rows, each with the row number a
    spreadsheet program shows and its cells as parser cells.

    Raises:
        InputError: if the file is not a readable workbook (``fix`` says what to do).
    """
    import openpyxl  # imported here: it takes a third of a second, and few runs read xlsx

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise InputError(
            [Problem(file=path.name, message=f"not a readable Excel workbook ({error})", fix=fix)]
        ) from None
    try:
        return {name: _records(workbook[name]) for name in workbook.sheetnames}
    finally:
        workbook.close()


class WorkbookInstance:
    """The raw content of an instance workbook, ready for validation."""

    def __init__(self, path: Path) -> None:
        self.file = path.name
        self.problems: list[Problem] = []
        self.sheets = read_sheets(
            path, "save the instance from Excel as an .xlsx workbook (see `fairshare template`)"
        )
        for name in self.sheets:
            if name not in (
                SETTINGS_SHEET,
                GROUPS_SHEET,
                MUNICIPALITIES_SHEET,
                ADJACENCY_SHEET,
                COLUMNS_SHEET,
            ):
                self.problems.append(
                    Problem(
                        file=self.file,
                        sheet=name,
                        message="unknown sheet; it is not read",
                        fix="rename it to one of settings, groups, municipalities, adjacency, or "
                        "ignore this warning",
                        severity="warning",
                    )
                )
        for required in (SETTINGS_SHEET, GROUPS_SHEET, MUNICIPALITIES_SHEET):
            if required not in self.sheets:
                self.problems.append(
                    Problem(
                        file=self.file,
                        sheet=required,
                        message=f"the sheet '{required}' is missing",
                        fix=f"add a sheet named '{required}' (see `fairshare template`)",
                    )
                )

    def settings(self) -> SettingsDocument:
        """The settings and groups sheets as the nested dictionary of region.toml."""
        data: dict[str, Any] = {}
        where: dict[KeyPath, tuple[str | None, int | None]] = {}
        header, records = self.sheets.get(SETTINGS_SHEET, ([], []))
        index = {str(name).strip(): i for i, name in enumerate(header) if not is_blank(name)}
        for column in ("section", "key", "value"):
            if header and column not in index:
                self.problems.append(
                    Problem(
                        file=self.file,
                        sheet=SETTINGS_SHEET,
                        row=1,
                        column=column,
                        message=f"required column '{column}' is missing",
                        fix="use the columns section, key, value (see `fairshare template`)",
                    )
                )
        if all(c in index for c in ("section", "key", "value")):
            for number, record in records:
                section, key, value = (
                    record[index[c]] if index[c] < len(record) else None
                    for c in ("section", "key", "value")
                )
                if is_blank(section) and is_blank(key):
                    continue
                path = tuple(str(section).strip().split(".")) if not is_blank(section) else ()
                table = data
                for part in path:
                    table = table.setdefault(part, {})
                table[str(key).strip()] = value
                where[(*path, str(key).strip())] = (SETTINGS_SHEET, number)
        groups_header, group_records = self.sheets.get(GROUPS_SHEET, ([], []))
        names = [None if is_blank(n) else str(n).strip() for n in groups_header]
        groups: list[dict[str, Any]] = []
        for number, record in group_records:
            if all(is_blank(c) for c in record):
                continue
            position = len(groups)
            group = {
                n: v
                for n, v in zip(names, record, strict=False)
                if n is not None and not is_blank(v)
            }
            groups.append(group)
            where[("groups", position)] = (GROUPS_SHEET, number)
            for n in names:
                if n is not None:
                    where[("groups", position, n)] = (GROUPS_SHEET, number)
        if groups:
            data["groups"] = groups

        def locate(path: KeyPath) -> tuple[str | None, int | None]:
            for end in range(len(path), 0, -1):
                if path[:end] in where:
                    return where[path[:end]]
            return (SETTINGS_SHEET, None)

        return SettingsDocument(data=data, file=self.file, locate=locate)

    def table(self, sheet: str) -> RawTable | None:
        """A data sheet as a raw table, or ``None`` if the workbook has no such sheet."""
        if sheet not in self.sheets:
            return None
        header, records = self.sheets[sheet]
        return table_from_records(self.file, sheet, header, records)


def _typed(text: str) -> int | str | Fraction:
    """A table cell for the workbook: numbers as numbers where exact, ratios stay text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if format_fraction(Fraction(repr(value))) == text else text  # type: ignore[return-value]


def _write_table(
    sheet: Worksheet, header: list[str], rows: list[list[str]], columns: tuple[Column, ...]
) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    spec = {c.name: c for c in columns}
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        column = spec.get(str(cell.value))
        if column is not None:
            unit = f" [{column.unit}]" if column.unit else ""
            required = "required" if column.required else "optional"
            cell.comment = Comment(f"{column.meaning}{unit} ({required})", "fairshare")
    textual = [spec[n].kind in ("text", "code", "codes") if n in spec else False for n in header]
    for row in rows:
        sheet.append(
            [
                None if c == "" else (c if is_text else _typed(c))
                for c, is_text in zip(row, textual, strict=True)
            ]
        )
    sheet.freeze_panes = "A2"


def _settings_rows(settings: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []

    def walk(prefix: str, table: dict[str, Any]) -> None:
        nested = []
        for key, value in table.items():
            if isinstance(value, dict):
                nested.append((key, value))
            else:
                rows.append([prefix, key, value, ""])
        for key, value in nested:
            walk(f"{prefix}.{key}" if prefix else key, value)

    for section, table in settings.items():
        if section != "groups":
            walk(section, table)
    return rows


def _columns_sheet(sheet: Worksheet) -> None:
    from openpyxl.styles import Font

    sheet.append(["sheet", "column", "required", "unit", "meaning", "example"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for sheet_name, columns in (
        (MUNICIPALITIES_SHEET, MUNICIPALITY_COLUMNS),
        (ADJACENCY_SHEET, ADJACENCY_COLUMNS),
        (GROUPS_SHEET, GROUP_COLUMNS),
    ):
        for c in columns:
            sheet.append(
                [sheet_name, c.name, "yes" if c.required else "no", c.unit, c.meaning, c.example]
            )
    sheet.append(
        [
            MUNICIPALITIES_SHEET,
            "prior_<group id>",
            "no",
            "households",
            "placements of the group already made",
            "12",
        ]
    )
    sheet.append(
        [
            MUNICIPALITIES_SHEET,
            "arrears_<group id>",
            "no",
            "households",
            "placements still owed from earlier periods (negative: surplus)",
            "-3",
        ]
    )
    sheet.append(
        [
            MUNICIPALITIES_SHEET,
            "factor_<name>",
            "no",
            "any",
            "a numeric column for weighted distribution keys",
            "41.2",
        ]
    )


def workbook_bytes(region: Region) -> bytes:
    """The region as an .xlsx workbook (deterministic bytes)."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    settings_sheet = workbook.active
    settings_sheet.title = SETTINGS_SHEET
    settings = settings_dict(region, with_files=False)
    settings_sheet.append(SETTINGS_HEADER)
    for cell in settings_sheet[1]:
        cell.font = Font(bold=True)
    for row in _settings_rows(settings):
        settings_sheet.append(row)
    groups_sheet = workbook.create_sheet(GROUPS_SHEET)
    group_header = list(GROUP_KEYS)
    group_rows = [
        [
            ""
            if g.get(k) is None
            else (", ".join(g[k]) if isinstance(g.get(k), list) else str(g[k]))
            for k in group_header
        ]
        for g in settings["groups"]
    ]
    _write_table(groups_sheet, group_header, group_rows, GROUP_COLUMNS)
    _write_table(
        workbook.create_sheet(MUNICIPALITIES_SHEET),
        *municipality_table(region),
        MUNICIPALITY_COLUMNS,
    )
    if region.edges:
        _write_table(
            workbook.create_sheet(ADJACENCY_SHEET), *adjacency_table(region), ADJACENCY_COLUMNS
        )
    _columns_sheet(workbook.create_sheet(COLUMNS_SHEET))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_xlsx(buffer.getvalue())


def write_workbook(region: Region, path: Path) -> None:
    """Write the region as one .xlsx workbook, atomically."""
    atomic_write_bytes(path, workbook_bytes(region))
