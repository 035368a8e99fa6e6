"""``compare`` and ``report``: runs side by side, and a self-contained HTML report with a workbook.

RUN arguments (both commands): a single-run directory (``fairshare solve --out DIR``), a batch
directory (``fairshare batch``; every run of its plan, or those of ``--runs``), or
``BATCH_DIR:RUN``, where RUN is a run id or ``policy/scenario[/draw]`` (`reports.report_data`).
"""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import handle_errors, output_file_options, refuse_overwrite
from models.errors import InputError, Problem
from models.fileio import atomic_write_bytes
from models.serialize import csv_text
from reports.analysis import text_table
from reports.compare import compare_tables
from reports.html_report import report_files
from reports.outputs import workbook_bytes, write_files
from reports.report_data import load_runs


def _run_ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise InputError(
            [Problem(file="--runs", message="no run id given", fix="write e.g. --runs a,b")]
        )
    return ids


def _suffix(out: Path, allowed: tuple[str, ...], option: str) -> None:
    if out.suffix.lower() not in allowed:
        raise InputError(
            [
                Problem(
                    file=option,
                    message=f"the output must end in {' or '.join(allowed)}",
                    fix=f"name the file e.g. report{allowed[0]}",
                    value=str(out),
                )
            ]
        )


RUNS_OPTION = click.option(
    "--runs",
    "runs_option",
    default=None,
    help="Runs to take from each batch directory given without :RUN, comma-separated: run ids "
    "or policy/scenario[/draw].",
)
INSTANCE_OPTION = click.option(
    "--instance",
    type=click.Path(path_type=Path),
    default=None,
    help="The instance the runs were solved on (default: the bundled region named in the run).",
)


@click.command()
@click.argument("runs", nargs=-1, required=True)
@RUNS_OPTION
@INSTANCE_OPTION
@output_file_options(
    "Write both tables to this .xlsx file, or the placements table to this .csv file."
)
@handle_errors
def compare(
    runs: tuple[str, ...],
    runs_option: str | None,
    instance: Path | None,
    out: Path | None,
    force: bool,
) -> None:
    """Placements per municipality under each of RUNS, against the first, and the measures.

    RUNS: single-run directories, batch directories (all runs, or those of --runs) or
    BATCH_DIR:RUN (a run id, or policy/scenario[/draw]). The first run is the reference:
    'gains' means more placements than under it, 'loses' fewer.

    \b
    Examples:
      fairshare compare out/sum out/leximin
      fairshare compare out/batch --runs sum/base,leximin/base --out compare.xlsx
      fairshare compare out/batch:sum/base out/edited
    """
    if out is not None:
        _suffix(out, (".xlsx", ".csv"), "--out")
        refuse_overwrite(out, force)
    data = load_runs(runs, _run_ids(runs_option), instance)
    if len(data.runs) < 2:
        raise InputError(
            [
                Problem(
                    file="RUNS",
                    message="compare needs at least two runs",
                    fix="name two or more runs, or a batch with several runs",
                )
            ]
        )
    tables = compare_tables(data)
    for note in data.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(text_table(*tables["placements"]))
    click.echo("")
    click.echo(text_table(*tables["measures"]))
    if out is None:
        return
    if out.suffix.lower() == ".xlsx":
        atomic_write_bytes(out, workbook_bytes(tables))
    else:
        atomic_write_bytes(out, csv_text(*tables["placements"]).encode("utf-8"))
    click.echo(f"wrote {out}")


@click.command()
@click.argument("runs", nargs=-1, required=True)
@RUNS_OPTION
@INSTANCE_OPTION
@output_file_options(
    "The HTML file to write; the workbook is written beside it with the suffix .xlsx.",
    required=True,
)
@handle_errors
def report(
    runs: tuple[str, ...],
    runs_option: str | None,
    instance: Path | None,
    out: Path,
    force: bool,
) -> None:
    """A self-contained HTML report on RUNS (tables and figures, no network needed to open it)
    and the same tables as a workbook beside it.

    RUNS: single-run directories, batch directories (all runs, or those of --runs) or
    BATCH_DIR:RUN (a run id, or policy/scenario[/draw]). The draws of a Monte Carlo scenario are
    summarised by their median and drawn as uncertainty bands. The borders on the map come from
    the instance: --instance, or the bundled instance the runs name.

    \b
    Examples:
      fairshare report out/haaglanden --out report.html
      fairshare report out/batch --instance my-region/ --out batch.html
    """
    _suffix(out, (".html", ".htm"), "--out")
    workbook = out.with_suffix(".xlsx")
    refuse_overwrite(out, force)
    refuse_overwrite(workbook, force)
    data = load_runs(runs, _run_ids(runs_option), instance)
    write_files(out.parent, report_files(data, out))
    click.echo(f"wrote {out} and {workbook}")
