"""The allocation model: decision variables and one ``define_*`` function per policy rule.

For a region the model decides, per municipality m, the new homes ``y_m`` built by the horizon, of
which ``s_m`` social rent and ``a_m`` middle segment, and per municipality and target group g the
placements ``p_mg`` (in dwellings, i.e. households). Soft rules get shortfall variables: the norm
shortfall ``short_m`` (below the 30% norm, in units of ``1/d`` dwelling for the norm ``n/d``, so
that it is exact without rounding) and the unmet demand ``unmet_g`` (households).

Shares are exact fractions ``num/den`` of the policy; every inequality is multiplied by ``den`` so
that all coefficients are integers (``s >= 3/10 y`` becomes ``10 s - 3 y >= 0``). Where the
left-hand side is an integer, a fractional right-hand side is rounded in the direction that keeps
the inequality exact (floor for ``<=``, ceiling for ``>=``).

The rules are added in the order of `RULES_IN_ORDER`; a rule switched off in the policy is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

from models.region import Municipality, Region
from solver.allocation import Stability
from solver.model import LinearModel, Terms
from solver.quotas import Quotas, compute_quotas, eligible, group_task


@dataclass
class Formulation:
    """The model of one region with the indices of its decision variables."""

    region: Region
    quotas: Quotas
    model: LinearModel = field(default_factory=LinearModel)
    new_homes: dict[str, int] = field(default_factory=dict)
    new_social: dict[str, int] = field(default_factory=dict)
    new_middle: dict[str, int] = field(default_factory=dict)
    norm_shortfall: dict[str, int] = field(default_factory=dict)
    placements: dict[tuple[str, str], int] = field(default_factory=dict)
    unmet: dict[str, int] = field(default_factory=dict)
    transfers: dict[tuple[str, str, str], int] = field(default_factory=dict)
    flows: dict[tuple[str, str], Terms] = field(default_factory=dict)
    stability: Stability | None = None

    def placements_in(self, code: str) -> Terms:
        """``sum_g p_mg`` of one municipality as terms."""
        return {
            self.placements[(code, g.id)]: 1
            for g in self.region.groups
            if (code, g.id) in self.placements
        }

    def task_terms(self, code: str, group: str) -> Terms:
        """``p_mg + out_mg - in_mg``: the placements counted against the municipality's own
        quota, after the tasks it transferred to others (out) or took over (in); just ``p_mg``
        without exchanges."""
        terms: Terms = dict(self.flows.get((code, group), {}))
        index = self.placements.get((code, group))
        if index is not None:
            terms[index] = 1
        return terms

    def task_total_terms(self, code: str) -> Terms:
        """`task_terms` summed over the groups."""
        total: Terms = {}
        for g in self.region.groups:
            for index, c in self.task_terms(code, g.id).items():
                total[index] = total.get(index, 0) + c
        return total

    def decision_variables(self) -> list[int]:
        """The variables that make up an allocation, in canonical order (codes, then groups),
        the transfers of tasks between municipalities last (by giver, receiver and group)."""
        indices: list[int] = []
        for m in self.region.municipalities:
            indices += [self.new_homes[m.code], self.new_social[m.code], self.new_middle[m.code]]
            indices += [
                self.placements[(m.code, g.id)]
                for g in self.region.groups
                if (m.code, g.id) in self.placements
            ]
        indices += [self.transfers[key] for key in sorted(self.transfers)]
        return indices


def social_share_now(m: Municipality) -> Fraction:
    """``S_m / H_m``, the social share of the stock now (0 for a municipality without dwellings)."""
    return Fraction(m.social_stock, m.dwellings) if m.dwellings else Fraction(0)


def turnover_lettings(region: Region, m: Municipality) -> Fraction:
    """Lettings from turnover of the existing social stock over the horizon:
    ``turnover_m * S_m * years`` (exact)."""
    return region.turnover_rate(m) * m.social_stock * region.horizon_years


def _variables(region: Region, quotas: Quotas) -> Formulation:
    """Create every decision variable with finite bounds (CP-SAT needs them)."""
    f = Formulation(region=region, quotas=quotas)
    model = f.model
    # Never below a municipality's own minimum, so that a minimum above the regional total is a
    # conflict between rules (which `solver.explain` can name), not between bounds.
    cap = max(
        region.targets.new_homes_max,
        max((m.min_new_homes or 0 for m in region.municipalities), default=0),
    )
    if not region.policy.rule_enabled("new_build_total"):
        # Without the regional total, a municipality is bounded by its plans (or, without that
        # rule too, by the size of the whole stock).
        cap = max(cap, sum(m.plan_capacity for m in region.municipalities))
        if not region.policy.rule_enabled("plan_capacity"):
            cap = max(cap, sum(m.dwellings for m in region.municipalities))
    norm = region.policy.social_norm
    for m in region.municipalities:
        f.new_homes[m.code] = model.add_variable(f"new_homes[{m.code}]", 0, cap)
        f.new_social[m.code] = model.add_variable(f"new_social[{m.code}]", 0, cap)
        f.new_middle[m.code] = model.add_variable(f"new_middle[{m.code}]", 0, cap)
        worst = norm.numerator * (m.dwellings + cap)
        f.norm_shortfall[m.code] = model.add_variable(f"norm_shortfall[{m.code}]", 0, worst)
    for g in region.groups:
        demand = group_task(region, g.id)
        for m in region.municipalities:
            if eligible(region, m.code, g.id):
                f.placements[(m.code, g.id)] = model.add_variable(
                    f"placed[{m.code},{g.id}]", 0, demand
                )
        f.unmet[g.id] = model.add_variable(f"unmet[{g.id}]", 0, demand)
    return f


def define_new_build_total(f: Formulation) -> None:
    """Regional new-build total of the woondeal: ``N_min <= sum_m y_m <= N_max``.

    Source: the regional woondeals (MRA 171,200; Haaglanden about 75,000; ...), national housing
    agreements of October 2022 (900,000 homes to 2030).
    """
    total = {f.new_homes[c]: 1 for c in f.region.codes}
    targets = f.region.targets
    if targets.new_homes_min == targets.new_homes_max:
        f.model.add_constraint(
            "new_build_total", "new_build_total", total, "==", targets.new_homes_min
        )
        return
    f.model.add_constraint(
        "new_build_total_min", "new_build_total", total, ">=", targets.new_homes_min
    )
    f.model.add_constraint(
        "new_build_total_max", "new_build_total", total, "<=", targets.new_homes_max
    )


def define_plan_capacity(f: Formulation) -> None:
    """Plan capacity: ``min_m <= y_m <= C_m`` for every municipality.

    Source: the municipality's firm and other plans (plan capacity) over the horizon.
    """
    for m in f.region.municipalities:
        y = {f.new_homes[m.code]: 1}
        f.model.add_constraint(
            f"plan_capacity[{m.code}]", "plan_capacity", y, "<=", m.plan_capacity
        )
        if m.min_new_homes:
            f.model.add_constraint(
                f"plan_minimum[{m.code}]", "plan_capacity", y, ">=", m.min_new_homes
            )


def define_segments(f: Formulation) -> None:
    """New homes split into segments: ``s_m + a_m <= y_m`` (the rest is the free sector).

    Structural; always on.
    """
    for c in f.region.codes:
        terms = {f.new_social[c]: 1, f.new_middle[c]: 1, f.new_homes[c]: -1}
        f.model.add_constraint(f"segments[{c}]", "segments", terms, "<=", 0)


def define_regional_mix(f: Formulation) -> None:
    """Regional new-build mix: ``sum(s + a) >= 2/3 sum y`` and ``sum s >= 1/3 sum y``.

    Source: national housing agreements (October 2022): of 900,000 homes, two thirds affordable,
    250,000 social rent; Zuid-Holland: at least 2/3 affordable, half of it social rent.
    Fractions: ``affordable_new_build_min`` and ``social_new_build_min`` of the policy.
    """
    policy = f.region.policy
    for name, share, segments in (
        ("regional_mix_affordable", policy.affordable_new_build_min, ("s", "a")),
        ("regional_mix_social", policy.social_new_build_min, ("s",)),
    ):
        terms: Terms = {}
        for c in f.region.codes:
            terms[f.new_homes[c]] = -share.numerator
            if "s" in segments:
                terms[f.new_social[c]] = share.denominator
            if "a" in segments:
                terms[f.new_middle[c]] = share.denominator
        f.model.add_constraint(name, "regional_mix", terms, ">=", 0)


def define_social_norm(f: Formulation) -> None:
    """The 30% norm at the horizon (soft): ``S_m + s_m + short_m / d >= n/d (H_m + y_m)``.

    Integer form with ``norm = n/d`` and the shortfall in units of ``1/d`` dwelling:
    ``d s_m + short_m - n y_m >= n H_m - d S_m``; the least ``short_m`` is exactly
    ``max(0, n (H_m + y_m) - d (S_m + s_m))``, with no rounding that would weaken the linear
    relaxation. Without the rule ``short_m`` is fixed to 0 and nothing is asked.
    Source: "Een thuis voor iedereen", letter to parliament of 11 May 2022 (30% social rent in every
    municipality's stock by 2030); a target with a measured shortfall, not a hard quota.
    """
    norm = f.region.policy.social_norm
    n, d = norm.numerator, norm.denominator
    for m in f.region.municipalities:
        terms = {f.new_social[m.code]: d, f.norm_shortfall[m.code]: 1, f.new_homes[m.code]: -n}
        f.model.add_constraint(
            f"social_norm[{m.code}]",
            "social_norm",
            terms,
            ">=",
            n * m.dwellings - d * m.social_stock,
        )


def define_new_build_mix(f: Formulation) -> None:
    """Wet versterking regie op de volkshuisvesting (bill 36 512): a municipality whose social share
    now is below ``low_social_threshold`` builds ``s_m >= 30% y_m``; one whose share is above
    ``high_social_threshold`` builds ``a_m >= 40% y_m`` (middle segment). A share exactly at a
    threshold triggers neither rule.
    """
    policy = f.region.policy
    for m in f.region.municipalities:
        share = social_share_now(m)
        if share < policy.low_social_threshold:
            fraction, segment, name = policy.low_social_min_social, f.new_social, "new_build_social"
        elif share > policy.high_social_threshold:
            fraction, segment, name = (
                policy.high_social_min_middle,
                f.new_middle,
                "new_build_middle",
            )
        else:
            continue
        terms = {segment[m.code]: fraction.denominator, f.new_homes[m.code]: -fraction.numerator}
        f.model.add_constraint(f"{name}[{m.code}]", "new_build_mix", terms, ">=", 0)


def define_group_demand(f: Formulation) -> None:
    """Target-group demand (soft): ``sum_m p_mg + unmet_g = D_g`` in dwellings.

    ``D_g`` is the regional demand converted to dwellings (persons / household size, rounded up).
    Source: the programme's task for target groups (aandachtsgroepen) in every region.
    """
    for g in f.region.groups:
        terms = {f.placements[(c, g.id)]: 1 for c in f.region.codes if (c, g.id) in f.placements}
        terms[f.unmet[g.id]] = 1
        f.model.add_constraint(
            f"group_demand[{g.id}]", "group_demand", terms, "==", group_task(f.region, g.id)
        )


def define_letting_pool(f: Formulation) -> None:
    """Letting pool: ``sum_g p_mg <= floor(kappa * (turnover_m * S_m * years + s_m))``.

    Integer form with ``kappa = k/d``: ``d sum_g p_mg - k s_m <= floor(k * turnover_m * S_m *
    years)``, exact because the left-hand side is an integer.
    Source: regions cap the share of lettings to priority groups (Amsterdam below 40%;
    Huisvestingswet art. 14(2) caps local priority at 50%); kappa is ``letting_priority_max``.
    """
    kappa = f.region.policy.letting_priority_max
    k, d = kappa.numerator, kappa.denominator
    for m in f.region.municipalities:
        terms = {index: d for index in f.placements_in(m.code)}
        terms[f.new_social[m.code]] = -k
        f.model.add_constraint(
            f"letting_pool[{m.code}]",
            "letting_pool",
            terms,
            "<=",
            floor(k * turnover_lettings(f.region, m)),
        )


def define_concentration(f: Formulation) -> None:
    """Caps against concentration (*stapeling*), each only where the policy gives it:

    - placements per 1,000 inhabitants: ``sum_g p_mg <= floor(x * population_m / 1000)``;
    - one group's share of the lettings: ``p_mg <= floor(y * (turnover_m * S_m * years + s_m))``,
      in integer form with ``y = k/d``: ``d p_mg - k s_m <= floor(k * turnover_m * S_m * years)``.

    Source: DOMAIN.md (concentration of vulnerable households is to be avoided); the letting pool
    (`define_letting_pool`) caps all priority groups together.
    """
    policy = f.region.policy
    per_1000, share = policy.max_placements_per_1000, policy.max_group_letting_share
    for m in f.region.municipalities:
        if per_1000 is not None:
            f.model.add_constraint(
                f"concentration_per_1000[{m.code}]",
                "concentration",
                f.placements_in(m.code),
                "<=",
                floor(per_1000 * m.population / 1000),
            )
        if share is None:
            continue
        k, d = share.numerator, share.denominator
        lettings = turnover_lettings(f.region, m)
        for g in f.region.groups:
            index = f.placements.get((m.code, g.id))
            if index is None:
                continue
            f.model.add_constraint(
                f"concentration_group[{m.code},{g.id}]",
                "concentration",
                {index: d, f.new_social[m.code]: -k},
                "<=",
                floor(k * lettings),
            )


def define_exchanges(f: Formulation) -> None:
    """Exchanges of tasks between municipalities (Huisvestingswet art. 29(2): municipalities may
    jointly change their tasks as long as the sum stays the same).

    For every allowed pair (`models.region.Region.exchange_pairs`, both directions) and group
    housed in both, ``t_ijg >= 0`` households of i's task go to j: i's task becomes
    ``q_ig - out_ig + in_ig`` (`Formulation.task_terms`), the regional sum unchanged. Limits:
    ``out_ig <= floor(exchange_max_share * q_ig)`` and ``t_ijg <= exchange_max_per_pair``.
    """
    region = f.region
    policy = region.policy
    if policy.exchanges is None:
        return
    most = policy.exchange_max_per_pair
    for a, b in region.exchange_pairs:
        for g in region.groups:
            if (a, g.id) not in f.placements or (b, g.id) not in f.placements:
                continue
            for giver, taker in ((a, b), (b, a)):
                cap = floor(policy.exchange_max_share * f.quotas.of(giver, g.id))
                upper = cap if most is None else min(cap, most)
                if upper <= 0:
                    continue
                t = f.model.add_variable(f"transfer[{giver},{taker},{g.id}]", 0, upper)
                f.transfers[(giver, taker, g.id)] = t
                f.flows.setdefault((giver, g.id), {})[t] = 1
                f.flows.setdefault((taker, g.id), {})[t] = -1
    for (code, group), flow in sorted(f.flows.items()):
        out = {t: 1 for t, sign in flow.items() if sign > 0}
        if out:
            cap = floor(policy.exchange_max_share * f.quotas.of(code, group))
            f.model.add_constraint(f"exchange_share[{code},{group}]", "exchanges", out, "<=", cap)


def _without_rule(f: Formulation, rule: str) -> None:
    """What switching a soft rule off means for its shortfall variables.

    Off, ``group_demand`` keeps its row, which counts the households left unhoused
    (``unmet_g``), and no stage minimises them: fewer households than a group has may be housed,
    never more than it has.
    """
    if rule == "group_demand":
        define_group_demand(f)
    if rule == "social_norm":
        for c, index in f.norm_shortfall.items():
            f.model.add_constraint(f"social_norm_off[{c}]", "social_norm", {index: 1}, "==", 0)


RULES_IN_ORDER: tuple[tuple[str, Callable[[Formulation], None]], ...] = (
    ("new_build_total", define_new_build_total),
    ("plan_capacity", define_plan_capacity),
    ("segments", define_segments),
    ("regional_mix", define_regional_mix),
    ("social_norm", define_social_norm),
    ("new_build_mix", define_new_build_mix),
    ("group_demand", define_group_demand),
    ("letting_pool", define_letting_pool),
    ("concentration", define_concentration),
)


def formulate(
    region: Region, quotas: Quotas | None = None, stability: Stability | None = None
) -> Formulation:
    """Build the model of the region: variables, then each enabled rule in `RULES_IN_ORDER`,
    then the exchanges the policy allows; ``stability`` is kept for the fairness stage.

    Eligibility (a group may only be housed where the instance allows it) is applied by creating
    no placement variable for a forbidden (municipality, group) cell.
    """
    f = _variables(region, quotas or compute_quotas(region))
    f.stability = stability
    for rule, define in RULES_IN_ORDER:
        if rule == "segments" or region.policy.rule_enabled(rule):
            define(f)
        else:
            _without_rule(f, rule)
    define_exchanges(f)
    return f
