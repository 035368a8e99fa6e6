"""Solving a region: formulate, run the lexicographic stages on a backend, return a `Result`.

Each stage is solved, its value computed exactly from the decisions, and fixed with an integer
constraint (``stage[name]``) before the next stage. A stage that is not proven optimal (time limit,
gap) ends the solve: the result is then ``feasible`` with that stage's incumbent, never
``optimal``. The whole solve runs under a hard wall-clock limit (`solver.deadline`). On the
OR-Tools backend the needs and fairness stages are first tried on the placement network
(`solver.decomposition`): min-cost flow bounds that prove them without the whole MIP where they
meet; once the fairness stage is fixed, the reduced costs of its flow give the later stages rows
that fix nearly every placement (`solver.network.flow_rows`), and the programme and tie-break
stages run on the model without the variables those rows fix (`solver.reduction`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction

from models.region import Region
from solver.allocation import Allocation, Stability
from solver.backends import backend_class
from solver.backends.base import Backend, Outcome, SolverOptions, Status
from solver.backends.flow import FlowError
from solver.deadline import DeadlineExceededError, run_with_deadline
from solver.decomposition import (
    Found,
    fairness_by_network,
    feasibility_by_network,
    needs_by_network,
)
from solver.formulation import Formulation, formulate
from solver.minmax import (
    MinMaxStage,
    absolute_deviation_stage,
    burden_stage,
    norm_shortfall_stage,
    relative_deviation_stage,
)
from solver.model import Constraint, LinearModel, Terms, evaluate
from solver.network import PlacementNetwork, PointChecker, complete, read_network
from solver.objectives import (
    Stage,
    Values,
    exchange_stage,
    needs_stage,
    placed,
    programme_stage,
    quota_outside_stage,
    stability_stage,
    sum_deviation_stage,
    tie_break_stage,
)
from solver.reduction import Reduction, reduce_model
from solver.result import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Result, StageRecord

#: Seconds allowed beyond the time limit before the solve is killed.
HARD_LIMIT_GRACE = 5.0


def solve(
    region: Region,
    backend: str = "ortools",
    options: SolverOptions | None = None,
    *,
    hard_limit: bool = True,
    stability: Stability | None = None,
) -> Result:
    """Solve the region on a backend (``ortools`` or ``cbc``) within the options' limits
    (``stability``: stay close to an earlier allocation, `solver.allocation.Stability`).

    With ``hard_limit`` the solve runs in a child process that is killed ``HARD_LIMIT_GRACE``
    seconds after the time limit (plus 10%); the result then has status ``no_solution``.
    """
    options = options or SolverOptions()
    if not hard_limit:
        return _solve(region, backend, options, stability)
    seconds = options.time_limit * 1.1 + HARD_LIMIT_GRACE
    try:
        return run_with_deadline(_solve, (region, backend, options, stability), seconds)
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

    def __init__(
        self,
        region: Region,
        backend_name: str,
        options: SolverOptions,
        stability: Stability | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.deadline = self.started + options.time_limit
        self.options = options
        self.f: Formulation = formulate(region, stability=stability)
        self.stages = _stages(self.f)
        self.backend: Backend = backend_class(backend_name)(self.f.model, options)
        self.build_seconds = time.perf_counter() - self.started
        self.records: list[StageRecord] = []
        self.values: Values | None = None
        self.notes: list[str] = []
        #: The rows added to the backend and in force, by a handle of the run's own.
        self.rows: dict[int, tuple[object | None, Constraint]] = {}
        self._handles = itertools.count()
        #: Names of stage rows that the flow rows added after them imply (`network_rows`).
        self.implied: set[str] = set()
        self.network: PlacementNetwork | None = None
        if options.network and backend_name == "ortools":
            self.network = read_network(self.f)
        #: Set by `reduce`: the backend then holds the reduced model.
        self.reduction: Reduction | None = None
        #: Set by `reduce` on a large reduced model: the engine whose answer starts the stages
        #: of `FIRST_ANSWER_STAGES` (`SolverOptions.first_answer_engine`).
        self.first_answer_engine: str | None = None
        self._checker: PointChecker | None = None
        #: The handles of the rows in force when the model was reduced (its fixings rest on them).
        self._reduced_on: frozenset[int] = frozenset()

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    @property
    def fixed(self) -> list[Constraint]:
        """Every row added to the backend and in force, in the order added."""
        return [row for _, row in self.rows.values()]

    def network_rows(self) -> list[Constraint]:
        """The rows in force less the stage rows that the flow rows imply: a stage fixed at the
        cost of its network's cheapest flow keeps exactly the allocations whose placements obey
        the flow rows at slack 0 (`solver.network.flow_rows`), which the network can read."""
        return [row for row in self.fixed if row.name not in self.implied]

    def add_row(self, row: Constraint) -> int:
        """Add a row to the backend (over the free variables once the model is reduced); the
        handle to remove it."""
        handle = next(self._handles)
        self.rows[handle] = (self._add_to_backend(row), row)
        return handle

    def _add_to_backend(self, row: Constraint) -> object | None:
        if self.reduction is None:
            return self.backend.add_constraint(row)
        reduced = _reduction_row(self.reduction, row)
        return None if reduced is None else self.backend.add_constraint(reduced)

    def remove_row(self, handle: int) -> None:
        if handle in self._reduced_on:
            raise RuntimeError("a row the reduced model was built on cannot be removed")
        backend_handle, _ = self.rows.pop(handle)
        if backend_handle is not None:
            self.backend.remove_constraint(backend_handle)

    def minimize(
        self, terms: Terms, hint: Mapping[int, int] | None, *, first_answer: bool = False
    ) -> Outcome:
        """Minimise ``terms`` on the backend within the time left, from ``hint`` if given; on
        a reduced model the terms and the start are mapped to it, and the answer back to a
        whole point, which must meet every row of the model and every row in force. With
        ``first_answer``, the run's `first_answer_engine` (if any) runs first."""
        reduction, checker = self.reduction, self._checker
        if reduction is None or checker is None:
            return self.backend.minimize(terms, self.remaining(), hint=hint)
        engine = self.first_answer_engine if first_answer else None
        if self.backend.options.first_answer_engine != engine:
            self.backend.options = replace(self.backend.options, first_answer_engine=engine)
        reduced, constant = reduction.objective(terms)
        start = None if hint is None else reduction.start(hint)
        outcome = self.backend.minimize(reduced, self.remaining(), hint=start)
        outcome = replace(
            outcome,
            objective=_shifted(outcome.objective, constant),
            bound=_shifted(outcome.bound, constant),
        )
        if outcome.values is None:
            return outcome
        point = reduction.point(outcome.values)
        if not checker.holds(self.fixed, point):
            return replace(
                outcome,
                status=Status.ERROR,
                stop_reason="error: the answer on the reduced model breaks a row of the model",
                values=None,
            )
        return replace(outcome, values=point)

    def reduce(self) -> None:
        """From now on solve on the model without the variables the rows in force fix, the
        others counted from the current answer (`solver.reduction`), on a new backend holding
        the rows in force over them. Only linear stages may follow: the level searches of
        min-max stages read the whole model."""
        reduction = reduce_model(self.f.model, self.fixed, self.values)
        if reduction is None:
            return
        self.reduction = reduction
        self._reduced_on = frozenset(self.rows)
        self._checker = PointChecker(self.f.model)
        options = self.options
        if self.backend.name == "ortools" and self.backend.engine == "scip":
            if len(reduction.model.variables) >= FIRST_ANSWER_FROM:
                self.first_answer_engine = "highs"
                self.notes.append(
                    "The programme stage, on a reduced model of "
                    f"{len(reduction.model.variables):,} variables, starts from HiGHS's answer "
                    "where that is better than the previous answer and meets every row; SCIP "
                    "proves it."
                )
            else:
                options = replace(options, proof_engine=PROOF_ENGINE)
        self.backend = backend_class(self.backend.name)(reduction.model, options)
        self.rows = {
            handle: (self._add_to_backend(row), row) for handle, (_, row) in self.rows.items()
        }

    def fix(self, name: str, terms: dict[int, int], value: int) -> None:
        row = Constraint(f"stage[{name}]", "stage", tuple(sorted(terms.items())), "<=", value)
        self.add_row(row)

    def record(
        self,
        name: str,
        outcome: Outcome,
        value: Fraction | None,
        bound: Fraction | None,
        unit: str,
        method: str = "mip",
    ) -> None:
        self.records.append(
            StageRecord(
                name,
                outcome.status.value,
                outcome.stop_reason,
                value,
                bound,
                unit,
                outcome.seconds,
                method,
            )
        )

    def solve_building(self, model: LinearModel, terms: Terms) -> Outcome:
        """A MIP over the building variables alone, on the run's backend (`solver.network`),
        within half the time left, so that the whole MIP keeps the other half if the network
        proves nothing."""
        remaining = max(self.remaining() / 2, 0.001)
        options = replace(self.options, time_limit=remaining, primal_heuristics=False)
        return backend_class(self.backend.name)(model, options).minimize(terms, remaining)


