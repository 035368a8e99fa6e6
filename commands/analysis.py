"""``apportion``, ``measure``, ``audit`` and ``explain``: analysing rules and allocations."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click

from commands.common import (
    handle_errors,
    instance_path,
    key_option,
    ledger_options,
    output_file_options,
    refuse_overwrite,
    with_ledger,
)
from models.errors import InfeasibleError, InputError, Problem
from models.fileio import atomic_write_bytes
from models.loader import load_instance
from models.serialize import csv_text
from reports.analysis import (
    apportion as apportion_table,
)
from reports.analysis import (
    measure_tables,
    method_audit,
    optimiser_audit,
    text_table,
    write_table,
)
from reports.outputs import workbook_bytes
from solver.allocation_io import read_allocation
from solver.apportionment import METHODS
from solver.backends import BACKENDS
from solver.backends.base import SolverOptions
from solver.explain import RELAXABLE_RULES
from solver.explain import explain as explain_region
from solver.measures import measure as measure_allocation
from solver.quotas import compute_quotas, key_weights


@click.command()
@click.argument("instance", required=False)
@click.option(
    "--method",
    type=click.Choice(list(METHODS)),
    default="hamilton",
    show_default=True,
    help="Apportionment method.",
)
@click.option("--total", type=click.IntRange(0), required=True, help="The number to split.")
@key_option
@output_file_options("Write the table to this .csv or .xlsx file.")
@handle_errors
def apportion(
    instance: str | None, method: str, total: int, key: str | None, out: Path | None, force: bool
) -> None:
    """Split TOTAL over the municipalities of INSTANCE with an apportionment method.

    statutory: each exact share rounded up (Huisvestingswet art. 29; the sum may exceed TOTAL);
    hamilton: largest remainder; webster: Sainte-Lague; dhondt: Jefferson; huntington-hill;
    adams. Exact fractions; ties go to the lower municipality code.
    """
    if out is not None:
        refuse_overwrite(out, force)
    region = load_instance(instance_path(instance)).region
    result = apportion_table(region, method, total, key)
    click.echo(text_table(*result.table))
    click.echo(result.note)
    if out is not None:
        write_table(out, result.table, method)
        click.echo(f"wrote {out}")


@click.command()
@click.argument("instance")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@key_option
@ledger_options
@output_file_options(
    "Write the measures to this .xlsx file (two sheets) or .csv file (the summary)."
)
@handle_errors
def measure(
    instance: str,
    directory: Path,
    key: str | None,
    period: str | None,
    ledger: Path | None,
    out: Path | None,
    force: bool,
) -> None:
    """Fairness and norm measures of the allocation in DIRECTORY (municipalities.csv,
    placements.csv: solved, apportioned or edited by hand) against INSTANCE's quotas."""
    if out is not None:
        refuse_overwrite(out, force)
    region = with_ledger(load_instance(Path(instance)).region, period, ledger)
    allocation = read_allocation(region, directory)
    quotas = compute_quotas(region, key)
    tables = measure_tables(
        region, allocation, quotas, measure_allocation(region, allocation, quotas)
    )
    click.echo(text_table(*tables["measures"]))
    if out is None:
        return
    if out.suffix.lower() == ".xlsx":
        atomic_write_bytes(out, workbook_bytes(tables))
    else:
        atomic_write_bytes(out, csv_text(*tables["measures"]).encode("utf-8"))
    click.echo(f"wrote {out}")


def _steps(text: str) -> list[Fraction]:
    try:
        steps = [Fraction(part) for part in text.split(",") if part.strip()]
        if any(step <= 0 for step in steps):
            raise ValueError("factors must be positive")
        return steps
    except (ValueError, ZeroDivisionError):
        raise InputError(
            [
                Problem(
                    file="--factors",
                    message="expected positive numbers separated by commas",
                    fix="write e.g. --factors 1,1.05,1.1,1.2",
                    value=text,
                )
            ]
        ) from None


