"""Declared schemas of the input tables: every column with its type, bounds, unit and meaning.

Validation, the Excel template and the documentation are all generated from these declarations, so
they cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Kind = Literal["code", "text", "int", "fraction", "pct", "codes"]

#: CBS area codes: a municipality (GM + 4 digits), or for finer runs a district (WK + 6 digits) or a
#: neighbourhood (BU + 8 digits).
CODE_PATTERN = re.compile(r"GM\d{4}|WK\d{6}|BU\d{8}")
CODE_FIX = "write a CBS code: GM followed by 4 digits (e.g. GM0518), or WK + 6 / BU + 8 digits"
GROUP_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

#: Prefixes of per-group columns in the municipality table, e.g. ``arrears_permit_holders``.
PRIOR_PREFIX = "prior_"
ARREARS_PREFIX = "arrears_"
#: Prefix of user-defined numeric columns for distribution keys, e.g. ``factor_gdp``.
FACTOR_PREFIX = "factor_"


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    kind: Kind
    required: bool
    unit: str
    meaning: str
    example: str
    minimum: Fraction | None = None
    maximum: Fraction | None = None


MUNICIPALITY_COLUMNS: tuple[Column, ...] = (
    Column("code", "code", True, "GMxxxx", "CBS municipality code", "GM0518"),
    Column("name", "text", True, "", "municipality name", "'s-Gravenhage"),
    Column(
        "population",
        "int",
        True,
        "persons",
        "registered inhabitants on 1 January of the base year",
        "566221",
        minimum=Fraction(0),
    ),
    Column(
        "dwellings",
        "int",
        True,
        "dwellings",
        "housing stock on 1 January of the base year",
        "274880",
        minimum=Fraction(0),
    ),
    Column(
        "social_stock",
        "int",
        False,
        "dwellings",
        "social rent dwellings now; give this or social_share_pct",
        "79715",
        minimum=Fraction(0),
    ),
    Column(
        "social_share_pct",
        "pct",
        False,
        "% of dwellings",
        "social rent as a percentage of the stock; converted to a count by rounding half up",
        "29",
        minimum=Fraction(0),
        maximum=Fraction(100),
    ),
    Column(
        "plan_capacity",
        "int",
        True,
        "dwellings",
        "new homes that can be built by the horizon (firm and other plans)",
        "30000",
        minimum=Fraction(0),
    ),
    Column(
        "min_new_homes",
        "int",
        False,
        "dwellings",
        "new homes the municipality builds at least",
        "0",
        minimum=Fraction(0),
    ),
    Column(
        "households",
        "int",
        False,
        "households",
        "private households on 1 January",
        "290000",
        minimum=Fraction(0),
    ),
    Column(
        "turnover_rate",
        "fraction",
        False,
        "per year",
        "share of the social stock that becomes vacant each year (empty: region default)",
        "0.057",
        minimum=Fraction(0),
        maximum=Fraction(1),
    ),
    Column(
        "ses_score",
        "fraction",
        False,
        "score",
        "socio-economic score (CBS SES-WOA) for corrected keys",
        "-0.12",
    ),
    Column(
        "latitude",
        "fraction",
        False,
        "degrees WGS84",
        "centroid latitude",
        "52.0705",
        minimum=Fraction(-90),
        maximum=Fraction(90),
    ),
    Column(
        "longitude",
        "fraction",
        False,
        "degrees WGS84",
        "centroid longitude",
        "4.3007",
        minimum=Fraction(-180),
        maximum=Fraction(180),
    ),
    Column(
        "care_facilities",
        "int",
        False,
        "locations",
        "care locations for groups that need care nearby",
        "1",
        minimum=Fraction(0),
    ),
    Column("subregion", "text", False, "", "sub-region within the region", "Haaglanden"),
)

ADJACENCY_COLUMNS: tuple[Column, ...] = (
    Column("code_a", "code", True, "GMxxxx", "one municipality of the pair", "GM0518"),
    Column("code_b", "code", True, "GMxxxx", "the other municipality of the pair", "GM0603"),
    Column(
        "shared_border_km",
        "fraction",
        False,
        "km",
        "length of the shared land border",
        "6.3",
        minimum=Fraction(0),
    ),
    Column("contact", "text", False, "edge|point", "shared border line or a single point", "edge"),
)

GROUP_COLUMNS: tuple[Column, ...] = (
    Column("id", "text", True, "a-z0-9_", "stable id used in tables and targets", "permit_holders"),
    Column("name", "text", True, "", "display name", "Statushouders"),
    Column(
        "unit", "text", True, "persons|households", "unit in which demand is counted", "persons"
    ),
    Column(
        "household_size",
        "fraction",
        False,
        "persons per household",
        "average household size; required when unit is persons",
        "2.1",
        minimum=Fraction(1),
    ),
    Column(
        "only_in",
        "codes",
        False,
        "GMxxxx list",
        "the group may only be housed in these municipalities (empty: everywhere)",
        "",
    ),
    Column(
        "not_in",
        "codes",
        False,
        "GMxxxx list",
        "the group may not be housed in these",
        "",
    ),
    Column(
        "care_within_hops",
        "int",
        False,
        "borders",
        "the group needs care nearby: at most this many borders from a care location",
        "",
        minimum=Fraction(0),
    ),
    Column(
        "care_within_km",
        "fraction",
        False,
        "km",
        "the group needs care nearby: at most this many km (centroid to centroid, along "
        "borders) from a care location",
        "",
        minimum=Fraction(0),
    ),
    Column(
        "care_at",
        "codes",
        False,
        "GMxxxx list",
        "care locations of the group (empty: every municipality with care_facilities > 0)",
        "",
    ),
)


def municipality_column(name: str) -> Column | None:
    """The declared column of this name, or ``None``."""
    return next((c for c in MUNICIPALITY_COLUMNS if c.name == name), None)
