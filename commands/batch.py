"""``batch``: run a plan of instances x policies x scenarios into a results store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from batch.execute import run_batch
from batch.plan import load_plan
from batch.store import RUNS_CSV
from commands.common import handle_errors
from models.errors import InputError, Problem

#: Exit code of a batch stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_EXIT = 130


@click.command()
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory of the results store (created; an existing one is resumed).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Local worker processes (default: the number of cores).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on an existing Dask cluster, e.g. tcp://127.0.0.1:8786, instead of locally.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def batch(plan: Path, out: Path, workers: int | None, scheduler: str | None, quiet: bool) -> None:
    """Run every instance x policy x scenario (x Monte Carlo draw) of PLAN into --out.

    Each run is solved, checked and measured; its rows go to OUT/store as soon as it completes,
    and OUT/runs.csv lists the runs. Running the same command again resumes: runs already in the
    store (same instance, policy, scenario and software versions) are skipped. A failed run is
    recorded with its error and does not stop the batch. Exit codes: 0 done, 2 bad plan, 130
    interrupted, 1 if runs were lost to a worker that died (run again to retry them).

    The plan format is described in batch/plan.py; an example is
    instances/haaglanden/batch.toml.
    """
    if workers is not None and scheduler is not None:
        raise InputError(
            [
                Problem(
                    file="--workers",
                    message="--workers sets the local processes; a Dask cluster has its own",
                    fix="drop --workers, or --scheduler to run locally",
                )
            ]
        )
    loaded = load_plan(plan)
    click.echo(
        f"{plan}: {len(loaded.instances)} instance(s) x {len(loaded.policies)} policy(ies) x "
        f"{len(loaded.scenarios)} scenario(s)"
    )
    report = run_batch(
        loaded, out, workers=workers, scheduler=scheduler, progress=not quiet, log=click.echo
    )
    stored = report.done_before + report.completed
    summary = (
        f"{report.completed} run(s) done in {report.seconds:.1f} s; {stored} of {report.planned} "
        f"in {out}, {report.failed} failed (see {out / RUNS_CSV})"
    )
    if report.interrupted:
        click.echo(f"interrupted: {summary}", err=True)
        click.echo("run the same command again to resume; completed runs are kept", err=True)
        sys.exit(INTERRUPTED_EXIT)
    click.echo(summary)
    if report.lost:
        click.echo(
            f"error: {len(report.lost)} run(s) lost to a worker that died; run the same command "
            "again to retry them",
            err=True,
        )
        sys.exit(1)
