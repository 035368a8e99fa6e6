"""The summary of a solve: ``summary.json`` (deterministic) and ``timings.json`` (not), and the
readable text that ``fairshare solve`` prints."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from fractions import Fraction
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from models.cells import decimal
from models.region import Region
from solver.check import Violation, soft_measures
from solver.result import Result

#: Municipalities printed by `solution_text`; the files hold them all.
MAX_ROWS_SHOWN = 60


def _fairshare_version() -> str:
    try:
        return version("fairshare")
    except PackageNotFoundError:
        return "unknown"


def _number(value: Fraction | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"exact": str(value), "decimal": decimal(value, 6)}


def summary_data(region: Region, result: Result, violations: Sequence[Violation]) -> dict[str, Any]:
    """Everything about a solve except timings; equal inputs and options give equal data."""
    data: dict[str, Any] = {
        "instance": region.name,
        "status": result.status,
        "stop_reason": result.stop_reason,
        "proven_optimal": result.proven_optimal,
        "message": result.message,
        "notes": list(result.notes),
        "stages": [
            {
                "name": s.name,
                "status": s.status,
                "stop_reason": s.stop_reason,
                "objective": _number(s.value),
                "bound": _number(s.bound),
                "unit": s.unit,
                "method": s.method,
            }
            for s in result.stages
        ],
        "backend": result.backend,
        "engine": result.engine,
        "seed": result.seed,
        "threads": result.threads,
        "time_limit_s": result.time_limit,
        "memory_limit_mib": result.memory_limit,
        "gap": result.gap,
        "versions": {
            "fairshare": _fairshare_version(),
            "python": platform.python_version(),
            **result.versions,
        },
        "policy": {
            "distribution_key": region.policy.distribution_key,
            "objective": region.policy.objective,
        },
    }
    if result.allocation is not None:
        allocation = result.allocation
        soft = soft_measures(region, allocation)
        norm = region.policy.social_norm
        below = [
            m.code
            for m in region.municipalities
            if (m.social_stock + allocation.new_social[m.code])
            < norm * (m.dwellings + allocation.new_homes[m.code])
        ]
        data["totals"] = {
            "new_homes": sum(allocation.new_homes.values()),
            "new_social": sum(allocation.new_social.values()),
            "new_middle": sum(allocation.new_middle.values()),
            "placed": sum(allocation.placed.values()),
            "unmet_demand": soft.unmet,
            "norm_shortfall": _number(sum(soft.norm_shortfall.values(), Fraction(0))),
            "municipalities_below_norm_at_horizon": below,
        }
        data["check"] = {"violations": [str(v) for v in violations]}
    return data


def timings_data(result: Result) -> dict[str, Any]:
    """Build and solve times (seconds) and the solving process's peak memory; these differ
    between runs."""
    return {
        "build_s": round(result.build_seconds, 4),
        "solve_s": round(result.solve_seconds, 4),
        "stages": {s.name: round(s.seconds, 4) for s in result.stages},
        "peak_memory_mib": result.peak_memory_mib,
        "machine": {"cpu_count": _cpu_count(), "platform": platform.platform()},
    }


def _cpu_count() -> int:
    return os.cpu_count() or 0


def solution_text(region: Region, result: Result, rows: Sequence[dict[str, str]]) -> str:
    """The readable summary: status, stages, then one line per municipality."""
    lines = [
        f"{region.name}: {result.status} ({result.stop_reason}) with {result.backend}/"
        f"{result.engine}, seed {result.seed}",
    ]
    if result.message:
        lines.append(f"  {result.message}")
    lines += [f"  note: {note}" for note in result.notes]
    for s in result.stages:
        value = "-" if s.value is None else decimal(s.value, 4)
        bound = "unknown" if s.bound is None else decimal(s.bound, 4)
        lines.append(
            f"  stage {s.name:<17} {s.status:<9} value {value} ({s.unit}), bound {bound}"
            + (" (by the placement network)" if s.method == "network" else "")
        )
    if result.allocation is None:
        return "\n".join(lines)
    norm = decimal(region.policy.social_norm * 100, 0)
    header = (
        f"  {'municipality':<26}{'new':>8}{'social':>8}{'middle':>8}"
        f"{'share now -> horizon':>24}{'placed':>8}{'quota':>9}"
    )
    lines += ["", header]
    shown = rows if len(rows) <= MAX_ROWS_SHOWN else rows[:MAX_ROWS_SHOWN]
    for row in shown:
        now = decimal(Fraction(row["social_share_now"] or "0") * 100, 1)
        later = decimal(Fraction(row["social_share_horizon"] or "0") * 100, 1)
        flag = " <" if Fraction(row["norm_shortfall"]) > 0 else ""
        lines.append(
            f"  {row['name'][:25]:<26}{row['new_homes']:>8}{row['new_social']:>8}"
            f"{row['new_middle']:>8}{now:>11}% ->{later:>6}%{flag:<3}{row['placed']:>8}"
            f"{decimal(Fraction(row['quota']), 1):>9}"
        )
    if len(shown) < len(rows):
        lines.append(f"  ... {len(rows) - len(shown)} more municipalities in municipalities.csv")
    lines.append(f"  (< : below the {norm}% norm at the horizon)")
    if result.allocation.transfers:
        lines += ["", "  exchanges of tasks (Huisvestingswet art. 29(2)):"]
        lines += [
            f"  {region.municipality(giver).name} -> {region.municipality(taker).name}: "
            f"{n} households of {group}"
            for (giver, taker, group), n in sorted(result.allocation.transfers.items())
        ]
    moved = [row for row in rows if "rounded" not in row["explanation"]]
    if moved:
        lines += ["", "  placements moved from the quota by a rule:"]
        lines += [f"  {row['name'][:25]:<26}{row['explanation']}" for row in moved[:MAX_ROWS_SHOWN]]
        if len(moved) > MAX_ROWS_SHOWN:
            lines.append(f"  ... {len(moved) - MAX_ROWS_SHOWN} more in municipalities.csv")
    return "\n".join(lines)
