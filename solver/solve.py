"""Solving a region: formulate, run the lexicographic stages on a backend, return a `Result`.

Each stage is solved, its value computed exactly from the decisions, and fixed with an integer
constraint (``stage[name]``) before the next stage. A stage that is not proven optimal ends the
solve, the result then ``feasible`` with that stage's incumbent, never ``optimal``; except a linear
stage that stops within the relative gap the options accept (``SolverOptions.gap``): it is fixed at
its answer's value and the solve goes on, so that every stage runs, and the result is ``feasible``
with stop reason ``gap_limit``. The whole solve runs under a hard wall-clock limit
(`solver.deadline`). On the OR-Tools backend the needs and fairness stages are first tried on the
placement network (`solver.decomposition`): min-cost flow bounds that prove them without the whole
MIP where they meet; once the fairness stage is fixed, the reduced costs of its flow give the later
stages rows that fix nearly every placement (`solver.network.flow_rows`), and the programme and
tie-break stages run on the model without the variables those rows fix (`solver.reduction`).

The parts: `solver.run` holds the state of a run and lists its stages; `solver.linear_stage`
solves a linear stage, `solver.levels` a min-max stage (the level search) and `solver.leximin` a
leximin stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from models.region import Region
from solver.allocation import Allocation, Stability
from solver.backends.base import GAP_LIMIT, Outcome, SolverOptions, Status
from solver.deadline import ChildDiedError, DeadlineExceededError, run_with_deadline
from solver.formulation import Formulation
from solver.levels import min_max
from solver.leximin import leximin
from solver.linear_stage import linear_stage, within_gap
from solver.memory import collector_paused, peak_resident_mib
from solver.minmax import MinMaxStage
from solver.model import LinearModel, Terms
from solver.objectives import Stage, Values, placed
from solver.reduction import with_rows
from solver.result import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Result
from solver.run import Run

#: Seconds allowed beyond the time limit before the solve is killed.
HARD_LIMIT_GRACE = 5.0

#: Receives a line of progress as the solve goes: the model built, each stage begun and ended.
#: If it has a ``close`` method, that is called in the process that solved (the child under the
#: hard limit) when the solve is over, before the result goes back.
Progress = Callable[[str], None]


def solve(
    region: Region,
    backend: str = "ortools",
    options: SolverOptions | None = None,
    *,
    hard_limit: bool = True,
    stability: Stability | None = None,
    progress: Progress | None = None,
) -> Result:
    """Solve the region on a backend (``ortools`` or ``cbc``) within the options' limits
    (``stability``: stay close to an earlier allocation, `solver.allocation.Stability`;
    ``progress``: called with a line as the model is built and as each stage begins and ends,
    from the child process under the hard limit).

    With ``hard_limit`` the solve runs in a child process that is killed ``HARD_LIMIT_GRACE``
    seconds after the time limit (plus 10%); the result then has status ``no_solution``. If that
    process dies before (a solver crashed), the result has status ``error``.
    """
    options = options or SolverOptions()
    if not hard_limit:
        return _solve(region, backend, options, stability, progress)
    seconds = options.time_limit * 1.1 + HARD_LIMIT_GRACE
    try:
        return run_with_deadline(_solve, (region, backend, options, stability, progress), seconds)
    except DeadlineExceededError as error:
        return _empty(backend, options, NO_SOLUTION, "hard_time_limit", str(error))
    except ChildDiedError as error:
        return _empty(backend, options, ERROR, "error", str(error))


def _empty(backend: str, options: SolverOptions, status: str, stop: str, message: str) -> Result:
    return Result(
        status=status,
        stop_reason=stop,
        allocation=None,
        stages=(),
        backend=backend,
        engine=options.engine or "",
        seed=options.seed,
        threads=options.threads,
        time_limit=options.time_limit,
        memory_limit=options.memory_limit,
        gap=options.gap,
        versions={},
        message=message,
    )


#: The first stage solved on the reduced model (`Run.reduce`), with the placement network: the
#: stages from it on choose the building, with nearly every placement fixed by the flow rows.
#: With a relative gap the engines measure it on the stage's whole value (the reduced objective
#: plus its constant, `solver.backends.base.Backend.minimize`'s ``offset``).
REDUCED_FROM = "programme"


def _solve(
    region: Region,
    backend_name: str,
    options: SolverOptions,
    stability: Stability | None,
    progress: Progress | None = None,
) -> Result:
    try:
        with collector_paused():
            return _solve_stages(region, backend_name, options, stability, progress or _silent)
    finally:
        close = getattr(progress, "close", None)
        if close is not None:
            close()


def _solve_stages(
    region: Region,
    backend_name: str,
    options: SolverOptions,
    stability: Stability | None,
    tell: Progress,
) -> Result:
    run = Run(region, backend_name, options, stability)
    model = run.f.model
    tell(
        f"model built: {len(model.variables):,} variables, {len(model.constraints):,} rows "
        f"({run.build_seconds:.1f} s)"
    )
    status, stop, message = OPTIMAL, "optimal", ""
    try:
        for stage in run.stages:
            if run.remaining() <= 0:
                status, stop = FEASIBLE if run.values else NO_SOLUTION, "time_limit"
                break
            solved_before = run.values is not None
            tell(f"stage {stage.name}: solving ({_since(run):.1f} s in)")
            stage_started, recorded = time.perf_counter(), len(run.records)
            _prepare(run, stage)
            outcome = _solve_stage(run, stage)
            _wall_seconds(run, recorded, time.perf_counter() - stage_started)
            tell(f"stage {stage.name}: {_ended(run, stage.name, outcome)}, {_since(run):.1f} s in")
            if outcome.status == Status.OPTIMAL:
                continue
            if isinstance(stage, Stage) and within_gap(outcome):
                status, stop = FEASIBLE, GAP_LIMIT
                continue
            if outcome.status == Status.INFEASIBLE:
                if solved_before:
                    status, stop = ERROR, "error"
                    message = "a later stage became infeasible after fixing an earlier one"
                else:
                    status, stop = INFEASIBLE, "infeasible"
            elif outcome.status == Status.FEASIBLE:
                status, stop = FEASIBLE, outcome.stop_reason
            elif outcome.status == Status.NO_SOLUTION:
                status, stop = (FEASIBLE if run.values else NO_SOLUTION), outcome.stop_reason
            else:
                status, stop, message = ERROR, "error", outcome.stop_reason
            break
    finally:
        # A narrowing relaxation begun beside a stage that was not fixed ends with the run.
        run.finish_narrowing()
    allocation = _allocation(run.f, run.values) if run.values and status != ERROR else None
    return Result(
        status=status,
        stop_reason=stop,
        allocation=allocation,
        stages=tuple(run.records),
        backend=run.backend.name,
        engine=run.backend.engine,
        seed=options.seed,
        threads=options.threads,
        time_limit=options.time_limit,
        memory_limit=options.memory_limit,
        gap=options.gap,
        versions=run.backend.versions(),
        peak_memory_mib=peak_resident_mib(),
        build_seconds=run.build_seconds,
        solve_seconds=_since(run) - run.build_seconds,
        message=message,
        notes=(
            *(s.note for s in run.stages if isinstance(s, Stage) and s.note),
            *run.notes,
        ),
    )


def _silent(_: str) -> None:
    """No progress wanted."""


def _wall_seconds(run: Run, recorded: int, seconds: float) -> None:
    """A stage's record counts the stage's whole wall-clock time: the reduction of the model
    before it, the network's work, every solver call and the checks of the answers."""
    if len(run.records) > recorded:
        run.records[-1] = replace(run.records[-1], seconds=seconds)


