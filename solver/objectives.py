"""The lexicographic stages of the allocation model and their exact objective values.

Stages, in order (each later stage keeps every earlier one at its exact optimum; `solver.solve`
assembles them, the min-max stages are in `solver.minmax`):

0. ``norm_max_shortfall`` (only with ``norm_objective = "equalise"``): the largest shortfall of
   any municipality to the norm.
1. ``needs``: minimise ``weight_unmet * sum_g unmet_g + weight_shortfall * sum_m short_m``:
   households of the target groups left without a home and dwellings short of the 30% norm, in one
   integer sum.
2. fairness, by the policy's objective: for ``max_abs_deviation``, ``max_rel_deviation``,
   ``leximin`` and ``equal_burden`` first a min-max stage, for ``quota_respecting`` first
   ``fairness_quota`` (`quota_outside_stage`); then always ``fairness_sum``: minimise
   ``sum_mg |p_mg - q_mg|`` in units of ``1/L`` household, ``L`` the least common denominator
   of all quotas, so the sum is an exact integer (with exchanges, placements after the transfers
   of tasks plus their compensation; with a previous allocation, plus the weighted churn).
   Without the fair split but with a previous allocation: ``stability`` (the churn alone).
3. ``exchanges`` (only with exchanges): as few transferred households as possible.
4. ``programme``: the building programme follows plan capacity as far as the earlier stages allow
   (`programme_stage`): each municipality's new homes close to its plan-capacity share of the
   regional target, one third of them social and one third middle (the national mix).
5. ``tie_break``: minimise ``sum_i c_i x_i`` over the decisions (new homes, social, middle,
   placements, transfers), ``c_i`` a fixed pseudo-random integer in 1..4096 derived from the
   SHA-256 of the variable's name. It does not favour any municipality systematically and makes
   the optimum unique unless two alternatives tie exactly in this weighted sum too: weights do
   repeat (1,291 of the 2,736 decisions of the national instance share theirs with another),
   so two alternatives that only swap units between variables of equal weight would tie; the
   backends have returned the same allocation on every instance tested. A second weighted sum,
   minimised and maximised over the allocations still optimal, found no other on the bundled
   instances, syn-342-g8 and syn-1000-g8 (benchmarks/RESULTS.md, run 27); syn-5000-g8 under
   ``equal_burden`` has several with the same weighted sum (runs 26 and 33). Two of them differ
   by households of two groups swapped between pairs of municipalities whose weights for the two
   groups differ by the same amount (1005 - 914 = 1004 - 913): with weights in 1..4096 and
   5,000 municipalities, many pairs of municipalities have such weights.

Each stage's value is computed from the decisions themselves (placements, new homes), never from the
auxiliary deviation or shortfall variables, and fixed with an exact integer constraint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, lcm

from solver.apportionment import largest_remainder
from solver.formulation import Formulation
from solver.model import Constraint, LinearModel, Split, Terms, evaluate
from solver.quotas import group_task

Values = Mapping[int, int]


@dataclass(frozen=True)
class Stage:
    """One stage: minimise ``terms`` (+ ``constant``); ``exact`` recomputes its value.

    Values are integers in units of ``1/scale`` of the stage's reporting unit.
    """

    name: str
    terms: Terms
    exact: Callable[[Values], int]
    constant: int = 0
    scale: int = 1
    note: str = ""


def placed(f: Formulation, values: Values, code: str, group: str) -> int:
    """``p_mg`` in a solution (0 for a cell where the group may not be housed)."""
    index = f.placements.get((code, group))
    return 0 if index is None else values[index]


def norm_shortfall_scaled(f: Formulation, values: Values, code: str) -> int:
    """``d`` times the dwellings short of the norm ``n/d`` at the horizon:
    ``max(0, n (H + y) - d (S + s))``."""
    m = f.region.municipality(code)
    norm = f.region.policy.social_norm
    n, d = norm.numerator, norm.denominator
    y, s = values[f.new_homes[code]], values[f.new_social[code]]
    return max(0, n * (m.dwellings + y) - d * (m.social_stock + s))


def unmet_demand(f: Formulation, values: Values, group: str) -> int:
    """``D_g - sum_m p_mg``: the group's households left without a home."""
    demand = group_task(f.region, group)
    return demand - sum(placed(f, values, c, group) for c in f.region.codes)


