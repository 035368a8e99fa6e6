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

The same inequality bounds each variable once the value of ``c x`` is capped
(`implied_bounds`, reduced-cost fixing): a stage fixed at its optimum caps its objective for
every later stage, and the reduced costs of its relaxation then narrow, or fix, the variables
the later stages search (`solver.run.Run.tighten`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solver.model import LinearModel, Terms, Variable, linked_blocks


@dataclass(frozen=True)
class Multiplied:
    """The duals read exactly, every quantity scaled by ``denominator`` (a power of two):
    ``reduced[j]`` is ``r_j``, and ``row_parts`` holds ``y_i b_i`` of each row with a multiplier,
    with the index of the row's first variable (its block)."""

    denominator: int
    reduced: list[int]
    row_parts: list[tuple[int, int]]

    def variable_parts(self, variables: Sequence[Variable]) -> list[int] | None:
        """``min(r_j l_j, r_j u_j)`` of each variable; ``None`` if one lacks that bound."""
        parts = []
        for variable in variables:
            r = self.reduced[variable.index]
            bound = variable.lower if r >= 0 else variable.upper
            if bound is None:
                return None
            parts.append(r * bound)
        return parts


def multiplied(model: LinearModel, terms: Terms, duals: Mapping[int, float]) -> Multiplied | None:
    """The reduced costs and the rows' part of the bound, from the duals (by position of the row
    in ``model.constraints``) in integers; a multiplier of the wrong sign is taken as 0. ``None``
    if a dual is not finite."""
    multipliers: dict[int, tuple[int, int]] = {}
    denominator = 1
    for position, dual in duals.items():
        if not math.isfinite(dual):
            return None
        if dual != 0:
            numerator, power_of_two = dual.as_integer_ratio()
            multipliers[position] = (numerator, power_of_two)
            denominator = max(denominator, power_of_two)
    reduced = [terms.get(v.index, 0) * denominator for v in model.variables]
    row_parts: list[tuple[int, int]] = []
    for position, (numerator, power_of_two) in multipliers.items():
        row = model.constraints[position]
        y = numerator * (denominator // power_of_two)
        if not row.terms or (y > 0 and row.sense == "<=") or (y < 0 and row.sense == ">="):
            continue
        row_parts.append((row.terms[0][0], y * row.rhs))
        for index, coefficient in row.terms:
            reduced[index] -= y * coefficient
    return Multiplied(denominator, reduced, row_parts)


def integer_bound(model: LinearModel, terms: Terms, duals: Mapping[int, float]) -> int | None:
    """The least value of ``terms`` at any integer point of ``model``, as the duals (by position
    of the row in ``model.constraints``) prove it; ``None`` if a variable is continuous, a dual
    is not finite, or a variable lacks the bound its reduced cost needs."""
    if not all(v.integer for v in model.variables):
        return None
    reading = multiplied(model, terms, duals)
    if reading is None:
        return None
    variable_parts = reading.variable_parts(model.variables)
    if variable_parts is None:
        return None
    if reading.denominator == 1:
        # Every part is whole already, so rounding each block's up changes nothing: without
        # duals (a search that any point within the rows ends) no blocks need finding.
        return sum(part for _, part in reading.row_parts) + sum(variable_parts)
    blocks = linked_blocks(model.constraints, len(model.variables))
    parts: dict[int, int] = defaultdict(int)
    for first, row_part in reading.row_parts:
        parts[blocks[first]] += row_part
    for variable, part in zip(model.variables, variable_parts, strict=True):
        parts[blocks[variable.index]] += part
    denominator = reading.denominator
    return sum(-(-part // denominator) for part in parts.values())


def implied_bounds(
    model: LinearModel, terms: Terms, value: int, duals: Mapping[int, float]
) -> dict[int, tuple[int, int | None]] | None:
    """Bounds that every integer point of ``model`` with ``terms <= value`` obeys, tighter than
    the model's own, by variable index (reduced-cost fixing, done exactly).

    With ``L`` the duals' bound above, every such point has ``L + r_j (x_j - l_j) <= value`` for
    ``r_j > 0`` (each other part of the bound only grows away from its own bound), so
    ``x_j <= l_j + floor((value - L) / r_j)``; and ``x_j >= u_j - floor((value - L) / -r_j)``
    for ``r_j < 0``. With the relaxation's optimal duals and ``value`` its integer optimum
    (``L = value``), every variable with a reduced cost is fixed at its bound.

    ``None`` if a variable is continuous, a dual is not finite, a variable lacks the bound its
    reduced cost needs, or the duals prove that no point has ``terms <= value``.
    """
    if not all(v.integer for v in model.variables):
        return None
    reading = multiplied(model, terms, duals)
    if reading is None:
        return None
    variable_parts = reading.variable_parts(model.variables)
    if variable_parts is None:
        return None
    least = sum(part for _, part in reading.row_parts) + sum(variable_parts)
    slack = value * reading.denominator - least
    if slack < 0:
        return None
    bounds: dict[int, tuple[int, int | None]] = {}
    for variable, r in zip(model.variables, reading.reduced, strict=True):
        lower, upper = variable.lower, variable.upper
        if r > 0:
            top = lower + slack // r
            if upper is None or top < upper:
                bounds[variable.index] = (lower, top)
        elif r < 0 and upper is not None:
            bottom = upper - slack // -r
            if bottom > lower:
                bounds[variable.index] = (bottom, upper)
    return bounds