def _shifted(value: float | None, constant: int) -> float | None:
    return None if value is None else value + constant


#: The stage that comes before the sum of absolute deviations, per fairness objective.
FAIRNESS_FIRST: dict[str, Callable[[Formulation], Stage | MinMaxStage]] = {
    "max_abs_deviation": lambda f: absolute_deviation_stage(f, "fairness_max_abs"),
    "max_rel_deviation": lambda f: relative_deviation_stage(f, "fairness_max_rel"),
    "leximin": lambda f: relative_deviation_stage(f, "fairness_leximin", leximin=True),
    "quota_respecting": quota_outside_stage,
    "equal_burden": lambda f: burden_stage(f, "fairness_max_burden"),
}


def _stages(f: Formulation) -> list[Stage | MinMaxStage]:
    """The stages in order (their variables and constraints are added to the model here):
    the largest norm shortfall if the policy equalises it, needs, the policy's fairness objective
    (then always the sum of absolute deviations), programme, tie-break."""
    policy = f.region.policy
    stages: list[Stage | MinMaxStage] = []
    if policy.rule_enabled("social_norm") and policy.norm_objective == "equalise":
        stages.append(norm_shortfall_stage(f, "norm_max_shortfall"))
    stages.append(needs_stage(f))
    if policy.rule_enabled("fair_split"):
        first = FAIRNESS_FIRST.get(policy.objective)
        if first is not None:
            stages.append(first(f))
        stages.append(sum_deviation_stage(f))
    elif f.stability is not None:
        stages.append(stability_stage(f))
    if f.transfers:
        stages.append(exchange_stage(f))
    stages.append(programme_stage(f))
    stages.append(tie_break_stage(f))
    return stages


#: The first stage solved on the reduced model (`_Run.reduce`), with the placement network: the
#: stages from it on choose the building, with nearly every placement fixed by the flow rows.
#: Not with a relative gap: the reduced objective is counted from the previous answer, and a
#: relative gap on it would mean something else.
REDUCED_FROM = "programme"

