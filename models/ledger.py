"""The half-yearly ledger of tasks and realised placements, and the arrears it carries over.

Tasks come per calendar half-year (Huisvestingswet art. 29(1) for permit holders); unmet numbers
carry over to the next half-year and surpluses are credited (DOMAIN.md). The ledger is a CSV table
with one row per period, municipality and group:

| column | meaning |
| --- | --- |
| ``period`` | ``2026H1`` or ``2026H2`` |
| ``code`` | CBS municipality code |
| ``group`` | target group id |
| ``task`` | the period's task in households (whole; the quota rounded by largest remainder) |
| ``planned`` | the placements the allocation proposed (informative) |
| ``placed`` | realised placements; empty until the period is over |

The arrears of municipality m for group g before period P are ``sum over periods < P of (task -
placed)``: positive what is still owed, negative a surplus. ``fairshare solve --period P --ledger
FILE`` puts them in the municipalities' ``arrears`` (so they raise the quota and the group's
demand, `solver.quotas.group_task`), and writes the ledger back with the rows of period P
replaced by the new tasks and plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from models.cells import CellError, parse_int
from models.errors import InputError, Problem
from models.region import Region
from models.serialize import csv_text
from models.tables import RawTable, read_csv_table

LEDGER_COLUMNS = ("period", "code", "group", "task", "planned", "placed")
PERIOD_PATTERN = re.compile(r"(\d{4})H([12])")


@dataclass(frozen=True)
class LedgerRow:
    """One period, municipality and group; ``placed`` is ``None`` until realised."""

    period: str
    code: str
    group: str
    task: int
    planned: int | None
    placed: int | None
    row: int = 0


def period_key(period: str) -> tuple[int, int]:
    """``2026H2`` -> ``(2026, 2)``, for ordering periods.

    Raises:
        ValueError: for a text that is not a half-year.
    """
    match = PERIOD_PATTERN.fullmatch(period)
    if match is None:
        raise ValueError(f"not a half-year: {period!r}")
    return int(match.group(1)), int(match.group(2))


def check_period(period: str) -> None:
    """Raise `InputError` unless ``period`` is a half-year such as ``2026H1``."""
    if PERIOD_PATTERN.fullmatch(period) is None:
        raise InputError(
            [
                Problem(
                    file="--period",
                    message="not a half-year",
                    fix="write the period as 2026H1 or 2026H2",
                    value=period,
                )
            ]
        )


def read_ledger(path: Path, region: Region) -> list[LedgerRow]:
    """Read and validate the ledger; every problem is reported at once (`InputError`)."""
    table = read_csv_table(path)
    problems = list(table.problems)
    missing = [c for c in ("period", "code", "group", "task", "placed") if c not in table.columns]
    if missing and not problems:
        problems.append(
            table.problem(
                f"missing column(s): {', '.join(missing)}",
                f"the ledger has the columns {', '.join(LEDGER_COLUMNS)}",
                row=1,
            )
        )
    if problems:
        raise InputError(problems)
    rows: list[LedgerRow] = []
    seen: set[tuple[str, str, str]] = set()
    groups = {g.id for g in region.groups}
    for raw in table.rows:
        row = _row(table, raw.number, raw.cells, region.codes, groups, problems)
        if row is None:
            continue
        key = (row.period, row.code, row.group)
        if key in seen:
            problems.append(
                table.problem(
                    "a second row for this period, municipality and group",
                    "keep one row per period, code and group",
                    row=raw.number,
                    column="period",
                    value=row.period,
                )
            )
        seen.add(key)
        rows.append(row)
    if problems:
        raise InputError(problems)
    return rows


def _row(
    table: RawTable,
    number: int,
    cells: Mapping[str, object],
    codes: tuple[str, ...],
    groups: set[str],
    problems: list[Problem],
) -> LedgerRow | None:
    period = str(cells.get("period") or "").strip()
    code = str(cells.get("code") or "").strip()
    group = str(cells.get("group") or "").strip()
    ok = True
    if PERIOD_PATTERN.fullmatch(period) is None:
        problems.append(
            table.problem(
                "not a half-year",
                "write 2026H1 or 2026H2",
                row=number,
                column="period",
                value=period,
            )
        )
        ok = False
    if code not in codes:
        problems.append(
            table.problem(
                "the code is not a municipality of the instance",
                "use a code of the municipality table",
                row=number,
                column="code",
                value=code,
            )
        )
        ok = False
    if group not in groups:
        problems.append(
            table.problem(
                "unknown target group",
                f"use one of {', '.join(sorted(groups))}",
                row=number,
                column="group",
                value=group,
            )
        )
        ok = False
    numbers: dict[str, int | None] = {}
    for column in ("task", "planned", "placed"):
        cell = cells.get(column)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            numbers[column] = None
            continue
        try:
            value = parse_int(cell)  # type: ignore[arg-type]
        except CellError as error:
            problems.append(
                table.problem(
                    str(error),
                    "give a whole number of households",
                    row=number,
                    column=column,
                    value=str(cell),
                )
            )
            ok = False
            continue
        if value < 0:
            problems.append(
                table.problem(
                    "must not be negative",
                    "give a number >= 0",
                    row=number,
                    column=column,
                    value=str(cell),
                )
            )
            ok = False
        numbers[column] = value
    if numbers.get("task") is None and ok:
        problems.append(
            table.problem(
                "the task is missing",
                "give the period's task in households",
                row=number,
                column="task",
            )
        )
        ok = False
    if not ok:
        return None
    return LedgerRow(
        period, code, group, numbers["task"] or 0, numbers["planned"], numbers["placed"], number
    )


def arrears_before(rows: list[LedgerRow], period: str, file: str) -> dict[tuple[str, str], int]:
    """``sum (task - placed)`` per (code, group) over the periods before ``period``.

    Raises:
        InputError: if an earlier period has no realised placements.
    """
    arrears: dict[tuple[str, str], int] = {}
    problems = []
    for row in rows:
        if period_key(row.period) >= period_key(period):
            continue
        if row.placed is None:
            problems.append(
                Problem(
                    file=file,
                    row=row.row,
                    column="placed",
                    message=f"no realised placements for {row.period}, before {period}",
                    fix="fill in the placements made in that period",
                )
            )
            continue
        key = (row.code, row.group)
        arrears[key] = arrears.get(key, 0) + row.task - row.placed
    if problems:
        raise InputError(problems)
    return arrears


def with_arrears(region: Region, arrears: Mapping[tuple[str, str], int]) -> Region:
    """The region with the ledger's arrears as each municipality's ``arrears`` (replacing any
    given in the instance)."""
    municipalities = []
    for m in region.municipalities:
        owed = {g.id: arrears[(m.code, g.id)] for g in region.groups if (m.code, g.id) in arrears}
        municipalities.append(replace(m, arrears=owed))
    return replace(region, municipalities=tuple(municipalities))


def updated_ledger(
    rows: list[LedgerRow],
    period: str,
    tasks: Mapping[tuple[str, str], int],
    planned: Mapping[tuple[str, str], int],
) -> str:
    """The ledger as CSV text: the rows of other periods as they were, the rows of ``period``
    replaced by its tasks and plan, sorted by period, code and group. Realised placements already
    entered for ``period`` (a re-run) are kept."""
    kept = [r for r in rows if r.period != period]
    realised = {(r.code, r.group): r.placed for r in rows if r.period == period}
    new = [
        LedgerRow(
            period, code, group, task, planned.get((code, group), 0), realised.get((code, group))
        )
        for (code, group), task in tasks.items()
    ]
    ordered = sorted([*kept, *new], key=lambda r: (period_key(r.period), r.code, r.group))
    body = [
        [
            r.period,
            r.code,
            r.group,
            str(r.task),
            "" if r.planned is None else str(r.planned),
            "" if r.placed is None else str(r.placed),
        ]
        for r in ordered
    ]
    return csv_text(list(LEDGER_COLUMNS), body)


def apply_ledger(
    region: Region, path: Path, period: str
) -> tuple[Region, list[LedgerRow], dict[tuple[str, str], int]]:
    """The region with the arrears of the periods before ``period`` from the ledger at ``path``,
    the ledger's rows, and the arrears per (code, group).

    Raises:
        InputError: for a bad period or ledger (`read_ledger`, `arrears_before`).
    """
    check_period(period)
    rows = read_ledger(path, region)
    arrears = arrears_before(rows, period, str(path))
    return with_arrears(region, arrears), rows, arrears
