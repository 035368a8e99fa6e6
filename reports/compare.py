"""Runs side by side: who gains and who loses placements, the measures, the shares, the spread.

A *series* is what one column of a comparison shows: a run, or (in a report) the draws of one
Monte Carlo scenario of one policy, summarised per municipality by their median. Every table is
sorted by municipality code and returned as text cells (`Table`), so the printed table, the CSV,
the Excel sheet and the HTML report show the same values. Numbers are written with four decimals,
whole numbers without; an undefined measure is ``n/a``.

"Gains" means more placements than under the first series (the reference), "loses" fewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from reports.report_data import RunSet
from reports.run_dir import MUNICIPALITY_VALUES
from solver.measures import MEANINGS

Table = tuple[list[str], list[list[str]]]

#: Measure columns shown first, in this order, with the names of `solver.measures.summary_rows`.
MEASURE_LABELS = {
    "placed_total": "placements",
    "quota_total": "quota total",
    "max_abs_deviation": "max deviation",
    "mean_abs_deviation": "mean deviation",
    "max_abs_deviation_cell": "max deviation per group",
    "mean_abs_deviation_cell": "mean deviation per group",
    "quota_positive": "municipalities with a quota",
    "max_rel_deviation": "max relative deviation",
    "mean_rel_deviation": "mean relative deviation",
    "gini": "Gini",
    "loosemore_hanby": "Loosemore-Hanby",
    "gallagher": "Gallagher",
    "within_quota": "within quota",
    "within_quota_cells": "within quota per group",
    "below_norm": "below social norm",
    "norm_shortfall_dwellings": "norm shortfall",
    "max_pool_pressure": "max letting pool pressure",
    "above_letting_cap": "above letting cap",
}
#: The fairness measures the report plots side by side.
FAIRNESS_MEASURES = (
    "max_abs_deviation",
    "max_rel_deviation",
    "gini",
    "loosemore_hanby",
    "gallagher",
    "within_quota",
)
#: Per-municipality columns a series carries (medians over draws for a Monte Carlo series).
VALUE_COLUMNS = MUNICIPALITY_VALUES
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Series:
    """One column of a comparison.

    Attributes:
        label: the run's label, or ``policy/scenario (median of n draws)``.
        run_ids: the run, or the draws summarised.
        table: one row per municipality, indexed by code (sorted): ``name`` and `VALUE_COLUMNS`.
        measures: the run's measures, or their medians over the draws.
        draws: placements per draw (codes by draw ids) for a Monte Carlo series, else ``None``.
        spread: for a Monte Carlo series, the smallest and largest value of each measure over the
            draws; empty otherwise.
    """

    label: str
    run_ids: tuple[str, ...]
    table: pd.DataFrame
    measures: dict[str, float]
    draws: pd.DataFrame | None = None
    spread: dict[str, tuple[float, float]] = field(default_factory=dict)


def text(value: object, places: int = 4) -> str:
    """A cell: whole numbers without decimals, others with ``places``; NaN and None empty.

    Examples:
        >>> text(3.0), text(2 / 3), text(float("nan")), text("GM0503")
        ('3', '0.6667', '', 'GM0503')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.{places}f}"
    return str(value)


def _measures(runs: pd.DataFrame, names: list[str]) -> dict[str, float]:
    return {name: float(runs[name].median()) for name in names}


def build_series(data: RunSet, *, summarise_draws: bool) -> list[Series]:
    """The series of the runs with an allocation, in the order of the runs.

    With ``summarise_draws`` the draws (``draw >= 0``) of each policy and scenario become one
    series at the place of its first draw; otherwise every run is its own series.
    """
    names = data.measure_columns
    frame = data.municipalities
    runs = data.runs
    with_allocation = set(frame["run_id"])
    groups: dict[tuple[bool, str], list[str]] = {}  # (summarised draws?, label): run ids
    for run_id, label, policy, scenario, draw in zip(
        runs["run_id"], runs["label"], runs["policy"], runs["scenario"], runs["draw"], strict=True
    ):
        if run_id not in with_allocation:
            continue
        if summarise_draws and draw >= 0:
            groups.setdefault((True, f"{policy}/{scenario}"), []).append(run_id)
        else:
            groups[(False, label)] = [run_id]
    series = []
    for (summarised, label), run_ids in groups.items():
        rows = frame[frame["run_id"].isin(run_ids)]
        chosen = runs[runs["run_id"].isin(run_ids)]
        measures = _measures(chosen, names)
        first = rows[rows["run_id"] == run_ids[0]].set_index("code").sort_index()
        if not summarised:
            table = first[["name", *VALUE_COLUMNS]]
            series.append(Series(label, tuple(run_ids), table, measures))
            continue
        medians = rows.groupby("code")[list(VALUE_COLUMNS)].median().sort_index()
        table = pd.concat([first[["name"]], medians], axis=1)
        draws = rows.pivot(index="code", columns="run_id", values="placed").sort_index()
        label = f"{label} (median of {len(run_ids)} draws)"
        spread = {n: (float(chosen[n].min()), float(chosen[n].max())) for n in names}
        series.append(Series(label, tuple(run_ids), table, measures, draws, spread))
    return series


