"""The output tables of an allocation, computed exactly from the region and the decisions.

``municipality_rows`` and ``placement_rows`` give one dict per row with the values as text, in a
fixed column order, so that the CSV, Excel and JSON outputs and the printed summary all show the
same numbers. Shares are written as decimals with four places (exact fractions rounded half to
even), counts as integers.
"""

from __future__ import annotations

from fractions import Fraction

from models.cells import decimal
from models.region import Region
from solver.allocation import Allocation, Stability
from solver.check import letting_pool_capacity, norm_shortfall
from solver.quotas import Quotas
from solver.reasons import cell_reason, municipality_reason

MUNICIPALITY_COLUMNS = (
    "code",
    "name",
    "population",
    "dwellings",
    "social_stock",
    "social_share_now",
    "new_homes",
    "new_social",
    "new_middle",
    "new_other",
    "social_share_horizon",
    "norm_social_target",
    "norm_shortfall",
    "letting_pool",
    "placed",
    "quota",
    "deviation",
    "letting_pool_use",
    "churn",
    "explanation",
)
PLACEMENT_COLUMNS = (
    "code",
    "name",
    "group",
    "quota",
    "placed",
    "deviation",
    "quota_exact",
    "explanation",
)


def _share(part: int, whole: int) -> str:
    return decimal(Fraction(part, whole)) if whole else ""


def municipality_rows(
    region: Region, allocation: Allocation, quotas: Quotas, stability: Stability | None = None
) -> list[dict[str, str]]:
    """One row per municipality, sorted by code; ``churn`` (households placed differently from
    the previous allocation) only with a `Stability`."""
    norm = region.policy.social_norm
    rows = []
    for m in region.municipalities:
        c = m.code
        y, s, a = allocation.new_homes[c], allocation.new_social[c], allocation.new_middle[c]
        pool = letting_pool_capacity(region, c, s)
        placed = allocation.placed_in(c)
        quota = quotas.municipality_total(c)
        rows.append(
            {
                "code": c,
                "name": m.name,
                "population": str(m.population),
                "dwellings": str(m.dwellings),
                "social_stock": str(m.social_stock),
                "social_share_now": _share(m.social_stock, m.dwellings),
                "new_homes": str(y),
                "new_social": str(s),
                "new_middle": str(a),
                "new_other": str(y - s - a),
                "social_share_horizon": _share(m.social_stock + s, m.dwellings + y),
                "norm_social_target": decimal(norm * (m.dwellings + y)),
                "norm_shortfall": decimal(norm_shortfall(region, c, y, s)),
                "letting_pool": str(pool),
                "placed": str(placed),
                "quota": decimal(quota),
                "deviation": decimal(placed - quota),
                "letting_pool_use": _share(placed, pool),
                "churn": "" if stability is None else str(stability.churn(allocation, c)),
                "explanation": municipality_reason(region, allocation, quotas, c),
            }
        )
    return rows


def placement_rows(region: Region, allocation: Allocation, quotas: Quotas) -> list[dict[str, str]]:
    """One row per municipality and group (groups in instance order), also where none is placed."""
    rows = []
    for m in region.municipalities:
        for g in region.groups:
            quota = quotas.of(m.code, g.id)
            placed = allocation.placed.get((m.code, g.id), 0)
            rows.append(
                {
                    "code": m.code,
                    "name": m.name,
                    "group": g.id,
                    "quota": decimal(quota),
                    "placed": str(placed),
                    "deviation": decimal(placed - quota),
                    "quota_exact": str(quota),
                    "explanation": cell_reason(region, allocation, quotas, m.code, g.id),
                }
            )
    return rows


TRANSFER_COLUMNS = ("giver", "giver_name", "taker", "taker_name", "group", "households")


def transfer_rows(region: Region, allocation: Allocation) -> list[dict[str, str]]:
    """One row per exchange of tasks (who transfers how many households of which group to whom),
    sorted by giver, taker and group."""
    return [
        {
            "giver": giver,
            "giver_name": region.municipality(giver).name,
            "taker": taker,
            "taker_name": region.municipality(taker).name,
            "group": group,
            "households": str(n),
        }
        for (giver, taker, group), n in sorted(allocation.transfers.items())
    ]
