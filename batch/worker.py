"""One run, as a worker executes it: vary the region, solve, check, measure, and return the rows.

`execute_run` is the only function sent to worker processes (local or Dask). It takes a small
picklable `batch.runs.RunTask` and returns plain rows (`RunOutcome`), never files: the coordinating
process writes the store. It never raises for a failed run: an infeasible instance, a solver
without answer, a scenario that leaves an input's range or an unexpected exception all become a
run row with its status and error, so one run cannot stop a batch.

The hard wall-clock limit (`solver.deadline`, ``hard_limit = true`` in ``[batch]``, off by default)
forks a child per solve. That works in the local process pool, whose workers are ordinary
processes, but not in Dask's: they are daemonic (multiprocessing refuses them children) and run
tasks in threads, where forking is unsafe. There the solve runs in the worker with the solvers' own
time limits only, as it does everywhere by default. The answers are the same unless a solver
overruns its limit.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, fields
from fractions import Fraction

from batch.runs import RunTask
from batch.scenario import vary
from models.errors import FairshareError
from models.region import Region
from solver.allocation import Allocation
from solver.backends.base import SolverOptions
from solver.check import check_allocation, letting_pool_capacity, norm_shortfall
from solver.measures import Measures, horizon_social_share, measure
from solver.quotas import Quotas, compute_quotas
from solver.result import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Result
from solver.solve import solve

Row = dict[str, object]

#: Statuses of a run that has an allocation; every other status counts as a failure.
SOLVED = (OPTIMAL, FEASIBLE)
#: Fields of `solver.measures.Measures` not stored per run (per-municipality mappings).
PER_MUNICIPALITY_MEASURES = ("pool_pressure",)
NAN = float("nan")


@dataclass(frozen=True)
class RunOutcome:
    """The rows of one run: one for ``runs``, one per municipality (none if it failed)."""

    run: Row
    municipalities: list[Row]

    @property
    def failed(self) -> bool:
        """True unless the run has an allocation (status optimal or feasible)."""
        return self.run["status"] not in SOLVED


def measure_columns() -> tuple[str, ...]:
    """The per-run measure columns: the fields of `Measures` but the per-municipality ones."""
    return tuple(f.name for f in fields(Measures) if f.name not in PER_MUNICIPALITY_MEASURES)


def _number(value: object) -> float:
    """A measure as float64: exact fractions rounded once, a list of codes as its length, an
    undefined measure as NaN."""
    if value is None:
        return NAN
    if isinstance(value, tuple | list):
        return float(len(value))
    if isinstance(value, int | float | Fraction):
        return float(value)
    raise TypeError(f"a measure of type {type(value).__name__} has no number")


def _float(value: Fraction | None) -> float:
    return NAN if value is None else float(value)


def may_fork() -> bool:
    """True where the solve's hard limit can fork a child: a non-daemonic process, main thread."""
    return (
        not multiprocessing.current_process().daemon
        and threading.current_thread() is threading.main_thread()
    )


def _labels(task: RunTask) -> Row:
    return {
        "run_id": task.run_id,
        "instance": task.instance,
        "policy": task.policy.name,
        "scenario": task.scenario.name,
        "draw": task.draw,
    }


def municipality_rows(
    task: RunTask, region: Region, allocation: Allocation, quotas: Quotas
) -> list[Row]:
    """One row per municipality, sorted by code; numbers as int or float (NaN if undefined)."""
    labels = _labels(task)
    rows: list[Row] = []
    for m in region.municipalities:
        c = m.code
        y, s = allocation.new_homes[c], allocation.new_social[c]
        placed, quota = allocation.placed_in(c), quotas.municipality_total(c)
        rows.append(
            {
                **labels,
                "code": c,
                "name": m.name,
                "population": m.population,
                "latitude": _float(m.latitude),
                "longitude": _float(m.longitude),
                "quota": float(quota),
                "placed": placed,
                "deviation": float(placed - quota),
                "new_homes": y,
                "new_social": s,
                "new_middle": allocation.new_middle[c],
                "social_share_now": float(m.social_share) if m.dwellings else NAN,
                "social_share_horizon": _float(horizon_social_share(region, c, y, s)),
                "norm_shortfall": float(norm_shortfall(region, c, y, s)),
                "letting_pool": letting_pool_capacity(region, c, s),
            }
        )
    return rows


def _failure(result: Result) -> str:
    if result.status == INFEASIBLE:
        return "infeasible: the policy rules cannot all hold for this run's inputs"
    if result.status == NO_SOLUTION:
        return f"no solution within the limits ({result.stop_reason})"
    if result.status == ERROR:
        return f"solver failure: {result.message}"
    return ""


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def execute_run(task: RunTask) -> RunOutcome:
    """Run one task and return its rows; never raises for a failed run (see the module)."""
    started = time.perf_counter()
    row: Row = {
        **_labels(task),
        "status": ERROR,
        "stop_reason": "error",
        "error": "",
        "solve_seconds": NAN,
        "run_seconds": NAN,
        "backend": task.settings.backend,
    }
    municipalities: list[Row] = []
    values: Row = {}
    try:
        region = vary(task.region, task.policy, task.scenario, task.draw)
        settings = task.settings
        options = SolverOptions(
            time_limit=settings.time_limit,
            seed=settings.seed,
            threads=1,
            gap=settings.gap,
            engine=settings.engine,
            memory_limit=settings.memory_limit,
        )
        result = solve(
            region, settings.backend, options, hard_limit=settings.hard_limit and may_fork()
        )
        row.update(
            status=result.status,
            stop_reason=result.stop_reason,
            error=_failure(result),
            solve_seconds=result.build_seconds + result.solve_seconds,
        )
        values.update({f"stage_{s.name}": _float(s.value) for s in result.stages})
        if result.allocation is not None:
            violations = check_allocation(region, result.allocation)
            if violations:
                row.update(
                    status=ERROR,
                    stop_reason="error",
                    error="the answer breaks the rules: " + "; ".join(map(str, violations[:5])),
                )
            else:
                quotas = compute_quotas(region)
                measures = measure(region, result.allocation, quotas)
                values.update({k: _number(getattr(measures, k)) for k in measure_columns()})
                municipalities = municipality_rows(task, region, result.allocation, quotas)
    except FairshareError as error:
        row["error"] = _one_line(str(error))
    except Exception as error:  # noqa: BLE001 - a failed run is recorded, it never stops a batch
        row["error"] = _one_line(f"internal error: {type(error).__name__}: {error}")
    for name in measure_columns():
        row[name] = values.get(name, NAN)
    row.update({k: v for k, v in values.items() if k.startswith("stage_")})
    row["run_seconds"] = time.perf_counter() - started
    return RunOutcome(row, municipalities)