def placement_table(series: list[Series]) -> Table:
    """Per municipality: placements in each series, the change against the first, and whether
    the municipality gains (more placements) or loses (fewer) against the first."""
    if not series:
        return ["code", "name"], []
    first = series[0]
    header = ["code", "name", *(f"placed {s.label}" for s in series)]
    for s in series[1:]:
        header += [f"{s.label} - {first.label}", f"{s.label} vs {first.label}"]
    placed = [s.table["placed"].to_numpy(dtype=float) for s in series]  # all sorted by code
    rows = []
    for i, (code, name) in enumerate(zip(first.table.index, first.table["name"], strict=True)):
        row = [str(code), str(name), *(text(p[i]) for p in placed)]
        for p in placed[1:]:
            change = float(p[i] - placed[0][i])
            label = "gains" if change > 0 else "loses" if change < 0 else "same"
            row += [text(change), label]
        rows.append(row)
    return header, rows


def ordered_measures(names: list[str]) -> list[str]:
    """Known measures in the order of `MEASURE_LABELS`, then the others as given."""
    known = [n for n in MEASURE_LABELS if n in names]
    return known + [n for n in names if n not in MEASURE_LABELS]


def measure_table(series: list[Series]) -> Table:
    """One row per measure, one column per series, with the measure's meaning."""
    names = ordered_measures(list(_first(series)))
    header = ["measure", *(s.label for s in series), "meaning"]
    rows = []
    for name in names:
        label = MEASURE_LABELS.get(name, name)
        values = [s.measures.get(name, math.nan) for s in series]
        shown = [text(v) if not math.isnan(v) else "n/a" for v in values]
        rows.append([label, *shown, MEANINGS.get(label, "")])
    return header, rows


def _first(series: list[Series]) -> dict[str, int]:
    """Measure names in the order they first appear."""
    order: dict[str, int] = {}
    for s in series:
        for name in s.measures:
            order.setdefault(name, len(order))
    return order


def runs_table(data: RunSet) -> Table:
    """One row per run: what it is and how its solve ended."""
    columns = ["run_id", "label", "policy", "scenario", "draw", "status", "stop_reason", "backend"]
    columns += ["solve_seconds", "error"]
    rows = [
        [text(v, 2) if c == "solve_seconds" else text(v) for c, v in zip(columns, r, strict=True)]
        for r in data.runs[columns].itertuples(index=False)
    ]
    return columns, rows


def share_table(series: list[Series], norm: float) -> Table:
    """Per municipality: social share now, at the horizon in each series, and the norm."""
    if not series:
        return ["code", "name"], []
    first = series[0].table
    header = ["code", "name", "share now", *(f"horizon {s.label}" for s in series), "norm"]
    rows = [
        [
            str(code),
            str(first.at[code, "name"]),
            text(first.at[code, "social_share_now"]),
            *(text(s.table.at[code, "social_share_horizon"]) for s in series),
            text(norm),
        ]
        for code in first.index
    ]
    return header, rows


def band_frame(s: Series) -> pd.DataFrame:
    """Per municipality of a Monte Carlo series: min, 10%, median, 90% and max of placements."""
    if s.draws is None:
        raise ValueError(f"{s.label} has no draws")
    quantiles = s.draws.quantile(list(QUANTILES), axis=1).T
    quantiles.columns = ["p10", "median", "p90"]
    return pd.concat(
        [s.draws.min(axis=1).rename("min"), quantiles, s.draws.max(axis=1).rename("max")], axis=1
    )


def uncertainty_table(series: list[Series]) -> Table:
    """The spread of placements over the draws of every Monte Carlo series."""
    header = ["series", "code", "name", "quota (median)", "min", "p10", "median", "p90", "max"]
    rows = []
    for s in series:
        if s.draws is None:
            continue
        bands = band_frame(s)
        for code in bands.index:
            row = [s.label, str(code), str(s.table.at[code, "name"])]
            row.append(text(s.table.at[code, "quota"]))
            row += [text(bands.at[code, c]) for c in ("min", "p10", "median", "p90", "max")]
            rows.append(row)
    return header, rows


def municipality_table(data: RunSet) -> Table:
    """Every run's municipality rows, as stored."""
    frame = data.municipalities
    return list(frame.columns), [[text(v) for v in row] for row in frame.itertuples(index=False)]


def compare_tables(data: RunSet) -> dict[str, Table]:
    """``fairshare compare``: placements per municipality and the measures, every run a column."""
    series = build_series(data, summarise_draws=False)
    return {"placements": placement_table(series), "measures": measure_table(series)}
