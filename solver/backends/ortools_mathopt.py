"""The OR-Tools backend, through MathOpt: SCIP (default), HiGHS or CP-SAT.

The model is written straight into MathOpt's ``ModelProto`` with bulk appends and handed to
MathOpt's solver core (`solver.backends.mathopt_proto`, with the parameters of
`solver.backends.mathopt_parameters`); building MathOpt's Python ``Model`` one coefficient at a
time, and exporting it again before every stage, took most of the time on large regions. MathOpt
reports a termination reason and the limit that stopped the solver separately, which maps
directly onto `Outcome`. A result within a non-zero gap tolerance is reported as feasible, never
as optimal, unless the objective bound proves it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import cached_property
from importlib.metadata import version
from typing import ClassVar

from ortools.math_opt import model_pb2, result_pb2, solution_pb2
from ortools.math_opt.python import mathopt

from solver.backends.base import (
    FIRST_ANSWER_SHARE,
    GAP_LIMIT,
    MEMORY_LIMIT,
    PROOF_AFTER_NODES,
    PROOF_SHARE,
    Backend,
    Basis,
    Outcome,
    Prover,
    Relaxation,
    SolverOptions,
    Status,
    broken_row,
    fractional_outcome,
    round_values,
)
from solver.backends.mathopt_parameters import (
    SMALL_OBJECTIVE,
    scip_memory_limit,
    solve_parameters,
)
from solver.backends.mathopt_proto import (
    append_row,
    core_solve,
    hint_parameters,
    model_proto,
    solve_relaxation,
)
from solver.memory import TRIM_AFTER_SECONDS, release_freed_memory, resident_mib
from solver.model import Constraint, LevelRow, LinearModel, Terms, evaluate
from solver.mps import mps_text

ENGINES: dict[str, mathopt.SolverType] = {
    "scip": mathopt.SolverType.GSCIP,
    "highs": mathopt.SolverType.HIGHS,
    "cpsat": mathopt.SolverType.CP_SAT,
}
#: Freed rows the model keeps before it is rebuilt without them (`MathOptBackend._compact`).
COMPACT_AFTER = 2000
#: Objective coefficients written into the MathOpt model, in multiples of its variables,
#: before it is copied afresh (`MathOptBackend._objective_set`). Protobuf's upb messages keep
#: every array they held in their arena until the message goes, so an objective set again and
#: again grows the model (a model of 10,000 variables by about 0.3 MiB a time). After
#: ``equal_burden`` at 5,000 municipalities, whose later stages set the objectives of 20
#: pricing models each round, the peak fell from 1,059-1,062 MiB to 931-943 MiB
#: (benchmarks/RESULTS.md, run 23).
COPY_AFTER_OBJECTIVES = 4
#: The largest variable bound CP-SAT keeps (its ``mip_max_bound``; larger ones it clamps).
CPSAT_MAX_BOUND = 10**7
#: The largest activity of a row that CP-SAT keeps exact (2 to its ``mip_max_activity_exponent``;
#: a row that can reach it is scaled).
CPSAT_MAX_ACTIVITY = 2**53
#: The stop reason of a solve cut short by its node limit (`MathOptBackend._minimize`).
NODE_LIMIT = "node_limit"
_REASON = result_pb2.TerminationReasonProto

#: How HiGHS solves a relaxation again where its own choice of method broke down
#: (`_broke_down`): on a master LP of column generation whose costs reached about 10**11
#: (after ``equal_burden`` at 5,000 municipalities) its dual simplex ended with the model
#: status "Unknown"; the primal simplex solved it in 12.3-12.6 s and the interior point method
#: (with its crossover to a basic solution, whose duals column generation reads) in 4.5-4.8 s,
#: each at a peak of under 180 MiB (benchmarks/RESULTS.md, run 22).
_AFTER_BREAKDOWN = _INTERIOR_POINT = mathopt.LPAlgorithm.BARRIER

#: Variables from which HiGHS solves a relaxation with an objective by its interior point
#: method (with its crossover to a basic solution, whose duals column generation and the
#: narrowing read) rather than by its own choice, the dual simplex. At 5,000 municipalities the
#: relaxations of the programme and tie-break stages took 2.1 s instead of 6.2 s and 3.7 s
#: instead of 5.4 s (84,978 variables, after ``equal_burden``), 0.77 s instead of 1.23 s and
#: 0.89 s instead of 1.02 s (50,120 variables), with the same Lagrangian bound at their duals
#: and the same rounds of column generation after. Nationally (3,425-4,863 variables) the
#: simplex is 0.01-0.015 s faster. At 37,981 variables (syn-1000-g8) the interior point
#: method is faster too (1.8 s against 2.4 s) but ends at other duals; the threshold is the
#: number of column generation's (`solver.run.COLUMNS_FROM`, counted on the reduced stage
#: model), so that syn-1000-g8 and everything smaller keeps its path. It counts the variables
#: of whatever model the backend holds: also a building MIP of the placement network and a
#: master LP of column generation (whose dual simplex broke down once, `_AFTER_BREAKDOWN`)
#: from that size (benchmarks/RESULTS.md, run 29).
BARRIER_FROM = 40_000

#: The least share of a relaxation's variables that its objective prices for the interior
#: point method from `BARRIER_FROM` variables; a sparser objective goes to HiGHS's own choice,
#: the dual simplex. At 5,000 municipalities the narrowing relaxation by the needs stage's cap
#: (5,008 of 50,120 variables priced) took 0.47-0.50 s by the dual simplex against 0.63-0.64 s
#: by the interior point method under four objectives, to the same allocations, where the
#: programme stage's (30,000 priced) took 1.08-1.23 s against 0.74-0.87 s and the tie-break
#: stage's (15,028) 1.13 s against 1.11 s (benchmarks/RESULTS.md, run 34).
BARRIER_PRICED_SHARE = 0.25


def _left_side(row: Constraint) -> tuple[str, tuple[tuple[int, int], ...], str]:
    """A row without its right-hand side: its name, terms and sense."""
    return row.name, row.terms, row.sense


def _optimal_with_duals(result: result_pb2.SolveResultProto | None) -> bool:
    """True if a relaxation ended optimal with a solution that has duals."""
    return (
        result is not None
        and result.termination.reason == _REASON.TERMINATION_REASON_OPTIMAL
        and bool(result.solutions)
        and result.solutions[0].HasField("dual_solution")
    )


def _broke_down(result: result_pb2.SolveResultProto | None) -> bool:
    """True if a relaxation ended without an answer for numerical reasons (or an error),
    not by its time limit, a proof of infeasibility or unboundedness."""
    return result is None or result.termination.reason in (
        _REASON.TERMINATION_REASON_IMPRECISE,
        _REASON.TERMINATION_REASON_NUMERICAL_ERROR,
        _REASON.TERMINATION_REASON_OTHER_ERROR,
    )


#: How HiGHS solves a relaxation without an objective (`MathOptBackend.relaxation`).
_WITHOUT_OBJECTIVE = mathopt.LPAlgorithm.PRIMAL_SIMPLEX


def _relaxation_algorithm(terms: Terms, variables: int) -> mathopt.LPAlgorithm | None:
    """HiGHS's method for a relaxation of ``variables`` variables minimising ``terms``
    (`MathOptBackend.relaxation`): the primal simplex without an objective, the interior
    point method from `BARRIER_FROM` variables where ``terms`` price at least
    `BARRIER_PRICED_SHARE` of them, else HiGHS's own choice (``None``)."""
    if not terms:
        return _WITHOUT_OBJECTIVE
    if variables >= BARRIER_FROM and len(terms) >= BARRIER_PRICED_SHARE * variables:
        return _INTERIOR_POINT
    return None


