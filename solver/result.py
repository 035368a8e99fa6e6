"""The result of a solve: how good the answer is, why the solver stopped, and the record needed to
reproduce it (backend, engine, seed, versions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from solver.allocation import Allocation
from solver.backends.base import MEMORY_LIMIT

#: Overall statuses, from best to worst.
OPTIMAL, FEASIBLE, INFEASIBLE, NO_SOLUTION, ERROR = (
    "optimal",
    "feasible",
    "infeasible",
    "no_solution",
    "error",
)


@dataclass(frozen=True)
class StageRecord:
    """One lexicographic stage.

    ``value`` is the stage objective computed exactly from the allocation (in the stage's unit);
    ``bound`` the solver's proven bound in the same unit (``None`` if unknown); ``method`` how it
    was solved: ``mip`` (the whole model on the backend), ``network`` (proven by the bounds of
    the placement network, `solver.decomposition`) or ``columns`` (proven block by block,
    `solver.columns`).
    """

    name: str
    status: str
    stop_reason: str
    value: Fraction | None
    bound: Fraction | None
    unit: str
    seconds: float
    method: str = "mip"


@dataclass(frozen=True)
class Result:
    """Everything a solve produced."""

    status: str
    stop_reason: str
    allocation: Allocation | None
    stages: tuple[StageRecord, ...]
    backend: str
    engine: str
    seed: int
    threads: int
    time_limit: float
    gap: float
    versions: dict[str, str]
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: ``SolverOptions.memory_limit``: MiB the solve was to stay within, if any.
    memory_limit: int | None = None
    #: The most resident memory the solving process held, MiB (`solver.memory`), if known.
    peak_memory_mib: int | None = None

    @property
    def proven_optimal(self) -> bool:
        """True only if every stage was proven optimal."""
        return self.status == OPTIMAL and all(s.status == OPTIMAL for s in self.stages)


def raise_limit(stop_reason: str) -> str:
    """What to do about a solve that stopped at a limit: raise the memory limit where SCIP
    stopped there, else the time limit."""
    return "raise --memory-limit" if stop_reason == MEMORY_LIMIT else "raise --time-limit"
