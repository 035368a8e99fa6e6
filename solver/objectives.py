"""The lexicographic stages of the allocation model and their exact objective values.

Stages, in order (each later stage keeps every earlier one at its exact optimum):

1. ``needs``: minimise ``weight_unmet * sum_g unmet_g + weight_shortfall * sum_m short_m``:
   households of the target groups left without a home and dwellings short of the 30% norm, in one
   integer sum.
2. fairness, by the policy's objective:
   - ``sum_abs_deviation``: minimise ``sum_mg |p_mg - q_mg|``, measured in units of ``1/L``
     household, ``L`` the least common denominator of all quotas, so the sum is an exact integer;
   - ``max_rel_deviation``: first minimise ``max_m |P_m - Q_m| / Q_m`` over the municipality
     totals ``P_m = sum_g p_mg`` and ``Q_m = sum_g q_mg`` (per cell this measure would be
     degenerate: most cell quotas are below 1), then the sum of absolute deviations as above.
3. ``tie_break``: minimise ``sum_i c_i x_i`` over the decisions (new homes, social, middle,
   placements), ``c_i`` a fixed pseudo-random integer in 1..4096 derived from the SHA-256 of the
   variable's name. It does not favour any municipality systematically and makes the optimum
   unique unless two alternatives tie exactly in this weighted sum too.

Each stage's value is computed from the decisions themselves (placements, new homes), never from the
auxiliary deviation or shortfall variables, and fixed with an exact integer constraint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, lcm

from solver.formulation import Formulation
from solver.model import Terms

Values = Mapping[int, int]


@dataclass(frozen=True)
class Stage:
    """One stage: minimise ``terms`` (+ ``constant``); ``exact`` recomputes its value."""

    name: str
    terms: Terms
    exact: Callable[[Values], int]
    constant: int = 0


def placed(f: Formulation, values: Values, code: str, group: str) -> int:
    """``p_mg`` in a solution (0 for a cell where the group may not be housed)."""
    index = f.placements.get((code, group))
    return 0 if index is None else values[index]


def norm_shortfall(f: Formulation, values: Values, code: str) -> int:
    """Dwellings short of the norm at the horizon: ``max(0, ceil(norm (H + y)) - S - s)``."""
    m = f.region.municipality(code)
    required = ceil(f.region.policy.social_norm * (m.dwellings + values[f.new_homes[code]]))
    return max(0, required - m.social_stock - values[f.new_social[code]])


def unmet_demand(f: Formulation, values: Values, group: str) -> int:
    """``D_g - sum_m p_mg``: the group's households left without a home."""
    demand = f.region.group(group).demand_dwellings
    return demand - sum(placed(f, values, c, group) for c in f.region.codes)


def needs_stage(f: Formulation) -> Stage:
    """Stage 1: unmet demand and norm shortfall, weighted by the policy."""
    policy = f.region.policy
    w_unmet, w_short = policy.weight_unmet_demand, policy.weight_norm_shortfall
    terms: Terms = {}
    if policy.rule_enabled("group_demand"):
        terms.update({index: w_unmet for index in f.unmet.values()})
    if policy.rule_enabled("social_norm"):
        terms.update({index: w_short for index in f.norm_shortfall.values()})

    def exact(values: Values) -> int:
        total = 0
        if policy.rule_enabled("group_demand"):
            total += w_unmet * sum(unmet_demand(f, values, g.id) for g in f.region.groups)
        if policy.rule_enabled("social_norm"):
            total += w_short * sum(norm_shortfall(f, values, c) for c in f.region.codes)
        return total

    return Stage("needs", terms, exact)


def deviation_scale(f: Formulation) -> int:
    """``L``: the least common denominator of all quotas (1 if there are none)."""
    return lcm(1, *(q.denominator for q in f.quotas.by_cell.values()))


