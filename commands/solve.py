"""``fairshare solve``: solve an instance, check the answer, print it and write the outputs."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import click

from commands.common import handle_errors, instance_path, policy_options, with_policy
from models.cells import CellError, parse_fraction
from models.errors import InfeasibleError, InputError, InternalError, NoSolutionError, Problem
from models.ledger import LedgerRow, apply_ledger
from models.loader import load_instance
from models.region import Region
from reports.ledger import ledger_file
from reports.outputs import FORMATS, SOLVE_OUTPUTS, write_files
from reports.solve_report import solve_and_check
from reports.summary import solution_text
from solver.allocation import Stability
from solver.allocation_io import read_allocation
from solver.backends import BACKENDS
from solver.backends.base import SolverOptions
from solver.deadline import ChildDiedError, DeadlineExceededError, run_with_deadline
from solver.explain import explain as explain_region
from solver.result import ERROR, INFEASIBLE, NO_SOLUTION, raise_limit
from solver.solve import HARD_LIMIT_GRACE

#: Seconds a solve runs before its progress (`solver.solve.Progress`) appears on standard error,
#: the lines held until then first: on the 2-core machine of benchmarks/RESULTS.md the pilot
#: regions and the national instance under the default objective (1.0-1.3 s) finish sooner and
#: print none.
PROGRESS_AFTER_SECONDS = 3.0


@click.command()
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
@click.option(
    "--memory-limit",
    type=click.IntRange(min=1),
    default=None,
    help="MiB of memory the solve may use: SCIP's searches stop there with their best answer, "
    "never called optimal (HiGHS, CP-SAT and CBC run unlimited).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--threads",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Solver threads (1 is deterministic on every engine); a stage proven block by "
    "block prices this many parts at once (at least two without --memory-limit, on a "
    "machine of two cores or more), each on one thread, with the same answer.",
)
@click.option(
    "--gap",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Relative gap accepted per stage: a stage that stops within it is kept at its answer's "
    "value and the later stages still run; such an answer is never called optimal.",
)
@click.option(
    "--network/--no-network",
    default=True,
    show_default=True,
    help="Try the needs and fairness stages by the placement network (min-cost flow bounds, "
    "ortools only) before the whole MIP; --no-network solves every stage as one MIP.",
)
@click.option(
    "--log",
    is_flag=True,
    default=False,
    help="Print the solver's own log of every solve on standard output, before the summary "
    "(progress on long runs).",
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
    memory_limit: int | None,
    seed: int,
    threads: int,
    gap: float,
    network: bool,
    log: bool,
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
        time_limit=time_limit,
        memory_limit=memory_limit,
        seed=seed,
        threads=threads,
        gap=gap,
        engine=engine,
        network=network,
        log=log,
    )
    region, rows = _with_period(region, period, ledger, out)
    stability = _stability(region, previous, stability_weight)
    progress = _ProgressLines(PROGRESS_AFTER_SECONDS)
    try:
        report = solve_and_check(region, backend, options, stability=stability, progress=progress)
    finally:
        progress.close()
    click.echo(solution_text(region, report.result, report.municipality_rows))
    if out is not None:
        files = report.files(output_format)
        if ledger is not None and period is not None and report.result.allocation is not None:
            files["ledger.csv"] = ledger_file(region, rows, period, report.result.allocation)
        write_files(out, files, stale=SOLVE_OUTPUTS)
        click.echo(f"wrote {out}")
    status = report.result.status
    if status == INFEASIBLE:
        _explain_infeasible(region, backend, options)
        raise InfeasibleError("the policy rules cannot all hold for this instance")
    if status == NO_SOLUTION:
        stop = report.result.stop_reason
        raise NoSolutionError(f"no solution within the limits ({stop}); {raise_limit(stop)}")
    if status == ERROR:
        raise InternalError(f"solver failure: {report.result.message}")


def _explain_infeasible(region: Region, backend: str, options: SolverOptions) -> None:
    """Print why the region is infeasible (`solver.explain`), under the same hard wall-clock limit
    as the solve (`solver.solve.HARD_LIMIT_GRACE`): its solves each get the time limit, and there
    may be dozens. An explanation that does not finish is left out with a line saying why; the
    instance is infeasible either way (exit code 3)."""
    seconds = options.time_limit * 1.1 + HARD_LIMIT_GRACE
    try:
        explanation = run_with_deadline(explain_region, (region, backend, options), seconds)
    except (DeadlineExceededError, ChildDiedError, NoSolutionError) as error:
        click.echo(f"no explanation of the conflict: {error}", err=True)
        return
    if explanation is not None:
        click.echo(explanation.text())


class _ProgressLines:
    """`solver.solve.Progress` on standard error once the solve has run ``after_seconds``: the
    lines until then are held and shown at that moment (by a timer, so that a long first stage
    does not hide them), none if the solve ends sooner. The process that solves calls `close`
    when it is done (`solver.solve`), which stops its timer; under the hard limit that is the
    child, where the lines and the timer are."""

    def __init__(self, after_seconds: float) -> None:
        self._due = time.perf_counter() + after_seconds
        self._held: list[str] = []
        self._shown = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __call__(self, line: str) -> None:
        with self._lock:
            if self._shown:
                click.echo(f"progress: {line}", err=True)
                return
            self._held.append(line)
            if self._timer is None:
                self._timer = threading.Timer(max(0.0, self._due - time.perf_counter()), self._show)
                self._timer.daemon = True
                self._timer.start()

    def _show(self) -> None:
        with self._lock:
            self._shown = True
            for line in self._held:
                click.echo(f"progress: {line}", err=True)
            self._held.clear()

    def close(self) -> None:
        """No line after this (the solve is over)."""
        with self._lock:
            self._shown = False
            self._held.clear()
            if self._timer is not None:
                self._timer.cancel()


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


def _with_period(
    region: Region, period: str | None, ledger: Path | None, out: Path | None
) -> tuple[Region, list[LedgerRow]]:
    """The region with the arrears of the ledger before the period, and the ledger's rows."""
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
    if ledger is None:
        return region, []
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
    return region, rows


def _stability(region: Region, previous: Path | None, weight: str | None) -> Stability | None:
    """Stay close to the allocation in ``previous`` with ``weight`` (1 by default)."""
    if weight is not None and previous is None:
        raise InputError(
            [
                Problem(
                    file="--stability-weight",
                    message="a stability weight needs the earlier allocation",
                    fix="add --previous DIR, or drop --stability-weight",
                    value=weight,
                )
            ]
        )
    if previous is None:
        return None
    return Stability(read_allocation(region, previous), _weight(weight or "1"))
