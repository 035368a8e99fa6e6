"""Scaling curves: time and memory against the number of municipalities and of groups.

``python -m benchmarks scaling [--sizes 50,342,1000,5000] [--groups 4,8,12] --time-limit S
--out DIR`` runs fairshare's default solver and the LP relaxation (`SCALING_SOLVERS`) on the
synthetic instances ``syn-N-g8`` for every size N and ``syn-342-gG`` for every group count G,
through `benchmarks.runner.run_benchmarks` (a fresh subprocess per run, every answer checked), and
writes to DIR:

* ``scaling.csv`` and ``scaling.json``: the runs, as ``python -m benchmarks run`` writes them;
* ``scaling.png``: time against municipalities (log-log), time against groups, and peak memory
  against municipalities (log-log), with the fitted power laws;
* ``scaling.md``: the table and the fitted growth exponents, for RESULTS.md.

The growth exponent ``b`` of ``t = a * n^b`` is fitted by least squares on ``log t`` against
``log n``, over the runs that finished only (a run stopped by the time limit has no time to fit;
its point is drawn hollow). Besides the total time, build time, the time to prove the first two
stages (build, needs and fairness) and peak memory are fitted the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.output import write_csv
from benchmarks.record import LP_RELAXATION, Row, read_json, write_json
from benchmarks.runner import REFERENCE, run_benchmarks

SCALING_SOLVERS: tuple[str, ...] = (REFERENCE, LP_RELAXATION)
DEFAULT_SIZES: tuple[int, ...] = (50, 342, 1000, 5000)
DEFAULT_GROUPS: tuple[int, ...] = (4, 8, 12)
#: The group count of the size curve and the size of the group curve.
BASE_GROUPS = 8
BASE_SIZE = 342
FINISHED = ("optimal", "infeasible")


def scaling_instances(sizes: Sequence[int], groups: Sequence[int]) -> list[str]:
    """The instance ids of the two curves, without repeats, in the order they run."""
    ids = [f"syn-{n}-g{BASE_GROUPS}" for n in sorted(sizes)]
    ids += [f"syn-{BASE_SIZE}-g{g}" for g in sorted(groups)]
    return list(dict.fromkeys(ids))


def _total(row: Row) -> float | None:
    return row.total_s if row.status in FINISHED else None


def _build(row: Row) -> float | None:
    return row.build_s


def _first_two(row: Row) -> float | None:
    if not row.proven or row.build_s is None:
        return None
    seconds = row.stage_seconds("needs", "fairness_sum")
    return None if seconds is None else row.build_s + seconds


def _peak(row: Row) -> float | None:
    return row.peak_mb


#: What is fitted: name -> the value of a run (``None``: the run has none).
METRICS: dict[str, Callable[[Row], float | None]] = {
    "total_s": _total,
    "build_s": _build,
    "stages_1_2_s": _first_two,
    "peak_mb": _peak,
}


@dataclass(frozen=True)
class Fit:
    """A power law ``value = coefficient * x^exponent`` fitted on ``points`` runs."""

    solver: str
    metric: str
    against: str
    exponent: float
    coefficient: float
    points: int
    r_squared: float
    x_range: tuple[int, int]


def fit_power(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float] | None:
    """Least squares on ``log y = log a + b log x``: ``(b, a, R^2)``; ``None`` with fewer than two
    distinct x or a non-positive value.

    Examples:
        >>> b, a, r2 = fit_power([10, 100, 1000], [2, 200, 20000])
        >>> round(b, 6), round(a, 6), round(r2, 6)
        (2.0, 0.02, 1.0)
    """
    if len(set(xs)) < 2 or any(v <= 0 for v in (*xs, *ys)):
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((x - mx) ** 2 for x in lx)
    sxy = sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    total = sum((y - my) ** 2 for y in ly)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(lx, ly, strict=True))
    r_squared = 1.0 - residual / total if total > 0 else 1.0
    return slope, math.exp(intercept), r_squared


def _curve(rows: Iterable[Row], against: str) -> list[Row]:
    """The runs of one curve: all sizes at `BASE_GROUPS`, or all group counts at `BASE_SIZE`."""
    if against == "municipalities":
        return [r for r in rows if r.groups == BASE_GROUPS]
    return [r for r in rows if r.municipalities == BASE_SIZE]


def _x(row: Row, against: str) -> int:
    return row.municipalities if against == "municipalities" else row.groups


def fit_all(rows: Sequence[Row]) -> list[Fit]:
    """Every fit: per solver, metric and curve (where at least two sizes have a value)."""
    fits = []
    for against in ("municipalities", "groups"):
        curve = _curve(rows, against)
        for solver in dict.fromkeys(r.solver for r in curve):
            for metric, value_of in METRICS.items():
                points = [
                    (_x(r, against), value)
                    for r in curve
                    if r.solver == solver and (value := value_of(r)) is not None
                ]
                found = fit_power([p[0] for p in points], [p[1] for p in points])
                if found is None:
                    continue
                exponent, coefficient, r_squared = found
                xs = [p[0] for p in points]
                fits.append(
                    Fit(
                        solver,
                        metric,
                        against,
                        exponent,
                        coefficient,
                        len(points),
                        r_squared,
                        (min(xs), max(xs)),
                    )
                )
    return fits


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _stages_proven(row: Row) -> str:
    """How many stages were proven optimal, and the stage where the run stopped if it did."""
    proven = sum(1 for s in row.stages if s["status"] == "optimal")
    stopped = [s["name"] for s in row.stages if s["status"] != "optimal"]
    return f"{proven}, stopped in {stopped[0]}" if stopped else str(proven)


def scaling_markdown(rows: Sequence[Row], fits: Sequence[Fit]) -> str:
    """The runs and the fits as two Markdown tables."""
    lines = [
        "| instance | municipalities | groups | solver | status | stages proven | build_s "
        "| stages 1-2 s | solve_s | total_s | peak_mb | check |",
        "|" + " --- |" * 12,
    ]
    for row in rows:
        cells = (
            row.instance,
            str(row.municipalities),
            str(row.groups),
            row.solver,
            row.status,
            _stages_proven(row),
            _number(row.build_s, 2),
            _number(_first_two(row), 2),
            _number(row.solve_s, 2),
            _number(row.total_s, 2),
            _number(row.peak_mb, 0),
            "" if row.check is None else str(row.check),
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| solver | metric | against | exponent b | a | points | range | R^2 |",
        "|" + " --- |" * 8,
    ]
    for fit in fits:
        fitted = (
            fit.solver,
            fit.metric,
            fit.against,
            f"{fit.exponent:.2f}",
            f"{fit.coefficient:.3g}",
            str(fit.points),
            f"{fit.x_range[0]}-{fit.x_range[1]}",
            f"{fit.r_squared:.3f}",
        )
        lines.append("| " + " | ".join(fitted) + " |")
    return "\n".join(lines)


def plot(rows: Sequence[Row], fits: Sequence[Fit], path: Path) -> None:
    """Three panels: time against municipalities (log-log), time against groups, peak memory
    against municipalities (log-log). Filled markers: finished runs; hollow: stopped by the time
    limit (drawn at the time they took, a lower bound); triangles: the default solver's build
    plus its first two stages (needs, fairness); lines: the fitted power laws."""
    import matplotlib  # a heavy import, only for the plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    panels = (
        (axes[0], "municipalities", "total_s", "total time (s)", True),
        (axes[1], "groups", "total_s", "total time (s)", False),
        (axes[2], "municipalities", "peak_mb", "peak memory (MiB)", True),
    )
    colours = {REFERENCE: "tab:blue", LP_RELAXATION: "tab:orange"}
    fitted = {(f.solver, f.metric, f.against): f for f in fits}
    for axis, against, metric, label, log_x in panels:
        curve = _curve(rows, against)
        series = [(solver, metric) for solver in dict.fromkeys(r.solver for r in curve)]
        if metric == "total_s":
            series.append((REFERENCE, "stages_1_2_s"))
        for solver, shown in series:
            colour = colours.get(solver, "tab:green")
            if shown == "stages_1_2_s":
                colour = "tab:purple"
            mine = sorted((r for r in curve if r.solver == solver), key=lambda r: _x(r, against))
            for row in mine:
                value = METRICS[shown](row) if shown != "total_s" else row.total_s
                if value is None:
                    continue
                done = shown != "total_s" or row.status in FINISHED
                axis.plot(
                    _x(row, against),
                    value,
                    "^" if shown == "stages_1_2_s" else "o",
                    color=colour,
                    markerfacecolor=colour if done else "white",
                )
            name = f"{solver} stages 1-2" if shown == "stages_1_2_s" else solver
            fit = fitted.get((solver, shown, against))
            if fit is not None:
                low, high = fit.x_range
                xs = [low * (high / low) ** (i / 40) for i in range(41)]
                axis.plot(
                    xs,
                    [fit.coefficient * x**fit.exponent for x in xs],
                    "--" if shown == "stages_1_2_s" else "-",
                    color=colour,
                    label=f"{name}: b = {fit.exponent:.2f}",
                )
            else:
                axis.plot([], [], "o", color=colour, label=name)
        axis.set_xlabel(
            f"municipalities ({BASE_GROUPS} groups)"
            if against == "municipalities"
            else f"groups ({BASE_SIZE} municipalities)"
        )
        axis.set_ylabel(label)
        axis.set_yscale("log")
        if log_x:
            axis.set_xscale("log")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("fairshare scaling (hollow: stopped at the time limit)", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(rows: Sequence[Row], out_dir: Path) -> list[Fit]:
    """Write ``scaling.png`` and ``scaling.md`` for the runs; the fits."""
    fits = fit_all(rows)
    plot(rows, fits, out_dir / "scaling.png")
    (out_dir / "scaling.md").write_text(scaling_markdown(rows, fits) + "\n", encoding="utf-8")
    return fits


def run_scaling(
    sizes: Sequence[int],
    groups: Sequence[int],
    time_limit: float,
    out_dir: Path,
    *,
    solvers: Sequence[str] = SCALING_SOLVERS,
    timeout: float | None = None,
    echo: Callable[[str], None] | None = None,
) -> list[Row]:
    """Run the two curves and write every output file into ``out_dir``; the runs."""
    rows = run_benchmarks(
        scaling_instances(sizes, groups),
        solvers,
        time_limit,
        timeout=timeout,
        out=out_dir / "scaling.csv",
        json_out=out_dir / "scaling.json",
        echo=echo,
    )
    write_report(rows, out_dir)
    return rows


def report_from_json(json_files: Sequence[Path], out_dir: Path) -> list[Fit]:
    """Redraw the plot and the tables from finished runs' JSON files (``scaling.json``, or the
    ``--json`` of ``python -m benchmarks run`` on ``syn-`` instances), taken together; their runs
    are written to ``out_dir`` as one ``scaling.csv`` and ``scaling.json``."""
    rows = [row for path in json_files for row in read_json(path)]
    write_csv(rows, out_dir / "scaling.csv")
    write_json(rows, out_dir / "scaling.json")
    return write_report(rows, out_dir)
