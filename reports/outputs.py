"""Writing the result of a solve into an output directory.

Formats: ``csv`` writes ``municipalities.csv`` and ``placements.csv``; ``xlsx`` writes
``allocation.xlsx`` with the same two tables as sheets; ``json`` writes ``allocation.json``. Every
format also writes ``summary.json`` (deterministic) and ``timings.json`` (times of this run).
The files are first written in full into a temporary folder inside the output directory and then
moved into place one by one, so a reader never sees a half-written file, and a write that fails
(a full disk) replaces nothing. Only a crash between the moves, which take microseconds, could
leave new files beside old ones: directories cannot be swapped in one step on every system.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from models.fileio import deterministic_xlsx
from models.serialize import csv_text

FORMATS = ("csv", "xlsx", "json")


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _table(
    rows: Sequence[dict[str, str]], columns: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    return list(columns), [[row[c] for c in columns] for row in rows]


def workbook_bytes(tables: dict[str, tuple[list[str], list[list[str]]]]) -> bytes:
    """The tables as the sheets of an .xlsx workbook (deterministic bytes)."""
    # Imported here: openpyxl (with numpy) takes about 0.35 s to import, which every command that
    # writes no workbook would otherwise pay.
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_typed(value) for value in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_xlsx(buffer.getvalue())


def _typed(text: str) -> int | float | str:
    """Numbers as numbers in Excel (so a planner can compute with them), other text as text."""
    if text.lstrip("-").isdigit() and not (len(text) > 1 and text.startswith("0")):
        return int(text)
    try:
        return float(text) if "." in text and "/" not in text else text
    except ValueError:
        return text


def output_files(
    output_format: str,
    municipalities: tuple[list[str], list[list[str]]],
    placements: tuple[list[str], list[list[str]]],
    summary: dict[str, Any],
    timings: dict[str, Any],
    extra: dict[str, tuple[list[str], list[list[str]]]] | None = None,
) -> dict[str, bytes]:
    """The files of one result, by name; ``extra`` tables (e.g. ``transfers``) go with the
    allocation tables in every format."""
    files: dict[str, bytes] = {}
    tables = {"municipalities": municipalities, "placements": placements, **(extra or {})}
    if output_format == "csv":
        for name, table in tables.items():
            files[f"{name}.csv"] = csv_text(*table).encode("utf-8")
    elif output_format == "xlsx":
        files["allocation.xlsx"] = workbook_bytes(tables)
    elif output_format == "json":
        records = {
            name: [dict(zip(header, row, strict=True)) for row in rows]
            for name, (header, rows) in tables.items()
        }
        files["allocation.json"] = _json(records).encode("utf-8")
    else:
        raise ValueError(f"unknown format {output_format!r}; known: {', '.join(FORMATS)}")
    return files | summary_files(summary, timings)


def summary_files(summary: dict[str, Any], timings: dict[str, Any]) -> dict[str, bytes]:
    """``summary.json`` and ``timings.json``."""
    return {
        "summary.json": _json(summary).encode("utf-8"),
        "timings.json": _json(timings).encode("utf-8"),
    }


#: Every file a solve may write; ``write_files(..., stale=SOLVE_OUTPUTS)`` removes those of an
#: earlier solve into the same directory that this one does not write (e.g. ``transfers.csv``).
SOLVE_OUTPUTS: tuple[str, ...] = (
    "municipalities.csv",
    "placements.csv",
    "transfers.csv",
    "allocation.xlsx",
    "allocation.json",
    "ledger.csv",
    "summary.json",
    "timings.json",
)


def write_files(directory: Path, files: dict[str, bytes], stale: Collection[str] = ()) -> None:
    """Write all files into ``directory``: first into a temporary folder there, then moved; then
    remove the files named in ``stale`` that this write did not replace."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fairshare-", dir=directory))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        for name in files:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name in stale:
        if name not in files:
            (directory / name).unlink(missing_ok=True)
