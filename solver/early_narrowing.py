"""The relaxation that narrows the later stages' bounds, solved beside the stage it follows
(`EarlyNarrowing`, begun by `solver.run.Run.start_narrowing`).

Once a stage on the reduced model is fixed, `solver.run.Run.tighten` narrows the bounds by the
relaxation of the stage's objective over the reduced model and the caps in force before it,
and by the cap's value (`solver.dual_bound.implied_bounds`). The relaxation does not involve
that value, so it can be solved while the stage's own search runs. Its model is written on the
caller's thread; only the engine's solve runs on a second thread. OR-Tools' engines release
Python's lock while they solve, so the two solves share nothing but the machine's two cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solver.backends.base import Backend, Relaxation, SolverOptions
from solver.beside import Beside
from solver.model import Constraint, LinearModel, Terms
from solver.reduction import Reduction, with_rows


@dataclass(frozen=True)
class NarrowingProblem:
    """The relaxation's problem as `implied_bounds` reads it: the reduced model with the caps,
    the stage's terms over it, and their constant."""

    model: LinearModel
    terms: Terms
    constant: int


def narrowing_problem(
    reduction: Reduction, caps: list[Constraint], terms: Terms
) -> NarrowingProblem:
    """The relaxation of ``terms`` (over the whole model's variables) over the reduced model
    with the ``caps`` added."""
    reduced, constant = reduction.objective(terms)
    return NarrowingProblem(with_rows(reduction, caps), reduced, constant)


def narrowing_relaxation(
    backend_type: type[Backend], options: SolverOptions, problem: NarrowingProblem
) -> Callable[[float], Relaxation | None]:
    """The backend's relaxation of ``problem``, written now and solved when called with its
    time limit (`Backend.prepared_relaxation`)."""
    return backend_type(problem.model, options).prepared_relaxation(problem.terms)


class EarlyNarrowing:
    """A narrowing relaxation solving on a thread of its own, with what it was asked for: the
    stage's ``terms`` (over the whole model), the reduced ``model`` and the handles of the
    ``caps`` in force."""

    def __init__(
        self,
        terms: Terms,
        model: LinearModel,
        caps: tuple[int, ...],
        problem: NarrowingProblem,
        solve: Callable[[], Relaxation | None],
    ) -> None:
        self.terms = terms
        self.model = model
        self.caps = caps
        self.problem = problem
        self.solving = Beside(solve, "fairshare-narrowing")

    def serves(self, terms: Terms, model: LinearModel, caps: tuple[int, ...]) -> bool:
        """Whether this is the relaxation of ``terms`` over ``model`` with ``caps``."""
        return self.model is model and self.caps == caps and self.terms == terms

    def result(self) -> Relaxation | None:
        """The relaxation once solved (``None`` if it failed); an error on its thread is raised
        here."""
        return self.solving.result()