#: Variables of the reduced model from which HiGHS's answer starts SCIP on the stages of
#: `FIRST_ANSWER_STAGES` (`SolverOptions.first_answer_engine`). On the programme stage of
#: syn-5000-g8 (50,120 variables) SCIP alone still had an answer of 8,303,029 dwellings after
#: 150 s, against the optimum of 5,610,401, which it proved in 454-698 s; HiGHS found the optimum
#: in 123 s, and SCIP started from it proved it in 75 s (benchmarks/RESULTS.md, run 10). On
#: syn-2500-g8 (25,000 variables) SCIP alone is 3x faster than HiGHS (run 9).
FIRST_ANSWER_FROM = 40_000

#: The engine that takes over where SCIP stops without proof after `PROOF_AFTER_NODES` nodes
#: on the later stages of a reduced model below `FIRST_ANSWER_FROM` variables
#: (`SolverOptions.proof_engine`): after ``max_abs_deviation`` or ``leximin`` on syn-342-g8 SCIP
#: left the programme stage one dwelling above its bound after 120 s and 28,000 nodes, where
#: CP-SAT, reasoning in integers, proves it in 1.5 s (benchmarks/RESULTS.md, run 11). CP-SAT
#: does not replace SCIP: the national tie-break stage, which SCIP proves at its root in 0.3 s,
#: CP-SAT had not proven after 60 s.
PROOF_ENGINE = "cpsat"

#: The stages that start from HiGHS's answer on a large reduced model. Not the tie-break stage:
#: there HiGHS found nothing better than the programme stage's answer in 450 s (and overran that
#: limit by 74 s) from one start, while from another its answer was better but SCIP did not prove
#: it either (run 10).
FIRST_ANSWER_STAGES = frozenset({"programme"})


def _solve(
    region: Region, backend_name: str, options: SolverOptions, stability: Stability | None
) -> Result:
    run = _Run(region, backend_name, options, stability)
    status, stop, message = OPTIMAL, "optimal", ""
    for stage in run.stages:
        if run.remaining() <= 0:
            status, stop = FEASIBLE if run.values else NO_SOLUTION, "time_limit"
            break
        solved_before = run.values is not None
        _prepare(run, stage)
        outcome = _solve_stage(run, stage)
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
        notes=(
            *(s.note for s in run.stages if isinstance(s, Stage) and s.note),
            *run.notes,
        ),
    )


def _prepare(run: _Run, stage: Stage | MinMaxStage) -> None:
    """Reduce the model before `REDUCED_FROM`, where the run has a network and no relative gap."""
    if stage.name == REDUCED_FROM and run.network is not None and run.options.gap == 0:
        run.reduce()


def _solve_stage(run: _Run, stage: Stage | MinMaxStage) -> Outcome:
    if isinstance(stage, MinMaxStage):
        return _min_max(run, stage)
    return _linear_stage(run, stage)


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
    run = _Run(region, "ortools", options)
    for stage in run.stages:
        _prepare(run, stage)
        if stage.name == name:
            return _problem(run, stage) if isinstance(stage, Stage) else None
        if _solve_stage(run, stage).status != Status.OPTIMAL:
            return None
    return None


def _problem(run: _Run, stage: Stage) -> StageProblem:
    start = dict(run.values or {})
    reduction = run.reduction
    if reduction is None:
        model = run.f.model.with_constraints([*run.f.model.constraints, *run.fixed])
        return StageProblem(
            stage.name, model, dict(stage.terms), stage.constant, stage.scale, start
        )
    reduced_rows = (_reduction_row(reduction, row) for row in run.fixed)
    rows = [row for row in reduced_rows if row is not None]
    terms, constant = reduction.objective(stage.terms)
    model = reduction.model.with_constraints([*reduction.model.constraints, *rows])
    return StageProblem(
        stage.name, model, terms, constant + stage.constant, stage.scale, reduction.start(start)
    )


def _reduction_row(reduction: Reduction, row: Constraint) -> Constraint | None:
    """A row in force over the reduced model's variables: ``None`` if it holds whatever they
    are, a row nothing meets if it cannot hold."""
    reduced = reduction.row(row)
    if reduced is True:
        return None
    if reduced is False:
        return Constraint(row.name, row.rule, (), ">=", 1)
    return reduced


def _linear_stage(run: _Run, stage: Stage) -> Outcome:
    """Solve one linear stage, record it, and fix it at its exact value if proven optimal.

    The previous stage's answer is handed to the solver as a start: it is feasible in this stage
    (the earlier stages are fixed at its own values), and with it SCIP proved the programme and
    tie-break stages of the national instance 4-5x faster and CBC its tie-break 2x faster
    (benchmarks/RESULTS.md, run 4). The optimum does not depend on the start: the tie-break makes
    it unique.

    The needs and fairness stages are tried on the placement network first (`_by_network`); a
    stage it proves is not handed to the backend, and a fairness stage it does not prove starts
    from the network's flow instead of the previous answer, with the rows of
    `solver.decomposition.FlowBound.rows` for allocations no worse than that start. Once a stage
    the network bounds is fixed, those rows at its exact value stay for the later stages: on the
    national instance they fix 1,707 of 1,710 placements."""
    found = _by_network(run, stage)
    method = "mip"
    if found is not None and found.proven:
        method = "network"
        reached = float(evaluate(stage.terms, found.values))
        outcome = Outcome(Status.OPTIMAL, "optimal", found.values, reached, reached, found.seconds)
    else:
        hint = found.values if found is not None else run.values
        with _flow_rows(run, found, stage.terms):
            outcome = run.minimize(
                stage.terms, hint, first_answer=stage.name in FIRST_ANSWER_STAGES
            )
        if found is not None:
            # The network's lower bound holds whatever the MIP reaches; keep the better one.
            lower = outcome.bound
            if found.bound is not None:
                lower = float(found.bound) if lower is None else max(lower, float(found.bound))
            outcome = replace(outcome, seconds=outcome.seconds + found.seconds, bound=lower)
    if outcome.note:
        run.notes.append(f"{stage.name}: {outcome.note}")
    if outcome.values is None:
        run.record(stage.name, outcome, None, None, _unit(stage))
        return outcome
    run.values = outcome.values
    exact = stage.exact(outcome.values)
    value, bound = _scaled(run.f, stage, exact, outcome.bound)
    run.record(stage.name, outcome, value, bound, _unit(stage), method)
    if outcome.status == Status.OPTIMAL:
        run.fix(stage.name, stage.terms, exact - stage.constant)
        if found is not None and found.flow_bound is not None:
            for row in found.flow_bound.rows(exact - stage.constant):
                run.add_row(row)
            if found.flow_bound.at_bound(exact - stage.constant):
                run.implied.add(f"stage[{stage.name}]")
    return outcome


