"""What every command shares: error handling with exit codes, instance paths, policy options."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import click

from instances import DEFAULT_INSTANCE, bundled_instance
from models.errors import FairshareError, InputError, Problem
from models.ledger import apply_ledger
from models.policy import DISTRIBUTION_KEYS, EXCHANGE_PAIRS, NORM_OBJECTIVES, OBJECTIVES
from models.region import Region

F = TypeVar("F", bound=Callable[..., Any])


def print_problems(problems: tuple[Problem, ...]) -> None:
    """Every problem of the input on stderr, errors first."""
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
            print_problems(error.problems)
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


def instance_path(instance: str | None) -> Path:
    """The path given, or the bundled default instance."""
    return bundled_instance(DEFAULT_INSTANCE) if instance is None else Path(instance)


def refuse_overwrite(out: Path, force: bool) -> None:
    """Refuse to overwrite an existing file unless ``--force`` is given."""
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


def key_option(command: F) -> F:
    """``--key``: the distribution key instead of the instance's."""
    return click.option(
        "--key",
        type=click.Choice(list(DISTRIBUTION_KEYS)),
        default=None,
        help="Distribution key (default: the instance's policy).",
    )(command)


def policy_options(command: F) -> F:
    """``--key``, ``--objective``, ``--norm-objective`` and ``--exchanges``, each overriding the
    instance."""
    command = click.option(
        "--exchanges",
        "exchanges",
        is_flag=False,
        flag_value="adjacent",
        type=click.Choice(list(EXCHANGE_PAIRS)),
        default=None,
        help="Allow exchanges of tasks between neighbours (adjacent, the default kind), within "
        "exchange_max_km (distance) or within a subregion (Huisvestingswet art. 29(2)).",
    )(command)
    command = click.option(
        "--norm-objective",
        type=click.Choice(list(NORM_OBJECTIVES)),
        default=None,
        help="Minimise the total norm shortfall, or equalise it (default: the instance's).",
    )(command)
    command = click.option(
        "--objective",
        type=click.Choice(list(OBJECTIVES)),
        default=None,
        help="Fairness objective (default: the instance's policy).",
    )(command)
    return key_option(command)


def with_policy(
    region: Region,
    key: str | None = None,
    objective: str | None = None,
    norm_objective: str | None = None,
    exchanges: str | None = None,
) -> Region:
    """The region with the options given on the command line in its policy."""
    policy = region.policy
    if exchanges is not None:
        policy = replace(policy, exchanges=exchanges)
        if exchanges == "distance":
            _check_distance_exchanges(region, policy.exchange_max_km)
    if key is not None:
        policy = replace(policy, distribution_key=key)
    if objective is not None:
        policy = replace(policy, objective=objective)
    if norm_objective is not None:
        policy = replace(policy, norm_objective=norm_objective)
    return replace(region, policy=policy)


def output_file_options(help_text: str, *, required: bool = False) -> Callable[[F], F]:
    """``--out FILE`` (with ``help_text``) and ``--force`` to overwrite it."""

    def decorate(command: F) -> F:
        command = click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")(command)
        return click.option(
            "--out",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            required=required,
            help=help_text,
        )(command)

    return decorate


def _check_distance_exchanges(region: Region, max_km: Fraction | None) -> None:
    """Exchanges by distance need ``exchange_max_km`` and every municipality's centroid."""
    if max_km is None:
        raise InputError(
            [
                Problem(
                    file="--exchanges",
                    message='exchanges by "distance" need the largest distance',
                    fix="give exchange_max_km under [policy] in region.toml, or use "
                    "--exchanges adjacent",
                    value="distance",
                )
            ]
        )
    lacking = [m.code for m in region.municipalities if m.latitude is None or m.longitude is None]
    if lacking:
        raise InputError(
            [
                Problem(
                    file="--exchanges",
                    message="exchanges by distance need latitude and longitude of every "
                    f"municipality; missing for {', '.join(lacking[:10])}",
                    fix="give the centroids, or use --exchanges adjacent",
                    value="distance",
                )
            ]
        )


def ledger_options(command: F) -> F:
    """``--period`` and ``--ledger`` for the commands that read an allocation solved with a
    ledger (`with_ledger`)."""
    command = click.option(
        "--ledger",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=None,
        help="The ledger the allocation was solved with (its arrears change the tasks).",
    )(command)
    return click.option("--period", default=None, help="The period it was solved for.")(command)


def with_ledger(region: Region, period: str | None, ledger: Path | None) -> Region:
    """The region with the ledger's arrears before ``period``; unchanged without a ledger.

    Raises:
        InputError: if only one of the two is given, or the ledger is bad.
    """
    if ledger is None and period is None:
        return region
    if ledger is None or period is None:
        raise InputError(
            [
                Problem(
                    file="--ledger" if ledger is None else "--period",
                    message="the ledger and the period go together",
                    fix="give both --period and --ledger, or neither",
                )
            ]
        )
    return apply_ledger(region, ledger, period)[0]
