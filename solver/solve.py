"""Solving a region: formulate, run the lexicographic stages on a backend, return a `Result`.

Each stage is solved, its value computed exactly from the decisions, and fixed with an integer
constraint (``stage[name]``) before the next stage. A stage that is not proven optimal (time limit,
gap) ends the solve: the result is then ``feasible`` with that stage's incumbent, never
``optimal``. The whole solve runs under a hard wall-clock limit (`solver.deadline`).
"""

from __future__ import annotations

import time
from fractions import Fraction

from models.region import Region
from solver.allocation import Allocation
from solver.backends import backend_class
from solver.backends.base import Backend, Outcome, SolverOptions, Status
from solver.deadline import DeadlineExceededError, run_with_deadline
from solver.formulation import Formulation, formulate
from solver.model import Constraint
from solver.objectives import (
    MaxRelStage,
    Stage,
    Values,
    max_rel_stage,
    max_relative_deviation,
    needs_stage,
    placed,
    programme_stage,
    sum_deviation_stage,
    tie_break_stage,
    total_bounds,
)
from solver.result import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Result, StageRecord

#: Seconds allowed beyond the time limit before the solve is killed.
HARD_LIMIT_GRACE = 5.0


def solve(
    region: Region,
    backend: str = "ortools",
    options: SolverOptions | None = None,
    *,
    hard_limit: bool = True,
) -> Result:
    """Solve the region on a backend (``ortools`` or ``cbc``) within the options' limits.

    With ``hard_limit`` the solve runs in a child process that is killed ``HARD_LIMIT_GRACE``
    seconds after the time limit (plus 10%); the result then has status ``no_solution``.
    """
    options = options or SolverOptions()
    if not hard_limit:
        return _solve(region, backend, options)
    seconds = options.time_limit * 1.1 + HARD_LIMIT_GRACE
    try:
        return run_with_deadline(_solve, (region, backend, options), seconds)
    except DeadlineExceededError as error:
        return _empty(backend, options, NO_SOLUTION, "hard_time_limit", str(error))


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
        gap=options.gap,
        versions={},
        message=message,
    )


class _Run:
    """The state of one staged solve."""

    def __init__(self, region: Region, backend_name: str, options: SolverOptions) -> None:
        self.started = time.perf_counter()
        self.deadline = self.started + options.time_limit
        self.options = options
        self.f: Formulation = formulate(region)
        self.stages = _stages(self.f)
        self.backend: Backend = backend_class(backend_name)(self.f.model, options)
        self.build_seconds = time.perf_counter() - self.started
        self.records: list[StageRecord] = []
        self.values: Values | None = None

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def fix(self, name: str, terms: dict[int, int], value: int) -> None:
        self.backend.add_constraint(
            Constraint(f"stage[{name}]", "stage", tuple(sorted(terms.items())), "<=", value)
        )

    def record(
        self, name: str, outcome: Outcome, value: Fraction | None, bound: Fraction | None, unit: str
    ) -> None:
        self.records.append(
            StageRecord(
                name, outcome.status.value, outcome.stop_reason, value, bound, unit, outcome.seconds
            )
        )


def _stages(f: Formulation) -> list[Stage | MaxRelStage]:
    """The stages in order (their variables and constraints are added to the model here)."""
    stages: list[Stage | MaxRelStage] = [needs_stage(f)]
    if f.region.policy.rule_enabled("fair_split"):
        if f.region.policy.objective == "max_rel_deviation":
            stages.append(max_rel_stage(f))
        stages.append(sum_deviation_stage(f))
    stages.append(programme_stage(f))
    stages.append(tie_break_stage(f))
    return stages


def _solve(region: Region, backend_name: str, options: SolverOptions) -> Result:
    run = _Run(region, backend_name, options)
    status, stop, message = OPTIMAL, "optimal", ""
    for stage in run.stages:
        if run.remaining() <= 0:
            status, stop = FEASIBLE if run.values else NO_SOLUTION, "time_limit"
            break
        solved_before = run.values is not None
        if isinstance(stage, MaxRelStage):
            outcome = _max_rel(run, stage)
        else:
            outcome = _linear_stage(run, stage)
        if outcome.status == Status.OPTIMAL:
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
        gap=options.gap,
        versions=run.backend.versions(),
        build_seconds=run.build_seconds,
        solve_seconds=sum(r.seconds for r in run.records),
        message=message,
        notes=tuple(s.note for s in run.stages if isinstance(s, Stage) and s.note),
    )