def _by_network(run: _Run, stage: Stage) -> Found | None:
    """The needs or fairness stage by the placement network (`solver.decomposition`), where the
    run has a network and the stage is one it solves: needs as the first stage, or the quota
    stage or the sum of absolute deviations after it, with no rows in force but those the
    network reads (`solver.decomposition._rows_in_force`: a min-max stage's bounds on each
    municipality's placements, the flow rows of a quota stage fixed at its bound)."""
    if run.network is None:
        return None
    before = [r.name for r in run.records]
    try:
        if stage.name == "needs" and not before:
            return needs_by_network(run.network, stage.terms, run.solve_building)
        fairness = stage.name in ("fairness_quota", "fairness_sum")
        if fairness and before[:1] == ["needs"] and run.values is not None:
            return fairness_by_network(
                run.network, stage.terms, run.network_rows(), run.values, run.solve_building
            )
    except FlowError:
        return None
    return None


@contextmanager
def _flow_rows(run: _Run, found: Found | None, terms: Terms) -> Iterator[None]:
    """While the MIP solves a stage that the network bounds, the rows of `FlowBound.rows` for
    allocations no worse than the network's start: they fix most placements."""
    rows = []
    if found is not None and found.flow_bound is not None:
        rows = found.flow_bound.rows(evaluate(terms, found.values))
    handles = [run.add_row(row) for row in rows]
    try:
        yield
    finally:
        for handle in handles:
            run.remove_row(handle)


