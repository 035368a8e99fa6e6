"""The ``fairshare`` command line: a thin layer that maps each command onto one library function.

Exit codes: 0 success, 1 internal or solver failure, 2 bad input, 3 infeasible, 4 no solution within
the limits, 5 an allocation violates the rules. A user mistake never shows a traceback; set
``FAIRSHARE_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from instances import DEFAULT_INSTANCE, bundled_instance
from models.errors import FairshareError, InputError, Problem
from models.generate import generate_region
from models.loader import load_instance
from models.template import example_region
from models.workbook import write_workbook
from models.writer import write_instance_dir
from reports.region_summary import region_summary

F = TypeVar("F", bound=Callable[..., Any])


def _print_problems(problems: tuple[Problem, ...]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    click.echo(f"{len(errors)} problem(s) in the input:", err=True)
    for p in errors:
        click.echo(f"  error: {p}", err=True)
    for p in warnings:
        click.echo(f"  warning: {p}", err=True)


def handle_errors(command: F) -> F:
    """Turn fairshare's errors into a message on stderr and the error's exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            _print_problems(error.problems)
            sys.exit(error.exit_code)
        except FairshareError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)
        except OSError as error:
            click.echo(f"error: {error.strerror}: {error.filename}", err=True)
            sys.exit(InputError.exit_code)
        except Exception as error:
            if os.environ.get("FAIRSHARE_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                "This is a bug in fairshare; run again with FAIRSHARE_DEBUG=1 and report the "
                "traceback.",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _instance_path(instance: str | None) -> Path:
    """The path given, or the bundled default instance."""
    return bundled_instance(DEFAULT_INSTANCE) if instance is None else Path(instance)


@click.group()
@click.version_option(package_name="fairshare")
def main() -> None:
    """Distribute new social housing and target-group placements over a region."""


@main.command()
@click.argument("instance", required=False)
@handle_errors
def validate(instance: str | None) -> None:
    """Check INSTANCE (a directory with region.toml, or an .xlsx workbook) and summarise it.

    Every problem is listed at once with its file, row, column, value and fix (exit code 2).
    Without INSTANCE the bundled default (Haaglanden) is checked.
    """
    loaded = load_instance(_instance_path(instance))
    click.echo(region_summary(loaded.region, loaded.warnings))


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@handle_errors
def template(out: Path, force: bool) -> None:
    """Write an instance workbook OUT.xlsx with every sheet, column and an example row.

    Each header cell carries a note with the column's meaning and unit; the sheet 'columns'
    lists them all. The example rows are real figures: replace them with your region's.
    """
    _refuse_overwrite(out, force)
    if out.suffix.lower() != ".xlsx":
        raise InputError(
            [
                Problem(
                    file=str(out),
                    message="the template is an Excel workbook",
                    fix="give a file name ending in .xlsx",
                )
            ]
        )
    write_workbook(example_region(), out)
    click.echo(f"wrote {out}")


@main.command()
@click.argument("instance")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@handle_errors
def convert(instance: str, out: Path, force: bool) -> None:
    """Convert INSTANCE between the directory and the workbook format.

    OUT ending in .xlsx is written as a workbook, anything else as an instance directory.
    The instance is validated first; nothing is written if it is invalid.
    """
    _refuse_overwrite(out, force)
    region = load_instance(Path(instance)).region
    if out.suffix.lower() == ".xlsx":
        write_workbook(region, out)
    else:
        write_instance_dir(region, out)
    click.echo(f"wrote {out}")


@main.command()
@click.option(
    "--municipalities",
    "-m",
    type=click.IntRange(1),
    required=True,
    help="Number of municipalities (above 9,999 they are coded as neighbourhoods).",
)
@click.option(
    "--groups",
    "-g",
    type=click.IntRange(1, 12),
    default=8,
    show_default=True,
    help="Number of target groups.",
)
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.argument("out", type=click.Path(path_type=Path))
@handle_errors
def generate(municipalities: int, groups: int, seed: int, force: bool, out: Path) -> None:
    """Write a seeded synthetic Dutch-like region to OUT (a directory, or .xlsx).

    The same arguments always give byte-identical files. The region is valid by construction
    and meant for scale tests and benchmarks; its figures are not real.
    """
    _refuse_overwrite(out, force)
    try:
        region = generate_region(municipalities, groups, seed)
    except ValueError as error:
        raise InputError(
            [Problem(file="--municipalities", message=str(error), fix="choose a smaller region")]
        ) from None
    if out.suffix.lower() == ".xlsx":
        write_workbook(region, out)
    else:
        write_instance_dir(region, out)
    click.echo(
        f"wrote {out}: {len(region.municipalities)} municipalities, "
        f"{len(region.groups)} groups, {len(region.edges)} borders (seed {seed})"
    )


def _refuse_overwrite(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise InputError(
            [
                Problem(
                    file=str(out),
                    message="the output exists already",
                    fix="choose another name, or add --force to overwrite it",
                )
            ]
        )


if __name__ == "__main__":
    main()