@click.command()
@click.argument("instance", required=False)
@click.option("--method", type=click.Choice(list(METHODS)), default=None, help="Audit a method.")
@click.option("--optimiser", is_flag=True, help="Audit the optimiser (the instance's objective).")
@click.option("--from", "low", type=click.IntRange(0), default=None, help="First total.")
@click.option("--to", "high", type=click.IntRange(0), default=None, help="Last total.")
@click.option("--group", default=None, help="Group whose demand the optimiser audit sweeps.")
@click.option("--municipality", default=None, help="Code whose population is swept too.")
@click.option(
    "--factors",
    default="1,1.02,1.05,1.1,1.2,1.5",
    show_default=True,
    help="Multipliers of that municipality's population.",
)
@key_option
@click.option("--backend", type=click.Choice(BACKENDS), default="ortools", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
@handle_errors
def audit(
    instance: str | None,
    method: str | None,
    optimiser: bool,
    low: int | None,
    high: int | None,
    group: str | None,
    municipality: str | None,
    factors: str,
    key: str | None,
    backend: str,
    time_limit: float,
) -> None:
    """Sweep the total (and one municipality's population) and report every Alabama and
    population paradox, for an apportionment method (--method) or the optimiser (--optimiser).

    A method splits totals FROM..TO by the key; the optimiser is solved with the demand of
    --group set to each total (households), all else as in the instance.
    """
    region = load_instance(instance_path(instance)).region
    if (method is None) == (not optimiser):
        raise InputError(
            [
                Problem(
                    file="--method",
                    message="audit a method or the optimiser",
                    fix="give either --method M or --optimiser",
                )
            ]
        )
    if municipality is not None and municipality not in region.codes:
        raise InputError(
            [
                Problem(
                    file="--municipality",
                    message="unknown municipality code",
                    fix="give a code of the instance, e.g. " + region.codes[0],
                    value=municipality,
                )
            ]
        )
    steps = _steps(factors)
    if low is not None and high is not None and low > high:
        raise _option_error(
            "--from", f"the range {low}..{high} is empty", "give --from at most --to", str(low)
        )
    if method is not None:
        # Adams and Huntington-Hill give every municipality with a weight at least one unit.
        weighted = sum(1 for w in key_weights(region, key).values() if w > 0)
        smallest = weighted if method in ("adams", "huntington-hill") else 1
        first, last = low if low is not None else smallest, high if high is not None else 100
        found = method_audit(region, method, range(first, last + 1), municipality, steps, key)
        what = f"{method}, totals {first}..{last}"
    else:
        group_ids = [g.id for g in region.groups]
        group_id = group or (group_ids[0] if group_ids else None)
        if group_id not in group_ids:
            raise InputError(
                [
                    Problem(
                        file="--group",
                        message="unknown target group",
                        fix=f"choose one of {', '.join(group_ids)}",
                        value=str(group),
                    )
                ]
            )
        demand = region.group(group_id).demand_dwellings
        first = low if low is not None else max(0, demand - 5)
        last = high if high is not None else demand + 5
        options = SolverOptions(time_limit=time_limit)
        found = optimiser_audit(
            region,
            group_id,
            range(first, last + 1),
            municipality,
            steps,
            backend,
            options,
            progress=lambda text: click.echo(f"  solving: {text}", err=True),
        )
        what = f"the optimiser ({region.policy.objective}), demand of {group_id} {first}..{last}"
    click.echo(f"audit of {what}: {len(found)} violation(s)")
    for violation in found:
        click.echo(f"  {violation.describe()}")


def _option_error(option: str, message: str, fix: str, value: str | None = None) -> InputError:
    return InputError([Problem(file=option, message=message, fix=fix, value=value)])


def _flexibility(values: tuple[str, ...]) -> dict[str, int | None]:
    allowed: dict[str, int | None] = {}
    for text in values:
        rule, _, amount = text.partition("=")
        if rule not in RELAXABLE_RULES or not amount.strip().isdigit():
            raise InputError(
                [
                    Problem(
                        file="--flex",
                        message="expected RULE=DWELLINGS with a rule that may be relaxed",
                        fix="write e.g. --flex plan_capacity=500; rules: "
                        + ", ".join(RELAXABLE_RULES),
                        value=text,
                    )
                ]
            )
        allowed[rule] = int(amount)
    return allowed


@click.command()
@click.argument("instance", required=False)
@click.option(
    "--flex",
    multiple=True,
    help="RULE=N: relax each constraint of RULE by at most N dwellings (0: not at all).",
)
@click.option("--backend", type=click.Choice(BACKENDS), default="ortools", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
@handle_errors
def explain(instance: str | None, flex: tuple[str, ...], backend: str, time_limit: float) -> None:
    """Why INSTANCE is infeasible: the smallest set of conflicting rules, in words, and the
    smallest relaxation that restores feasibility. Exit 0 if it is feasible, 3 if not."""
    region = load_instance(instance_path(instance)).region
    explanation = explain_region(
        region, backend, SolverOptions(time_limit=time_limit), _flexibility(flex)
    )
    if explanation is None:
        click.echo("the instance is feasible: every hard rule can hold")
        return
    click.echo(explanation.text())
    raise InfeasibleError("the policy rules cannot all hold for this instance (see above)")
