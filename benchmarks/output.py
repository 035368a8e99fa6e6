"""The benchmark's output: the CSV, the printed table, and the Markdown tables of RESULTS.md.

The CSV has one row per run of an (instance, solver), numbered by ``repetition``. Its first
columns are the ones the issue names (instance, solver, build_s, solve_s, peak_mb, status, gap,
objective); the others follow.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path

from benchmarks.record import LP_RELAXATION, STRAIGHTFORWARD, Row

#: The columns of the CSV, in order.
CSV_COLUMNS: tuple[str, ...] = (
    "instance",
    "solver",
    "build_s",
    "solve_s",
    "peak_mb",
    "status",
    "gap",
    "objective",
    "municipalities",
    "groups",
    "total_s",
    "children_peak_mb",
    "time_limit",
    "memory_limit",
    "stop_reason",
    "needs",
    "fairness",
    "check",
    "matches_reference",
    "reference_note",
    "gap_note",
    "repetition",
)


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _value(value: Fraction | None, digits: int = 6) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def _flag(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def _gap(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def csv_record(row: Row) -> dict[str, str]:
    """The CSV fields of a row as text (empty for unknown)."""
    return {
        "instance": row.instance,
        "solver": row.solver,
        "build_s": _number(row.build_s, 3),
        "solve_s": _number(row.solve_s, 3),
        "peak_mb": _number(row.peak_mb, 1),
        "status": row.status,
        "gap": _gap(row.gap),
        "objective": row.objective,
        "municipalities": str(row.municipalities),
        "groups": str(row.groups),
        "total_s": _number(row.total_s, 3),
        "children_peak_mb": _number(row.children_peak_mb, 1),
        "time_limit": _number(row.time_limit, 1),
        "memory_limit": "" if row.memory_limit is None else str(row.memory_limit),
        "stop_reason": row.stop_reason,
        "needs": _value(row.needs),
        "fairness": _value(row.fairness),
        "check": "" if row.check is None else str(row.check),
        "matches_reference": _flag(row.matches_reference),
        "reference_note": row.reference_note,
        "gap_note": row.gap_note,
        "repetition": str(row.repetition),
    }


def write_csv(rows: Iterable[Row], path: Path) -> None:
    """Write the rows as CSV with the columns of `CSV_COLUMNS`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(csv_record(row))


def _cells(row: Row) -> dict[str, str]:
    """The cells of one run as the tables show them (times rounded for reading)."""
    return {
        "instance": row.instance,
        "solver": row.solver,
        "mun": str(row.municipalities),
        "groups": str(row.groups),
        "build_s": _number(row.build_s, 2),
        "solve_s": _number(row.solve_s, 2),
        "total_s": _number(row.total_s, 2),
        "peak_mb": _number(row.peak_mb, 0),
        "status": row.status,
        "gap": _gap(row.gap),
        "stop_reason": row.stop_reason,
        "needs": _value(row.needs, 3),
        "fairness": _value(row.fairness, 4),
        "check": "" if row.check is None else str(row.check),
        "matches_reference": _flag(row.matches_reference),
        "note": "; ".join(
            dict.fromkeys(x for x in (row.reference_note, row.gap_note) if x)
        ).replace("|", "/"),
    }


_TABLE = (
    ("instance", 22),
    ("solver", 19),
    ("mun", 5),
    ("groups", 2),
    ("build_s", 8),
    ("solve_s", 8),
    ("total_s", 8),
    ("peak_mb", 7),
    ("status", 11),
    ("gap", 9),
    ("needs", 14),
    ("fairness", 14),
    ("check", 5),
    ("matches_reference", 5),
)
_MARKDOWN = (
    "instance",
    "solver",
    "mun",
    "groups",
    "build_s",
    "solve_s",
    "total_s",
    "peak_mb",
    "status",
    "gap",
    "needs",
    "fairness",
    "check",
    "matches_reference",
    "note",
)


def table_header() -> str:
    """The header of the printed table."""
    names = {"groups": "g", "matches_reference": "match"}
    return " ".join(f"{names.get(name, name):<{width}}" for name, width in _TABLE)


def table_line(row: Row) -> str:
    """One run in the printed table; the stop reason and notes follow on a second line if there
    are any."""
    shown = _cells(row)
    line = " ".join(f"{shown[name]:<{width}}" for name, width in _TABLE)
    stop = row.stop_reason if row.stop_reason not in ("optimal", row.status) else ""
    detail = "; ".join(x for x in (stop, shown["note"]) if x)
    return line.rstrip() + (f"\n    {detail}" if detail else "")


def markdown_table(rows: Iterable[Row]) -> str:
    """The rows as a Markdown table (times rounded for reading)."""
    lines = ["| " + " | ".join(_MARKDOWN) + " |", "|" + " --- |" * len(_MARKDOWN)]
    for row in rows:
        shown = _cells(row)
        lines.append("| " + " | ".join(shown[name] for name in _MARKDOWN) + " |")
    return "\n".join(lines)


