"""The interface every solver backend implements, and the normalised outcome of one solve.

A backend receives the solver-independent `LinearModel` once, then is asked to minimise one
objective after another while constraints are added (each stage fixes its optimum before the next).
An outcome separates *why the solver stopped* (``stop_reason``) from *how good the answer is*
(``status``, ``objective`` and ``bound``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import ClassVar

from solver.model import Constraint, LevelRow, LinearModel, Terms

#: Largest distance of a solver's value from an integer that is still read as that integer.
INTEGRALITY_TOLERANCE = 1e-5


class Status(StrEnum):
    """How good a stage's answer is."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    ERROR = "error"


@dataclass(frozen=True)
class SolverOptions:
    """Options of a solve; ``threads``: the threads an engine's search may use (a relaxation
    may run beside it on a thread of its own, `solver.run.Run.start_narrowing`, and column
    generation prices `solver.run.PRICING_WORKERS` parts at once even with one thread, where
    the cores allow); ``gap`` is the
    relative gap accepted (0: prove optimality);
    ``network``: try the needs and fairness stages by the placement network first
    (`solver.decomposition`; the OR-Tools backend only); ``primal_heuristics``: false switches
    SCIP's primal heuristics off (the building MIPs of the placement network, and the pricing
    MIPs of `solver.run.pricing_settings`); ``fast_presolve``: SCIP runs with the settings of a
    solve started from a known answer, its fast presolve and the heuristics and separators of
    `solver.backends.mathopt_parameters.SCIP_OFF_WHEN_STARTED` off for the whole search (the
    pricing MIPs of column generation where it decides a stage, `solver.run.pricing_settings`);
    ``log``: the
    engine prints its own log on standard output; ``first_answer_engine``: another engine of the
    backend that runs first, for at most `FIRST_ANSWER_SHARE` of the time, and whose answer, if
    it meets every row exactly and is better than the start given, starts the search; nothing
    else of that run is used, neither its status nor its bound (the OR-Tools backend only);
    ``proof_engine``: another engine of the backend that takes over where the backend's own
    engine stops without proof after `PROOF_AFTER_NODES` nodes, for at most `PROOF_SHARE` of the
    time left; its proof of optimality is used (the OR-Tools backend only, with CP-SAT, which
    reasons in integers)."""

    time_limit: float = 60.0
    seed: int = 0
    threads: int = 1
    gap: float = 0.0
    engine: str | None = None
    network: bool = True
    primal_heuristics: bool = True
    fast_presolve: bool = False
    log: bool = False
    first_answer_engine: str | None = None
    proof_engine: str | None = None
    memory_limit: int | None = None


#: The stop reason of a solve stopped at ``SolverOptions.memory_limit``.
MEMORY_LIMIT = "memory_limit"
#: The stop reason of a solve stopped within ``SolverOptions.gap`` of its bound, not proven.
GAP_LIMIT = "gap_limit"
#: The share of a solve's time limit that ``SolverOptions.first_answer_engine`` may take.
FIRST_ANSWER_SHARE = 0.5
#: Nodes of the backend's own engine before ``SolverOptions.proof_engine`` takes over. Every
#: later stage that SCIP proved in a survey closed at its first node (the national instance and
#: syn-342-g8 under each fairness objective, syn-1000-g8, two pilot regions; the programme stage
#: of syn-5000-g8, from HiGHS's answer and without a proof engine, at its third); after
#: ``max_abs_deviation`` or ``leximin`` on syn-342-g8 SCIP branched past 28,000 nodes in 60 s,
#: one dwelling above its bound, where CP-SAT proves the programme stage in 1.5 s
#: (benchmarks/RESULTS.md, run 11).
PROOF_AFTER_NODES = 100
#: The share of the time left that ``SolverOptions.proof_engine`` may take.
PROOF_SHARE = 0.5


@dataclass(frozen=True)
class Outcome:
    """The normalised result of minimising one objective.

    ``values`` holds the integer variables, rounded; it is ``None`` without a solution.
    ``stop_reason`` is one of ``optimal``, ``gap_limit``, ``time_limit``, ``infeasible`` or
    ``error: <text>``. ``note``: what the result should tell of this solve, if anything.
    """

    status: Status
    stop_reason: str
    values: dict[int, int] | None
    objective: float | None
    bound: float | None
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class Basis:
    """The optimal basis of a relaxation in its engine's status codes: ``variables`` by
    variable index, ``row_status`` by the position of the row in ``rows``, the model's
    constraints. A relaxation of another model over the same variables, with some of the
    same rows, may start from it (`Backend.prepared_relaxation`)."""

    variables: tuple[int, ...]
    rows: tuple[Constraint, ...]
    row_status: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.row_status):
            raise ValueError(f"{len(self.rows)} rows but {len(self.row_status)} row statuses")


@dataclass
class LastBasis:
    """The basis of the last relaxation solved through it, from which the next one starts: for
    a run of relaxations of models over the same variables and rows whose bounds, right-hand
    sides and objective differ, one after another on one thread
    (`solver.relaxation_first.solve_by_relaxation`)."""

    basis: Basis | None = None


@dataclass(frozen=True)
class Relaxation:
    """An optimal vertex of a linear relaxation: ``values`` by variable index, ``duals`` by the
    position of the row in the model's constraints (floats: a guide, and the multipliers of a
    bound computed exactly from them, `solver.dual_bound`); ``basis``: its basis, where the
    engine gives one."""

    values: dict[int, float]
    duals: dict[int, float]
    basis: Basis | None = None