def _linear_stage(run: _Run, stage: Stage) -> Outcome:
    """Solve one linear stage, record it, and fix it at its exact value if proven optimal."""
    outcome = run.backend.minimize(stage.terms, run.remaining())
    if outcome.values is None:
        run.record(stage.name, outcome, None, None, _unit(stage))
        return outcome
    run.values = outcome.values
    exact = stage.exact(outcome.values)
    value, bound = _scaled(run.f, stage, exact, outcome.bound)
    run.record(stage.name, outcome, value, bound, _unit(stage))
    if outcome.status == Status.OPTIMAL:
        run.fix(stage.name, stage.terms, exact - stage.constant)
    return outcome


def _unit(stage: Stage) -> str:
    units = {
        "needs": "households + dwellings (weighted)",
        "fairness_sum": "households",
        "programme": "dwellings",
    }
    return units.get(stage.name, "weighted sum")


def _scaled(
    f: Formulation, stage: Stage, exact: int, bound: float | None
) -> tuple[Fraction, Fraction | None]:
    """Stage value and bound in the stage's reporting unit (households for fairness)."""
    scale = stage.scale
    value = Fraction(exact, scale)
    if bound is None:
        return value, None
    return value, Fraction(round(bound) + stage.constant, scale)


def _max_rel(run: _Run, stage: MaxRelStage) -> Outcome:
    """Minimise the largest relative deviation of a municipality's total from its quota, exactly.

    The solver minimises a continuous ``t``; the exact maximum ``t*`` of the answer is then proven
    optimal by showing that no allocation has every deviation strictly below ``t*`` (an integer
    feasibility question, since the bounds on each total are integers), and fixed by integer
    bounds on every municipality's total.
    """
    f = run.f
    objective = {stage.variable: 1}
    if run.values is not None and not any(
        f.quotas.municipality_total(code) > 0 for code in f.region.codes
    ):
        # Nobody has a quota: there is no relative deviation, the stage is optimal at 0.
        trivial = Outcome(Status.OPTIMAL, "optimal", dict(run.values), 0.0, 0.0, 0.0)
        run.record(stage.name, trivial, Fraction(0), Fraction(0), "ratio")
        return trivial
    outcome = run.backend.minimize(objective, run.remaining(), hint=run.values)
    while outcome.values is not None:
        worst = max_relative_deviation(f, outcome.values)
        strict = _total_bounds(run, worst, strict=True)
        check = run.backend.minimize(objective, run.remaining())
        for handle in strict:
            run.backend.remove_constraint(handle)
        if check.status == Status.INFEASIBLE:
            run.values = outcome.values
            _total_bounds(run, worst, strict=False)
            proven = Outcome(
                Status.OPTIMAL,
                "optimal",
                outcome.values,
                float(worst),
                float(worst),
                outcome.seconds + check.seconds,
            )
            run.record(stage.name, proven, worst, worst, "ratio")
            return proven
        if check.values is None:
            run.values = outcome.values
            stopped = Outcome(
                Status.FEASIBLE,
                check.stop_reason,
                outcome.values,
                float(worst),
                outcome.bound,
                outcome.seconds + check.seconds,
            )
            run.record(stage.name, stopped, worst, None, "ratio")
            return stopped
        outcome = check
    run.record(stage.name, outcome, None, None, "ratio")
    return outcome


def _total_bounds(run: _Run, worst: Fraction, *, strict: bool) -> list[object]:
    """Add ``low <= P_m <= high`` for every municipality with a positive total quota."""
    handles = []
    kind = "strict" if strict else "fixed"
    for code in run.f.region.codes:
        if run.f.quotas.municipality_total(code) <= 0:
            continue
        low, high = total_bounds(run.f, code, worst, strict=strict)
        terms = tuple(sorted(run.f.placements_in(code).items()))
        for constraint in (
            Constraint(f"max_rel_{kind}_low[{code}]", "stage", terms, ">=", low),
            Constraint(f"max_rel_{kind}_high[{code}]", "stage", terms, "<=", high),
        ):
            handles.append(run.backend.add_constraint(constraint))
    return handles


def _allocation(f: Formulation, values: Values) -> Allocation:
    codes = f.region.codes
    return Allocation(
        new_homes={c: values[f.new_homes[c]] for c in codes},
        new_social={c: values[f.new_social[c]] for c in codes},
        new_middle={c: values[f.new_middle[c]] for c in codes},
        placed={cell: placed(f, values, *cell) for cell in f.placements},
    )
