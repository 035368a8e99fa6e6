"""A report on runs as one self-contained HTML file and a workbook with the same tables.

The HTML needs nothing but itself to open: the CSS is inline, the figures are PNG data URIs, there
is no script and no external address. Both files are deterministic: the same runs give the same
bytes (no dates, no versions, figures without metadata, `reports.outputs.workbook_bytes`).

In the report, the draws of a Monte Carlo scenario of a policy (runs with ``draw >= 0``) are one
series, the median per municipality, and their spread is drawn as bands; every other run is a
series of its own (`reports.compare.build_series`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from models.region import Region
from reports.compare import (
    Series,
    Table,
    build_series,
    measure_table,
    municipality_table,
    placement_table,
    runs_table,
    share_table,
    text,
    uncertainty_table,
)
from reports.outputs import workbook_bytes
from reports.plots import (
    fairness_measures,
    placements_vs_quota,
    region_map,
    social_shares,
    uncertainty_bands,
)
from reports.report_data import RunSet

#: The norm drawn when the instance (and so its policy) is unknown.
DEFAULT_NORM = 0.3

CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; } img { max-width: 100%; height: auto; display: block; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; }
.note { background: #fff8e0; border-left: 4px solid #e0b000; padding: 0.3em 0.8em; }
"""


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def html_table(table: Table, caption: str | None = None) -> str:
    """An HTML table of text cells; numbers right-aligned."""
    header, rows = table
    lines = ['<div class="scroll"><table>']
    if caption:
        lines.append(f"<caption>{html.escape(caption)}</caption>")
    lines.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
    lines.append("</tr></thead><tbody>")
    for row in rows:
        cells = (
            f'<td class="num">{html.escape(c)}</td>'
            if _is_number(c)
            else f"<td>{html.escape(c)}</td>"
            for c in row
        )
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def html_figure(png: bytes, alt: str, caption: str) -> str:
    """A figure with the PNG inline as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _note(message: str) -> str:
    return f'<p class="note">{html.escape(message)}</p>'


def report_tables(data: RunSet, series: Sequence[Series], norm: float) -> dict[str, Table]:
    """The tables of the report, by sheet name, in the order shown."""
    tables = {
        "runs": runs_table(data),
        "measures": measure_table(list(series)),
        "placements": placement_table(list(series)),
        "social shares": share_table(list(series), norm),
    }
    if any(s.draws is not None for s in series):
        tables["uncertainty"] = uncertainty_table(list(series))
    tables["municipalities"] = municipality_table(data)
    return tables


def _title(data: RunSet) -> str:
    if data.region is not None:
        return data.region.name
    names = sorted({str(n) for n in data.runs["instance"] if str(n)})
    return ", ".join(names) or "runs"


def _lead(data: RunSet, series: Sequence[Series]) -> str:
    runs = data.runs
    allocated = len(set(data.municipalities["run_id"]))
    policies = ", ".join(sorted({str(p) for p in runs["policy"]}))
    scenarios = ", ".join(sorted({str(s) for s in runs["scenario"] if str(s)})) or "none"
    draws = int((runs["draw"] >= 0).sum())
    return (
        f"{len(runs)} run(s), {allocated} with an allocation, shown as {len(series)} series; "
        f"{draws} Monte Carlo draw(s). Policies: {policies}. Scenarios: {scenarios}. "
        "'Gains' means more placements than under the first series, 'loses' fewer."
    )


def report_html(data: RunSet, workbook_name: str) -> tuple[str, dict[str, Table]]:
    """The HTML text of the report and its tables (for the workbook)."""
    series = build_series(data, summarise_draws=True)
    region = data.region
    norm = float(region.policy.social_norm) if region is not None else DEFAULT_NORM
    notes = list(data.notes)
    if region is None:
        notes.append(
            f"the instance is unknown: no borders on the map, norm {text(norm)} assumed "
            "(give --instance)"
        )
    tables = report_tables(data, series, norm)
    title = f"fairshare report: {_title(data)}"
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(_lead(data, series))}</p>"]
    body += [_note(n) for n in notes]
    body += ["<h2>Runs</h2>", html_table(tables["runs"])]
    body.append("<h2>Measures</h2>")
    if series:
        png = fairness_measures(series)
        if png is not None:
            caption = "The fairness measures per series; a Monte Carlo series shows the median "
            caption += "over its draws, and a black line from the smallest to the largest value."
            body.append(html_figure(png, "fairness measures", caption))
    body.append(html_table(tables["measures"]))
    if series:
        body += _allocation_sections(series, tables, norm, region)
    else:
        body.append(_note("no run has an allocation: nothing to draw"))
    body += [
        "<h2>Municipalities of every run</h2>",
        f"<details><summary>{len(tables['municipalities'][1])} rows</summary>",
        html_table(tables["municipalities"]),
        "</details>",
        f"<p>The same tables are in the workbook {html.escape(workbook_name)}.</p>",
    ]
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head>",
        "<body>",
        *body,
        "</body></html>",
    ]
    return "\n".join(page) + "\n", tables


def _allocation_sections(
    series: Sequence[Series], tables: dict[str, Table], norm: float, region: Region | None
) -> list[str]:
    edges = [] if region is None else [(e.code_a, e.code_b) for e in region.edges]
    body = ["<h2>Placements against quota</h2>"]
    body.append(
        html_figure(
            placements_vs_quota(series),
            "placements against quota",
            "Households placed per municipality in each series; the black line is its quota.",
        )
    )
    body += [html_table(tables["placements"]), "<h2>Social housing share</h2>"]
    body.append(
        html_figure(
            social_shares(series, norm),
            "social share now and at the horizon",
            f"Social rent as a share of the stock now (grey) and at the horizon (per series); "
            f"the dashed line is the {text(norm * 100)}% norm.",
        )
    )
    body += [html_table(tables["social shares"]), "<h2>The region</h2>"]
    drawing = region_map(series, edges)
    if drawing is None:
        body.append(_note("no map: some municipalities have no latitude and longitude"))
    else:
        caption = "Municipalities at their coordinates, area by placements, colour by placed / "
        caption += "quota; lines join municipalities that share a border."
        body.append(html_figure(drawing, "map of the region", caption))
    bands = uncertainty_bands(series)
    if bands is not None:
        body.append("<h2>Uncertainty over the Monte Carlo draws</h2>")
        caption = "Placements per municipality over the draws: range (line), 10-90% (box), "
        caption += "median (dot), quota (black)."
        body += [html_figure(bands, "uncertainty bands", caption)]
        body.append(html_table(tables["uncertainty"]))
    return body


def report_files(data: RunSet, out: Path) -> dict[str, bytes]:
    """``out`` (the HTML) and the workbook beside it (same name, ``.xlsx``), by file name."""
    workbook = out.with_suffix(".xlsx").name
    page, tables = report_html(data, workbook)
    return {out.name: page.encode("utf-8"), workbook: workbook_bytes(tables)}
