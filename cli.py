"""The ``fairshare`` command line: a thin layer that maps each command onto one library function.

Exit codes: 0 success, 1 internal or solver failure, 2 bad input, 3 infeasible, 4 no solution within
the limits, 5 an allocation violates the rules. A user mistake never shows a traceback; set
``FAIRSHARE_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from commands.common import (
    handle_errors,
    instance_path,
    ledger_options,
    refuse_overwrite,
    with_ledger,
)
from models.errors import (
    CheckFailedError,
    InputError,
    Problem,
)
from models.fileio import atomic_write_text
from models.generate import generate_region
from models.loader import load_instance
from models.template import example_region
from models.workbook import write_workbook
from models.writer import write_instance_dir
from reports.region_summary import region_summary
from solver.allocation_io import read_allocation
from solver.check import check_allocation, soft_measures
from solver.export import STAGES, model_mps

#: The commands of `commands/`, imported when they are run or listed: importing them all took
#: 2.2 s of every `fairshare` call, `fairshare solve` alone needs 1.0 s of it.
LAZY_COMMANDS: dict[str, str] = {
    "apportion": "commands.analysis:apportion",
    "audit": "commands.analysis:audit",
    "batch": "commands.batch:batch",
    "compare": "commands.report:compare",
    "explain": "commands.analysis:explain",
    "measure": "commands.analysis:measure",
    "report": "commands.report:report",
    "solve": "commands.solve:solve",
}


class LazyGroup(click.Group):
    """A command group that imports the commands of `LAZY_COMMANDS` only when they are needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{LAZY_COMMANDS[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
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
    loaded = load_instance(instance_path(instance))
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
    refuse_overwrite(out, force)
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
    refuse_overwrite(out, force)
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
    refuse_overwrite(out, force)
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


@main.command()
@click.argument("instance")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@ledger_options
@handle_errors
def check(instance: str, directory: Path, period: str | None, ledger: Path | None) -> None:
    """Check the allocation in DIRECTORY (municipalities.csv and placements.csv, or
    allocation.xlsx) against INSTANCE.

    Use it on an allocation edited by hand: every hard rule is re-evaluated from the input data.
    An allocation solved with a ledger is checked with the same --period and --ledger (its
    arrears change the groups' demand). Exit 0 if no rule is broken, 5 with the list of
    violations.
    """
    region = with_ledger(load_instance(Path(instance)).region, period, ledger)
    allocation = read_allocation(region, directory)
    violations = check_allocation(region, allocation)
    soft = soft_measures(region, allocation)
    shortfall = float(sum(soft.norm_shortfall.values()))
    click.echo(
        f"norm shortfall at the horizon: {shortfall:,.1f} dwellings; "
        f"unmet demand: {sum(soft.unmet.values()):,} households"
    )
    if violations:
        for v in violations:
            click.echo(f"  violation: {v}", err=True)
        raise CheckFailedError(f"{len(violations)} rule violation(s)")
    click.echo("no rule is broken")


@main.command()
@click.argument("instance")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default="needs",
    show_default=True,
    help="Which stage's objective the model carries.",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@handle_errors
def export(instance: str, out: Path, stage: str, force: bool) -> None:
    """Write the model of INSTANCE in MPS format to OUT, for other solvers."""
    refuse_overwrite(out, force)
    region = load_instance(Path(instance)).region
    atomic_write_text(out, model_mps(region, stage))
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
