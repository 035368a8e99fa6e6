"""The independent checker: every policy rule re-evaluated on an allocation, from the input data.

Nothing here uses the formulation or a solver: each rule is recomputed with exact arithmetic
(integers and fractions) on the allocation's numbers, so a bug in the model or a solver's tolerance
cannot hide a violation. The same checker validates allocations that planners edit by hand
(``fairshare check``). Soft rules (the 30% norm, target-group demand) are measured, not violated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from models.region import Region
from solver.allocation import Allocation
from solver.quotas import compute_quotas, eligible, group_task


@dataclass(frozen=True)
class Violation:
    """A rule an allocation breaks, where, and by how much (in dwellings or households)."""

    rule: str
    where: str
    message: str
    excess: Fraction

    def __str__(self) -> str:
        return f"{self.rule}[{self.where}]: {self.message}"


@dataclass(frozen=True)
class SoftMeasures:
    """How far an allocation falls short of the soft rules."""

    norm_shortfall: dict[str, Fraction]
    unmet: dict[str, int]


def letting_pool_capacity(region: Region, code: str, new_social: int) -> int:
    """``floor(kappa * (turnover * S * years + s))``: placements the letting pool can take."""
    return floor(region.policy.letting_priority_max * _lettings(region, code, new_social))


def _lettings(region: Region, code: str, new_social: int) -> Fraction:
    """Social lettings over the horizon: ``turnover * S * years + s`` (exact)."""
    m = region.municipality(code)
    return region.turnover_rate(m) * m.social_stock * region.horizon_years + new_social


def norm_shortfall(region: Region, code: str, new_homes: int, new_social: int) -> Fraction:
    """Dwellings short of the norm at the horizon, exactly: ``max(0, norm (H + y) - S - s)``."""
    m = region.municipality(code)
    required = region.policy.social_norm * (m.dwellings + new_homes)
    return max(Fraction(0), required - m.social_stock - new_social)


def soft_measures(region: Region, allocation: Allocation) -> SoftMeasures:
    """Norm shortfall per municipality and unmet demand per group (in dwellings)."""
    shortfall = {
        c: norm_shortfall(region, c, allocation.new_homes[c], allocation.new_social[c])
        for c in region.codes
    }
    unmet = {g.id: group_task(region, g.id) - allocation.placed_of(g.id) for g in region.groups}
    return SoftMeasures(shortfall, unmet)


def check_allocation(region: Region, allocation: Allocation) -> list[Violation]:
    """Every violation of an enabled hard rule, by rule and municipality (or group)."""
    found: list[Violation] = []
    for rule, check in _CHECKS:
        if rule is None or region.policy.rule_enabled(rule):
            found += check(region, allocation)
    return found


def _check_segments(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for c in region.codes:
        y, s, mid = a.new_homes[c], a.new_social[c], a.new_middle[c]
        if min(y, s, mid) < 0:
            found.append(
                Violation(
                    "segments",
                    c,
                    f"negative new homes ({y}, {s}, {mid})",
                    Fraction(-min(y, s, mid)),
                )
            )
        if s + mid > y:
            found.append(
                Violation(
                    "segments",
                    c,
                    f"social {s} + middle {mid} exceed the {y} new homes",
                    Fraction(s + mid - y),
                )
            )
    for (c, g), n in a.placed.items():
        if n < 0:
            found.append(
                Violation("segments", f"{c},{g}", f"negative placements {n}", Fraction(-n))
            )
    return found


def _check_new_build_total(region: Region, a: Allocation) -> list[Violation]:
    total = sum(a.new_homes.values())
    low, high = region.targets.new_homes_min, region.targets.new_homes_max
    if total < low:
        return [
            Violation(
                "new_build_total",
                "region",
                f"{total} new homes, below the regional target of {low}",
                Fraction(low - total),
            )
        ]
    if total > high:
        return [
            Violation(
                "new_build_total",
                "region",
                f"{total} new homes, above the regional maximum of {high}",
                Fraction(total - high),
            )
        ]
    return []


def _check_plan_capacity(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for m in region.municipalities:
        y = a.new_homes[m.code]
        if y > m.plan_capacity:
            found.append(
                Violation(
                    "plan_capacity",
                    m.code,
                    f"{m.name}: {y} new homes, plan capacity {m.plan_capacity}",
                    Fraction(y - m.plan_capacity),
                )
            )
        if m.min_new_homes is not None and y < m.min_new_homes:
            found.append(
                Violation(
                    "plan_capacity",
                    m.code,
                    f"{m.name}: {y} new homes, minimum {m.min_new_homes}",
                    Fraction(m.min_new_homes - y),
                )
            )
    return found


def _check_regional_mix(region: Region, a: Allocation) -> list[Violation]:
    policy = region.policy
    total = sum(a.new_homes.values())
    social = sum(a.new_social.values())
    affordable = social + sum(a.new_middle.values())
    found = []
    for name, amount, share in (
        ("affordable", affordable, policy.affordable_new_build_min),
        ("social", social, policy.social_new_build_min),
    ):
        needed = share * total
        if amount < needed:
            found.append(
                Violation(
                    "regional_mix",
                    name,
                    f"{amount} {name} new homes of {total}, below the share {share}",
                    needed - amount,
                )
            )
    return found


def _check_new_build_mix(region: Region, a: Allocation) -> list[Violation]:
    policy = region.policy
    found = []
    for m in region.municipalities:
        share = Fraction(m.social_stock, m.dwellings) if m.dwellings else Fraction(0)
        y = a.new_homes[m.code]
        if share < policy.low_social_threshold:
            needed, got, what = policy.low_social_min_social * y, a.new_social[m.code], "social"
        elif share > policy.high_social_threshold:
            needed, got, what = policy.high_social_min_middle * y, a.new_middle[m.code], "middle"
        else:
            continue
        if got < needed:
            found.append(
                Violation(
                    "new_build_mix",
                    m.code,
                    f"{m.name}: {got} {what} of {y} new "
                    f"homes, the rule asks at least {float(needed):.1f}",
                    needed - got,
                )
            )
    return found


def _check_letting_pool(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for m in region.municipalities:
        capacity = letting_pool_capacity(region, m.code, a.new_social[m.code])
        placed = a.placed_in(m.code)
        if placed > capacity:
            found.append(
                Violation(
                    "letting_pool",
                    m.code,
                    f"{m.name}: {placed} placements, the letting pool allows {capacity}",
                    Fraction(placed - capacity),
                )
            )
    return found


def concentration_caps(region: Region, code: str, new_social: int) -> tuple[int | None, int | None]:
    """The concentration caps of a municipality: all placements per 1,000 inhabitants, and one
    group's placements as a share of lettings (``None`` where the policy sets no cap)."""
    policy = region.policy
    m = region.municipality(code)
    per_1000 = policy.max_placements_per_1000
    share = policy.max_group_letting_share
    total_cap = None if per_1000 is None else floor(per_1000 * m.population / 1000)
    group_cap = None if share is None else floor(share * _lettings(region, code, new_social))
    return total_cap, group_cap


