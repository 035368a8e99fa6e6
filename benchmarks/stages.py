"""One later stage of a benchmark instance, solved by each OR-Tools engine from the same start.

::

    python -m benchmarks stage --instance syn-5000-g8 --stage programme --engines scip,highs \\
        --time-limit 900 [--json FILE] [--mps FILE] [--log]

An engine named ``highs+scip`` is SCIP started from HiGHS's answer where that is better than the
start and meets every row (`SolverOptions.first_answer_engine`, as `fairshare solve` runs the
programme stage of a large reduced model).

The stages before it are solved first, as `fairshare solve` solves them (SCIP, the placement
network). The stage's problem as the backend is handed it (`solver.solve.stage_problem`: from the
programme stage on the reduced model with the rows in force, the objective, and the previous
stage's answer as start) then goes to each engine in turn, each in a child process under a hard
limit. Every answer is checked against the problem's bounds and rows. Values and bounds are the
stage's own in the model's units (the reduced model's constant added; for the fairness stages
`fairshare solve` divides them by the stage's scale to report households). ``--mps`` writes
the problem (`solver.mps`) with its start as JSON beside it, for runs of other solvers or other
settings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.suite import get_instance
from models.fileio import atomic_write_text
from solver.backends import backend_class
from solver.backends.base import Outcome, SolverOptions
from solver.deadline import ChildDiedError, DeadlineExceededError, run_with_deadline
from solver.model import evaluate
from solver.mps import mps_text
from solver.network import holds
from solver.solve import HARD_LIMIT_GRACE, StageProblem, stage_problem

#: Seconds the stages before the measured one may take.
SETUP_LIMIT = 3600.0
#: Joins an engine whose answer starts another: ``highs+scip``.
FIRST_ANSWER_SEPARATOR = "+"


@dataclass(frozen=True)
class EngineRow:
    """One engine's solve of the stage: the stage's value and bound, and whether the answer meets
    every bound and row of the problem."""

    engine: str
    status: str
    stop_reason: str
    value: int | None
    bound: float | None
    seconds: float
    checked: bool


def _engine_parts(engine: str) -> tuple[str | None, str]:
    """The first-answer engine (if any) and the engine of an engine name: ``scip``, or
    ``highs+scip`` for SCIP started from HiGHS's answer (`SolverOptions.first_answer_engine`)."""
    first, _, own = engine.rpartition(FIRST_ANSWER_SEPARATOR)
    return first or None, own


def _options(engine: str, time_limit: float, log: bool) -> SolverOptions:
    first, own = _engine_parts(engine)
    return SolverOptions(time_limit=time_limit, engine=own, log=log, first_answer_engine=first)


def _solve_on(problem: StageProblem, engine: str, time_limit: float, log: bool) -> Outcome:
    options = _options(engine, time_limit, log)
    backend = backend_class("ortools")(problem.model, options)
    return backend.minimize(problem.terms, time_limit, hint=problem.start or None)


def solve_stage(
    problem: StageProblem, engine: str, time_limit: float, *, log: bool = False
) -> EngineRow:
    """The problem on one engine from its start, in a child process killed
    `HARD_LIMIT_GRACE` seconds after the time limit (a row ``no_solution``; a child that dies
    before, a row ``error``); with ``log`` the engine prints its log."""
    started = time.perf_counter()
    try:
        outcome = run_with_deadline(
            _solve_on, (problem, engine, time_limit, log), time_limit + HARD_LIMIT_GRACE
        )
    except DeadlineExceededError as error:
        seconds = time.perf_counter() - started
        return EngineRow(engine, "no_solution", f"killed: {error}", None, None, seconds, False)
    except ChildDiedError as error:
        seconds = time.perf_counter() - started
        return EngineRow(engine, "error", f"error: {error}", None, None, seconds, False)
    values = outcome.values
    bound = None if outcome.bound is None else outcome.bound + problem.constant
    value = None if values is None else evaluate(problem.terms, values) + problem.constant
    checked = values is not None and holds(problem.model, (), values)
    return EngineRow(
        engine,
        outcome.status.value,
        outcome.stop_reason,
        value,
        bound,
        outcome.seconds,
        checked,
    )


def run_stage(
    instance_id: str,
    stage: str,
    engines: Sequence[str],
    time_limit: float,
    *,
    json_out: Path | None = None,
    mps_out: Path | None = None,
    log: bool = False,
    echo: Callable[[str], None] = print,
) -> list[EngineRow]:
    """Solve the stages before ``stage`` of the instance, then the stage on every engine (with
    ``log``, each engine's own log on standard output).

    Raises:
        KeyError: for an unknown instance.
        ValueError: for an engine OR-Tools' backend does not know, if the instance has no such
            linear stage, or if a stage before it was not proven optimal within `SETUP_LIMIT`.
    """
    known = backend_class("ortools").engines
    unknown = [
        part
        for engine in engines
        for part in _engine_parts(engine)
        if part is not None and part not in known
    ]
    if unknown:
        raise ValueError(f"unknown engine {unknown[0]!r}; choose from {', '.join(known)}")
    region = get_instance(instance_id).load()
    started = time.perf_counter()
    problem = stage_problem(region, stage, SolverOptions(time_limit=SETUP_LIMIT))
    if problem is None:
        raise ValueError(
            f"{instance_id} has no linear stage {stage!r} reached with every stage before it "
            "proven optimal"
        )
    # The first stage has no start: no stage before it gave an answer.
    start_value = (
        evaluate(problem.terms, problem.start) + problem.constant if problem.start else None
    )
    echo(
        f"{instance_id} {stage}: {len(problem.model.variables)} variables, "
        f"{len(problem.model.constraints)} rows; the stages before it took "
        f"{time.perf_counter() - started:.1f} s; "
        + ("no start" if start_value is None else f"start value {start_value}")
    )
    if mps_out is not None:
        _write_problem(problem, instance_id, mps_out)
        echo(f"written: {mps_out}, {_start_path(mps_out)}")
    rows = []
    for engine in engines:
        row = solve_stage(problem, engine, time_limit, log=log)
        rows.append(row)
        echo(
            f"  {row.engine:<6} {row.status:<11} {row.stop_reason:<12} value {row.value} "
            f"bound {row.bound} {row.seconds:.2f} s"
            + ("" if row.checked else "  (answer fails the problem's rows or none)")
        )
    if json_out is not None:
        record = {
            "instance": instance_id,
            "stage": stage,
            "time_limit": time_limit,
            "variables": len(problem.model.variables),
            "rows": len(problem.model.constraints),
            "start_value": start_value,
            "engines": [asdict(row) for row in rows],
        }
        atomic_write_text(json_out, json.dumps(record, indent=2) + "\n")
    return rows


def _start_path(mps_out: Path) -> Path:
    return mps_out.with_name(mps_out.name + ".start.json")


def _write_problem(problem: StageProblem, instance_id: str, mps_out: Path) -> None:
    comment = f"fairshare stage {problem.name} of {instance_id} as the backend is handed it"
    text = mps_text(problem.model, problem.terms, constant=problem.constant, comments=(comment,))
    atomic_write_text(mps_out, text)
    names = {v.index: v.name for v in problem.model.variables}
    start = {names[i]: value for i, value in sorted(problem.start.items())}
    atomic_write_text(_start_path(mps_out), json.dumps(start, indent=1) + "\n")
