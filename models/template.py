"""The example region behind ``fairshare template``: two real municipalities of Haaglanden
with every optional column filled, so that the template workbook shows each column with an
example value and is itself a valid instance."""

from __future__ import annotations

from fractions import Fraction

from models.policy import Policy
from models.region import Edge, Municipality, Region, TargetGroup, Targets


def example_region() -> Region:
    """A small valid region using every column (CBS 2024 figures for the two municipalities)."""
    groups = (
        TargetGroup("permit_holders", "Statushouders", "persons", 900, Fraction(2)),
        TargetGroup(
            "sheltered_housing_outflow",
            "Uitstroom beschermd wonen en maatschappelijke opvang",
            "households",
            200,
            only_in=frozenset({"GM0518", "GM0603"}),
        ),
    )
    municipalities = (
        Municipality(
            code="GM0518",
            name="'s-Gravenhage",
            population=566221,
            dwellings=274880,
            social_stock=79715,
            plan_capacity=50000,
            min_new_homes=0,
            households=300000,
            turnover_rate=Fraction(57, 1000),
            ses_score=Fraction(-12, 100),
            latitude=Fraction("52.0705"),
            longitude=Fraction("4.3007"),
            care_facilities=1,
            subregion="Haaglanden",
            prior_placements={"permit_holders": 120, "sheltered_housing_outflow": 30},
            arrears={"permit_holders": 15, "sheltered_housing_outflow": 0},
            factors={"factor_land_area_ha": Fraction(8187)},
        ),
        Municipality(
            code="GM0603",
            name="Rijswijk (ZH.)",
            population=58000,
            dwellings=27000,
            social_stock=8100,
            plan_capacity=5000,
            social_share_pct_given=Fraction(30),
            social_stock_from_pct=True,
            subregion="Haaglanden",
        ),
    )
    return Region(
        name="Example region",
        base_year=2024,
        horizon_years=7,
        default_turnover_rate=Fraction(8159, 142000),
        targets=Targets(10000, 10000),
        policy=Policy(),
        groups=groups,
        municipalities=municipalities,
        edges=(Edge("GM0518", "GM0603", Fraction("6.3"), "edge"),),
        source="Example values; replace every row with your own region.",
    )