def sum_deviation_stage(f: Formulation) -> Stage:
    """Sum of absolute deviations from the quotas, in units of ``1/L`` household.

    Each cell's cost ``L |p - q|`` is convex in ``p``; it is written exactly around ``lo = floor q``
    as ``p = lo - u + b + c`` with ``u`` in ``[0, lo]`` (units below ``lo``, cost ``L`` each),
    ``b`` in ``[0, ceil q - lo]`` (the step to ``ceil q``, cost ``L (2 lo + 1 - 2 q)``, between
    ``-L`` and ``L``) and ``c >= 0`` (units above ``ceil q``, cost ``L`` each), plus the constant
    ``L (q - lo)``. No cheaper split of ``p`` exists, so the linear relaxation of each cell is the
    convex hull of its integer points (the valid cut through the two nearest integer points), and
    all terms stay small: no large constants cancel in the sum.
    """
    scale = deviation_scale(f)
    model = f.model
    terms: Terms = {}
    constant = 0
    for (code, group), index in f.placements.items():
        quota = f.quotas.of(code, group)
        low, high = floor(quota), ceil(quota)
        demand = f.region.group(group).demand_dwellings
        name = f"{code},{group}"
        under = model.add_variable(f"dev_under[{name}]", 0, low)
        step = model.add_variable(f"dev_step[{name}]", 0, high - low)
        over = model.add_variable(f"dev_over[{name}]", 0, max(0, demand - high))
        model.add_constraint(
            f"deviation[{name}]", "fair_split", {index: 1, under: 1, step: -1, over: -1}, "==", low
        )
        scaled = int(scale * quota)
        terms[under] = scale
        terms[step] = scale * (2 * low + 1) - 2 * scaled
        terms[over] = scale
        constant += scaled - scale * low

    def exact(values: Values) -> int:
        total = Fraction(0)
        for code, group in f.placements:
            total += abs(placed(f, values, code, group) - f.quotas.of(code, group))
        return int(total * scale)

    return Stage("fairness_sum", terms, exact, constant)


def max_relative_deviation(f: Formulation, values: Values) -> Fraction:
    """``max_m |P_m - Q_m| / Q_m`` over municipalities with a positive total quota."""
    worst = Fraction(0)
    for code in f.region.codes:
        quota = f.quotas.municipality_total(code)
        if quota > 0:
            total = sum(placed(f, values, code, g.id) for g in f.region.groups)
            worst = max(worst, abs(total - quota) / quota)
    return worst


def total_bounds(f: Formulation, code: str, worst: Fraction, *, strict: bool) -> tuple[int, int]:
    """Integer bounds on ``P_m`` implied by ``|P_m - Q_m| <= worst * Q_m`` (``<`` if strict)."""
    quota = f.quotas.municipality_total(code)
    high, low = (1 + worst) * quota, (1 - worst) * quota
    if strict:
        return floor(low) + 1, ceil(high) - 1
    return ceil(low), floor(high)


def tie_break_weight(name: str) -> int:
    """The fixed pseudo-random weight of a variable, 1..4096, from the SHA-256 of its name."""
    digest = hashlib.sha256(name.encode("ascii")).digest()
    return int.from_bytes(digest[:2], "big") % 4096 + 1


def tie_break_stage(f: Formulation) -> Stage:
    """Stage 3: the documented tie-break over all decisions."""
    names = f.model.variables
    terms = {index: tie_break_weight(names[index].name) for index in f.decision_variables()}

    def exact(values: Values) -> int:
        return sum(c * values[i] for i, c in terms.items())

    return Stage("tie_break", terms, exact)


@dataclass(frozen=True)
class MaxRelStage:
    """The min-max stage: minimise the continuous ``variable`` (>= every relative deviation)."""

    name: str
    variable: int


def max_rel_stage(f: Formulation) -> MaxRelStage:
    """Add ``t`` with ``Q_m t >= |P_m - Q_m|`` for every municipality, in integer form.

    With ``Q_m = n/d``: ``n t - d P_m >= -n`` and ``n t + d P_m >= n``. Where ``Q_m = 0`` this
    reads ``P_m <= 0``: a municipality without a quota (no eligible group) houses nobody.
    """
    worst = f.model.add_variable("max_rel_deviation", 0, None, integer=False)
    for code in f.region.codes:
        quota = f.quotas.municipality_total(code)
        n, d = quota.numerator, quota.denominator
        total = f.placements_in(code)
        above = {worst: n, **{i: -d for i in total}}
        below = {worst: n, **{i: d for i in total}}
        f.model.add_constraint(f"max_rel_above[{code}]", "fair_split", above, ">=", -n)
        f.model.add_constraint(f"max_rel_below[{code}]", "fair_split", below, ">=", n)
    return MaxRelStage("fairness_max_rel", worst)