def needs_stage(f: Formulation) -> Stage:
    """Stage 1: unmet demand and norm shortfall, weighted by the policy, in units of ``1/d``
    (``d`` the denominator of the norm, 10 for 30%)."""
    policy = f.region.policy
    w_unmet, w_short = policy.weight_unmet_demand, policy.weight_norm_shortfall
    scale = policy.social_norm.denominator
    terms: Terms = {}
    if policy.rule_enabled("group_demand"):
        terms.update({index: w_unmet * scale for index in f.unmet.values()})
    if policy.rule_enabled("social_norm"):
        terms.update({index: w_short for index in f.norm_shortfall.values()})

    def exact(values: Values) -> int:
        total = 0
        if policy.rule_enabled("group_demand"):
            unmet = sum(unmet_demand(f, values, g.id) for g in f.region.groups)
            total += w_unmet * scale * unmet
        if policy.rule_enabled("social_norm"):
            total += w_short * sum(norm_shortfall_scaled(f, values, c) for c in f.region.codes)
        return total

    return Stage("needs", terms, exact, scale=scale)


#: Largest common denominator of the quotas that the fairness stage uses exactly.
MAX_EXACT_SCALE = 10**8
#: Resolution of the quotas in the fairness stage when their common denominator is larger.
QUOTA_RESOLUTION = 10**6