def _ratio(numerator: float | None, denominator: float | None, *, upper: bool = False) -> str:
    """``numerator / denominator`` to 2 decimals; ``< r`` if ``upper`` (the denominator is only a
    lower bound on the baseline's time, which did not finish)."""
    if numerator is None or not denominator:
        return ""
    return f"{'< ' if upper else ''}{numerator / denominator:.2f}"


def ratio_table(rows: Sequence[Row], fairshare_solvers: Iterable[str]) -> str:
    """fairshare's runs against the LP relaxation and the straightforward formulation (SF) of the
    same instance in the same run, as a Markdown table: one line per (instance, solver), from the
    medians of its ``runs`` repetitions (`run_benchmarks`' ``repeat``), so that one slow run of a
    solve of hundredths of a second does not decide a ratio.

    ``x LP total`` and ``x LP solve``: total and solve time over the LP relaxation's (blank if the
    LP relaxation failed). ``x SF``: total time over SF's total time (SF solves stages 1-2 only);
    ``x SF (1-2)``: fairshare's build plus its needs and fairness stages over the same. Where SF did
    not finish within the limit its time is a lower bound, so the ratio is given as ``< r`` (if
    fairshare finished what is compared); blank where neither finished. A status that differs
    between repetitions is shown as each status with its count.
    """
    ours = set(fairshare_solvers)
    runs: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        runs.setdefault((row.instance, row.solver), []).append(row)
    lines = [
        "| instance | solver | runs | status | total_s | x LP total | x LP solve | x SF "
        "| x SF (1-2) | peak_mb |",
        "|" + " --- |" * 10,
    ]
    for (instance, solver), repeated in runs.items():
        if solver not in ours:
            continue
        lp = runs.get((instance, LP_RELAXATION), [])
        lp_ok = bool(lp) and all(r.status == "optimal" for r in lp)
        sf = runs.get((instance, STRAIGHTFORWARD), [])
        sf_ok = bool(sf) and all(r.status not in ("error", "timeout") for r in sf)
        sf_total = _median(sf, lambda r: r.total_s) if sf_ok else None
        sf_done = bool(sf) and all(r.status in ("optimal", "infeasible") for r in sf)
        total = _median(repeated, lambda r: r.total_s)
        whole = _ratio(total, sf_total, upper=not sf_done)
        if not sf_done and any(r.status != "optimal" for r in repeated):
            whole = ""
        part = _ratio(_median(repeated, _first_two), sf_total, upper=not sf_done)
        if not sf_done and not all(r.proven for r in repeated):
            part = ""
        cells = (
            instance,
            solver,
            str(len(repeated)),
            _statuses(repeated),
            _number(total, 2),
            _ratio(total, _median(lp, lambda r: r.total_s)) if lp_ok else "",
            _ratio(_median(repeated, lambda r: r.solve_s), _median(lp, lambda r: r.solve_s))
            if lp_ok
            else "",
            whole,
            part,
            _number(_median(repeated, lambda r: r.peak_mb), 0),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median(rows: Sequence[Row], measure: Callable[[Row], float | None]) -> float | None:
    """The median of a measure over repetitions; ``None`` if a repetition lacks it."""
    values = [measure(row) for row in rows]
    if not values or any(value is None for value in values):
        return None
    return statistics.median(value for value in values if value is not None)


def _first_two(row: Row) -> float | None:
    """The build and the needs and fairness stages of a fairshare run, seconds."""
    first_two = row.stage_seconds("needs", "fairness_sum")
    if first_two is None or row.build_s is None:
        return None
    return first_two + row.build_s


def _statuses(rows: Sequence[Row]) -> str:
    """The status of the repetitions, or each status with its count where they differ."""
    counts = {status: sum(r.status == status for r in rows) for status in (r.status for r in rows)}
    if len(counts) == 1:
        return rows[0].status
    return ", ".join(f"{status} {count}" for status, count in counts.items())


def stage_table(rows: Iterable[Row]) -> str:
    """Seconds per stage of every run that has stages, as a Markdown table: one column per stage
    name in the order first seen, blank where a run has no such stage; a stage that stopped
    without proof is marked with its status (``12.30 (feasible)``)."""
    kept = [row for row in rows if row.stages]
    names = list(dict.fromkeys(s["name"] for row in kept for s in row.stages))
    lines = [
        "| instance | solver | " + " | ".join(names) + " |",
        "|" + " --- |" * (len(names) + 2),
    ]
    for row in kept:
        by_name = {s["name"]: s for s in row.stages}
        cells = [row.instance, row.solver]
        for name in names:
            stage = by_name.get(name)
            if stage is None:
                cells.append("")
                continue
            text = _number(stage["seconds"], 2)
            if stage["status"] != "optimal":
                text += f" ({stage['status']})"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
