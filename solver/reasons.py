"""Why each municipality got what it got: its quota, its placements, and the rule that moved it.

Reasons are derived from the allocation and the input alone, in the order a planner checks them:

1. whole households: a placement between its quota rounded down and up needs no other reason
   (for a municipality: between the sums of its groups' quotas rounded down and up);
2. the letting pool: a municipality below that range whose pool is full ("letting pool full,
   31 of 31");
3. unmet demand: a group that is not fully housed cannot reach every quota;
4. others' full pools: a municipality above the range takes what municipalities with full pools
   could not ("takes 4 for Delft, Wassenaar: their letting pools are full");
5. otherwise the fairness objective chose it (e.g. a min-max objective evens out the relative
   deviations at the cost of the sum).

Examples of the text: ``quota 38.2, placed 31 (-7.2): letting pool full, 31 of 31``.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

from models.cells import decimal
from models.region import Region
from solver.allocation import Allocation
from solver.check import concentration_caps, letting_pool_capacity
from solver.quotas import Quotas, group_task

#: Most municipalities named in one reason.
MAX_NAMED = 5


def _pool_full(region: Region, allocation: Allocation, code: str) -> tuple[bool, int]:
    """Whether the letting pool rule binds in the municipality, and its capacity."""
    capacity = letting_pool_capacity(region, code, allocation.new_social[code])
    binding = region.policy.rule_enabled("letting_pool") and allocation.placed_in(code) >= capacity
    return binding, capacity


def _caps(region: Region, allocation: Allocation, code: str) -> tuple[int | None, int | None]:
    """The concentration caps in force (``None`` where off)."""
    if not region.policy.rule_enabled("concentration"):
        return None, None
    return concentration_caps(region, code, allocation.new_social[code])


def _exchanges(region: Region, allocation: Allocation, code: str) -> str:
    """``gives 5 to Delft; takes 3 from Wassenaar`` for the municipality's exchanges of tasks."""
    gives: dict[str, int] = {}
    takes: dict[str, int] = {}
    for (giver, taker, _), n in allocation.transfers.items():
        if giver == code:
            gives[taker] = gives.get(taker, 0) + n
        elif taker == code:
            takes[giver] = takes.get(giver, 0) + n
    parts = []
    if gives:
        listed = ", ".join(
            f"{n} to {region.municipality(c).name}" for c, n in sorted(gives.items())
        )
        parts.append(f"task exchanged: gives {listed}")
    if takes:
        listed = ", ".join(
            f"{n} from {region.municipality(c).name}" for c, n in sorted(takes.items())
        )
        parts.append(("takes " if gives else "task exchanged: takes ") + listed)
    return "; ".join(parts)


def _heading(quota: Fraction, placed: int) -> str:
    deviation = placed - quota
    sign = "+" if deviation > 0 else ""
    return f"quota {decimal(quota, 1)}, placed {placed} ({sign}{decimal(deviation, 1)})"


def _names(region: Region, codes: list[str]) -> str:
    names = [region.municipality(c).name for c in codes[:MAX_NAMED]]
    more = len(codes) - MAX_NAMED
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _full_below(region: Region, allocation: Allocation, quotas: Quotas) -> list[str]:
    """Municipalities below their quota with a full letting pool."""
    return [
        c
        for c in region.codes
        if allocation.placed_in(c) < quotas.municipality_total(c)
        and _pool_full(region, allocation, c)[0]
    ]


def _unmet(region: Region, allocation: Allocation) -> int:
    return sum(group_task(region, g.id) - allocation.placed_of(g.id) for g in region.groups)


def municipality_reason(region: Region, allocation: Allocation, quotas: Quotas, code: str) -> str:
    """The reason for one municipality's total placements (module docstring, rules 1-5)."""
    quota = quotas.municipality_total(code)
    placed = allocation.placed_in(code)
    cells = [quotas.of(code, g.id) for g in region.groups]
    low, high = sum(floor(q) for q in cells), sum(ceil(q) for q in cells)
    heading = _heading(quota, placed)
    exchanged = _exchanges(region, allocation, code)
    if exchanged:
        return f"{heading}: {exchanged}"
    if low <= placed <= high:
        return f"{heading}: its groups' quotas rounded to whole households"
    full, capacity = _pool_full(region, allocation, code)
    if placed < low:
        if full:
            return f"{heading}: letting pool full, {placed} of {capacity}"
        cap, _ = _caps(region, allocation, code)
        if cap is not None and placed >= cap:
            return f"{heading}: concentration cap per 1,000 inhabitants reached, {placed} of {cap}"
        unmet = _unmet(region, allocation)
        if unmet > 0:
            return f"{heading}: {unmet} households of the target groups are not housed"
        return f"{heading}: below its quota by the fairness objective"
    others = [c for c in _full_below(region, allocation, quotas) if c != code]
    if others:
        return (
            f"{heading}: takes {placed - high} for {_names(region, others)}: their letting "
            "pools are full"
        )
    return f"{heading}: above its quota by the fairness objective"


def cell_reason(
    region: Region, allocation: Allocation, quotas: Quotas, code: str, group: str
) -> str:
    """The reason for the placements of one group in one municipality."""
    quota = quotas.of(code, group)
    placed = allocation.placed.get((code, group), 0)
    heading = _heading(quota, placed)
    if region.policy.rule_enabled("eligibility") and not region.may_house(code, group):
        if region.group(group).may_house(code):
            return f"{heading}: too far from care for this group"
        return f"{heading}: the group may not be housed here"
    if floor(quota) <= placed <= ceil(quota):
        return f"{heading}: quota rounded to whole households"
    full, capacity = _pool_full(region, allocation, code)
    if placed < floor(quota):
        if full:
            return f"{heading}: letting pool full, {allocation.placed_in(code)} of {capacity}"
        total_cap, group_cap = _caps(region, allocation, code)
        if total_cap is not None and allocation.placed_in(code) >= total_cap:
            return (
                f"{heading}: concentration cap per 1,000 inhabitants reached, "
                f"{allocation.placed_in(code)} of {total_cap}"
            )
        if group_cap is not None and placed >= group_cap:
            return f"{heading}: concentration cap for one group reached, {placed} of {group_cap}"
        unmet = group_task(region, group) - allocation.placed_of(group)
        if unmet > 0:
            return f"{heading}: {unmet} households of the group are not housed"
        return f"{heading}: below its quota by the fairness objective"
    others = [c for c in _full_below(region, allocation, quotas) if c != code]
    if others:
        return f"{heading}: takes households of {_names(region, others)}: letting pools full"
    return f"{heading}: above its quota by the fairness objective"
