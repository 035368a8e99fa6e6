"""Tables for the analysis commands: apportionment, measures of an allocation, paradox audits.

Each function returns plain text cells (exact numbers rounded half to even, as in
`reports.tables`) so that the printed table, the CSV and the Excel sheet show the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from models.cells import decimal
from models.errors import InfeasibleError, InputError, InternalError, NoSolutionError, Problem
from models.fileio import atomic_write_bytes
from models.region import Region
from models.serialize import csv_text
from reports.outputs import workbook_bytes
from solver.allocation import Allocation
from solver.apportionment import METHODS, statutory_overshoot
from solver.backends.base import SolverOptions
from solver.check import check_allocation
from solver.measures import Measures, per_municipality, summary_rows
from solver.paradox import (
    AlabamaViolation,
    PopulationViolation,
    house_monotonicity_violations,
    population_paradox_violations,
)
from solver.quotas import Quotas, key_weights
from solver.result import ERROR, INFEASIBLE, OPTIMAL
from solver.solve import solve

Table = tuple[list[str], list[list[str]]]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table: text columns left, number columns right."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    numeric = [all(_is_number(r[i]) for r in rows) and rows for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if numeric[i] else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).replace(",", "").isdigit() or text == ""


def write_table(path: Path, table: Table, sheet: str) -> None:
    """Write one table to ``path``: ``.xlsx`` as a sheet, anything else as CSV (atomically)."""
    if path.suffix.lower() == ".xlsx":
        atomic_write_bytes(path, workbook_bytes({sheet: table}))
    else:
        atomic_write_bytes(path, csv_text(*table).encode("utf-8"))


# --- apportionment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Apportionment:
    """The numbers of one apportionment method, with the table and a note for the reader."""

    numbers: dict[str, int]
    table: Table
    note: str


def apportion(region: Region, method: str, total: int, key: str | None = None) -> Apportionment:
    """Split ``total`` over the municipalities with ``method`` and the key's exact weights.

    Raises:
        InputError: for an unknown method or a total the method cannot split.
    """
    if method not in METHODS:
        raise InputError(
            [
                Problem(
                    file="--method",
                    message=f"unknown apportionment method '{method}'",
                    fix=f"choose one of {', '.join(METHODS)}",
                    value=method,
                )
            ]
        )
    weights = key_weights(region, key)
    try:
        numbers = METHODS[method](total, weights)
    except ValueError as error:
        raise InputError(
            [Problem(file="--total", message=str(error), fix="choose a larger total")]
        ) from None
    weight_sum = sum(weights.values(), Fraction(0))
    header = ["code", "name", "weight", "quota", method]
    rows = []
    for m in region.municipalities:
        quota = total * weights[m.code] / weight_sum if weight_sum else Fraction(0)
        rows.append([m.code, m.name, _cell(weights[m.code]), _cell(quota), str(numbers[m.code])])
    key_name = key or region.policy.distribution_key
    note = f"{method}: {sum(numbers.values()):,} of {total:,} by the key '{key_name}'"
    if method == "statutory":
        over = statutory_overshoot(total, weights)
        note += (
            f"; Huisvestingswet art. 29 rounds every share up, so the shares add up to {over:,} "
            "more than the total"
        )
    return Apportionment(numbers, (header, rows), note)


# --- measures -----------------------------------------------------------------------------------

MEASURE_COLUMNS = (
    "code",
    "name",
    "quota",
    "placed",
    "deviation",
    "relative_deviation",
    "per_1000_inhabitants",
    "within_quota",
    "social_share_horizon",
    "norm_shortfall",
    "lettings",
    "pool_pressure",
)


def measure_tables(
    region: Region, allocation: Allocation, quotas: Quotas, measures: Measures
) -> dict[str, Table]:
    """The summary of the measures and one row per municipality."""
    summary = (["measure", "value", "meaning"], [list(row) for row in summary_rows(measures)])
    rows = []
    for row in per_municipality(region, allocation, quotas):
        rows.append([_cell(row.get(column)) for column in MEASURE_COLUMNS])
    return {"measures": summary, "municipalities": (list(MEASURE_COLUMNS), rows)}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Fraction):
        return (
            decimal(value) if isinstance(value, Fraction) and value.denominator != 1 else str(value)
        )
    return str(value)


# --- paradox audits -----------------------------------------------------------------------------


def method_audit(
    region: Region,
    method: str,
    totals: range,
    municipality: str | None,
    steps: Sequence[Fraction],
    key: str | None = None,
) -> list[AlabamaViolation | PopulationViolation]:
    """Alabama paradox over ``totals`` and, for one municipality, the population paradox when its
    weight is multiplied by each of ``steps`` (at the last total), for an apportionment method."""
    weights = key_weights(region, key)
    allocate = METHODS[method]
    try:
        found: list[AlabamaViolation | PopulationViolation] = list(
            house_monotonicity_violations(lambda t: allocate(t, weights), totals)
        )
        if municipality is not None:
            sweep = [weights[municipality] * step for step in steps]
            found += population_paradox_violations(
                lambda w: allocate(totals[-1], w), weights, municipality, sweep
            )
    except ValueError as error:
        raise InputError(
            [Problem(file="--from", message=str(error), fix="start the sweep at a larger total")]
        ) from None
    return found


def optimiser_audit(
    region: Region,
    group: str,
    totals: range,
    municipality: str | None,
    steps: Sequence[Fraction],
    backend: str,
    options: SolverOptions,
    progress: Callable[[str], None] | None = None,
) -> list[AlabamaViolation | PopulationViolation]:
    """The same audits for the optimiser: the placements of ``group`` per municipality when the
    group's demand (in households) takes each value of ``totals``, and when one municipality's
    population is multiplied by each of ``steps`` (at the last total).

    Raises:
        InputError: if a solve is not proven optimal (the audit would compare guesses).
    """

    def placements(r: Region) -> dict[str, int]:
        result = solve(r, backend, options)
        if result.status == INFEASIBLE:
            raise InfeasibleError(
                "a solve of the audit is infeasible; run fairshare explain on the instance"
            )
        if result.status == ERROR:
            raise InternalError(f"solver failure in a solve of the audit: {result.message}")
        if result.status != OPTIMAL or result.allocation is None:
            raise NoSolutionError(
                f"a solve of the audit ended {result.status} ({result.stop_reason}); raise "
                "--time-limit, or audit a smaller range"
            )
        violations = check_allocation(r, result.allocation)
        if violations:
            listed = "; ".join(str(v) for v in violations[:5])
            raise InternalError(
                f"a solve of the audit returned an allocation that breaks the rules: {listed}"
            )
        return {m.code: result.allocation.placed.get((m.code, group), 0) for m in r.municipalities}

    def with_demand(r: Region, total: int) -> Region:
        groups = tuple(
            replace(g, demand=total, unit="households", household_size=Fraction(1))
            if g.id == group
            else g
            for g in r.groups
        )
        return replace(r, groups=groups)

    def by_total(total: int) -> dict[str, int]:
        if progress:
            progress(f"demand {total}")
        return placements(with_demand(region, total))

    found: list[AlabamaViolation | PopulationViolation] = list(
        house_monotonicity_violations(by_total, totals)
    )
    if municipality is not None:
        base = region.municipality(municipality).population

        def by_population(weights: Mapping[str, Fraction | int]) -> dict[str, int]:
            population = int(weights[municipality])
            if progress:
                progress(f"population of {municipality} {population}")
            municipalities = tuple(
                replace(m, population=population) if m.code == municipality else m
                for m in region.municipalities
            )
            return placements(
                with_demand(replace(region, municipalities=municipalities), totals[-1])
            )

        weights = {m.code: Fraction(m.population) for m in region.municipalities}
        sweep = [Fraction(round(base * step)) for step in steps]
        found += population_paradox_violations(by_population, weights, municipality, sweep)
    return found
