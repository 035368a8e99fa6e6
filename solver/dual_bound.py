"""A lower bound on an integer program, computed exactly from the duals of its linear relaxation.

For ``min c x`` over rows ``a_i x (sense_i) b_i`` and bounds ``l <= x <= u``, any multipliers
``y`` with the sign of their rows (``y_i >= 0`` on a ``>=`` row, ``y_i <= 0`` on a ``<=`` row,
free on an ``==`` row) bound every feasible ``x`` (weak Lagrangian duality):

    c x  >=  sum_i y_i b_i + sum_j min(r_j l_j, r_j u_j),    r = c - y A.

With the relaxation's optimal duals the right-hand side is the relaxation's optimum. Here it is
computed in integers from the floats the LP solver returns (each float is a fraction whose
denominator is a power of two), and a multiplier of the wrong sign is taken as 0, so that the
solver's rounding can weaken the bound but never make it wrong.

Rows that share no variable fall into separate blocks (the connected components of the
variables the rows link), and the inequality holds for each block on its own. Where every
variable is integer and every objective coefficient an integer, each block's part is a whole
number at every integer point, so each part is rounded up on its own: the MIP that gives each
municipality its most new social homes over its own rows (`solver.decomposition`) is one block
per municipality, and its LP bound, 22 dwellings short of the optimum nationally, becomes the
optimum (benchmarks/RESULTS.md, run 15).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from solver.model import LinearModel, Terms


def integer_bound(model: LinearModel, terms: Terms, duals: Mapping[int, float]) -> int | None:
    """The least value of ``terms`` at any integer point of ``model``, as the duals (by position
    of the row in ``model.constraints``) prove it; ``None`` if a variable is continuous, a dual
    is not finite, or a variable lacks the bound its reduced cost needs."""
    if not all(v.integer for v in model.variables):
        return None
    multipliers: dict[int, tuple[int, int]] = {}
    denominator = 1
    for position, dual in duals.items():
        if not math.isfinite(dual):
            return None
        if dual != 0:
            numerator, power_of_two = dual.as_integer_ratio()
            multipliers[position] = (numerator, power_of_two)
            denominator = max(denominator, power_of_two)
    blocks = _blocks(model)
    # Everything below is scaled by ``denominator``: the reduced costs r_j and the parts.
    reduced = [terms.get(v.index, 0) * denominator for v in model.variables]
    parts: dict[int, int] = defaultdict(int)
    for position, (numerator, power_of_two) in multipliers.items():
        row = model.constraints[position]
        y = numerator * (denominator // power_of_two)
        if not row.terms or (y > 0 and row.sense == "<=") or (y < 0 and row.sense == ">="):
            continue
        parts[blocks[row.terms[0][0]]] += y * row.rhs
        for index, coefficient in row.terms:
            reduced[index] -= y * coefficient
    for variable in model.variables:
        r = reduced[variable.index]
        if r == 0:
            continue
        bound = variable.lower if r > 0 else variable.upper
        if bound is None:
            return None
        parts[blocks[variable.index]] += r * bound
    return sum(-(-part // denominator) for part in parts.values())


def _blocks(model: LinearModel) -> list[int]:
    """The block of each variable, named by one of its variables: variables that a row links
    share a block. (A union-find of its own: networkx takes 0.17 s to import, more than the
    relaxation saves on the national instance's least building cost.)"""
    parent = list(range(len(model.variables)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for row in model.constraints:
        if len(row.terms) > 1:
            first = root(row.terms[0][0])
            for index, _ in row.terms[1:]:
                parent[root(index)] = first
    return [root(index) for index in range(len(parent))]
