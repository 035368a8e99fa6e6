"""A MIP proven by its linear relaxation where that is enough (`solve_by_relaxation`).

The relaxation is solved once. Every variable its vertex puts at a whole number is fixed there,
and a MIP over the others (the model reduced by `solver.reduction`, a tenth of it or less here)
completes the answer. The duals give an exact lower bound for integer points
(`solver.dual_bound.integer_bound`); an answer that meets every row of the model and reaches
it is optimal, whoever found it.

Where that first completion gives no answer at the bound, a second one frees the whole block of
every fractional variable: the variables linked to it by rows of fewer than
`solver.columns.COUPLING_FROM` terms (`solver.columns.split_blocks`'s notion), in a large region
a municipality's own rows. A municipality whose new homes are fractional may need its social
and middle homes to move too. At 5,000 municipalities the building of the first probe of the
`max_abs_deviation` stage had 649 fractional variables and no answer with the others fixed;
with their 364 municipalities freed it had one in 0.07 s, where SCIP took 1.2 s on the whole
MIP (benchmarks/RESULTS.md, run 29). Not where those blocks hold half the model or more: in a
region of fewer municipalities than that bound the regional rows are short too, and the blocks
are the whole model. Where neither completion reaches the bound, nothing is claimed and the
caller solves the whole MIP.

On the building MIPs of the placement network (`solver.decomposition`: the least building cost
and the widest pools) this proves the optimum on every instance measured, where SCIP's own
search spent its time on presolve and on finding the integer answer its root LP already
bounded: the least building cost of syn-5000-g8 in 0.6 s instead of 3.4 s, of the national
instance in 0.04 s instead of 0.17 s (benchmarks/RESULTS.md, run 15).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from solver.backends.base import INTEGRALITY_TOLERANCE, Backend, LastBasis, Outcome, Status
from solver.columns import COUPLING_FROM
from solver.dual_bound import integer_bound
from solver.model import LinearModel, Terms, evaluate, linked_blocks
from solver.network import holds
from solver.reduction import reduce_model


def solve_by_relaxation(
    backend: Backend,
    terms: Terms,
    time_limit: float,
    backend_for: Callable[[LinearModel], Backend],
    guide: Terms | None = None,
    last: LastBasis | None = None,
) -> Outcome | None:
    """Minimise ``terms`` on ``backend``'s model from its relaxation (see the module docstring),
    the rest of the variables on ``backend_for(reduced model)``; an optimal outcome, or ``None``
    where neither completion reaches the bound (or a solve fails).

    Without ``terms`` (any point within the rows will do) the relaxation minimises ``guide``
    where one is given: any of its vertices is a start as good as another, and HiGHS reaches an
    optimal one sooner than a feasible one without an objective. On the buildings of the
    placement network, with the building's share of the needs stage as the guide, the search
    took 0.28-0.43 s instead of 0.44-0.66 s at 5,000 municipalities (benchmarks/RESULTS.md,
    run 32). The bound is then 0, which every point reaches.

    With ``last`` the relaxation starts from its basis (`Backend.prepared_relaxation`), and
    leaves its own there for the next. The probes of the level search of ``max_rel_deviation``
    at 5,000 municipalities ask for 9 buildings over the same rows and variables, each with
    other bounds: after the first, GLOP took 0-26 iterations and 0.03-0.05 s from the last one's
    basis, HiGHS 0.21-0.30 s without one (benchmarks/RESULTS.md, run 33)."""
    started = time.perf_counter()
    deadline = started + time_limit
    model = backend.model
    start = None if last is None else last.basis
    relaxation = backend.prepared_relaxation(terms or guide or {}, start)(time_limit)
    if relaxation is None:
        return None
    if last is not None:
        last.basis = relaxation.basis
    # Without terms the duals are the guide's: read none, for the bound 0 (None where a
    # variable is continuous, as with terms).
    bound = integer_bound(model, terms, relaxation.duals if terms else {})
    if bound is None:
        return None
    values = relaxation.values
    fractional = {i for i, v in values.items() if abs(v - round(v)) > INTEGRALITY_TOLERANCE}
    point = _completed(model, terms, values, fractional, deadline, backend_for)
    if point is None or evaluate(terms, point) != bound:
        blocks = _blocks_of(model, fractional)
        if blocks == fractional or 2 * len(blocks) > len(model.variables):
            # Nothing more to free, or as good as the whole MIP, which the caller solves.
            return None
        point = _completed(model, terms, values, blocks, deadline, backend_for)
        if point is None or evaluate(terms, point) != bound:
            return None
    return Outcome(
        Status.OPTIMAL, "optimal", point, float(bound), float(bound), time.perf_counter() - started
    )


def _completed(
    model: LinearModel,
    terms: Terms,
    values: Mapping[int, float],
    free: set[int],
    deadline: float,
    backend_for: Callable[[LinearModel], Backend],
) -> dict[int, int] | None:
    """A whole point of ``model`` with every variable outside ``free`` fixed at its (whole)
    relaxed value and the ``free`` ones minimising ``terms`` on ``backend_for(reduced model)``;
    ``None`` if that MIP has no answer in time or the point breaks a row."""
    whole = {index: round(value) for index, value in values.items() if index not in free}
    reduction = reduce_model(model, [], fixings=whole)
    if reduction is None:
        return None
    if reduction.free:
        objective, _ = reduction.objective(terms)
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        rest = backend_for(reduction.model).minimize(objective, left)
        if rest.values is None:
            return None
        point = reduction.point(rest.values)
    else:
        point = reduction.point({})
    return point if holds(model, (), point) else None


def _blocks_of(model: LinearModel, variables: set[int]) -> set[int]:
    """``variables`` and every variable in a block with one of them: linked by a row of fewer
    than `COUPLING_FROM` terms (in a large region, a municipality's own rows, not the regional
    ones)."""
    if not variables:
        return set()
    short = (row for row in model.constraints if len(row.terms) < COUPLING_FROM)
    block_of = linked_blocks(short, len(model.variables))
    wanted = {block_of[index] for index in variables}
    return {index for index, block in enumerate(block_of) if block in wanted}