def _check_concentration(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for m in region.municipalities:
        total_cap, group_cap = concentration_caps(region, m.code, a.new_social[m.code])
        placed = a.placed_in(m.code)
        if total_cap is not None and placed > total_cap:
            found.append(
                Violation(
                    "concentration",
                    m.code,
                    f"{m.name}: {placed} placements, the cap per 1,000 inhabitants allows "
                    f"{total_cap}",
                    Fraction(placed - total_cap),
                )
            )
        if group_cap is None:
            continue
        for g in region.groups:
            n = a.placed.get((m.code, g.id), 0)
            if n > group_cap:
                found.append(
                    Violation(
                        "concentration",
                        f"{m.code},{g.id}",
                        f"{m.name}: {n} households of {g.id}, one group may take {group_cap} "
                        "lettings",
                        Fraction(n - group_cap),
                    )
                )
    return found


def _check_exchanges(region: Region, a: Allocation) -> list[Violation]:
    """Every transfer follows an allowed pair, between municipalities that both house the group,
    within the per-pair limit and the share of the giver's quota it may give away."""
    if not a.transfers:
        return []
    policy = region.policy
    allowed = set(region.exchange_pairs)
    quotas = compute_quotas(region)
    found = []
    given: dict[tuple[str, str], int] = {}
    for (giver, taker, g), n in a.transfers.items():
        where = f"{giver}->{taker},{g}"
        if n < 0:
            found.append(Violation("exchanges", where, f"negative transfer {n}", Fraction(-n)))
        if (min(giver, taker), max(giver, taker)) not in allowed:
            found.append(
                Violation(
                    "exchanges",
                    where,
                    f"{n} households moved between a pair that may not "
                    f"exchange ({policy.exchanges or 'no exchanges'})",
                    Fraction(n),
                )
            )
        if not (eligible(region, giver, g) and eligible(region, taker, g)):
            found.append(
                Violation("exchanges", where, "the group is not housed in both", Fraction(n))
            )
        most = policy.exchange_max_per_pair
        if most is not None and n > most:
            found.append(
                Violation("exchanges", where, f"{n} households, at most {most}", Fraction(n - most))
            )
        given[(giver, g)] = given.get((giver, g), 0) + n
    for (giver, g), n in sorted(given.items()):
        cap = floor(policy.exchange_max_share * quotas.of(giver, g))
        if n > cap:
            found.append(
                Violation(
                    "exchanges",
                    f"{giver},{g}",
                    f"gives away {n} households of {g}, at most {cap} of its quota",
                    Fraction(n - cap),
                )
            )
    return found


def _check_eligibility(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for (c, g), n in a.placed.items():
        if n > 0 and not region.group(g).may_house(c):
            found.append(
                Violation(
                    "eligibility",
                    f"{c},{g}",
                    f"{n} households of {g} placed where the group may not be housed",
                    Fraction(n),
                )
            )
        elif n > 0 and not region.may_house(c, g):
            found.append(
                Violation(
                    "eligibility",
                    f"{c},{g}",
                    f"{n} households of {g} placed beyond reach of care "
                    f"({region.care_reach(region.group(g))})",
                    Fraction(n),
                )
            )
    return found


def _check_demand(region: Region, a: Allocation) -> list[Violation]:
    found = []
    for g in region.groups:
        placed = a.placed_of(g.id)
        task = group_task(region, g.id)
        if placed > task:
            found.append(
                Violation(
                    "group_demand",
                    g.id,
                    f"{placed} households placed, demand is {task}",
                    Fraction(placed - task),
                )
            )
    return found


#: Each hard rule's check, with the rule id that switches it off (``None``: always checked).
_CHECKS: tuple[tuple[str | None, Callable[[Region, Allocation], list[Violation]]], ...] = (
    (None, _check_segments),
    ("new_build_total", _check_new_build_total),
    ("plan_capacity", _check_plan_capacity),
    ("regional_mix", _check_regional_mix),
    ("new_build_mix", _check_new_build_mix),
    ("letting_pool", _check_letting_pool),
    ("eligibility", _check_eligibility),
    ("concentration", _check_concentration),
    (None, _check_exchanges),
    # No more households housed than a group has, with group_demand on or off (its row stays).
    (None, _check_demand),
)