def _unit(stage: Stage) -> str:
    units = {
        "needs": "households + dwellings (weighted)",
        "fairness_sum": "households",
        "fairness_quota": "households",
        "exchanges": "households transferred",
        "stability": "households placed differently",
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


@dataclass(frozen=True)
class _Level:
    """The outcome of `_least_level`: ``level`` is the exact largest measure of ``values``;
    ``bound`` a level no allocation can stay within (the level itself once proven)."""

    status: Status
    stop_reason: str
    values: dict[int, int] | None
    level: Fraction | None
    bound: Fraction | None
    seconds: float

    def outcome(self) -> Outcome:
        level = None if self.level is None else float(self.level)
        bound = None if self.bound is None else float(self.bound)
        return Outcome(self.status, self.stop_reason, self.values, level, bound, self.seconds)


def _least_level(run: _Run, stage: MinMaxStage, members: tuple[str, ...]) -> _Level:
    """The least level ``w`` such that every member's measure is at most ``w``, proven exactly.

    Starts from the current allocation (or any feasible one), whose largest measure is an upper
    level ``u``. The largest measure any allocation can have strictly below ``u`` is
    ``c = max_m below_m(u)`` (`MinMaxStage.below`); if no allocation keeps every measure at or
    below ``c`` (an integer feasibility problem on whole-number bounds), ``u`` is optimal.
    Otherwise the answer found has a smaller largest measure, which becomes ``u``. Probes at
    ``c`` alternate with probes between ``u`` and the highest level known to be infeasible
    (`_midpoint`), so that the search takes about as many steps as the bits it must settle.

    The search runs first on the placement network (`_network_level`), whose probes decide
    whole-number feasibility without the MIP where they can; from where that stops, on the
    linear relaxation (`_relaxed_level`), whose probes are several times cheaper than integer
    ones: a level it rules out is infeasible for whole numbers too, and the least level it leaves
    is usually the answer, so that one integer probe settles it.
    """
    seconds = 0.0
    values = dict(run.values) if run.values is not None else None
    if values is None:
        start = run.minimize({}, None)
        seconds += start.seconds
        if start.values is None:
            return _Level(start.status, start.stop_reason, None, None, None, seconds)
        values = start.values
    upper = stage.worst(values, members)
    lower, first = _floor_level(stage, members)
    searched = _network_level(run, stage, members, values, upper, lower, first)
    if searched is not None:
        values, upper, lower, settled, network_seconds = searched
        seconds += network_seconds
        if settled:
            return _Level(Status.OPTIMAL, "optimal", values, upper, upper, seconds)
    lower, candidate, relaxed_seconds = _relaxed_level(run, stage, members, upper, lower, first)
    seconds += relaxed_seconds
    at_ceiling = True
    while upper > 0:
        ceiling = _next_level_below(stage, members, upper, lower)
        if ceiling is None:
            break
        if candidate < upper:
            probe, candidate = candidate, upper
        else:
            probe = ceiling if at_ceiling else min(ceiling, _midpoint(lower, upper))
            at_ceiling = not at_ceiling
        with _bounded(run, stage, members, probe):
            check = _integer_probe(run)
        seconds += check.seconds
        if check.status == Status.INFEASIBLE:
            lower = probe if lower is None else max(lower, probe)
        elif check.values is None:
            status = Status.FEASIBLE if check.status == Status.NO_SOLUTION else check.status
            return _Level(status, check.stop_reason, values, upper, lower, seconds)
        else:
            values = check.values
            upper = stage.worst(values, members)
    return _Level(Status.OPTIMAL, "optimal", values, upper, upper, seconds)


def _network_level(
    run: _Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    values: dict[int, int],
    upper: Fraction,
    lower: Fraction | None,
    first: Fraction,
) -> tuple[dict[int, int], Fraction, Fraction | None, bool, float] | None:
    """The level search of `_least_level` with every probe decided on the placement network
    (`solver.decomposition.feasibility_by_network`: no flow within the level proves it
    infeasible, a building that houses a flow gives an allocation at or below it), without
    adding the probe's rows to the backend. Probes ``first`` (the floor of `_floor_level`), then
    alternately the next level below the best allocation and the midpoint (`_midpoint`); after
    `NETWORK_GUIDE_AFTER` probes also those of `_guides`.

    Returns ``(values, upper, lower, settled, seconds)``: the best allocation found and its
    largest measure, the highest level shown infeasible, and whether the search is settled (no
    measure lies between them); the search stops unsettled at the first probe the network does
    not decide. ``None`` without a network."""
    network = run.network
    if network is None:
        return None
    started = time.perf_counter()
    start = values, upper
    pending = [first] if first > 0 else []
    at_ceiling = True
    settled = False
    probes, guided = 0, False
    while upper > 0 and run.remaining() > 0:
        ceiling = _next_level_below(stage, members, upper, lower)
        if ceiling is None:
            settled = True
            break
        if probes >= NETWORK_GUIDE_AFTER and not guided:
            guided, pending = True, [*pending, *_guides(run, stage, members, lower)]
        probes += 1
        pending = [p for p in pending if (lower is None or p > lower) and p < upper]
        if pending:
            probe = min(ceiling, pending.pop(0))
        else:
            probe = ceiling if at_ceiling else min(ceiling, _midpoint(lower, upper))
            at_ceiling = not at_ceiling
        rows = [row for code in members for row in stage.bound_constraints(code, probe)]
        try:
            shown = feasibility_by_network(
                network, [*run.network_rows(), *rows], values, run.solve_building, checked=False
            )
        except FlowError:
            shown = None
        if shown is None:
            break
        if shown.values is None:
            lower = probe if lower is None else max(lower, probe)
        else:
            values = shown.values
            upper = stage.worst(values, members)
    if values is start[0]:
        return values, upper, lower, settled or upper == 0, time.perf_counter() - started
    # Only the allocation kept is completed and checked; an infeasible probe stands alone.
    point = _whole_point(run, network, values)
    if point is None:
        values, upper = start
        return values, upper, lower, False, time.perf_counter() - started
    return point, upper, lower, settled or upper == 0, time.perf_counter() - started


def _whole_point(
    run: _Run, network: PlacementNetwork, values: Mapping[int, int]
) -> dict[int, int] | None:
    """``values`` with unmet demand and the splits recomputed from its building and placements,
    if it meets every row of the model and every row in force; ``None`` otherwise."""
    placed = {index: values[index] for index in network.f.placements.values()}
    point = complete(network.f.model, values, {}, placed, network)
    return point if network.checker.holds(run.fixed, point) else None


def _next_level_below(
    stage: MinMaxStage, members: tuple[str, ...], level: Fraction, lower: Fraction | None
) -> Fraction | None:
    """The largest measure any allocation can have strictly below ``level``: the largest of the
    members' `MinMaxStage.below`. ``None`` when the search is settled: some member cannot go
    below ``level`` at all, or that measure is not above ``lower`` (a level known infeasible)."""
    below = stage.below_each(members, level)
    if any(value is None for value in below):
        return None
    ceiling = max(value for value in below if value is not None)
    return None if lower is not None and ceiling <= lower else ceiling


def _floor_level(stage: MinMaxStage, members: tuple[str, ...]) -> tuple[Fraction | None, Fraction]:
    """The least level not ruled out by rounding alone, ``F = max_m least_m``
    (`MinMaxStage.least`): the member with the largest least measure is at ``F`` or above in
    every allocation. Returns the largest measure any member can take below ``F`` (a level no
    allocation stays within; ``None`` if no member can go below ``F``) and ``F``."""
    floor_level = max((stage.least(code) for code in members), default=Fraction(0))
    below = stage.below_each(members, floor_level)
    return max((level for level in below if level is not None), default=None), floor_level


def _midpoint(lower: Fraction | None, upper: Fraction) -> Fraction:
    """The next probe between a level known infeasible and a feasible one: halfway, or, where
    ``upper`` is more than four times ``lower``, about their geometric mean, so that a search
    that starts far above the answer (the needs stage's answer may miss a quota by thousands of
    households) takes as many steps as the bits of the ratio's exponent, not of the ratio."""
    base = lower if lower is not None and lower > 0 else Fraction(0)
    if base and upper > 4 * base:
        return Fraction(math.sqrt(float(base) * float(upper)))
    return (base + upper) / 2


def _relaxed_level(
    run: _Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    upper: Fraction,
    lower: Fraction | None,
    first: Fraction,
) -> tuple[Fraction | None, Fraction, float]:
    """The level search of `_least_level` on the linear relaxation of the model, between the
    feasible level ``upper`` and the infeasible level ``lower`` (``None``: none known): returns
    ``(lower, candidate, seconds)``, where every level up to ``lower`` is infeasible even for the
    relaxation (``None``: none shown) and the relaxation is feasible at ``candidate``, with no
    measure possible between the two (unless the backend stopped telling). Each probe bounds every
    member's whole-number expression as the integer probe does, so its relaxation is at least as
    tight as that of the integer model.

    The first probe is ``first`` (the floor of `_floor_level`, often the answer when some
    municipality's quota is small) unless it is 0; if that fails, the probes of `_guides` come
    next; then the search halves the interval.
    """
    candidate = upper
    started = time.perf_counter()
    pending = [first] if first > 0 else []
    guided = False
    while candidate > 0 and run.remaining() > 0:
        ceiling = _next_level_below(stage, members, candidate, lower)
        if ceiling is None:
            break
        if not pending and not guided:
            guided, pending = True, _guides(run, stage, members, lower)
        pending = [p for p in pending if (lower is None or p > lower) and p < candidate]
        probe = min(ceiling, pending.pop(0) if pending else _midpoint(lower, candidate))
        within = [stage.at_most(code, probe) for code in members]
        if any(level is None for level in within):
            feasible: bool | None = False  # a member has no whole value at or below the probe
        else:
            with _bounded(run, stage, members, probe):
                feasible = run.backend.relaxation_feasible(run.remaining())
        if feasible is None:
            break
        if feasible:
            candidate = max(level for level in within if level is not None)
        else:
            lower = probe if lower is None else max(lower, probe)
    return lower, candidate, time.perf_counter() - started


#: Where `_guides` probes around its base level: just below it (the least real level of the
#: relaxation, expected infeasible), then ever further above it until a probe is feasible.
GUIDE_FACTORS = tuple(
    Fraction(1) + Fraction(sign, 10**digits)
    for sign, digits in ((-1, 9), (1, 6), (1, 4), (1, 3), (1, 2), (1, 1))
)


#: Probes of `_network_level` after which the level search takes the probes of `_guides` (one
#: linear program): most searches settle in a probe or two, but one that starts far above the
#: answer halves its way down in 15 to 30 probes.
NETWORK_GUIDE_AFTER = 4


#: A least real level below this is read as 0 (floating-point noise of the linear program).
RELAXED_LEVEL_NOISE = 1e-9


def _guides(
    run: _Run, stage: MinMaxStage, members: tuple[str, ...], lower: Fraction | None
) -> list[Fraction]:
    """Probes just above the larger of ``lower`` (a level known infeasible) and the least real
    level ``t`` at which the relaxation keeps every member's measure within ``t``
    (`Backend.relaxation_least_level`, one linear program; every level feasible for whole
    numbers is at least ``t``). The answer is usually just above that base: for equal burden on
    the national instance 0.05% above ``t``, for the largest absolute deviation 2% above the
    floor, where halving from the needs stage's answer far above took 15 to 20 probes. The
    probes only guide the search: each is settled by `relaxation_feasible` like any other."""
    rows = [row for code in members for row in stage.level_rows(code)]
    least = run.backend.relaxation_least_level(rows, run.remaining())
    relaxed = Fraction(least) if least is not None and least > RELAXED_LEVEL_NOISE else Fraction(0)
    base = max(relaxed, lower or Fraction(0))
    return [base * factor for factor in GUIDE_FACTORS] if base > 0 else []


def _feasibility(run: _Run) -> Outcome:
    """Whether the model as it stands has a whole-number solution: as the placement network
    shows it (`_by_network_probe`), else infeasible at once if its linear relaxation is, otherwise
    an integer feasibility problem; ``seconds`` counts all."""
    started = time.perf_counter()
    shown = _by_network_probe(run)
    if shown is not None:
        return shown
    if run.backend.relaxation_feasible(run.remaining()) is False:
        seconds = time.perf_counter() - started
        return Outcome(Status.INFEASIBLE, "infeasible", None, None, None, seconds)
    check = run.minimize({}, None)
    return replace(check, seconds=time.perf_counter() - started)


def _integer_probe(run: _Run) -> Outcome:
    """Whether the model as it stands has a whole-number solution: on the placement network
    where it shows it (`_by_network_probe`), otherwise an integer feasibility problem."""
    shown = _by_network_probe(run)
    if shown is not None:
        return shown
    return run.minimize({}, None)


def _by_network_probe(run: _Run) -> Outcome | None:
    """A feasibility probe decided on the placement network
    (`solver.decomposition.feasibility_by_network`), or ``None`` if the network does not decide
    it."""
    if run.network is None or run.values is None:
        return None
    try:
        shown = feasibility_by_network(
            run.network, run.network_rows(), run.values, run.solve_building
        )
    except FlowError:
        return None
    if shown is None:
        return None
    if shown.values is None:
        return Outcome(Status.INFEASIBLE, "infeasible", None, None, None, shown.seconds)
    return Outcome(Status.OPTIMAL, "optimal", shown.values, 0.0, 0.0, shown.seconds)


@contextmanager
def _bounded(
    run: _Run, stage: MinMaxStage, members: tuple[str, ...], level: Fraction
) -> Iterator[None]:
    """Every member's measure at most ``level`` while the block runs."""
    with _bounded_each(run, stage, dict.fromkeys(members, level)):
        yield


@contextmanager
def _bounded_each(run: _Run, stage: MinMaxStage, levels: Mapping[str, Fraction]) -> Iterator[None]:
    """Each member's measure at most its own level while the block runs."""
    handles = [
        run.add_row(constraint)
        for code, level in levels.items()
        for constraint in stage.bound_constraints(code, level)
    ]
    try:
        yield
    finally:
        for handle in handles:
            run.remove_row(handle)


def _fix_level(
    run: _Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    level: Fraction,
    rows: dict[str, list[int]] | None = None,
) -> None:
    """Keep every member's measure at most ``level`` from now on. With ``rows`` (the handles of
    each member's bounds so far, updated here) a member's earlier, looser bounds are replaced, so
    that the model does not grow by a row per member in every round of a leximin stage; bounds
    that the new level leaves as they were stay in place."""
    for code in members:
        constraints = stage.bound_constraints(code, level)
        if rows is None:
            for constraint in constraints:
                run.add_row(constraint)
            continue
        earlier = rows.get(code, [])
        if [run.rows[handle][1] for handle in earlier] == constraints:
            continue
        handles = [run.add_row(constraint) for constraint in constraints]
        for handle in earlier:
            run.remove_row(handle)
        rows[code] = handles


def _min_max(run: _Run, stage: MinMaxStage) -> Outcome:
    """Solve a min-max stage (or a leximin one, `_leximin`) and fix it at its exact level."""
    if stage.leximin:
        return _leximin(run, stage)
    found = _least_level(run, stage, stage.members)
    if found.values is not None:
        run.values = found.values
    if found.status == Status.OPTIMAL and found.level is not None:
        _fix_level(run, stage, stage.members, found.level)
    run.record(stage.name, found.outcome(), found.level, found.bound, stage.unit)
    return found.outcome()


def _leximin(run: _Run, stage: MinMaxStage) -> Outcome:
    """Leximin: iterated min-max until every member is fixed.

    Each round finds the least level ``w`` of the members still free (`_least_level`) and keeps
    them all at or below ``w`` from then on. A member at ``w`` in the answer is *blocked* if no
    allocation puts it strictly below ``w`` while the others stay at or below ``w``; blocked
    members are fixed and leave the free set. A member seen below ``w`` in any answer of the round
    is not blocked and is not tested. When no member is blocked (possible with whole households:
    of two municipalities one must take the extra household, either one), the member with the
    lowest code that some allocation puts at ``w`` is fixed exactly at ``w`` (`_lowest_at_level`),
    a documented choice that does not depend on the answer a backend happens to return. With such
    ties the result is the iterated min-max of this rule, which can be lexicographically worse
    than the best sorted vector of deviations (fixing another municipality at the level could let
    a later level fall lower); without ties it is the leximin optimum. The stage value is the
    first (largest) level; the note of the result gives the number of rounds and of tie rounds.

    Most rounds end at the floor that rounding alone sets; runs of such rounds are settled
    together, with about as many probes as the bits of their number (`_floor_rounds`).
    """
    free = stage.members
    level_rows: dict[str, list[int]] = {}
    first: Fraction | None = None
    seconds, rounds, chosen = 0.0, 0, 0
    # Rounds without probes before the next probes: doubled each time probes settle nothing
    # more, so that a region whose rounds seldom end at the floor pays few probes in vain.
    wait, since = 0, 0
    while free:
        probe = since >= wait
        settled = _floor_rounds(run, stage, free, level_rows, probe=probe)
        seconds += settled.seconds
        free = settled.free
        if settled.levels:
            first = first if first is not None else settled.levels[0]
            rounds += len(settled.levels)
        if settled.probed:
            since, wait = 0, 0 if settled.by_probes else max(1, 2 * wait)
        elif not probe:
            since += 1
        found = _least_level(run, stage, free)
        seconds += found.seconds
        first = first if first is not None else found.level
        if found.values is not None:
            run.values = found.values
        if found.status != Status.OPTIMAL or found.values is None or found.level is None:
            outcome = replace(found.outcome(), seconds=seconds)
            run.record(stage.name, outcome, first, None, stage.unit)
            return outcome
        rounds += 1
        level = found.level
        _fix_level(run, stage, free, level, level_rows)
        candidates = [c for c in free if stage.measure(found.values, c) == level]
        blocked, stopped = _blocked(run, stage, candidates, level)
        seconds += stopped.seconds
        if stopped.status != Status.OPTIMAL:
            outcome = replace(stopped, seconds=seconds, values=found.values)
            run.record(stage.name, outcome, first, None, stage.unit)
            return outcome
        if not blocked:
            lowest, stopped = _lowest_at_level(run, stage, free, candidates, found.values, level)
            seconds += stopped.seconds
            if stopped.status != Status.OPTIMAL:
                outcome = replace(stopped, seconds=seconds, values=found.values)
                run.record(stage.name, outcome, first, None, stage.unit)
                return outcome
            blocked, chosen = [lowest], chosen + 1
        free = tuple(c for c in free if c not in blocked)
    level = first if first is not None else Fraction(0)
    values = dict(run.values) if run.values is not None else None
    outcome = Outcome(Status.OPTIMAL, "optimal", values, float(level), float(level), seconds)
    run.record(stage.name, outcome, level, level, stage.unit)
    run.notes.append(
        f"{stage.name}: {rounds} rounds of min-max; in {chosen} of them no municipality was "
        "blocked and the lowest code that can be at the level was fixed there"
    )
    return outcome


@dataclass(frozen=True)
class _FloorRounds:
    """What `_floor_rounds` settled: the levels of the rounds, the members still free after them,
    whether it probed, whether its probes settled more than the current allocation showed, and
    the seconds spent."""

    levels: list[Fraction]
    free: tuple[str, ...]
    probed: bool
    by_probes: bool
    seconds: float


def _floor_rounds(
    run: _Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    level_rows: dict[str, list[int]],
    *,
    probe: bool,
) -> _FloorRounds:
    """The leading rounds of `_leximin` that end at the floor rounding alone sets, settled
    together.

    Let ``F_0 > F_1 > ...`` be the distinct least measures (`MinMaxStage.least`) of the free
    members, and ``holds(t)``: some allocation keeps every free member ``m`` at or below
    ``max(least_m, F_t)``. If one does, for each ``i < t`` round ``i`` (members with a least
    measure above ``F_i`` fixed at it, the others at or below ``F_{i-1}``) has level ``F_i``, which
    that allocation reaches and no member with least measure ``F_i`` can go below; it blocks
    exactly those members, since the same allocation puts every other member strictly below
    ``F_i``; so the tie rule never applies. These rounds are therefore fixed as `_leximin` would
    fix them, one after the other: each blocked member at its least measure, the rest at or below
    ``F_{t-1}``; round ``t`` is left to `_leximin`, starting from the allocation found (whose
    largest measure is its level).

    The current allocation shows ``holds(t)`` for some ``t`` without a probe. With ``probe``,
    feasibility probes look further: ``holds(t)`` fails for every ``t`` above one that fails (the
    bounds only tighten), so the largest ``t`` that holds is found by bisection, after a probe of
    the last (every member at its least measure) and of the next after what is known (if it
    fails, nothing more is settled). A probe that does not finish counts as failed: fewer rounds
    are settled together, none wrongly.
    """
    started = time.perf_counter()
    floors = sorted({stage.least(code) for code in free}, reverse=True)

    def levels(t: int) -> dict[str, Fraction]:
        return {code: max(stage.least(code), floors[t]) for code in free}

    values = run.values
    # holds(holds) is shown by `found` (0: nothing to settle), holds(fails) fails (none such).
    holds, fails, found = 0, len(floors), values
    if values is not None:
        # The current allocation meets holds(t) where F_t is at least every measure above its
        # member's least measure.
        measures = ((stage.measure(values, code), stage.least(code)) for code in free)
        above = max((measure for measure, least in measures if measure > least), default=None)
        reached = len(floors) if above is None else sum(1 for f in floors if f >= above)
        holds = max(min(reached, len(floors)) - 1, 0)
    shown = holds
    asked: set[int] = set()
    while probe and fails - holds > 1 and run.remaining() > 0:
        if len(floors) - 1 not in asked:
            t = len(floors) - 1
        elif shown + 1 not in asked:
            t = shown + 1
        else:
            t = (holds + fails) // 2
        asked.add(t)
        with _bounded_each(run, stage, levels(t)):
            check = _feasibility(run)
        if check.values is not None:
            holds, found = t, check.values
        else:
            fails = t
    if holds == 0 or found is None:
        return _FloorRounds([], free, bool(asked), False, time.perf_counter() - started)
    settled = floors[:holds]
    for level in settled:
        blocked = tuple(code for code in free if stage.least(code) == level)
        _fix_level(run, stage, blocked, level, level_rows)
    rest = tuple(code for code in free if stage.least(code) < settled[-1])
    _fix_level(run, stage, rest, settled[-1], level_rows)
    run.values = found
    return _FloorRounds(settled, rest, bool(asked), holds > shown, time.perf_counter() - started)


def _lowest_at_level(
    run: _Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    candidates: list[str],
    values: Values,
    level: Fraction,
) -> tuple[str, Outcome]:
    """The free member with the lowest code that some allocation puts exactly at ``level``, and
    fix it there (``e_m`` equal to the first of its values at the level, in the order of
    `MinMaxStage.points_at`, that some allocation reaches; kept from now on). The run's values
    become an allocation that meets the fixed row.

    Members with a code below the lowest candidate of the current answer (``values``) are tried
    in code order (each value of ``e_m`` at the level is a feasibility problem); if none can reach
    the level, the lowest candidate's values are tried in the same order up to its value in the
    answer, which needs no probe. So the choice does not depend on the answer a backend returned.
    """
    seconds = 0.0
    lowest = min(candidates)
    known = stage.whole_value(values, lowest)
    for code in sorted(c for c in free if c <= lowest):
        for point in stage.points_at(code, level):
            if code == lowest and point == known:
                break
            handle = run.add_row(stage.fixed_at(code, point))
            check = _feasibility(run)
            seconds += check.seconds
            if check.status == Status.INFEASIBLE:
                run.remove_row(handle)
                continue
            if check.values is None:
                run.remove_row(handle)
                return code, Outcome(check.status, check.stop_reason, None, None, None, seconds)
            run.values = check.values
            return code, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)
    run.add_row(stage.fixed_at(lowest, known))
    run.values = dict(values)
    return lowest, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)