#: A proof by other means that the caller of `Backend.minimize` may offer, tried where the
#: backend's engine stops without proof after `PROOF_AFTER_NODES` nodes, before
#: ``SolverOptions.proof_engine``: given that engine's best answer (every row met exactly) and
#: the seconds it may take, an outcome over the backend's model, or ``None`` where it has
#: none. Only an optimal one ends the solve; the answer of another starts the proof engine
#: where it is better.
Prover = Callable[[Mapping[int, int], float], "Outcome | None"]


class Backend(ABC):
    """A solver behind the common interface."""

    name: ClassVar[str]
    engines: ClassVar[tuple[str, ...]]

    def __init__(self, model: LinearModel, options: SolverOptions) -> None:
        self.model = model
        self.options = options

    @property
    def engine(self) -> str:
        """The engine in use (the first of `engines` unless the options name one)."""
        return self.options.engine or self.engines[0]

    @abstractmethod
    def add_constraint(self, constraint: Constraint) -> object:
        """Add a constraint to the solver's model; returns a handle for `remove_constraint`."""

    @abstractmethod
    def remove_constraint(self, handle: object) -> None:
        """Remove a constraint added with `add_constraint`."""

    @abstractmethod
    def minimize(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None = None,
        *,
        offset: int = 0,
        prover: Prover | None = None,
    ) -> Outcome:
        """Minimise ``terms`` within ``time_limit`` seconds, starting from the integer values in
        ``hint`` (a feasible point, e.g. the previous stage's answer) where the engine can.

        ``offset``: what the objective leaves out of the stage's value (a reduced model counts
        from the previous answer, `solver.reduction`). With a relative gap
        (``SolverOptions.gap``) the engine measures the gap on ``terms + offset``, so that it
        means what the user asked; without one it is not handed to the engine, whose tolerances
        are relative to the size of the values. The outcome's objective and bound are those of
        ``terms`` alone either way. ``prover``: see `Prover`; a backend without a proof engine
        does not call it."""

    def engine_offset(self, offset: int) -> int:
        """The offset of `minimize` as the engine gets it: only with a relative gap."""
        return offset if self.options.gap > 0 else 0

    def tighten_bounds(self, bounds: Mapping[int, tuple[int, int | None]]) -> None:
        """Replace variables' bounds (by variable index) with narrower ones that every answer
        still wanted obeys (`solver.dual_bound.implied_bounds`); ``model`` becomes the model
        with them. A backend that holds a model of its own narrows it too."""
        self.model = self.model.with_bounds(bounds)

    def relaxation_feasible(self, time_limit: float) -> bool | None:
        """Whether the linear relaxation of the model as it stands (every constraint added so
        far) has a solution. ``False`` proves that the integer model has none; ``True`` proves
        nothing about it; ``None``: the backend cannot tell (no LP engine, time limit, numerical
        trouble). A backend without an LP engine of its own keeps this default."""
        return None

    def relaxation(self, terms: Terms, time_limit: float) -> Relaxation | None:
        """The linear relaxation of the model as given (without the constraints added since)
        minimising ``terms``: a vertex and the duals of the rows. ``None``: the backend cannot
        tell (no LP engine, rows added, time limit, no optimum). A backend without an LP engine
        of its own keeps this default."""
        return None

    def prepared_relaxation(
        self, terms: Terms, start: Basis | None = None
    ) -> Callable[[float], Relaxation | None]:
        """`relaxation` of ``terms`` in two steps: what can be done without the engine now, the
        solve (given its time limit) when the result is called, perhaps on another thread
        (`solver.early_narrowing`). ``start``: the basis of a relaxation of a model over the
        same variables, which a backend may start from (this default does not)."""
        return partial(self.relaxation, terms)

    def relaxation_least_level(self, rows: Sequence[LevelRow], time_limit: float) -> float | None:
        """The least real ``t >= 0`` for which the linear relaxation of the model, with the rows
        ``terms + slope * t (sense) rhs`` added, has a solution: a guide for a level search,
        not a proof (floating point). ``None``: the backend cannot tell."""
        return None

    @staticmethod
    @abstractmethod
    def versions() -> dict[str, str]:
        """Package and solver versions, for the record of every result."""

    @abstractmethod
    def write_mps(self, terms: Terms) -> str:
        """The model with objective ``terms`` in MPS format."""


def broken_row(rows: Iterable[Constraint], values: Mapping[int, int]) -> Constraint | None:
    """The first of ``rows`` that whole ``values`` break exactly: a solver accepts a row within
    its tolerance, and rounding its answer can tip it. Rows with a variable ``values`` lacks (a
    continuous one) are left to the solver."""
    for row in rows:
        if all(i in values for i, _ in row.terms) and not row.holds(values):
            return row
    return None


def round_values(raw: dict[int, float], model: LinearModel) -> dict[int, int] | None:
    """Integer variables rounded to the nearest integer; ``None`` if one is too far from it."""
    values: dict[int, int] = {}
    for variable in model.variables:
        if not variable.integer:
            continue
        value = raw[variable.index]
        nearest = round(value)
        if abs(value - nearest) > INTEGRALITY_TOLERANCE:
            return None
        values[variable.index] = int(nearest)
    return values


def fractional_outcome(bound: float | None, seconds: float) -> Outcome:
    """The outcome when a solver hands back an integer variable too far from any integer."""
    return Outcome(
        Status.ERROR,
        "error: the solver returned a fractional integer variable",
        None,
        None,
        bound,
        seconds,
    )
