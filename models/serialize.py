"""Turning a `Region` back into the settings dictionary and the tables it was read from.

Both writers (the instance directory and the workbook) use these, so a region written in one format
and read back is equal to the original: nothing the user gave is lost.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from typing import Any

from models.cells import format_fraction
from models.policy import FRACTION_FIELDS, INT_FIELDS, OPTIONAL_FRACTION_FIELDS, Policy
from models.region import Municipality, Region
from models.schema import ARREARS_PREFIX, MUNICIPALITY_COLUMNS, PRIOR_PREFIX

MUNICIPALITIES_FILE = "municipalities.csv"
ADJACENCY_FILE = "adjacency.csv"


def settings_dict(region: Region, *, with_files: bool = True) -> dict[str, Any]:
    """The region's settings in the shape of ``region.toml``; shares are exact strings."""
    region_table: dict[str, Any] = {
        "name": region.name,
        "base_year": region.base_year,
        "horizon_years": region.horizon_years,
        "default_turnover_rate": format_fraction(region.default_turnover_rate),
    }
    if region.source:
        region_table["source"] = region.source
    targets: dict[str, Any]
    if region.targets.new_homes_min == region.targets.new_homes_max:
        targets = {"new_homes": region.targets.new_homes_min}
    else:
        targets = {
            "new_homes_min": region.targets.new_homes_min,
            "new_homes_max": region.targets.new_homes_max,
        }
    targets["demand"] = {g.id: g.demand for g in region.groups}
    groups = []
    for g in region.groups:
        group: dict[str, Any] = {"id": g.id, "name": g.name, "unit": g.unit}
        if g.unit == "persons" or g.household_size != 1:
            group["household_size"] = format_fraction(g.household_size)
        if g.only_in is not None:
            group["only_in"] = sorted(g.only_in)
        if g.not_in:
            group["not_in"] = sorted(g.not_in)
        if g.care_within_hops is not None:
            group["care_within_hops"] = g.care_within_hops
        if g.care_within_km is not None:
            group["care_within_km"] = format_fraction(g.care_within_km)
        if g.care_at is not None:
            group["care_at"] = sorted(g.care_at)
        groups.append(group)
    policy: dict[str, Any] = {
        name: format_fraction(getattr(region.policy, name)) for name in FRACTION_FIELDS
    }
    policy.update({name: getattr(region.policy, name) for name in INT_FIELDS})
    defaults = Policy()
    for name in (
        "exchanges",
        "exchange_max_km",
        "exchange_max_share",
        "exchange_max_per_pair",
        "exchange_compensation",
    ):
        value = getattr(region.policy, name)
        if value != getattr(defaults, name):
            policy[name] = format_fraction(value) if isinstance(value, Fraction) else value
    for name in OPTIONAL_FRACTION_FIELDS:
        value = getattr(region.policy, name)
        if value is not None:
            policy[name] = format_fraction(value)
    policy["distribution_key"] = region.policy.distribution_key
    policy.update(_key_settings(region.policy))
    policy["objective"] = region.policy.objective
    if region.policy.norm_objective != Policy().norm_objective:
        policy["norm_objective"] = region.policy.norm_objective
    policy["rules"] = dict(region.policy.rules)
    result: dict[str, Any] = {"region": region_table}
    if with_files:
        files = {"municipalities": MUNICIPALITIES_FILE}
        if region.edges:
            files["adjacency"] = ADJACENCY_FILE
        result["files"] = files
    result["targets"] = targets
    result["groups"] = groups
    result["policy"] = policy
    return result


def _key_settings(policy: Policy) -> dict[str, Any]:
    """The distribution-key parameters that differ from their defaults.

    Written only where set, so that an instance that does not use them keeps its region.toml.
    A direct factor is written as ``name = "0.4"``, an inverted one as a table with its direction.
    """
    defaults = Policy()
    result: dict[str, Any] = {}
    if policy.ses_correction != defaults.ses_correction:
        result["ses_correction"] = format_fraction(policy.ses_correction)
    if policy.credit_prior_placements != defaults.credit_prior_placements:
        result["credit_prior_placements"] = policy.credit_prior_placements
    if policy.key_factors:
        result["key_factors"] = {
            f.column: format_fraction(f.weight)
            if f.direction == "direct"
            else {"weight": format_fraction(f.weight), "direction": f.direction}
            for f in policy.key_factors
        }
    return result


def _optional(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)
    return format_fraction(value)  # type: ignore[arg-type]


def _base_cells(m: Municipality) -> dict[str, str]:
    return {
        "code": m.code,
        "name": m.name,
        "population": str(m.population),
        "dwellings": str(m.dwellings),
        "social_stock": "" if m.social_stock_from_pct else str(m.social_stock),
        "social_share_pct": _optional(m.social_share_pct_given),
        "plan_capacity": str(m.plan_capacity),
        "min_new_homes": _optional(m.min_new_homes),
        "households": _optional(m.households),
        "turnover_rate": _optional(m.turnover_rate),
        "ses_score": _optional(m.ses_score),
        "latitude": _optional(m.latitude),
        "longitude": _optional(m.longitude),
        "care_facilities": _optional(m.care_facilities),
        "subregion": _optional(m.subregion),
    }


def municipality_table(region: Region) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the municipality table; optional columns only where some row has a value.

    Required columns always appear. Per-group columns follow in group order, factors by name.
    """
    rows = [_base_cells(m) for m in region.municipalities]
    for m, row in zip(region.municipalities, rows, strict=True):
        for g in region.groups:
            row[f"{PRIOR_PREFIX}{g.id}"] = _optional(m.prior_placements.get(g.id))
            row[f"{ARREARS_PREFIX}{g.id}"] = _optional(m.arrears.get(g.id))
        for name, value in m.factors.items():
            row[name] = format_fraction(value)
    factor_names = sorted({name for m in region.municipalities for name in m.factors})
    candidates = [c.name for c in MUNICIPALITY_COLUMNS]
    candidates += [f"{p}{g.id}" for g in region.groups for p in (PRIOR_PREFIX, ARREARS_PREFIX)]
    candidates += factor_names
    always = {c.name for c in MUNICIPALITY_COLUMNS if c.required}
    header = [c for c in candidates if c in always or any(row.get(c) for row in rows)]
    if "social_stock" not in header and "social_share_pct" not in header:
        header.insert(header.index("dwellings") + 1, "social_stock")
    return header, [[row.get(c, "") for c in header] for row in rows]


def adjacency_table(region: Region) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the adjacency table (optional columns only where used)."""
    header = ["code_a", "code_b"]
    if any(e.shared_border_km is not None for e in region.edges):
        header.append("shared_border_km")
    if any(e.contact is not None for e in region.edges):
        header.append("contact")
    rows = []
    for e in region.edges:
        cells = {
            "code_a": e.code_a,
            "code_b": e.code_b,
            "shared_border_km": _optional(e.shared_border_km),
            "contact": _optional(e.contact),
        }
        rows.append([cells[c] for c in header])
    return header, rows


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """A comma-separated table with ``\\n`` line endings, quoted only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
