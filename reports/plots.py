"""The report's figures as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot).

Every figure is drawn in matplotlib's default style, whatever the user's ``matplotlibrc`` says, and
saved without the ``Software`` metadata, so the same data gives the same bytes. Series keep their
colour (``C0``, ``C1``, ...) in every figure. Municipalities are ordered by code, as in the tables.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from matplotlib import colormaps, style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from reports.compare import FAIRNESS_MEASURES, MEASURE_LABELS, Series, band_frame

DPI = 100
#: Largest side of a figure in inches, however many municipalities or series there are.
MAX_INCHES = 40.0


@contextmanager
def _default_style() -> Iterator[None]:
    with style.context("default"):
        yield


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, without metadata that changes between versions or machines."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(min(width, MAX_INCHES), min(height, MAX_INCHES)), layout="constrained")


def _color(index: int) -> str:
    return f"C{index % 10}"


def _names(series: Series) -> list[str]:
    return [str(n) for n in series.table["name"]]


def _municipality_axis(series: Series, count: int) -> tuple[Figure, np.ndarray]:
    """A wide figure with one slot per municipality on the x axis."""
    n = len(series.table)
    figure = _figure(2.5 + n * max(0.35, 0.18 * count), 5.0)
    return figure, np.arange(n, dtype=float)


def placements_vs_quota(series: Sequence[Series]) -> bytes:
    """Grouped bars of placements per municipality, one colour per series, the quota of each
    series as a black line across its bar."""
    with _default_style():
        figure, x = _municipality_axis(series[0], len(series))
        axes = figure.add_subplot()
        width = 0.8 / len(series)
        for i, s in enumerate(series):
            offset = x - 0.4 + width * (i + 0.5)
            axes.bar(offset, s.table["placed"], width, color=_color(i), label=s.label)
            axes.hlines(
                s.table["quota"],
                offset - width / 2,
                offset + width / 2,
                colors="black",
                linewidth=1.5,
                label="quota" if i == 0 else "_nolegend_",
            )
        axes.set_xticks(x, _names(series[0]), rotation=60, ha="right")
        axes.set_ylabel("households placed")
        axes.set_title("Placements against quota per municipality")
        axes.legend(fontsize="small")
        return _png(figure)


def social_shares(series: Sequence[Series], norm: float) -> bytes:
    """Social share of the stock now and at the horizon in each series, with the norm."""
    with _default_style():
        figure, x = _municipality_axis(series[0], len(series))
        axes = figure.add_subplot()
        first = series[0].table
        axes.scatter(x, first["social_share_now"], color="grey", marker="o", s=40, label="now")
        step = 0.6 / len(series)
        for i, s in enumerate(series):
            horizon = s.table["social_share_horizon"]
            label = f"horizon, {s.label}"
            axes.scatter(x + 0.15 + step * i, horizon, color=_color(i), marker="D", label=label)
        axes.axhline(norm, color="red", linestyle="--", label=f"norm {norm:.0%}")
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes.set_xticks(x, _names(series[0]), rotation=60, ha="right")
        axes.set_ylabel("social rent in the stock")
        axes.set_title("Social share now, at the horizon, and the norm")
        axes.legend(fontsize="small")
        return _png(figure)


def fairness_measures(series: Sequence[Series]) -> bytes | None:
    """One panel per fairness measure, one bar per series (the median of a Monte Carlo series,
    with a black line from the smallest to the largest value over its draws); ``None`` if no
    measure is known."""
    names = [n for n in FAIRNESS_MEASURES if any(n in s.measures for s in series)]
    if not names:
        return None
    with _default_style():
        columns = min(3, len(names))
        rows = math.ceil(len(names) / columns)
        figure = _figure(4.0 * columns, 3.0 * rows + 1.0)
        grid = figure.subplots(rows, columns, squeeze=False)
        for panel, name in zip(grid.flat, names, strict=False):
            values = [s.measures.get(name, math.nan) for s in series]
            colors = [_color(i) for i in range(len(series))]
            bars = panel.bar(range(len(series)), values, color=colors)
            for i, s in enumerate(series):
                if name in s.spread:  # a Monte Carlo series: its range over the draws
                    low, high = s.spread[name]
                    panel.vlines(i, low, high, colors="black", linewidth=1.2)
            panel.set_title(MEASURE_LABELS.get(name, name))
            panel.set_xticks([])
            for i, s in enumerate(series):
                bars[i].set_label(s.label)
        for panel in list(grid.flat)[len(names) :]:
            panel.set_axis_off()
        handles, labels = grid.flat[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside upper center", fontsize="small")
        return _png(figure)


def region_map(series: Sequence[Series], edges: Sequence[tuple[str, str]]) -> bytes | None:
    """The region per series: municipalities at their coordinates (longitude, latitude), borders
    as lines, area by placements and colour by placements / quota (blue below, red above).
    ``None`` if any municipality lacks coordinates."""
    first = series[0].table
    if first[["latitude", "longitude"]].isna().to_numpy().any():
        return None
    ratios = [s.table["placed"] / s.table["quota"].where(s.table["quota"] > 0) for s in series]
    finite = np.concatenate([r.dropna().to_numpy() for r in ratios] + [np.array([1.0])])
    spread = max(0.05, float(np.max(np.abs(finite - 1.0))))
    norm = TwoSlopeNorm(vcenter=1.0, vmin=1.0 - spread, vmax=1.0 + spread)
    cmap = colormaps["coolwarm"].with_extremes(bad="lightgrey")
    largest = max(1.0, *(float(s.table["placed"].max()) for s in series))
    aspect = 1.0 / math.cos(math.radians(float(first["latitude"].mean())))
    with _default_style():
        columns = min(3, len(series))
        rows = math.ceil(len(series) / columns)
        figure = _figure(5.0 * columns + 1.0, 4.5 * rows)
        grid = figure.subplots(rows, columns, squeeze=False)
        points = None
        for panel, s, ratio in zip(grid.flat, series, ratios, strict=False):
            table = s.table
            for a, b in edges:
                if a in table.index and b in table.index:
                    xs = [table.at[a, "longitude"], table.at[b, "longitude"]]
                    ys = [table.at[a, "latitude"], table.at[b, "latitude"]]
                    panel.plot(xs, ys, color="grey", linewidth=0.8, zorder=1)
            sizes = 30 + 600 * table["placed"] / largest
            points = panel.scatter(
                table["longitude"],
                table["latitude"],
                s=sizes,
                c=ratio.to_numpy(dtype=float),
                cmap=cmap,
                norm=norm,
                edgecolors="black",
                linewidths=0.5,
                zorder=2,
            )
            if len(table) <= 40:
                for code in table.index:
                    panel.annotate(
                        str(table.at[code, "name"]),
                        (table.at[code, "longitude"], table.at[code, "latitude"]),
                        fontsize=7,
                        xytext=(4, 4),
                        textcoords="offset points",
                    )
            panel.set_aspect(aspect)
            panel.set_title(s.label, fontsize="medium")
            panel.set_xlabel("longitude")
            panel.set_ylabel("latitude")
        for panel in list(grid.flat)[len(series) :]:
            panel.set_axis_off()
        if points is not None:
            figure.colorbar(points, ax=grid, label="placed / quota")
        return _png(figure)


def uncertainty_bands(series: Sequence[Series]) -> bytes | None:
    """Per Monte Carlo series, per municipality: the range of placements over the draws (thin
    line), the 10-90% band (box), the median (dot) and the median quota (black line).
    ``None`` without Monte Carlo series."""
    monte_carlo = [(i, s) for i, s in enumerate(series) if s.draws is not None]
    if not monte_carlo:
        return None
    with _default_style():
        n = len(monte_carlo[0][1].table)
        figure = _figure(2.5 + 0.45 * n, 4.0 * len(monte_carlo))
        grid = figure.subplots(len(monte_carlo), 1, squeeze=False)
        for panel, (i, s) in zip(grid.flat, monte_carlo, strict=True):
            bands = band_frame(s)
            x = np.arange(len(bands), dtype=float)
            panel.vlines(x, bands["min"], bands["max"], color=_color(i), label="min - max")
            panel.bar(
                x,
                bands["p90"] - bands["p10"],
                0.5,
                bottom=bands["p10"],
                color=_color(i),
                alpha=0.4,
                label="10% - 90%",
            )
            panel.scatter(x, bands["median"], color=_color(i), zorder=3, label="median")
            quota = s.table["quota"]
            panel.hlines(quota, x - 0.3, x + 0.3, colors="black", label="quota (median)")
            panel.set_xticks(x, _names(s), rotation=60, ha="right")
            panel.set_ylabel("households placed")
            panel.set_title(s.label, fontsize="medium")
            panel.legend(fontsize="small")
        return _png(figure)
