"""The ledger of a period: this period's tasks, and the ledger file written with the allocation."""

from __future__ import annotations

from dataclasses import replace

from models.ledger import LedgerRow, updated_ledger
from models.region import Region
from solver.allocation import Allocation
from solver.apportionment import largest_remainder
from solver.quotas import compute_quotas


def period_tasks(region: Region) -> dict[tuple[str, str], int]:
    """This period's own task per (code, group), arrears left out: each group's demand in
    dwellings split over its quotas by largest remainder (whole households that add up to the
    demand; each is its quota rounded down or up)."""
    fresh = replace(
        region, municipalities=tuple(replace(m, arrears={}) for m in region.municipalities)
    )
    quotas = compute_quotas(fresh)
    tasks: dict[tuple[str, str], int] = {}
    for g in region.groups:
        cells = {c: quotas.of(c, g.id) for c in region.codes}
        for code, task in largest_remainder(g.demand_dwellings, cells).items():
            tasks[(code, g.id)] = task
    return tasks


def ledger_file(
    region: Region, rows: list[LedgerRow], period: str, allocation: Allocation
) -> bytes:
    """``ledger.csv``: the earlier rows, and this period's tasks with the allocation as the plan."""
    text = updated_ledger(rows, period, period_tasks(region), allocation.placed)
    return text.encode("utf-8")