def fairness_targets(
    f: Formulation, extra: int = 1
) -> tuple[int, dict[tuple[str, str], Fraction], str]:
    """The scale ``L``, the quota each cell is compared with, and a note for the result.

    ``L`` is the least common denominator of all quotas, so that ``L |p - q|`` is an integer. When
    groups are restricted to different municipalities their quotas have different denominators and
    ``L`` can exceed what floating-point solvers handle (a product of populations); when ``L``
    times ``extra`` (the other denominators of the stage's coefficients) exceeds
    `MAX_EXACT_SCALE`, the quotas are rounded half up to multiples of ``1/R`` household for this
    stage only, ``R = QUOTA_RESOLUTION // extra``. Each cell then differs from its exact quota by
    at most ``1/(2R)``, so the exact sum of the answer exceeds the exact optimum by at most
    ``cells / R``; the reported deviations are always exact.
    """
    scale = lcm(1, *(q.denominator for q in f.quotas.by_cell.values()))
    if scale * extra <= MAX_EXACT_SCALE:
        return scale, {cell: f.quotas.of(*cell) for cell in f.placements}, ""
    resolution = max(1, QUOTA_RESOLUTION // extra)
    targets = {
        cell: Fraction(_rounded_multiple(f.quotas.of(*cell), resolution), resolution)
        for cell in f.placements
    }
    note = (
        f"fairness: the quotas' common denominator {scale} is too large for exact floating-point "
        f"solving; the stage compares placements with quotas rounded to 1/{resolution:,} "
        f"household, so its value is within {len(targets)}/{resolution:,} household of the "
        "exact optimum"
    )
    return resolution, targets, note


def _rounded_multiple(quota: Fraction, resolution: int) -> int:
    """``quota * resolution`` rounded half up (`models.cells.round_half_up`) in integers,
    without the Fraction product: at 5,000 municipalities the 35,500 targets took 0.07 s
    instead of 0.10 s (benchmarks/RESULTS.md, run 33)."""
    numerator, denominator = quota.numerator, quota.denominator
    return (2 * numerator * resolution + denominator) // (2 * denominator)


def add_absolute_deviation(
    model: LinearModel,
    expression: Terms,
    target: Fraction,
    bounds: tuple[int, int],
    scale: int,
    name: str,
    rule: str,
) -> tuple[Terms, int]:
    """Terms and constant of ``scale * |x - target|`` for the integer expression ``x`` (terms)
    with values in ``bounds``; ``scale * target`` must be an integer.

    The cost is convex in ``x`` and written exactly around ``lo = floor target`` as
    ``x = lo - u + b + c`` with ``u`` in ``[0, lo - min x]`` (units below ``lo``, cost ``scale``
    each), ``b`` in ``[0, ceil target - lo]`` (the step to ``ceil target``, cost
    ``scale (2 lo + 1 - 2 target)``, between ``-scale`` and ``scale``) and ``c >= 0`` (units
    above ``ceil target``, cost ``scale`` each), plus the constant ``scale (target - lo)``. No
    cheaper split of ``x`` exists, so the linear relaxation of each term is the convex hull of its
    integer points (the valid cut through the two nearest integer points), and no large constants
    cancel.
    """
    # In integers: with Fractions here the stages of 5,000 municipalities took 2.0 s to write
    # instead of 1.6 s (benchmarks/RESULTS.md, run 19).
    numerator, denominator = target.numerator, target.denominator
    low = numerator // denominator
    high = -(-numerator // denominator)
    scaled, remainder = divmod(scale * numerator, denominator)
    if remainder:
        raise ValueError(f"scale {scale} does not make the target {target} of {name} integral")
    split = add_split(model, expression, low, high, bounds, name, rule)
    terms = {
        split.under: scale,
        split.step: scale * (2 * low + 1) - 2 * scaled,
        split.over: scale,
    }
    return terms, scaled - scale * low


def add_split(
    model: LinearModel,
    expression: Terms,
    low: int,
    high: int,
    bounds: tuple[int, int],
    name: str,
    rule: str,
    prefix: str | None = None,
) -> Split:
    """Write the integer expression ``x`` (values in ``bounds``) as ``x = low - u + b + c``: ``u``
    the units below ``low``, ``b`` the part of the step to ``high`` that ``x`` covers, ``c`` the
    units above ``high`` (`solver.model.Split`; the variables are called ``{prefix}_under[name]``
    and so on, ``prefix`` by default the rule)."""
    lowest, highest = bounds
    prefix = prefix or rule
    under = model.add_variable(f"{prefix}_under[{name}]", 0, max(0, low - lowest))
    step = model.add_variable(f"{prefix}_step[{name}]", 0, high - low)
    over = model.add_variable(f"{prefix}_over[{name}]", 0, max(0, highest - high))
    ordered = tuple(sorted(expression.items()))
    # The row's terms as `LinearModel.add_constraint` writes them, sorted once: the split's
    # variables are the model's newest, so they come after the expression's (a national build
    # writes 3,400 splits; benchmarks/RESULTS.md, run 28).
    terms = (*((i, c) for i, c in ordered if c), (under, 1), (step, -1), (over, -1))
    row = Constraint(f"{prefix}[{name}]", rule, terms, "==", low)
    model.constraints.append(row)
    split = Split(row.name, ordered, low, high, under, step, over)
    model.splits.append(split)
    return split


def expression_bounds(model: LinearModel, terms: Terms) -> tuple[int, int]:
    """The least and largest value of an integer expression from its variables' bounds."""
    low = high = 0
    for index, c in terms.items():
        v = model.variables[index]
        upper = v.upper if v.upper is not None else v.lower
        low += c * (v.lower if c > 0 else upper)
        high += c * (upper if c > 0 else v.lower)
    return low, high


def sum_deviation_stage(f: Formulation) -> Stage:
    """Sum of absolute deviations from the quotas, ``L sum_mg |p_mg - q_mg|``, in units of
    ``1/L`` household (`add_absolute_deviation` per cell).

    With exchanges each cell compares ``p_mg + out_mg - in_mg`` (`Formulation.task_terms`) with
    its quota, and every transferred household adds the policy's ``exchange_compensation`` (in
    households). With a `Stability` of weight ``w`` every household placed differently from the
    previous allocation adds ``w`` households: ``+ w sum_mg |p_mg - previous_mg|``. The stage's
    unit is ``1/(L e v)`` household for a compensation ``n/e`` and a weight ``u/v``.

    Source: the fair split (``q_mg = D_g w_m / sum w``, `solver.quotas.compute_quotas`) follows
    the statutory key for permit holders, each municipality's share of the population
    (Huisvestingswet 2014, art. 28-29; DOMAIN.md), applied to every group.
    """
    compensation = f.region.policy.exchange_compensation if f.transfers else Fraction(0)
    weight = f.stability.weight if f.stability is not None else Fraction(0)
    scale, targets, note = fairness_targets(f, compensation.denominator * weight.denominator)
    per_cell = scale * compensation.denominator * weight.denominator
    terms: Terms = {}
    constant = 0
    expressions: dict[tuple[str, str], Terms] = {}
    for code, group in f.placements:
        expression = f.task_terms(code, group)
        expressions[(code, group)] = expression
        cell_terms, cell_constant = add_absolute_deviation(
            f.model,
            expression,
            targets[(code, group)],
            expression_bounds(f.model, expression),
            per_cell,
            f"{code},{group}",
            "deviation",
        )
        terms.update(cell_terms)
        constant += cell_constant
    price = scale * compensation.numerator * weight.denominator
    if price:
        terms.update({t: price for t in f.transfers.values()})
    churn_scale = scale * compensation.denominator * weight.numerator
    previous = f.stability.previous.placed if f.stability is not None else {}
    # Households placed before where the group may no longer be housed moved for certain.
    moved_for_certain = sum(n for cell, n in previous.items() if cell not in f.placements)
    constant += churn_scale * moved_for_certain
    if churn_scale:
        for (code, group), index in f.placements.items():
            churn_terms, churn_constant = add_absolute_deviation(
                f.model,
                {index: 1},
                Fraction(previous.get((code, group), 0)),
                expression_bounds(f.model, {index: 1}),
                churn_scale,
                f"{code},{group}",
                "churn",
            )
            terms.update(churn_terms)
            constant += churn_constant

    # Each quota in the stage's unit is a whole number (`add_absolute_deviation` checks it), so
    # the stage's value is summed in integers: with a Fraction per cell it took 15 ms nationally.
    scaled_targets = {
        cell: target.numerator * per_cell // target.denominator for cell, target in targets.items()
    }

    def exact(values: Values) -> int:
        deviation = sum(
            abs(per_cell * evaluate(expressions[cell], values) - target)
            for cell, target in scaled_targets.items()
        )
        moved = sum(values[t] for t in f.transfers.values())
        churn = moved_for_certain + sum(
            abs(values[index] - previous.get(cell, 0)) for cell, index in f.placements.items()
        )
        return deviation + price * moved + churn_scale * churn

    return Stage("fairness_sum", terms, exact, constant, per_cell, note)


def exchange_stage(f: Formulation) -> Stage:
    """Exchanges only where they help: minimise the households transferred, ``sum t_ijg``,
    once the fairness stages are fixed (so that no two municipalities swap tasks for nothing)."""
    terms = dict.fromkeys(f.transfers.values(), 1)

    def exact(values: Values) -> int:
        return sum(values[t] for t in terms)

    return Stage("exchanges", terms, exact)


def programme_targets(f: Formulation) -> dict[tuple[str, str], int]:
    """Whole-number targets of the programme stage per (segment, code).

    New homes: ``T`` split in proportion to plan capacity; social: ``social_new_build_min * T``,
    and middle: ``(affordable_new_build_min - social_new_build_min) * T``, each split the same way.
    Every split is by largest remainder (ties by code), so targets are whole dwellings that add up
    to their regional total. ``T`` is the regional target, or for a range the most that plan
    capacity allows within it. Without plan capacity anywhere the split follows the stock.
    """
    region = f.region
    policy = region.policy
    capacity = {m.code: m.plan_capacity for m in region.municipalities}
    if not sum(capacity.values()):
        capacity = {m.code: m.dwellings for m in region.municipalities}
    total_capacity = sum(capacity.values()) or 1
    targets = region.targets
    total = max(targets.new_homes_min, min(targets.new_homes_max, total_capacity))
    middle = max(Fraction(0), policy.affordable_new_build_min - policy.social_new_build_min)
    result: dict[tuple[str, str], int] = {}
    for segment, share in (
        ("new_homes", Fraction(1)),
        ("new_social", policy.social_new_build_min),
        ("new_middle", middle),
    ):
        for code, amount in largest_remainder(floor(share * total), capacity).items():
            result[(segment, code)] = amount
    return result


def programme_stage(f: Formulation) -> Stage:
    """The building programme follows plan capacity as closely as the earlier stages allow:
    minimise ``sum_m |y_m - Y_m| + |s_m - S_m| + |a_m - A_m|`` in dwellings, with the whole-number
    targets of `programme_targets` (a whole-number objective is much easier to prove optimal).

    Without it, how new homes beyond the needs are spread would be left to the tie-break.
    """
    targets = programme_targets(f)
    variables = {"new_homes": f.new_homes, "new_social": f.new_social, "new_middle": f.new_middle}
    terms: Terms = {}
    constant = 0
    for (segment, code), target in targets.items():
        index = variables[segment][code]
        part, part_constant = add_absolute_deviation(
            f.model,
            {index: 1},
            Fraction(target),
            (0, f.model.variables[index].upper or 0),
            1,
            f"{segment},{code}",
            "programme",
        )
        terms.update(part)
        constant += part_constant

    def exact(values: Values) -> int:
        return sum(
            abs(values[variables[segment][code]] - target)
            for (segment, code), target in targets.items()
        )

    return Stage("programme", terms, exact, constant)


def tie_break_weight(name: str) -> int:
    """The fixed pseudo-random weight of a variable, 1..4096, from the SHA-256 of its name."""
    digest = hashlib.sha256(name.encode("ascii")).digest()
    return int.from_bytes(digest[:2], "big") % 4096 + 1


def tie_break_stage(f: Formulation) -> Stage:
    """The last stage: the documented tie-break over all decisions."""
    names = f.model.variables
    terms = {index: tie_break_weight(names[index].name) for index in f.decision_variables()}

    def exact(values: Values) -> int:
        return sum(c * values[i] for i, c in terms.items())

    return Stage("tie_break", terms, exact)


def quota_outside_stage(f: Formulation) -> Stage:
    """Quota-respecting: each placement between the floor and the ceiling of its quota wherever
    feasible: minimise ``sum_mg max(0, floor q_mg - p_mg, p_mg - ceil q_mg)``, the households
    outside the quota interval, in households.

    Each cell's placements are split around the quota interval (`add_split` with the floor and
    the ceiling of the exact quota): the units below the floor and those above the ceiling cost 1
    each, the step between them nothing, a convex cost as the placement network reads it. The
    sum of absolute deviations follows as the next stage. Source: the quota property of
    apportionment (Balinski and Young, Fair Representation, 2001).
    """
    terms: Terms = {}
    bounds: dict[tuple[str, str], tuple[int, int]] = {}
    expressions: dict[tuple[str, str], Terms] = {}
    for code, group in f.placements:
        quota = f.quotas.of(code, group)
        low, high = floor(quota), ceil(quota)
        bounds[(code, group)] = (low, high)
        expression = f.task_terms(code, group)
        expressions[(code, group)] = expression
        split = add_split(
            f.model,
            expression,
            low,
            high,
            expression_bounds(f.model, expression),
            f"{code},{group}",
            "fair_split",
            "quota",
        )
        terms[split.under] = 1
        terms[split.over] = 1

    def exact(values: Values) -> int:
        total = 0
        for cell, (low, high) in bounds.items():
            p = evaluate(expressions[cell], values)
            total += max(0, low - p, p - high)
        return total

    return Stage("fairness_quota", terms, exact)


def stability_stage(f: Formulation) -> Stage:
    """Without the fair split, stability alone: minimise ``sum_mg |p_mg - previous_mg|``, the
    households placed differently from the previous allocation (`Stability.churn`)."""
    previous = f.stability.previous.placed if f.stability is not None else {}
    moved_for_certain = sum(n for cell, n in previous.items() if cell not in f.placements)
    terms: Terms = {}
    constant = moved_for_certain
    for (code, group), index in f.placements.items():
        part, part_constant = add_absolute_deviation(
            f.model,
            {index: 1},
            Fraction(previous.get((code, group), 0)),
            expression_bounds(f.model, {index: 1}),
            1,
            f"{code},{group}",
            "churn",
        )
        terms.update(part)
        constant += part_constant

    def exact(values: Values) -> int:
        return moved_for_certain + sum(
            abs(values[index] - previous.get(cell, 0)) for cell, index in f.placements.items()
        )

    return Stage("stability", terms, exact, constant)