def _blocked(
    run: _Run, stage: MinMaxStage, candidates: list[str], level: Fraction
) -> tuple[list[str], Outcome]:
    """The candidates that cannot go strictly below ``level`` while every free member stays at or
    below it (a candidate whose linear relaxation cannot is blocked without an integer test); the
    outcome says whether every test finished (status optimal) and how long it took.
    """
    blocked: list[str] = []
    lowered: set[str] = set()
    seconds = 0.0
    for code in candidates:
        if code in lowered:
            continue
        lower = stage.below(code, level)
        if lower is None:
            blocked.append(code)
            continue
        with _bounded(run, stage, (code,), lower):
            check = _feasibility(run)
        seconds += check.seconds
        if check.status == Status.INFEASIBLE:
            blocked.append(code)
        elif check.values is None:
            return blocked, Outcome(check.status, check.stop_reason, None, None, None, seconds)
        else:
            lowered.update(c for c in candidates if stage.measure(check.values, c) < level)
    return blocked, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)


def _allocation(f: Formulation, values: Values) -> Allocation:
    codes = f.region.codes
    return Allocation(
        new_homes={c: values[f.new_homes[c]] for c in codes},
        new_social={c: values[f.new_social[c]] for c in codes},
        new_middle={c: values[f.new_middle[c]] for c in codes},
        placed={cell: placed(f, values, *cell) for cell in f.placements},
        transfers={key: values[t] for key, t in sorted(f.transfers.items()) if values[t]},
    )
