"""The state of one staged solve (`Run`) and the lexicographic stages it runs.

A run holds the formulation, the backend, the rows added to it and in force (each stage's fixed
value, a min-max stage's bounds, the placement network's flow rows), the current answer, and the
record of each stage. From `solver.solve.REDUCED_FROM` on, it solves on the model without the
variables the rows in force fix (`Run.reduce`, `solver.reduction`), and maps every answer back to
a whole point that it checks against the whole model.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction
from functools import partial

from models.region import Region
from solver.allocation import Stability
from solver.backends import backend_class
from solver.backends.base import (
    Backend,
    Basis,
    LastBasis,
    Outcome,
    Prover,
    Relaxation,
    SolverOptions,
    Status,
)
from solver.columns import (
    FAST_PRICING_PART,
    RELAXATION_UP_TO,
    BlockPricer,
    ByColumns,
    FirstRelaxation,
    solve_by_columns,
)
from solver.dual_bound import implied_bounds
from solver.early_narrowing import (
    EarlyNarrowing,
    NarrowingProblem,
    narrowing_problem,
    narrowing_relaxation,
)
from solver.formulation import Formulation, formulate
from solver.memory import release_freed_memory
from solver.minmax import (
    MinMaxStage,
    absolute_deviation_stage,
    burden_stage,
    norm_shortfall_stage,
    relative_deviation_stage,
)
from solver.model import Constraint, LinearModel, Terms
from solver.network import PlacementNetwork, PointChecker, read_network
from solver.objectives import (
    Stage,
    Values,
    exchange_stage,
    needs_stage,
    programme_stage,
    quota_outside_stage,
    stability_stage,
    sum_deviation_stage,
    tie_break_stage,
)
from solver.reduction import Reduction, reduce_model, reduction_row, with_rows
from solver.relaxation_first import solve_by_relaxation
from solver.result import StageRecord

#: Variables of the reduced model from which HiGHS's answer starts SCIP on the stages of
#: `solver.linear_stage.FIRST_ANSWER_STAGES` (`SolverOptions.first_answer_engine`). On the
#: programme stage of syn-5000-g8 (50,120 variables) SCIP alone still had an answer of 8,303,029
#: dwellings after 150 s, against the optimum of 5,610,401, which it proved in 454-698 s; HiGHS
#: found the optimum in 123 s, and SCIP started from it proved it in 75 s (benchmarks/RESULTS.md,
#: run 10). On syn-2500-g8 (25,000 variables) SCIP alone is 3x faster than HiGHS (run 9).
FIRST_ANSWER_FROM = 40_000

#: Variables of the reduced model from which the programme and tie-break stages are first tried
#: block by block (`Run.by_columns`, `solver.columns`). On syn-5000-g8 (50,120 variables) that
#: proves the programme stage in 14-18 s, where HiGHS's answer and SCIP's proof took 41-52 s,
#: and the tie-break stage in 11-24 s, which SCIP had not proven in 1,200 s. Below, SCIP alone
#: is faster: 2.68 and 1.84 s against 4.84 and 3.48 s on syn-2500-g8 (about 25,000 variables),
#: 0.1-0.5 s against 0.7-4.3 s per stage nationally (benchmarks/RESULTS.md, run 21).
COLUMNS_FROM = 40_000

#: Variables of the reduced model from which `Run.tighten` narrows its bounds. Below, the
#: relaxations cost more than they save: 2-18 ms more per solve of the four pilot regions and
#: syn-50-g8 (95-505 variables); from 3,425 variables (the national instance, syn-342-g4) the
#: later stages save 0.1-0.2 s (benchmarks/RESULTS.md, run 18).
NARROW_FROM = 1_000

#: Variables of the reduced model above which neither `Run.tighten` nor `Run.start_narrowing`
#: solves a narrowing relaxation. After ``equal_burden`` at 5,000 municipalities (189,909
#: variables) that relaxation took about 150 s on the second core beside the pricing MIPs of
#: `solver.columns`, which start from zero duals there and do not wait for it; the solve peaked
#: at 1.6-1.8 GiB with it and 1.5 GiB without it (benchmarks/RESULTS.md, run 22).
NARROW_UP_TO = 100_000

#: The pricing MIPs of column generation solved at once without a memory limit, each SCIP
#: solve on one thread (`Run._blocks`), like the narrowing relaxation beside a stage: the
#: blocks share no row, so the cheapest points, and the whole path of column generation, do not
#: depend on it. At 5,000 municipalities pricing was most of the later stages' time (8
#: pricings of 1.5-2.0 s in the 22 s of the programme stage after ``equal_burden``); with two
#: at once that stage took 14.8 s instead of 21.8 s, with the relaxations by the interior
#: point method (`solver.backends.ortools_mathopt.BARRIER_FROM`; benchmarks/RESULTS.md, run 29).
PRICING_WORKERS = 2


def pricing_settings(options: SolverOptions, variables: int) -> tuple[SolverOptions, int | None]:
    """The options of column generation's pricing MIPs on a reduced model of ``variables``
    variables, and the most variables of one part (``None``: `solver.columns.PRICING_PART`).

    From `COLUMNS_FROM` variables, where column generation decides the stage and its pricing is
    most of the stage's time, SCIP prices with the settings of a solve started from a known
    answer (its fast presolve, without the plug-ins of
    `solver.backends.mathopt_parameters.SCIP_OFF_WHEN_STARTED`), without primal heuristics
    and in parts of `solver.columns.FAST_PRICING_PART`. At 5,000 municipalities one pricing
    then took 0.27 s instead of 0.65 s on the programme stage after ``max_abs_deviation`` and
    0.54 s instead of 0.96 s on the tie-break stage after ``equal_burden``, at the same least
    cost (medians of 5 in turns, benchmarks/RESULTS.md, run 30). The blocks' MIPs have many
    optima, and each setting returns its own (127 of 4,993 blocks differed there), so column
    generation can take another path to the same bound: after ``equal_burden`` at 5,000
    municipalities it ends at another of the optimal allocations. In run 24 such a path, on an
    earlier column generation, did not reach the bound.

    Below, column generation only proves what SCIP left unproven (`Run._block_prover`); its
    pricing took 2 s of the 84 s of syn-1000-g8 under ``equal_burden``, and its answer starts
    CP-SAT's proof, whose time depends on that start: 79 s from this path's answer, 88 s and
    146 s from those of the faster settings (run 30). There SCIP keeps its default settings."""
    if variables < COLUMNS_FROM:
        return options, None
    return replace(options, fast_presolve=True, primal_heuristics=False), FAST_PRICING_PART


#: The stop reason of a stage that column generation did not prove (`Run.by_columns`); the
#: whole MIP solved after it gives the stage's own.
UNPROVEN_BY_COLUMNS = "not proven block by block"

#: The engine that takes over where SCIP stops without proof after
#: `solver.backends.base.PROOF_AFTER_NODES` nodes on the later stages of a reduced model below
#: `FIRST_ANSWER_FROM` variables (`SolverOptions.proof_engine`): after ``max_abs_deviation`` or
#: ``leximin`` on syn-342-g8 SCIP left the programme stage one dwelling above its bound after
#: 120 s and 28,000 nodes, where CP-SAT, reasoning in integers, proves it in 1.5 s
#: (benchmarks/RESULTS.md, run 11). CP-SAT does not replace SCIP: the national tie-break stage,
#: which SCIP proves at its root in 0.3 s, CP-SAT had not proven after 60 s.
PROOF_ENGINE = "cpsat"


class Run:
    """The state of one staged solve."""

    def __init__(
        self,
        region: Region,
        backend_name: str,
        options: SolverOptions,
        stability: Stability | None = None,
    ) -> None:
        # The solver package is imported before the clock starts: it is no part of the build.
        backend_type = backend_class(backend_name)
        self.started = time.perf_counter()
        self.deadline = self.started + options.time_limit
        self.options = options
        self.f: Formulation = formulate(region, stability=stability)
        self.stages = lexicographic_stages(self.f)
        self.backend: Backend = backend_type(self.f.model, options)
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
        #: of `solver.linear_stage.FIRST_ANSWER_STAGES` (`SolverOptions.first_answer_engine`).
        self.first_answer_engine: str | None = None
        self._checker: PointChecker | None = None
        #: Handles of the stage rows (`fix`); `tighten` has read the first ``_caps_read``.
        self._caps: list[int] = []
        self._caps_read = 0
        #: The relaxation for the next cap's narrowing, begun while its stage solves.
        self._early: EarlyNarrowing | None = None
        #: The basis of the last narrowing relaxation, over the reduced model's variables, and
        #: the handle of the cap it narrowed by: column generation's first relaxation of the
        #: stage after that cap's starts from it (`_start_basis`).
        self._basis: tuple[int, Basis | None] | None = None
        #: The rows in force when the model was reduced, whose fixings rest on them, are those
        #: whose handles are below this one (handles only grow).
        self._reduced_below = 0
        #: The pricer of the last column generation, for the next stage over the same blocks.
        self._pricer: BlockPricer | None = None
        #: The formulation, the stages, the backend's model and the placement network.
        self.build_seconds = time.perf_counter() - self.started

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    @property
    def fixed(self) -> list[Constraint]:
        """Every row added to the backend and in force, in the order added (once the model is
        reduced, less those over fixed variables alone, which hold at every point of it)."""
        return [row for _, row in self.rows.values()]

    def network_rows(self) -> list[Constraint]:
        """The rows in force less the stage rows that the flow rows imply: a stage fixed at the
        cost of its network's cheapest flow keeps exactly the allocations whose placements obey
        the flow rows at slack 0 (`solver.network.flow_rows`), which the network can read."""
        return [row for row in self.fixed if row.name not in self.implied]

    def add_row(self, row: Constraint) -> int:
        """Add a row to the backend (over the free variables once the model is reduced); the
        handle to remove it.

        Raises:
            RuntimeError: if the model is reduced and the row reads a variable it derives
                (`solver.reduction`): no stage after the reduction fixes a row over one.
        """
        if self.reduction is not None and self.reduction.reads_derived(row.terms):
            raise RuntimeError(f"{row.name} reads a variable the reduced model derives")
        handle = next(self._handles)
        self.rows[handle] = (self._add_to_backend(row), row)
        return handle

    def _add_to_backend(self, row: Constraint) -> object | None:
        if self.reduction is None:
            return self.backend.add_constraint(row)
        reduced = reduction_row(self.reduction, row)
        return None if reduced is None else self.backend.add_constraint(reduced)

    def remove_row(self, handle: int) -> None:
        if handle < self._reduced_below:
            raise RuntimeError("a row the reduced model was built on cannot be removed")
        backend_handle, _ = self.rows.pop(handle)
        if backend_handle is not None:
            self.backend.remove_constraint(backend_handle)

    def minimize(
        self,
        terms: Terms,
        hint: Mapping[int, int] | None,
        *,
        first_answer: bool = False,
        by_blocks: bool = False,
    ) -> Outcome:
        """Minimise ``terms`` on the backend within the time left, from ``hint`` if given; on
        a reduced model the terms and the start are mapped to it, and the answer back to a
        whole point, which must meet every row of the model and every row in force. With
        ``first_answer``, the run's `first_answer_engine` (if any) runs first. With
        ``by_blocks``, on a reduced model below `COLUMNS_FROM` variables (above, `by_columns`
        came first), column generation may prove the stage where SCIP stops without proof
        after its nodes, before the proof engine (`_block_prover`)."""
        reduction, checker = self.reduction, self._checker
        if reduction is None or checker is None:
            return self.backend.minimize(terms, self.remaining(), hint=hint)
        engine = self.first_answer_engine if first_answer else None
        if engine is not None:
            # Only the programme stage asks for a first answer (`FIRST_ANSWER_STAGES`).
            self.notes.append(
                "The programme stage, on a reduced model of "
                f"{len(reduction.model.variables):,} variables, starts from HiGHS's answer "
                "where that is better than the previous answer and meets every row; SCIP "
                "proves it."
            )
        if self.backend.options.first_answer_engine != engine:
            self.backend.options = replace(self.backend.options, first_answer_engine=engine)
        reduced, constant = reduction.objective(terms)
        start = None if hint is None else reduction.start(hint)
        prover = None
        if by_blocks and len(reduction.model.variables) < COLUMNS_FROM:
            prover = self._block_prover(terms, reduced, constant)
        # The constant goes to the backend too: a relative gap is measured on the whole value.
        outcome = self.backend.minimize(
            reduced, self.remaining(), hint=start, offset=constant, prover=prover
        )
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

    def by_columns(self, terms: Terms, hint: Mapping[int, int] | None) -> Outcome | None:
        """Minimise ``terms`` on the reduced model block by block (`solver.columns`), from
        `COLUMNS_FROM` variables on the OR-Tools backend with SCIP (`_blocks`), starting from
        ``hint``: an answer whose value reaches the ceiling of the exact Lagrangian bound,
        mapped back to a whole point that meets every row, proven optimal; where no answer
        reaches it, the best one found with that bound, status feasible and stop reason
        `UNPROVEN_BY_COLUMNS` (the caller then solves the stage whole from it,
        `solver.linear_stage`); ``None`` where the decomposition gives no bound."""
        reduction, checker = self.reduction, self._checker
        if (
            reduction is None
            or checker is None
            or hint is None
            or len(reduction.model.variables) < COLUMNS_FROM
        ):
            return None
        reduced, constant = reduction.objective(terms)
        found = self._blocks(terms, reduced, reduction.start(hint), self.deadline, price_alone=True)
        if found is None:
            return None
        point = reduction.point(found.values)
        if not checker.holds(self.fixed, point):
            self.notes.append(
                "an answer found block by block broke a row of the model; the stage was "
                "solved whole instead"
            )
            return None
        outcome = _by_blocks_outcome(found, constant)
        if not found.proven:
            outcome = replace(outcome, note=f"{outcome.note}; solved whole from that answer")
        return replace(
            outcome,
            values=point,
            objective=float(found.value + constant),
            bound=float(math.ceil(found.bound) + constant),
        )

    def _blocks(
        self,
        terms: Terms,
        reduced: Terms,
        start: Mapping[int, int],
        deadline: float,
        *,
        price_alone: bool = False,
    ) -> ByColumns | None:
        """``reduced`` (``terms`` on the reduced model) minimised block by block
        (`solve_by_columns`) from ``start``, a point of the reduced model that meets every
        row in force, by ``deadline``; only on the OR-Tools backend with SCIP, whose proofs of
        the pricing MIPs the bound rests on (HiGHS called a pricing point optimal that SCIP
        beat, and CP-SAT took over 100 s for one). The pricing solves `PRICING_WORKERS` parts
        at once (at most one per core the process may use, or ``SolverOptions.threads``
        parts if more), each on one thread, and one at a time under a memory limit (which
        bounds each solve, not their sum), with the settings and in the parts of
        `pricing_settings`. With ``price_alone`` (a stage decided block by block,
        `by_columns`, not one SCIP left unproven, where the first relaxation is long solved)
        the blocks are priced at zero duals too while the first relaxation solves
        (`solve_by_columns`). ``None`` where the decomposition gives no bound."""
        reduction = self.reduction
        if reduction is None or self.backend.engine != "scip":
            return None
        model = with_rows(reduction, self.fixed)
        backend_type = backend_class(self.backend.name)
        workers = 1
        if self.options.memory_limit is None:
            workers = max(self.options.threads, min(PRICING_WORKERS, _cores()))
        # SCIP solves on two threads each, two at once, crashed the process (a segmentation
        # fault nationally and at 5,000 municipalities; benchmarks/RESULTS.md, run 23).
        options = replace(
            self.options,
            first_answer_engine=None,
            proof_engine=None,
            threads=1 if workers > 1 else self.options.threads,
        )
        pricing, part = pricing_settings(options, len(model.variables))
        pricer, self._pricer = self._pricer, None
        found = solve_by_columns(
            model,
            reduced,
            start,
            lambda sub: backend_type(sub, options),
            deadline,
            self._early_relaxation(terms),
            workers,
            lambda sub: backend_type(sub, pricing),
            part,
            basis=self._start_basis(),
            pricer=pricer,
            price_alone=price_alone,
        )
        # Kept for the next stage only where this one is proven (else the stage is solved
        # whole next, and the pricer's models would only hold memory) and without a memory
        # limit (which bounds each solve, not what the run holds between them).
        if found is not None and found.proven and self.options.memory_limit is None:
            self._pricer = found.pricer
        return found

    def _start_basis(self) -> Basis | None:
        """The basis that column generation's first relaxation starts from: that of the
        narrowing relaxation by the last cap (`fix`), which minimised the objective of the
        stage fixed last over the same variables and the rows in force before that cap. The
        stage after it keeps that objective at its optimum, and its relaxation is near: at
        5,000 municipalities GLOP solved the tie-break stage's from the programme stage's basis
        in 0.20-0.22 s, where HiGHS without it took 1.03-1.18 s. Not from an older one: the
        programme stage's relaxation from the needs stage's basis (the fairness stage's cap
        between, implied by the flow rows and so not narrowed by) took GLOP 1.24-1.25 s against
        0.84-0.91 s without it (benchmarks/RESULTS.md, run 32). The programme stage's first
        duals come from the narrowing relaxation begun beside it anyway, unless that is not
        begun (under a memory limit)."""
        if self._basis is None or not self._caps:
            return None
        cap, basis = self._basis
        return basis if cap == self._caps[-1] else None

    def _block_prover(self, terms: Terms, reduced: Terms, constant: int) -> Prover:
        """The `Prover` that `minimize` offers the backend for ``terms`` (`by_blocks`), which
        are ``reduced`` plus ``constant`` on the reduced model: column generation (`_blocks`)
        from the answer SCIP stopped with. Its Lagrangian bound is the stage's optimum
        wherever the blocks' convex hulls close the gap, and its answer or SCIP's may reach
        it: the proof. Otherwise the bound, exact, still goes to the proof engine
        (benchmarks/RESULTS.md, run 27)."""

        def prove(best: Mapping[int, int], seconds: float) -> Outcome | None:
            deadline = min(self.deadline, time.perf_counter() + seconds)
            found = self._blocks(terms, reduced, best, deadline)
            return None if found is None else _by_blocks_outcome(found, constant)

        return prove

    def _early_relaxation(self, terms: Terms) -> FirstRelaxation | None:
        """What waits for the relaxation of ``terms`` that `start_narrowing` began beside this
        stage and gives it with its model (``None`` if it failed); ``None`` if there is none
        for these terms, or on a model above `solver.columns.RELAXATION_UP_TO` variables:
        column generation then starts from zero duals rather than wait (after
        ``equal_burden`` at 5,000 municipalities the relaxation takes about 150 s). It does so
        even where the relaxation happens to be solved already, so that the path of column
        generation, and whether it proves the stage, never depends on how fast the other
        thread was. `tighten` takes the same answer afterwards."""
        early, reduction = self._early, self.reduction
        if early is None or reduction is None or early.model is not reduction.model:
            return None
        if early.terms != dict(terms) or len(reduction.model.variables) > RELAXATION_UP_TO:
            return None

        def relaxation() -> tuple[LinearModel, Relaxation] | None:
            solved = early.result()
            return None if solved is None else (early.problem.model, solved)

        return relaxation

    def reduce(self) -> None:
        """From now on solve on the model without the variables the rows in force fix, the
        others counted from the current answer (`solver.reduction`), on a new backend holding
        the rows in force over them. Only linear stages may follow: the level searches of
        min-max stages read the whole model.

        The splits that no stage still to solve prices and no row in force holds but their
        own and the stage rows that the flow rows imply (`implied`) are left out and derived
        from their expressions (`solver.reduction`). An implied row is then no row of the
        reduced model but stays in force, and the checker of the answers checks it."""
        solved = {record.name for record in self.records}
        later = [stage for stage in self.stages if stage.name not in solved]
        linear = [stage for stage in later if isinstance(stage, Stage)]
        if len(linear) != len(later):
            raise RuntimeError("only linear stages may follow the reduction")
        priced = {index for stage in linear for index in stage.terms}
        reduction = reduce_model(
            self.f.model, self.fixed, self.values, priced=priced, implied=self.implied
        )
        if reduction is None:
            return
        self.reduction = reduction
        # Only the programme and tie-break stages follow, and the network solves neither; its
        # checker, of the same whole model, checks their answers.
        network, self.network = self.network, None
        self._reduced_below = max(self.rows, default=-1) + 1
        self._checker = PointChecker(self.f.model) if network is None else network.checker
        options = self.options
        if self.backend.name == "ortools" and self.backend.engine == "scip":
            if len(reduction.model.variables) >= FIRST_ANSWER_FROM:
                self.first_answer_engine = "highs"
            else:
                options = replace(options, proof_engine=PROOF_ENGINE)
        self._basis = None
        self._begin_cap_narrowing(reduction)
        name = self.backend.name
        rows, self.rows = self.rows, {}
        # The whole model's backend goes before the reduced model's is built, and the memory
        # both freed goes back to the system before the longest solves of the run.
        del self.backend
        self.backend = backend_class(name)(reduction.model, options)
        # A row in force over fixed variables alone holds at every point of the reduced model
        # and is not kept: at 5,000 municipalities the flow rows that fix 35,472 placements
        # held 12 MiB. The others stay in force, to be checked, even where the reduced model
        # needs no row for them (`reduction_row`: a row its bounds imply, an implied row).
        fixed = reduction.fixed
        for handle, (_, row) in rows.items():
            backend_handle = self._add_to_backend(row)
            if backend_handle is not None or any(i not in fixed for i, _ in row.terms):
                self.rows[handle] = (backend_handle, row)
        release_freed_memory()

    def _begin_cap_narrowing(self, reduction: Reduction) -> None:
        """Begin, on a second thread, the relaxation that `tighten` needs first once the model is
        reduced (the first cap it reads), while the rows in force are written to the reduced
        model's backend: nationally the needs stage's cap, whose relaxation the programme stage
        waited for (benchmarks/RESULTS.md, run 28). Only where `start_narrowing` would begin
        one: within `_narrows` and without a memory limit. The caps it counts are those the
        reduction keeps: over a variable left free, or breaking the reduced model."""
        if not _narrows(reduction) or self.options.memory_limit is not None:
            return
        fixed = reduction.fixed
        kept = [
            handle
            for handle in self._caps
            if handle in self.rows
            and (
                any(i not in fixed for i, _ in self.rows[handle][1].terms)
                or reduction_row(reduction, self.rows[handle][1]) is not None
            )
        ]
        pending = [
            handle
            for handle in self._caps[self._caps_read :]
            if handle in kept and self.rows[handle][1].name not in self.implied
        ]
        if not pending:
            return
        cap = pending[0]
        others = tuple(handle for handle in kept if handle != cap)
        terms = dict(self.rows[cap][1].terms)
        problem, solve = self._narrowing(reduction, others, terms)
        self.finish_narrowing()
        self._early = EarlyNarrowing(
            terms, reduction.model, others, problem, partial(solve, self.remaining())
        )

    def tighten(self) -> None:
        """Narrow the reduced model's bounds by the stages fixed (`fix`) since the last call,
        from `NARROW_FROM` up to `NARROW_UP_TO` variables (`_narrows`).

        Each ``stage[...]`` row caps its stage's objective at the optimum for every later stage.
        The relaxation of that objective over the reduced model and the other caps gives, by its
        reduced costs, bounds that every point within the cap obeys
        (`solver.dual_bound.implied_bounds`); where the relaxation reaches the optimum, every
        variable with a reduced cost is fixed. Nationally the needs stage fixes 535 of the
        programme stage's 3,425 variables, and the programme stage narrows 1,341 for the
        tie-break stage, which then takes 0.22-0.43 s instead of 0.36-0.54 s, its narrowing
        included; at 5,000 municipalities the needs stage fixes 10,406 variables and the
        programme stage takes 43-52 s instead of 241 s (benchmarks/RESULTS.md, run 18). Any
        point the narrowing loses breaks a cap, so no allocation the later stages want is lost.

        A cap that the flow rows imply (`implied`) is skipped: their reduced costs fixed its
        placements already. The other rows in force stay out of the relaxation, which is then
        a wider one and its bounds still hold: with the 1,100-1,400 rows of a min-max stage,
        the narrowing before the national programme stage took 0.37-0.50 s instead of
        0.08-0.09 s.
        """
        if self.reduction is None or not _narrows(self.reduction):
            return
        caps, self._caps_read = self._caps[self._caps_read :], len(self._caps)
        for handle in caps:
            # A cap over fixed variables alone was dropped by `reduce`: it narrows nothing.
            if handle not in self.rows or self.rows[handle][1].name in self.implied:
                continue
            if self.remaining() <= 0:
                return
            bounds = self._implied_by(handle, self.reduction)
            if bounds:
                self.reduction = replace(
                    self.reduction, model=self.reduction.model.with_bounds(bounds, copy=True)
                )
                self.backend.tighten_bounds(bounds)

    def _implied_by(
        self, handle: int, reduction: Reduction
    ) -> dict[int, tuple[int, int | None]] | None:
        """The bounds of the reduced model's variables that the cap ``handle`` implies, from
        the relaxation of its objective over the reduced model and the other caps: the one
        `start_narrowing` began while the cap's stage was solved where it is that problem, else
        one solved now."""
        cap = self.rows[handle][1]
        others = tuple(other for other in self._caps if other != handle and other in self.rows)
        terms = dict(cap.terms)
        early, self._early = self._early, None
        if early is not None and early.serves(terms, reduction.model, others):
            problem, relaxation = early.problem, early.result()
        else:
            if early is not None:
                early.result()
            problem, solve = self._narrowing(reduction, others, terms)
            relaxation = solve(self.remaining())
        if relaxation is None:
            return None
        self._basis = (handle, relaxation.basis)
        return implied_bounds(
            problem.model, problem.terms, cap.rhs - problem.constant, relaxation.duals
        )

    def start_narrowing(self, stage: Stage) -> None:
        """Begin, on a second thread, the relaxation that `tighten` needs once ``stage`` is
        fixed, while the stage itself is solved on the reduced model
        (`solver.early_narrowing`).

        That relaxation minimises the stage's own objective over the reduced model and the caps
        in force; the stage's optimum enters only afterwards, as the cap's value. So it need
        not wait for the stage, and the bounds are those of the same relaxation solved after
        it. Not for the last stage (nothing follows it), outside `_narrows`, or with
        a memory limit (SCIP's share of it counts the memory in use as its search starts, not
        that of a second solve growing beside it)."""
        reduction = self.reduction
        if (
            reduction is None
            or not _narrows(reduction)
            or stage is self.stages[-1]
            or self.options.memory_limit is not None
        ):
            return
        self.finish_narrowing()
        caps = tuple(handle for handle in self._caps if handle in self.rows)
        terms = dict(stage.terms)
        problem, solve = self._narrowing(reduction, caps, terms)
        self._early = EarlyNarrowing(
            terms, reduction.model, caps, problem, partial(solve, self.remaining())
        )

    def _narrowing(
        self, reduction: Reduction, caps: tuple[int, ...], terms: Terms
    ) -> tuple[NarrowingProblem, Callable[[float], Relaxation | None]]:
        """The relaxation of ``terms`` over the reduced model with the caps ``caps`` (handles),
        written now, and its solve given a time limit. Not from the basis of the last one
        (`_basis`): at 5,000 municipalities GLOP took the programme stage's relaxation from the
        needs stage's cap's basis 1.24-1.25 s, HiGHS without it 0.84-0.91 s
        (benchmarks/RESULTS.md, run 32)."""
        problem = narrowing_problem(reduction, [self.rows[cap][1] for cap in caps], terms)
        return problem, narrowing_relaxation(
            backend_class(self.backend.name), self.options, problem
        )

    def finish_narrowing(self) -> None:
        """Wait for a relaxation begun by `start_narrowing` that no cap took (its stage was not
        fixed), so that no solve outlives the run."""
        early, self._early = self._early, None
        if early is not None:
            early.result()

    def fix(self, name: str, terms: dict[int, int], value: int) -> None:
        row = Constraint(f"stage[{name}]", "stage", tuple(sorted(terms.items())), "<=", value)
        self._caps.append(self.add_row(row))

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

    def solve_building(
        self,
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        """A MIP over the building variables alone, on the run's backend (`solver.network`),
        within half the time left, so that the whole MIP keeps the other half if the network
        proves nothing: proven by its relaxation where that is enough
        (`solver.relaxation_first`, which steers a search without ``terms`` by ``guide`` and
        starts its relaxation from ``last``'s basis), else solved whole."""
        started = time.perf_counter()
        remaining = max(self.remaining() / 2, 0.001)
        options = replace(self.options, time_limit=remaining, primal_heuristics=False)
        backend_type = backend_class(self.backend.name)

        def backend_for(sub: LinearModel) -> Backend:
            return backend_type(sub, options)

        backend = backend_for(model)
        proven = solve_by_relaxation(backend, terms, remaining, backend_for, guide, last)
        if proven is not None:
            return proven
        left = max(remaining - (time.perf_counter() - started), 0.001)
        outcome = backend.minimize(terms, left)
        return replace(outcome, seconds=time.perf_counter() - started)


def _cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _shifted(value: float | None, constant: int) -> float | None:
    return None if value is None else value + constant


def _by_blocks_outcome(found: ByColumns, constant: int) -> Outcome:
    """The outcome of column generation on the reduced model (objective and bound of the
    reduced terms; the note counts whole values, ``constant`` added): optimal where proven,
    else feasible with stop reason `UNPROVEN_BY_COLUMNS`."""
    value = found.value + constant
    done = (
        f"{found.blocks:,} blocks, {found.rounds} round{'' if found.rounds == 1 else 's'} of "
        f"column generation, Lagrangian bound {float(found.bound + constant):,.4f}"
    )
    return Outcome(
        Status.OPTIMAL if found.proven else Status.FEASIBLE,
        "optimal" if found.proven else UNPROVEN_BY_COLUMNS,
        found.values,
        float(found.value),
        float(math.ceil(found.bound)),
        found.seconds,
        note=(
            f"proven block by block: {done}"
            if found.proven
            else f"not proven block by block ({done}, answer {value:,})"
        ),
    )


#: The stage that comes before the sum of absolute deviations, per fairness objective.
FAIRNESS_FIRST: dict[str, Callable[[Formulation], Stage | MinMaxStage]] = {
    "max_abs_deviation": lambda f: absolute_deviation_stage(f, "fairness_max_abs"),
    "max_rel_deviation": lambda f: relative_deviation_stage(f, "fairness_max_rel"),
    "leximin": lambda f: relative_deviation_stage(f, "fairness_leximin", leximin=True),
    "quota_respecting": quota_outside_stage,
    "equal_burden": lambda f: burden_stage(f, "fairness_max_burden"),
}


def lexicographic_stages(f: Formulation) -> list[Stage | MinMaxStage]:
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


def _narrows(reduction: Reduction) -> bool:
    """True if the reduced model is narrowed by relaxations: from `NARROW_FROM` up to
    `NARROW_UP_TO` variables."""
    return NARROW_FROM <= len(reduction.model.variables) <= NARROW_UP_TO
