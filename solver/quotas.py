"""Distribution keys and the exact quota of every municipality for every target group.

The quota of municipality m for group g is ``q_mg = D_g * w_m / sum(w_k for k eligible for g)``
for an eligible m and 0 otherwise, an exact `Fraction`; ``D_g`` is the group's demand in dwellings
and ``w`` the weight of the policy's distribution key. This is the statutory permit-holder rule of
Huisvestingswet art. 29(1) (before its rounding up) when the key is population.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from models.errors import InputError, Problem
from models.region import Municipality, Region


def _population(m: Municipality) -> int:
    return m.population


def _dwellings(m: Municipality) -> int:
    return m.dwellings


def _households(m: Municipality) -> int:
    if m.households is None:
        raise KeyError("households")
    return m.households


KEY_WEIGHTS = {
    "population": _population,
    "households": _households,
    "dwellings": _dwellings,
}


def key_weights(region: Region, key: str | None = None) -> dict[str, int]:
    """The weight of every municipality under a distribution key (the policy's by default).

    Raises:
        InputError: if the key needs a column that some municipality lacks, or weighs all zero.
    """
    name = key or region.policy.distribution_key
    weigh = KEY_WEIGHTS[name]
    missing = [
        m.code for m in region.municipalities if name == "households" and m.households is None
    ]
    if missing:
        listed = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise InputError(
            [
                Problem(
                    file="municipalities",
                    column="households",
                    message=f"the distribution key '{name}' needs households for every "
                    f"municipality; missing for {listed}",
                    fix="add the households column, or choose another distribution_key",
                )
            ]
        )
    return {m.code: weigh(m) for m in region.municipalities}


@dataclass(frozen=True)
class Quotas:
    """Exact quotas per (municipality code, group id), with the weights they came from."""

    weights: dict[str, int]
    by_cell: dict[tuple[str, str], Fraction]
    totals: dict[str, Fraction]

    def of(self, code: str, group: str) -> Fraction:
        """The quota of a municipality for a group (0 where the group may not be housed)."""
        return self.by_cell.get((code, group), Fraction(0))

    def municipality_total(self, code: str) -> Fraction:
        """The municipality's quota summed over all groups."""
        return self.totals.get(code, Fraction(0))


def eligible(region: Region, code: str, group_id: str) -> bool:
    """True if the group may be housed in the municipality (always, with the rule switched off)."""
    if not region.policy.rule_enabled("eligibility"):
        return True
    return region.group(group_id).may_house(code)


def compute_quotas(region: Region, key: str | None = None) -> Quotas:
    """Exact quotas of every eligible (municipality, group) cell.

    A group's demand is split over the municipalities where it may be housed, in proportion to
    their key weights. If those weights sum to zero the demand is split equally.

    Examples:
        >>> from instances import bundled_instance
        >>> from models.loader import load_region
        >>> region = load_region(bundled_instance("haaglanden"))
        >>> quotas = compute_quotas(region)
        >>> sum(quotas.of(m.code, "homeless") for m in region.municipalities)
        Fraction(4069, 1)
    """
    weights = key_weights(region, key)
    cells: dict[tuple[str, str], Fraction] = {}
    totals: dict[str, Fraction] = {m.code: Fraction(0) for m in region.municipalities}
    for g in region.groups:
        codes = [m.code for m in region.municipalities if eligible(region, m.code, g.id)]
        total = sum(weights[c] for c in codes)
        for c in codes:
            share = Fraction(weights[c], total) if total else Fraction(1, len(codes))
            cells[(c, g.id)] = g.demand_dwellings * share
            totals[c] += cells[(c, g.id)]
    return Quotas(weights=weights, by_cell=cells, totals=totals)
