"""A MIP proven by its linear relaxation where that is enough (`solve_by_relaxation`).

The relaxation is solved once. Every variable its vertex puts at a whole number is fixed there,
and a MIP over the others (the model reduced by `solver.reduction`, a tenth of it or less here)
completes the answer. The duals give an exact lower bound for integer points
(`solver.dual_bound.integer_bound`); an answer that meets every row of the model and reaches
it is optimal, whoever found it. Otherwise nothing is claimed and the caller solves the whole
MIP.

On the building MIPs of the placement network (`solver.decomposition`: the least building cost
and the widest pools) this proves the optimum on every instance measured, where SCIP's own
search spent its time on presolve and on finding the integer answer its root LP already
bounded: the least building cost of syn-5000-g8 in 0.6 s instead of 3.4 s, of the national
instance in 0.04 s instead of 0.17 s (benchmarks/RESULTS.md, run 15).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from solver.backends.base import INTEGRALITY_TOLERANCE, Backend, Outcome, Status
from solver.dual_bound import integer_bound
from solver.model import LinearModel, Terms, evaluate
from solver.network import holds
from solver.reduction import reduce_model


def solve_by_relaxation(
    backend: Backend,
    terms: Terms,
    time_limit: float,
    backend_for: Callable[[LinearModel], Backend],
) -> Outcome | None:
    """Minimise ``terms`` on ``backend``'s model from its relaxation (see the module docstring),
    the rest of the variables on ``backend_for(reduced model)``; an optimal outcome, or ``None``
    where the answer does not reach the bound (or either solve fails)."""
    started = time.perf_counter()
    model = backend.model
    relaxation = backend.relaxation(terms, time_limit)
    if relaxation is None:
        return None
    bound = integer_bound(model, terms, relaxation.duals)
    if bound is None:
        return None
    whole = {
        index: round(value)
        for index, value in relaxation.values.items()
        if abs(value - round(value)) <= INTEGRALITY_TOLERANCE
    }
    reduction = reduce_model(model, [], fixings=whole)
    if reduction is None:
        return None
    if reduction.free:
        objective, _ = reduction.objective(terms)
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            return None
        rest = backend_for(reduction.model).minimize(objective, left)
        if rest.values is None:
            return None
        point = reduction.point(rest.values)
    else:
        point = reduction.point({})
    if not holds(model, (), point) or evaluate(terms, point) != bound:
        return None
    return Outcome(
        Status.OPTIMAL,
        "optimal",
        point,
        float(bound),
        float(bound),
        time.perf_counter() - started,
    )
