"""The ``fairshare`` command line: a thin layer that maps each command onto one library function.

Exit codes: 0 success, 1 internal or solver failure, 2 bad input, 3 infeasible, 4 no solution within
the limits, 5 an allocation violates the rules. A user mistake never shows a traceback; set
``FAIRSHARE_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click

from commands.analysis import apportion, audit, explain, measure
from commands.batch import batch
from commands.common import (
    handle_errors,
    instance_path,
    ledger_options,
    policy_options,
    refuse_overwrite,
    with_ledger,
    with_policy,
)
from commands.report import compare, report
from models.cells import CellError, parse_fraction
from models.errors import (
    CheckFailedError,
    InfeasibleError,
    InputError,
    InternalError,
    NoSolutionError,
    Problem,
)
from models.fileio import atomic_write_text
from models.generate import generate_region
from models.ledger import LedgerRow, apply_ledger
from models.loader import load_instance
from models.template import example_region
from models.workbook import write_workbook
from models.writer import write_instance_dir
from reports.ledger import ledger_file
from reports.outputs import FORMATS, SOLVE_OUTPUTS, write_files
from reports.region_summary import region_summary
from reports.solve_report import solve_and_check
from reports.summary import solution_text
from solver.allocation import Stability
from solver.allocation_io import read_allocation
from solver.backends import BACKENDS
from solver.backends.base import SolverOptions
from solver.check import check_allocation, soft_measures
from solver.explain import explain as explain_region
from solver.export import STAGES, model_mps
from solver.result import ERROR, INFEASIBLE, NO_SOLUTION


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
@click.argument("instance", required=False)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="ortools",
    show_default=True,
    help="ortools (MathOpt) or cbc (PuLP with its bundled CBC, the cross-check).",
)
@click.option(
    "--engine",
    type=click.Choice(["scip", "highs", "cpsat"]),
    default=None,
    help="OR-Tools engine (default scip).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds for the whole solve; a hard limit kills it shortly after.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--threads",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Solver threads (1 is deterministic on every engine).",
)
@click.option(
    "--gap",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Relative gap accepted per stage; above 0 the answer is never called optimal.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the output files (none written without it).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="Format of the allocation tables.",
)
@click.option("--period", default=None, help="Half-year of this allocation, e.g. 2026H1.")
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Ledger CSV of earlier periods: their arrears enter this period's tasks; the updated "
    "ledger is written to --out.",
)
@click.option(
    "--previous",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="An earlier allocation (a solve's --out directory) to stay close to; the churn per "
    "municipality is reported.",
)
@click.option(
    "--stability-weight",
    default=None,
    help="With --previous: households of deviation from the quota that one household placed "
    "differently costs (default 1; at most two decimals).",
)
@policy_options
@handle_errors
def solve(
    instance: str | None,
    backend: str,
    engine: str | None,
    time_limit: float,
    seed: int,
    threads: int,
    gap: float,
    out: Path | None,
    output_format: str,
    period: str | None,
    ledger: Path | None,
    previous: Path | None,
    stability_weight: str | None,
    key: str | None,
    objective: str | None,
    norm_objective: str | None,
    exchanges: str | None,
) -> None:
    """Solve INSTANCE (default: the bundled Haaglanden) and print the allocation.

    Stages: (1) unmet demand and norm shortfall, (2) fairness of the placements against the
    quotas (--objective), (3) the building programme following plan capacity, (4) a fixed
    tie-break; each stage is kept at its exact optimum. Every answer is checked by the
    independent checker. Exit codes: 0 solved, 2 bad input, 3 infeasible,
    4 no solution within the limits, 1 internal or solver failure.
    """
    if engine is not None and backend != "ortools":
        raise InputError(
            [
                Problem(
                    file="--engine",
                    message="engines belong to the ortools backend",
                    fix="drop --engine, or use --backend ortools",
                )
            ]
        )
    region = with_policy(
        load_instance(instance_path(instance)).region, key, objective, norm_objective, exchanges
    )
    options = SolverOptions(
        time_limit=time_limit, seed=seed, threads=threads, gap=gap, engine=engine
    )
    rows: list[LedgerRow] = []
    if period is not None and ledger is None:
        raise InputError(
            [
                Problem(
                    file="--period",
                    message="a period is only used with a ledger",
                    fix="add --ledger LEDGER.csv (an empty ledger has only the header line)",
                    value=period,
                )
            ]
        )
    if ledger is not None:
        if period is None or out is None:
            raise InputError(
                [
                    Problem(
                        file="--ledger",
                        message="a ledger needs the period and an output directory",
                        fix="add --period 2026H1 --out DIR",
                    )
                ]
            )
        region, rows, arrears = apply_ledger(region, ledger, period)
        click.echo(
            f"{period}: arrears from {ledger.name}: {sum(v for v in arrears.values() if v > 0):,} "
            f"households owed, {-sum(v for v in arrears.values() if v < 0):,} credited"
        )
    if stability_weight is not None and previous is None:
        raise InputError(
            [
                Problem(
                    file="--stability-weight",
                    message="a stability weight needs the earlier allocation",
                    fix="add --previous DIR, or drop --stability-weight",
                    value=stability_weight,
                )
            ]
        )
    stability = None
    if previous is not None:
        weight = _weight(stability_weight or "1")
        stability = Stability(read_allocation(region, previous), weight)
    report = solve_and_check(region, backend, options, stability=stability)
    click.echo(solution_text(region, report.result, report.municipality_rows))
    if out is not None:
        files = report.files(output_format)
        if ledger is not None and period is not None and report.result.allocation is not None:
            files["ledger.csv"] = ledger_file(region, rows, period, report.result.allocation)
        write_files(out, files, stale=SOLVE_OUTPUTS)
        click.echo(f"wrote {out}")
    status = report.result.status
    if status == INFEASIBLE:
        explanation = explain_region(region, backend, options)
        if explanation is not None:
            click.echo(explanation.text())
        raise InfeasibleError("the policy rules cannot all hold for this instance")
    if status == NO_SOLUTION:
        raise NoSolutionError(
            f"no solution within the limits ({report.result.stop_reason}); raise --time-limit"
        )
    if status == ERROR:
        raise InternalError(f"solver failure: {report.result.message}")


#: Largest denominator of the stability weight, so that the fairness stage stays exact.
MAX_WEIGHT_DENOMINATOR = 100


def _weight(text: str) -> Fraction:
    try:
        weight = parse_fraction(text)
    except CellError as error:
        raise InputError(
            [Problem(file="--stability-weight", message=str(error), fix="give a number >= 0")]
        ) from None
    if weight < 0 or weight.denominator > MAX_WEIGHT_DENOMINATOR:
        raise InputError(
            [
                Problem(
                    file="--stability-weight",
                    message="expected a number >= 0 with at most two decimals",
                    fix="give e.g. 1, 0.5 or 1/4",
                    value=text,
                )
            ]
        )
    return weight


@main.command()
@click.argument("instance")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@ledger_options
@handle_errors
def check(instance: str, directory: Path, period: str | None, ledger: Path | None) -> None:
    """Check the allocation in DIRECTORY (municipalities.csv, placements.csv) against INSTANCE.

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


for command in (apportion, measure, audit, explain, compare, report, batch):
    main.add_command(command)


if __name__ == "__main__":
    main()