def _after_breakdown(algorithm: mathopt.LPAlgorithm | None) -> mathopt.LPAlgorithm | None:
    """The method that solves a relaxation again where ``algorithm`` broke down: the interior
    point method after HiGHS's own choice, HiGHS's own choice after the interior point method;
    none after the primal simplex (``algorithm`` itself)."""
    if algorithm is None:
        return _AFTER_BREAKDOWN
    if algorithm == _INTERIOR_POINT:
        return None
    return algorithm


_LIMIT = result_pb2.LimitProto
_BASIC = solution_pb2.BASIS_STATUS_BASIC
#: The engine of a relaxation started from a basis (`MathOptBackend.prepared_relaxation`).
_GLOP = mathopt.SolverType.GLOP


class MathOptBackend(Backend):
    """OR-Tools MathOpt with the engine named in the options."""

    name: ClassVar[str] = "ortools"
    engines: ClassVar[tuple[str, ...]] = tuple(ENGINES)

    def __init__(self, model: LinearModel, options: SolverOptions) -> None:
        super().__init__(model, options)
        if self.engine not in ENGINES:
            raise KeyError(f"unknown OR-Tools engine {self.engine!r}; known: {', '.join(ENGINES)}")
        first = options.first_answer_engine
        if first is not None and first not in ENGINES:
            raise KeyError(f"unknown OR-Tools engine {first!r}; known: {', '.join(ENGINES)}")
        if options.proof_engine is not None and options.proof_engine not in ENGINES:
            raise KeyError(
                f"unknown OR-Tools engine {options.proof_engine!r}; known: {', '.join(ENGINES)}"
            )
        #: The MathOpt model, written when a solver first needs it (`_proto`): a run whose
        #: stages the placement network proves before the model is reduced never hands the
        #: whole model to a solver (writing it took 0.4 s at 5,000 municipalities).
        self._built: model_pb2.ModelProto | None = None
        #: The model as given, without the bounds `tighten_bounds` narrowed: CP-SAT's model.
        self._given = model
        #: Whether CP-SAT reads every row of the model exactly (`_exact_for_cpsat`), once known.
        self._cpsat_exact_rows: bool | None = None
        self._rows = len(model.constraints)
        self._active: dict[int, Constraint] = {}
        self._position: dict[int, int] = {}
        #: Rows added since the model was last handed to a solver, not yet written into it.
        self._pending: dict[int, Constraint] = {}
        self._freed = 0
        #: The objective's offset in the solve under way (`minimize`), left out of its outcome.
        self._offset = 0.0
        #: Objective coefficients written into ``_built`` since it was made (`_objective_set`).
        self._objective_written = 0

    @property
    def _proto(self) -> model_pb2.ModelProto:
        """The model with every row added so far written into it."""
        if self._built is None:
            self._built = model_proto(self.model, with_names=False)
            self._objective_written = 0
        if self._pending:
            exact = self.engine == "cpsat"
            for row, constraint in self._pending.items():
                self._position[row] = len(self._built.linear_constraints.ids)
                append_row(self._built, row, constraint, with_name=False, exact=exact)
            self._pending = {}
        return self._built

    def add_constraint(self, constraint: Constraint) -> object:
        """Add a row, written into the model when it is next solved; its id is the handle."""
        row = self._rows
        self._rows += 1
        self._active[row] = constraint
        self._pending[row] = constraint
        return row

    def remove_constraint(self, handle: object) -> None:
        """Drop a row: one not yet written is forgotten (a level search adds and removes
        thousands of bound rows between two solves); one written is freed (bounds -inf..inf),
        which presolve drops. Once freed rows outnumber the added ones (and `COMPACT_AFTER`),
        the model is rebuilt without them, so that a leximin stage, which replaces every
        member's bounds in every round, does not grow it."""
        row = int(handle)  # type: ignore[call-overload]
        if self._active.pop(row, None) is None:
            return
        if self._pending.pop(row, None) is not None:
            return
        position = self._position.pop(row)
        if self._built is None:  # a row with a position was written into the built model
            raise RuntimeError("a written row without a built model")
        rows = self._built.linear_constraints
        rows.lower_bounds[position] = -math.inf
        rows.upper_bounds[position] = math.inf
        self._freed += 1
        if self._freed > max(COMPACT_AFTER, len(self._active)):
            self._compact()

    def tighten_bounds(self, bounds: Mapping[int, tuple[int, int | None]]) -> None:
        """The bounds replaced in the model and in the MathOpt model (a variable's id is its
        index), for SCIP and HiGHS. CP-SAT keeps the model as given, as its own engine and as
        the proof engine (`_proof`): on the programme stage of syn-342-g8 after
        max_abs_deviation it proves the optimum in 1.7-3.9 s under four seeds from the model as
        reduced, and under none of them in 20 s once the needs stage has fixed 191
        municipalities' new homes at their bounds (benchmarks/RESULTS.md, run 18)."""
        if self.engine == "cpsat":
            return
        super().tighten_bounds(bounds)
        if self._built is None:
            return
        variables = self._built.variables
        for index, (lower, upper) in bounds.items():
            variables.lower_bounds[index] = float(lower)
            variables.upper_bounds[index] = math.inf if upper is None else float(upper)

    def _compact(self) -> None:
        """Rebuild the model from the base rows and the added rows still in force."""
        self._built, self._position = self._rebuilt(exact=self.engine == "cpsat")
        self._pending = {}
        self._freed = 0
        self._objective_written = 0

    def _rebuilt(
        self, *, exact: bool, model: LinearModel | None = None
    ) -> tuple[model_pb2.ModelProto, dict[int, int]]:
        """The model (``model``'s variables and rows if given) with the added rows in force and
        no freed row (``exact``: no row divided, `append_row`), and the position of each added
        row in it."""
        proto = model_proto(model or self.model, with_names=False)
        position: dict[int, int] = {}
        for row, constraint in sorted(self._active.items()):
            position[row] = len(proto.linear_constraints.ids)
            append_row(proto, row, constraint, with_name=False, exact=exact)
        return proto, position

    def _set_objective(
        self, proto: model_pb2.ModelProto, terms: Terms, offset: float = 0.0
    ) -> None:
        objective = proto.objective
        objective.Clear()
        objective.maximize = False
        objective.offset = offset
        ordered = sorted(terms.items())
        objective.linear_coefficients.ids.extend(i for i, _ in ordered)
        objective.linear_coefficients.values.extend(float(c) for _, c in ordered)

    def _objective_set(self, terms: Terms) -> None:
        """``terms`` (and ``_offset``) as the objective of the backend's MathOpt model, which
        is first copied afresh where `COPY_AFTER_OBJECTIVES` times its variables have been
        written into it as objectives (the copy holds only what is in force)."""
        proto = self._proto
        self._objective_written += len(terms)
        if self._objective_written > COPY_AFTER_OBJECTIVES * max(1, len(self.model.variables)):
            fresh = model_pb2.ModelProto()
            fresh.CopyFrom(proto)
            self._built = proto = fresh
            self._objective_written = len(terms)
        self._set_objective(proto, terms, self._offset)

    def minimize(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None = None,
        *,
        offset: int = 0,
        prover: Prover | None = None,
    ) -> Outcome:
        """Minimise ``terms``, starting from ``hint`` if given, or from the answer of the options'
        ``first_answer_engine`` where that is better (`_first_answer`); an objective that is
        integral at integer points may stop at a gap below 1, which still proves optimality.
        ``offset`` and ``prover``: as `Backend.minimize`."""
        self._offset = float(self.engine_offset(offset))
        self._objective_set(terms)
        first = self.options.first_answer_engine
        if first is None or first == self.engine:
            return self._minimize(terms, time_limit, hint, prover)
        started = time.perf_counter()
        hint = self._first_answer(first, terms, time_limit * FIRST_ANSWER_SHARE, hint)
        spent = time.perf_counter() - started
        outcome = self._minimize(terms, time_limit - spent, hint, prover)
        return replace(outcome, seconds=outcome.seconds + spent)

    def _first_answer(
        self, engine: str, terms: Terms, time_limit: float, hint: Mapping[int, int] | None
    ) -> Mapping[int, int] | None:
        """The answer of ``engine`` within ``time_limit``, started from ``hint``, if it meets
        every row exactly and is better than ``hint``; otherwise ``hint``. The engine's status
        and bound are not used: on the tie-break stage of syn-5000-g8 HiGHS claimed a value
        optimal that a checked answer beat (benchmarks/RESULTS.md, run 9)."""
        values = self._solve(
            terms, time_limit, hint, tight=False, engine=engine, first_answer=True
        ).values
        if values is not None and self._broken(values) is not None:
            return hint
        return _better_start(terms, values, hint)

    def _minimize(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None,
        prover: Prover | None = None,
    ) -> Outcome:
        """The backend's engine, handing over to the options' ``proof_engine`` (if any) where it
        stops without proof after `PROOF_AFTER_NODES` nodes: first to ``prover`` (if given, for
        `PROOF_SHARE` of the time left, from the best answer so far), whose optimal outcome ends
        the solve; then to the proof engine, for `PROOF_SHARE` of the time left, from the best
        answer so far, on the model with its rows exact and the prover's bound as a row (an
        answer at that bound then ends its search: after ``leximin`` on syn-1000-g8, where the
        bound's ceiling is the optimum and SCIP's answer one dwelling above it, CP-SAT proved the
        programme stage in 12.2 s instead of 21.2 s; on syn-342-g8, where the ceiling is one
        below the optimum, it took 0.1-0.25 s longer, benchmarks/RESULTS.md, run 27); its proof
        ends the solve. Failing one, the backend's engine starts again from the better answer
        for the rest of the time. CP-SAT takes over only a model it reads exactly
        (`_exact_for_cpsat`)."""
        proof = self.options.proof_engine
        integral = all(self.model.variables[i].integer for i in terms)
        if (
            proof is None
            or proof == self.engine
            or not integral
            or (proof == "cpsat" and not self._exact_for_cpsat(terms))
        ):
            return self._checked(terms, time_limit, hint)
        started = time.perf_counter()

        def spent() -> float:
            return time.perf_counter() - started

        first = self._checked(terms, time_limit, hint, node_limit=PROOF_AFTER_NODES)
        if first.stop_reason != NODE_LIMIT:
            return first
        best = _better_start(terms, first.values, hint)
        # No seconds in the notes: they go into the output files, which must not vary.
        note = f"{self.engine} stopped without proof after {PROOF_AFTER_NODES} nodes; "
        answered: Mapping[int, int] | None = first.values
        offered = self._offered(prover, best, (time_limit - spent()) * PROOF_SHARE)
        if offered is not None:
            if offered.status == Status.OPTIMAL:
                return replace(offered, seconds=spent(), note=note + offered.note)
            answered = _better_start(terms, offered.values, answered)
            best = _better_start(terms, answered, hint)
            note += f"{offered.note}; "
        known = None if offered is None or offered.bound is None else math.ceil(offered.bound)
        proved = self._proof(proof, terms, (time_limit - spent()) * PROOF_SHARE, best, known)
        note += f"{proof} "
        if proved.status == Status.OPTIMAL:
            return replace(proved, seconds=spent(), note=note + "proved the optimum")
        found = _better_start(terms, proved.values, answered)
        rest = self._checked(terms, time_limit - spent(), _better_start(terms, found, hint))
        note += f"did not prove it ({proved.stop_reason}); {self.engine} went on"
        offered_bound = None if offered is None else offered.bound
        bounds = [b for b in (first.bound, offered_bound, rest.bound) if b is not None]
        bound = max(bounds) if bounds else None
        if rest.values is None and found is not None:
            # The first two answers meet every row: the better one stands, unproven.
            value = float(evaluate(terms, found))
            bound = None if bound is None else min(bound, value)
            return Outcome(
                Status.FEASIBLE, rest.stop_reason, dict(found), value, bound, spent(), note
            )
        if bound is not None and rest.objective is not None:
            bound = min(bound, rest.objective)
        return replace(rest, seconds=spent(), bound=bound, note=note)

    def _offered(
        self, prover: Prover | None, best: Mapping[int, int] | None, time_limit: float
    ) -> Outcome | None:
        """The outcome of ``prover`` from ``best`` within ``time_limit``, if it has one whose
        answer meets every row exactly (`_broken`); ``None`` otherwise."""
        if prover is None or best is None:
            return None
        offered = prover(best, time_limit)
        if offered is None or offered.values is None or self._broken(offered.values) is not None:
            return None
        return offered

    def _exact_for_cpsat(self, terms: Terms) -> bool:
        """Whether CP-SAT reads the model exactly: it clamps variable bounds to
        `CPSAT_MAX_BOUND` and scales a row (or the objective) whose largest possible activity
        reaches `CPSAT_MAX_ACTIVITY` (its ``mip_max_bound`` and ``mip_max_activity_exponent``)."""
        reach = self._cpsat_reach
        if reach is None:
            return False
        known = self._cpsat_exact_rows
        if known is None:
            # The model's own rows and the variables CP-SAT reads (the model as given) do
            # not change: read them once per backend (8-12 ms per national solve).
            known = self._cpsat_exact_rows = all(
                _within_activity(row.terms, reach) for row in self.model.constraints
            )
        return (
            known
            and all(_within_activity(row.terms, reach) for row in self._active.values())
            and _within_activity(terms.items(), reach)
        )

    @cached_property
    def _cpsat_reach(self) -> list[int] | None:
        """The largest magnitude of each variable of the model as given, as CP-SAT reads it;
        ``None`` where a variable has no upper bound or CP-SAT would clamp one."""
        reach: list[int] = []
        for variable in self._given.variables:
            if variable.upper is None:
                return None
            reach.append(max(abs(variable.lower), abs(variable.upper)))
        return None if max(reach, default=0) > CPSAT_MAX_BOUND else reach

    def _proof(
        self,
        engine: str,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None,
        at_least: int | None = None,
    ) -> Outcome:
        """``engine`` on the model with every row exact, from ``hint``; an answer that breaks a
        row is an error. ``at_least``: a lower bound of ``terms`` proven by other means (the
        prover's), handed over as a row, so that an answer that reaches it ends the search."""
        proto, _ = self._rebuilt(exact=True, model=self._given if engine == "cpsat" else None)
        self._set_objective(proto, terms, self._offset)
        if at_least is not None:
            row = Constraint("known_bound", "bound", tuple(sorted(terms.items())), ">=", at_least)
            append_row(proto, len(proto.linear_constraints.ids), row, with_name=False, exact=True)
        outcome = self._solve(terms, time_limit, hint, tight=False, engine=engine, proto=proto)
        if outcome.values is not None and self._broken(outcome.values) is not None:
            return Outcome(
                Status.ERROR, "error: the answer breaks a row", None, None, None, outcome.seconds
            )
        return outcome

    def _checked(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None,
        *,
        node_limit: int | None = None,
    ) -> Outcome:
        """One solve on the backend's engine whose answer meets every row exactly (SCIP solves
        again at a tight tolerance where it does not), or an error."""
        outcome = self._solve(terms, time_limit, hint, tight=False, node_limit=node_limit)
        broken = None if outcome.values is None else self._broken(outcome.values)
        if broken is not None and self.engine == "scip":
            # SCIP's feasibility tolerance is relative to the row: a regional total above a
            # million homes may come back one home off. Solve again with a tight tolerance.
            remaining = time_limit - outcome.seconds
            retry = self._solve(terms, remaining, hint, tight=True, node_limit=node_limit)
            outcome = replace(
                retry,
                seconds=outcome.seconds + retry.seconds,
                bound=_better_bound(outcome.bound, retry),
            )
            broken = None if outcome.values is None else self._broken(outcome.values)
        if broken is not None:
            return Outcome(
                Status.ERROR,
                f"error: the {self.engine} answer breaks {broken.name} after rounding "
                "(solver tolerance)",
                None,
                None,
                outcome.bound,
                outcome.seconds,
            )
        return outcome

    def _broken(self, values: Mapping[int, int]) -> Constraint | None:
        """The first constraint (of the model or added) that whole ``values`` break exactly
        (`broken_row`)."""
        return broken_row((*self.model.constraints, *self._active.values()), values)

    def _solve(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None,
        *,
        tight: bool,
        engine: str | None = None,
        node_limit: int | None = None,
        proto: model_pb2.ModelProto | None = None,
        first_answer: bool = False,
    ) -> Outcome:
        """One solve on ``engine`` (the backend's own if not given) of ``proto`` (the backend's
        model if not given); ``first_answer``: a solve for a start only (`_first_answer`). A solve
        of `TRIM_AFTER_SECONDS` or more hands the memory it freed back to the system
        (`solver.memory.release_freed_memory`)."""
        engine = engine or self.engine
        integral = all(self.model.variables[i].integer for i in terms)
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=max(time_limit, 0.001)),
            node_limit=node_limit,
            relative_gap_tolerance=self.options.gap,
            absolute_gap_tolerance=0.5 if integral and self.options.gap == 0 else 0.0,
            # HiGHS takes no thread count through MathOpt; it runs its MIP search on one thread.
            threads=None if engine == "highs" else self.options.threads,
            random_seed=self.options.seed,
            enable_output=self.options.log,
        )
        started = time.perf_counter()
        try:
            result = core_solve(
                self._proto if proto is None else proto,
                ENGINES[engine],
                solve_parameters(
                    params,
                    engine,
                    tight=tight,
                    started=bool(hint) or self.options.fast_presolve,
                    small_objective=max(map(abs, terms.values()), default=0) <= SMALL_OBJECTIVE,
                    primal_heuristics=self.options.primal_heuristics,
                    first_answer=first_answer,
                    memory_mb=self._memory_mb(engine),
                ),
                hint_parameters(hint),
            )
        except Exception as error:  # noqa: BLE001 - any solver failure is an error outcome
            return Outcome(
                Status.ERROR, f"error: {error}", None, None, None, time.perf_counter() - started
            )
        seconds = time.perf_counter() - started
        if seconds >= TRIM_AFTER_SECONDS:
            release_freed_memory()
        return self._outcome(result, integral, seconds, seconds >= 0.98 * time_limit)

    def _memory_mb(self, engine: str) -> float | None:
        """SCIP's memory limit for a solve starting now (`scip_memory_limit`); ``None`` for
        the other engines or without ``SolverOptions.memory_limit``."""
        if engine != "scip" or self.options.memory_limit is None:
            return None
        return scip_memory_limit(self.options.memory_limit, resident_mib())

    def relaxation_feasible(self, time_limit: float) -> bool | None:
        """The linear relaxation solved by GLOP, OR-Tools' simplex code. Only GLOP's proof of
        infeasibility answers ``False``; on the national instance a probe takes 0.04-0.16 s
        where SCIP's integer probe takes 0.09-0.45 s (benchmarks/RESULTS.md, run 5)."""
        result = solve_relaxation(self._relaxed(), time_limit)
        if result is None:
            return None
        reason = result.termination.reason
        if reason == _REASON.TERMINATION_REASON_INFEASIBLE:
            return False
        if reason in (_REASON.TERMINATION_REASON_OPTIMAL, _REASON.TERMINATION_REASON_FEASIBLE):
            return True
        return None

    def relaxation(self, terms: Terms, time_limit: float) -> Relaxation | None:
        """The linear relaxation solved by HiGHS's simplex code: on the least-building MIP of
        syn-5000-g8 it took 0.2 s where GLOP took 2.2 s. Without an objective (a feasibility
        problem) by the primal simplex: on the building MIP of that region's fairness stage
        0.9 s instead of 1.7 s by HiGHS's own choice (benchmarks/RESULTS.md, run 15). From
        `BARRIER_FROM` variables by HiGHS's interior point method (`_relaxation_algorithm`). Only
        for the model as given: the rows of `model_proto` are the model's constraints, in
        order and unscaled, so that each dual belongs to one `Constraint`."""
        return self.prepared_relaxation(terms)(time_limit)

    def prepared_relaxation(
        self, terms: Terms, start: Basis | None = None
    ) -> Callable[[float], Relaxation | None]:
        """`relaxation` with its model written now and solved when called: OR-Tools' engines
        release Python's lock while they solve, so a second thread that only solves does not
        slow the first.

        From ``start`` (`_initial_basis`) GLOP's simplex solves it first: at 5,000
        municipalities, from the basis of the programme stage's relaxation, the tie-break
        stage's took GLOP 126 iterations and 0.11 s, where HiGHS, which through MathOpt reads no
        basis, took 0.98 s by its interior point method (benchmarks/RESULTS.md, run 32). Where
        GLOP ends without an optimum within as many iterations as the model has rows (a limit
        in work rather than in time, so that the path does not depend on the machine's speed,
        short of the stage's own time limit), HiGHS solves it as without a start."""
        if self._rows != len(self.model.constraints):
            return lambda _: None
        relaxed = self._relaxed()
        self._set_objective(relaxed, terms)
        algorithm = _relaxation_algorithm(terms, len(self.model.variables))
        basis = None if start is None else self._initial_basis(start)
        rows = len(self.model.constraints)

        def solve(time_limit: float) -> Relaxation | None:
            started = time.perf_counter()
            result = None
            if basis is not None:
                result = solve_relaxation(relaxed, time_limit, _GLOP, None, basis, rows)
                if not _optimal_with_duals(result):
                    result = None
            if result is None:
                left = time_limit - (time.perf_counter() - started)
                result = solve_relaxation(relaxed, left, ENGINES["highs"], algorithm)
                again = _after_breakdown(algorithm)
                if _broke_down(result) and again is not algorithm:
                    left = time_limit - (time.perf_counter() - started)
                    result = solve_relaxation(relaxed, left, ENGINES["highs"], again)
            if result is None or not _optimal_with_duals(result):
                return None
            solution = result.solutions[0]
            primal = solution.primal_solution.variable_values
            dual = solution.dual_solution.dual_values
            return Relaxation(
                dict(zip(primal.ids, primal.values, strict=True)),
                dict(zip(dual.ids, dual.values, strict=True)),
                self._basis_of(solution) if solution.HasField("basis") else None,
            )

        return solve

    def _basis_of(self, solution: solution_pb2.SolutionProto) -> Basis | None:
        """The solution's basis over the model's variables and rows, in MathOpt's status
        codes; ``None`` unless it gives a status to each of them (MathOpt's ids are
        increasing, so one per variable and row means all, in order)."""
        variables, rows = solution.basis.variable_status, solution.basis.constraint_status
        if len(variables.ids) != len(self.model.variables):
            return None
        if len(rows.ids) != len(self.model.constraints):
            return None
        return Basis(tuple(variables.values), tuple(self.model.constraints), tuple(rows.values))

    def _initial_basis(self, start: Basis) -> solution_pb2.BasisProto | None:
        """``start`` as a basis of this model: each variable's status as there, each row's as
        that of the same row there (the same object where this model's rows begin with
        those of ``start``, as the later stages' relaxations over the reduced model do; else an
        equal row, else one that differs only in its right-hand side, as the building
        searches' row that keeps the needs stage does), its slack basic where ``start`` lacks
        the row. ``None`` where the variables differ in number or the statuses are no basis
        (not one basic variable or slack per row)."""
        rows = self.model.constraints
        if len(start.variables) != len(self.model.variables):
            return None
        shared = 0
        for old, new in zip(start.rows, rows, strict=False):
            if old is not new:
                break
            shared += 1
        pairs = list(zip(start.rows[shared:], start.row_status[shared:], strict=True))
        equal = dict(pairs)
        alike = {_left_side(row): status for row, status in pairs}
        row_status = [
            *start.row_status[:shared],
            *(equal.get(row, alike.get(_left_side(row), _BASIC)) for row in rows[shared:]),
        ]
        if start.variables.count(_BASIC) + row_status.count(_BASIC) != len(rows):
            return None
        basis = solution_pb2.BasisProto()
        basis.variable_status.ids.extend(range(len(start.variables)))
        basis.variable_status.values.extend(start.variables)
        basis.constraint_status.ids.extend(range(len(rows)))
        basis.constraint_status.values.extend(row_status)
        return basis

    def relaxation_least_level(self, rows: Sequence[LevelRow], time_limit: float) -> float | None:
        """GLOP minimises a new continuous variable ``t >= 0`` over the relaxation with the
        rows added."""
        relaxed = self._relaxed()
        level = len(self.model.variables)
        variables = relaxed.variables
        variables.ids.append(level)
        variables.lower_bounds.append(0.0)
        variables.upper_bounds.append(math.inf)
        variables.integers.append(False)
        bounds, matrix = relaxed.linear_constraints, relaxed.linear_constraint_matrix
        for row, (terms, slope, sense, rhs) in enumerate(rows, start=self._rows):
            bounds.ids.append(row)
            bounds.lower_bounds.append(rhs if sense == ">=" else -math.inf)
            bounds.upper_bounds.append(rhs if sense == "<=" else math.inf)
            entries = [(i, float(c)) for i, c in sorted(terms.items())]
            if slope:
                entries.append((level, slope))
            matrix.row_ids.extend([row] * len(entries))
            matrix.column_ids.extend(i for i, _ in entries)
            matrix.coefficients.extend(c for _, c in entries)
        relaxed.objective.linear_coefficients.ids.append(level)
        relaxed.objective.linear_coefficients.values.append(1.0)
        result = solve_relaxation(relaxed, time_limit)
        if result is None or result.termination.reason != _REASON.TERMINATION_REASON_OPTIMAL:
            return None
        return float(result.solutions[0].primal_solution.objective_value)

    def _relaxed(self) -> model_pb2.ModelProto:
        """A copy of the model with every variable continuous and no objective."""
        relaxed = model_pb2.ModelProto()
        relaxed.CopyFrom(self._proto)
        relaxed.objective.Clear()
        del relaxed.variables.integers[:]
        relaxed.variables.integers.extend([False] * len(relaxed.variables.ids))
        return relaxed

    def _outcome(
        self, result: result_pb2.SolveResultProto, integral: bool, seconds: float, out_of_time: bool
    ) -> Outcome:
        """Normalise MathOpt's termination; ``out_of_time`` marks a solve that used up its limit
        (some engines report the limit as undetermined)."""
        termination = result.termination
        reason, limit = termination.reason, termination.limit
        dual = termination.objective_bounds.dual_bound
        bound = dual - self._offset if math.isfinite(dual) else None
        stopped_by_time = limit == _LIMIT.LIMIT_TIME or out_of_time
        if reason in (
            _REASON.TERMINATION_REASON_INFEASIBLE,
            _REASON.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED,
        ):
            return Outcome(Status.INFEASIBLE, "infeasible", None, None, bound, seconds)
        if reason == _REASON.TERMINATION_REASON_NO_SOLUTION_FOUND:
            if limit == _LIMIT.LIMIT_MEMORY:
                stop = MEMORY_LIMIT
            elif stopped_by_time:
                stop = "time_limit"
            elif limit == _LIMIT.LIMIT_NODE:
                stop = NODE_LIMIT
            else:
                stop = f"no solution ({_LIMIT.Name(limit)})"
            return Outcome(Status.NO_SOLUTION, stop, None, None, bound, seconds)
        if reason not in (_REASON.TERMINATION_REASON_OPTIMAL, _REASON.TERMINATION_REASON_FEASIBLE):
            return Outcome(
                Status.ERROR,
                f"error: {_REASON.Name(reason)} {termination.detail}",
                None,
                None,
                bound,
                seconds,
            )
        solution = result.solutions[0].primal_solution
        raw = dict.fromkeys(range(len(self.model.variables)), 0.0)
        raw.update(zip(solution.variable_values.ids, solution.variable_values.values, strict=True))
        values = round_values(raw, self.model)
        if values is None:
            return fractional_outcome(bound, seconds)
        objective = solution.objective_value - self._offset
        proven = (
            reason == _REASON.TERMINATION_REASON_OPTIMAL
            and bound is not None
            and (objective - bound < (0.5 if integral else 1e-9 * max(1.0, abs(objective))))
        )
        if proven:
            return Outcome(Status.OPTIMAL, "optimal", values, objective, bound, seconds)
        if limit == _LIMIT.LIMIT_MEMORY:
            stop = MEMORY_LIMIT
        elif stopped_by_time:
            stop = "time_limit"
        elif limit == _LIMIT.LIMIT_NODE:
            stop = NODE_LIMIT
        elif self.options.gap > 0 and reason == _REASON.TERMINATION_REASON_OPTIMAL:
            # The engine met the relative gap of the options; only then may the solve go on
            # from this stage (`solver.linear_stage.within_gap`).
            stop = GAP_LIMIT
        else:
            stop = f"stopped without proof ({_LIMIT.Name(limit)})"
        return Outcome(Status.FEASIBLE, stop, values, objective, bound, seconds)

    @staticmethod
    def versions() -> dict[str, str]:
        """The OR-Tools package version."""
        return {"ortools": version("ortools")}

    def write_mps(self, terms: Terms) -> str:
        """The model, with names and the constraints added so far, and objective ``terms``, in
        free MPS format with every number exact (`solver.mps`)."""
        return mps_text(self.model, terms, (row for _, row in sorted(self._active.items())))


def _within_activity(terms: Iterable[tuple[int, int]], reach: Sequence[int]) -> bool:
    """Whether a row's largest possible activity stays below `CPSAT_MAX_ACTIVITY`."""
    return sum(abs(c) * reach[i] for i, c in terms) < CPSAT_MAX_ACTIVITY


def _better_start(
    terms: Terms, values: Mapping[int, int] | None, start: Mapping[int, int] | None
) -> Mapping[int, int] | None:
    """The better of an answer and a start (both meet every row) for ``terms``."""
    if values is None:
        return start
    if start is None or any(i not in start for i in terms):
        return values
    return values if evaluate(terms, values) < evaluate(terms, start) else start


def _better_bound(first: float | None, retry: Outcome) -> float | None:
    """The better lower bound of a solve whose answer broke a row and of its tight retry: the
    first solve's bound still holds (it bounds a problem whose rows are looser by the tolerance,
    so no more than the exact problem), and a retry cut short by the time limit may not have
    finished its root. Never above the retry's answer."""
    bounds = [b for b in (first, retry.bound) if b is not None]
    if not bounds:
        return None
    bound = max(bounds)
    return bound if retry.objective is None else min(bound, retry.objective)