def _since(run: Run) -> float:
    return time.perf_counter() - run.started


def _ended(run: Run, name: str, outcome: Outcome) -> str:
    """How a stage ended, for a progress line: its status, why it stopped if not proven, its
    value where it has one, and the process's peak memory so far where known."""
    status = outcome.status.value
    text = status if outcome.stop_reason == status else f"{status} ({outcome.stop_reason})"
    record = run.records[-1] if run.records and run.records[-1].name == name else None
    if record is not None and record.value is not None:
        text += f", value {float(record.value):,.4f} {record.unit}"
    peak = peak_resident_mib()
    return text if peak is None else f"{text}, peak memory {peak:,} MiB"


def _prepare(run: Run, stage: Stage | MinMaxStage) -> None:
    """Reduce the model before `REDUCED_FROM`, where the run has a network; on the reduced
    model, narrow the bounds by the stages fixed before this one (`Run.tighten`)."""
    if stage.name == REDUCED_FROM and run.network is not None:
        run.reduce()
    run.tighten()


def _solve_stage(run: Run, stage: Stage | MinMaxStage) -> Outcome:
    if isinstance(stage, MinMaxStage):
        return leximin(run, stage) if stage.leximin else min_max(run, stage)
    return linear_stage(run, stage)


@dataclass(frozen=True)
class StageProblem:
    """A linear stage as the backend is handed it once the stages before it are fixed: the
    model it is solved on (the reduced model from `REDUCED_FROM` on) with the rows in force among
    its rows, the objective and the start (the previous stage's answer); for the needs and
    fairness stages the MIP as it would be handed to the backend if the placement network did not
    prove the stage, without the network's temporary flow rows. The stage's value of an answer
    ``v`` is ``evaluate(terms, v) + constant`` in the model's units, and that divided by
    ``scale`` in the stage's reporting unit (households for fairness)."""

    name: str
    model: LinearModel
    terms: Terms
    constant: int
    scale: int
    start: dict[int, int]


def stage_problem(region: Region, name: str, options: SolverOptions) -> StageProblem | None:
    """The problem of the linear stage ``name`` on the OR-Tools backend after every stage before
    it is solved (for measuring the engines on one stage, `benchmarks.stages`); ``None`` if the
    region has no such linear stage or a stage before it is not proven optimal."""
    run = Run(region, "ortools", options)
    try:
        for stage in run.stages:
            _prepare(run, stage)
            if stage.name == name:
                return _problem(run, stage) if isinstance(stage, Stage) else None
            if _solve_stage(run, stage).status != Status.OPTIMAL:
                return None
        return None
    finally:
        run.finish_narrowing()


def _problem(run: Run, stage: Stage) -> StageProblem:
    start = dict(run.values or {})
    reduction = run.reduction
    if reduction is None:
        model = run.f.model.with_constraints([*run.f.model.constraints, *run.fixed])
        return StageProblem(
            stage.name, model, dict(stage.terms), stage.constant, stage.scale, start
        )
    terms, constant = reduction.objective(stage.terms)
    model = with_rows(reduction, run.fixed)
    return StageProblem(
        stage.name, model, terms, constant + stage.constant, stage.scale, reduction.start(start)
    )


def _allocation(f: Formulation, values: Values) -> Allocation:
    codes = f.region.codes
    return Allocation(
        new_homes={c: values[f.new_homes[c]] for c in codes},
        new_social={c: values[f.new_social[c]] for c in codes},
        new_middle={c: values[f.new_middle[c]] for c in codes},
        placed={cell: placed(f, values, *cell) for cell in f.placements},
        transfers={key: values[t] for key, t in sorted(f.transfers.items()) if values[t]},
    )
