"""A one-screen summary of a validated region, as ``fairshare validate`` prints it."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from models.errors import Problem
from models.region import Region


def _pct(share: Fraction) -> str:
    return f"{float(share) * 100:.1f}%"


def region_summary(region: Region, warnings: Sequence[Problem] = ()) -> str:
    """Region, stock, plans, groups, policy and graph in about 25 lines."""
    ms = region.municipalities
    population = sum(m.population for m in ms)
    dwellings = sum(m.dwellings for m in ms)
    social = sum(m.social_stock for m in ms)
    capacity = sum(m.plan_capacity for m in ms)
    norm = region.policy.social_norm
    below = [m for m in ms if m.social_share < norm]
    targets = region.targets
    target_text = (
        f"{targets.new_homes_min:,}"
        if targets.new_homes_min == targets.new_homes_max
        else f"{targets.new_homes_min:,} to {targets.new_homes_max:,}"
    )
    lines = [
        f"Region {region.name}: valid",
        f"  {len(ms)} municipalities, base 1 Jan {region.base_year}, horizon "
        f"{region.horizon_years} years (1 Jan {region.horizon_year})",
        f"  population {population:,}; dwellings {dwellings:,}; social stock {social:,} "
        f"({_pct(Fraction(social, dwellings) if dwellings else Fraction(0))})",
        f"  below the {_pct(norm)} norm now: {len(below)} of {len(ms)}",
        f"  new-build target {target_text}; plan capacity {capacity:,}",
        f"  default turnover of the social stock {_pct(region.default_turnover_rate)} a year",
        "  target groups:",
    ]
    for g in region.groups:
        where = ""
        if g.only_in is not None:
            where += f", only in {len(g.only_in)} municipalities"
        if g.not_in:
            where += f", not in {len(g.not_in)}"
        if g.needs_care:
            reach = len(region.near_care[g.id])
            where += (
                f", near care ({region.care_reach(g)}: "
                f"{reach} of {len(region.municipalities)} municipalities)"
            )
        lines.append(
            f"    {g.id:<28} {g.demand:>8,} {g.unit:<10} = "
            f"{g.demand_dwellings:>8,} dwellings{where}"
        )
    p = region.policy
    off = [rule for rule, on in p.rules.items() if not on]
    lines += [
        f"  policy: norm {_pct(p.social_norm)}, new build >= {_pct(p.affordable_new_build_min)} "
        f"affordable and >= {_pct(p.social_new_build_min)} social, letting cap "
        f"{_pct(p.letting_priority_max)}",
        f"          key {p.distribution_key}, objective {p.objective}"
        + (f", rules off: {', '.join(off)}" if off else ""),
    ]
    if region.edges:
        import networkx as nx  # imported here: only a region with borders needs it

        parts = nx.number_connected_components(region.graph())
        lines.append(f"  adjacency: {len(region.edges)} borders, {parts} connected part(s)")
    else:
        lines.append("  adjacency: none given")
    for w in warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)
