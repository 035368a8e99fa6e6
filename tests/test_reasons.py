"""The reasons in the ``explanation`` column: each reason on a hand-computed tiny case, and a
non-empty, well-formed reason on every row of a solved real instance.

Regions as in tiny_regions (horizon 1 year, turnover 1/10, letting share kappa 2/5, nothing built
unless said): the letting pool of a municipality with S social dwellings and s new social homes is
``floor(2/5 (S/10 + s))``. ``small`` (H = 100, S = 30) has a pool of floor(6/5) = 1 and ``big``
(H = 1000, S = 300) one of floor(12) = 12. Quotas are by population. Most cases use allocations
written by hand (the reasons read only the allocation and the input, as for an allocation edited
by hand); two are solved, where the optimum is unique.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction

import pytest
from tiny_regions import BACKENDS, OPTIONS, A, B, code_of, group, muni, region, solved

from instances import bundled_instance
from models.cells import decimal
from models.loader import load_region
from models.region import Municipality, Region
from reports.solve_report import solve_and_check
from reports.tables import municipality_rows, placement_rows
from solver.allocation import Allocation
from solver.quotas import compute_quotas
from solver.reasons import MAX_NAMED, cell_reason, municipality_reason

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def small(code: str, population: int = 1) -> Municipality:
    """Pool 1 (floor(2/5 * 3))."""
    return muni(code, population=population, cap=0)


def big(code: str, population: int = 1) -> Municipality:
    """Pool 12 (floor(2/5 * 30))."""
    return muni(code, dwellings=1000, social=300, cap=0, population=population)


def allocation(
    r: Region, placed: Mapping[tuple[str, str], int], social: Mapping[str, int] | None = None
) -> Allocation:
    """Nothing built except ``social`` new social homes; the placements given."""
    social = social or {}
    return Allocation(
        new_homes={c: social.get(c, 0) for c in r.codes},
        new_social={c: social.get(c, 0) for c in r.codes},
        new_middle=dict.fromkeys(r.codes, 0),
        placed=dict(placed),
    )


def reasons(r: Region, a: Allocation) -> dict[str, str]:
    """Municipality code -> reason."""
    quotas = compute_quotas(r)
    return {c: municipality_reason(r, a, quotas, c) for c in r.codes}


def cells(r: Region, a: Allocation) -> dict[tuple[str, str], str]:
    """(code, group) -> reason, for every cell (also where the group may not be housed)."""
    quotas = compute_quotas(r)
    return {(c, g.id): cell_reason(r, a, quotas, c, g.id) for c in r.codes for g in r.groups}


# --- whole households --------------------------------------------------------------------------


# Populations equal; g1 and g2 3 households each: every cell quota 3/2, each municipality 3.
# A places 2 + 2 = 4 and B 1 + 1 = 2: outside [floor 3, ceil 3] of the municipality's quota but
# inside the sums of its cells' floors and ceilings [1 + 1, 2 + 2], so rounding explains it.
def test_rounding_of_the_groups_quotas() -> None:
    r = region([big(A), big(B)], [group("g1", 3), group("g2", 3)])
    a = allocation(r, {(A, "g1"): 2, (A, "g2"): 2, (B, "g1"): 1, (B, "g2"): 1})
    assert reasons(r, a) == {
        A: "quota 3.0, placed 4 (+1.0): its groups' quotas rounded to whole households",
        B: "quota 3.0, placed 2 (-1.0): its groups' quotas rounded to whole households",
    }
    by_cell = cells(r, a)
    assert by_cell[(A, "g1")] == "quota 1.5, placed 2 (+0.5): quota rounded to whole households"
    assert by_cell[(B, "g2")] == "quota 1.5, placed 1 (-0.5): quota rounded to whole households"


# --- the letting pool --------------------------------------------------------------------------


def pool_region() -> Region:
    """A: H = 2,600, S = 780 (exactly 30%): 78 lettings, pool floor(2/5 * 78) = floor(31.2) = 31.
    B: H = 20,000, S = 6,000: pool floor(2/5 * 600) = 240. Populations 1 : 4; g: 191 households,
    quotas 191/5 = 38.2 and 764/5 = 152.8. Housing everyone (needs 0) forces A = 31 (its pool)
    and B = 160: the unique optimum. B's range is [152, 153], so it takes 160 - 153 = 7 for A."""
    a = muni(A, dwellings=2600, social=780, cap=0, population=1)
    b = muni(B, dwellings=20_000, social=6000, cap=0, population=4)
    return region([a, b], [group("g", 191)])


POOL_REASONS = {
    A: "quota 38.2, placed 31 (-7.2): letting pool full, 31 of 31",
    B: "quota 152.8, placed 160 (+7.2): takes 7 for Municipality 1: their letting pools are full",
}
POOL_CELLS = {
    (A, "g"): "quota 38.2, placed 31 (-7.2): letting pool full, 31 of 31",
    (B, "g"): "quota 152.8, placed 160 (+7.2): takes households of Municipality 1: letting pools "
    "full",
}


def test_letting_pool_full_and_others_full_pools() -> None:
    r = pool_region()
    a = allocation(r, {(A, "g"): 31, (B, "g"): 160})
    assert reasons(r, a) == POOL_REASONS
    assert cells(r, a) == POOL_CELLS


@pytest.mark.parametrize("backend", BACKENDS)
def test_letting_pool_reasons_of_a_solved_allocation(backend: str) -> None:
    r = pool_region()
    result = solved(r, backend)
    assert result.allocation is not None
    quotas = compute_quotas(r)
    rows = municipality_rows(r, result.allocation, quotas)
    assert {row["code"]: row["explanation"] for row in rows} == POOL_REASONS
    assert [row["letting_pool"] for row in rows] == ["31", "240"]
    placements = placement_rows(r, result.allocation, quotas)
    assert {(row["code"], row["group"]): row["explanation"] for row in placements} == POOL_CELLS


# New social homes enlarge the pool: with s_A = 5, floor(2/5 * (78 + 5)) = floor(33.2) = 33.
def test_letting_pool_counts_new_social_homes() -> None:
    r = pool_region()
    a = allocation(r, {(A, "g"): 33, (B, "g"): 158}, social={A: 5})
    assert reasons(r, a)[A] == "quota 38.2, placed 33 (-5.2): letting pool full, 33 of 33"


# Seven municipalities with pools of 1 and an eighth with a pool of 12; populations equal, g: 16
# households, quotas 2 each. Everyone housed: 1 in each of the seven, 9 in the eighth (the unique
# optimum). The eighth's range is [2, 2]: it takes 7 for the seven, of whom five are named.
def test_others_full_pools_names_at_most_five() -> None:
    codes = [code_of(n) for n in range(1, 9)]
    r = region([small(c) for c in codes[:7]] + [big(codes[7])], [group("g", 16)])
    result = solved(r, "ortools")
    assert result.allocation is not None
    assert [result.allocation.placed[(c, "g")] for c in codes] == [1] * 7 + [9]
    assert MAX_NAMED == 5
    got = reasons(r, result.allocation)
    assert got[codes[7]] == (
        "quota 2.0, placed 9 (+7.0): takes 7 for Municipality 1, Municipality 2, Municipality 3, "
        "Municipality 4, Municipality 5 and 2 more: their letting pools are full"
    )
    assert got[codes[0]] == "quota 2.0, placed 1 (-1.0): letting pool full, 1 of 1"


# With the letting pool rule off, a municipality at its pool size is not held back by it: A and B
# of pool_region fall back to the fairness objective.
def test_no_pool_reason_with_the_rule_off() -> None:
    r = pool_region()
    off = region(list(r.municipalities), r.groups, off=["letting_pool"])
    a = allocation(off, {(A, "g"): 31, (B, "g"): 160})
    assert reasons(off, a) == {
        A: "quota 38.2, placed 31 (-7.2): below its quota by the fairness objective",
        B: "quota 152.8, placed 160 (+7.2): above its quota by the fairness objective",
    }


# --- unmet demand and the fairness objective ----------------------------------------------------


# Populations equal, pools 12 (never full here). g1: 10 households, quotas (5, 5); g2: 4, quotas
# (2, 2). Placed g1 (2, 5): 3 unmet; g2 (2, 1): 1 unmet. A: 4 < 7 = its range's floor (5 + 2), not
# full: the 3 + 1 = 4 households of the groups not housed. Cell (A, g1): 2 < 5, g1's 3 unmet.
def test_unmet_demand() -> None:
    r = region([big(A), big(B)], [group("g1", 10), group("g2", 4)])
    a = allocation(r, {(A, "g1"): 2, (A, "g2"): 2, (B, "g1"): 5, (B, "g2"): 1})
    assert reasons(r, a) == {
        A: "quota 7.0, placed 4 (-3.0): 4 households of the target groups are not housed",
        B: "quota 7.0, placed 6 (-1.0): 4 households of the target groups are not housed",
    }
    by_cell = cells(r, a)
    assert (
        by_cell[(A, "g1")] == "quota 5.0, placed 2 (-3.0): 3 households of the group are not housed"
    )
    assert by_cell[(A, "g2")] == "quota 2.0, placed 2 (0.0): quota rounded to whole households"
    assert (
        by_cell[(B, "g2")] == "quota 2.0, placed 1 (-1.0): 1 households of the group are not housed"
    )


# Everyone housed, no pool full, yet (3, 7) against quotas (5, 5): only the objective explains it.
def test_fairness_objective() -> None:
    r = region([big(A), big(B)], [group("g", 10)])
    a = allocation(r, {(A, "g"): 3, (B, "g"): 7})
    assert reasons(r, a) == {
        A: "quota 5.0, placed 3 (-2.0): below its quota by the fairness objective",
        B: "quota 5.0, placed 7 (+2.0): above its quota by the fairness objective",
    }
    assert cells(r, a)[(B, "g")] == (
        "quota 5.0, placed 7 (+2.0): above its quota by the fairness objective"
    )


# --- eligibility -------------------------------------------------------------------------------


# g2 may not be housed in A: its quota there is 0 and the cell says why. With the eligibility rule
# off the quota is split over both (3 households: 1.5 each) and the cell is an ordinary one.
def test_cell_of_a_group_that_may_not_be_housed_there() -> None:
    groups = [group("g1", 4), group("g2", 3, not_in=[A])]
    r = region([big(A), big(B)], groups)
    a = allocation(r, {(A, "g1"): 2, (B, "g1"): 2, (B, "g2"): 3})
    by_cell = cells(r, a)
    assert by_cell[(A, "g2")] == "quota 0.0, placed 0 (0.0): the group may not be housed here"
    assert by_cell[(B, "g2")] == "quota 3.0, placed 3 (0.0): quota rounded to whole households"
    assert reasons(r, a)[A] == (
        "quota 2.0, placed 2 (0.0): its groups' quotas rounded to whole households"
    )

    off = region([big(A), big(B)], groups, off=["eligibility"])
    b = allocation(off, {(A, "g1"): 2, (B, "g1"): 2, (A, "g2"): 2, (B, "g2"): 1})
    assert cells(off, b)[(A, "g2")] == (
        "quota 1.5, placed 2 (+0.5): quota rounded to whole households"
    )


# --- a real instance ---------------------------------------------------------------------------

REASONS = [
    r"its groups' quotas rounded to whole households",
    r"quota rounded to whole households",
    r"letting pool full, \d+ of \d+",
    r"\d+ households of the (target groups|group) are not housed",
    r"takes \d+ for .+: their letting pools are full",
    r"takes households of .+: letting pools full",
    r"(below|above) its quota by the fairness objective",
    r"the group may not be housed here",
]


def assert_well_formed(row: Mapping[str, str], quota: Fraction) -> None:
    """An explanation: the heading from the exact quota and the row's placements, then one of the
    reasons."""
    placed = int(row["placed"])
    deviation = placed - quota
    sign = "+" if deviation > 0 else ""
    heading = f"quota {decimal(quota, 1)}, placed {placed} ({sign}{decimal(deviation, 1)}): "
    text = row["explanation"]
    assert text.startswith(heading), (heading, row)
    reason = text.removeprefix(heading)
    assert any(re.fullmatch(pattern, reason) for pattern in REASONS), row


def test_every_row_of_a_solved_instance_has_an_explanation() -> None:
    region_ = load_region(bundled_instance("parkstad-limburg"))
    report = solve_and_check(region_, "ortools", OPTIONS, hard_limit=False)
    assert report.result.status == "optimal"
    assert len(report.municipality_rows) == len(region_.municipalities)
    assert len(report.placement_rows) == len(region_.municipalities) * len(region_.groups)
    quotas = compute_quotas(region_)
    for row in report.municipality_rows:
        assert row["explanation"].strip()
        assert_well_formed(row, quotas.municipality_total(row["code"]))
    for row in report.placement_rows:
        assert row["explanation"].strip()
        assert_well_formed(row, quotas.of(row["code"], row["group"]))
    # Voerendaal and Beekdaelen are held below their quotas by their full pools (the optimum
    # both backends reach, see test_bundled_solves); the text quotes the row's own figures.
    full = [r for r in report.municipality_rows if "letting pool full" in r["explanation"]]
    assert [r["code"] for r in full] == ["GM0986", "GM1954"]
    for row in full:
        assert row["placed"] == row["letting_pool"]
        assert row["explanation"].endswith(
            f": letting pool full, {row['placed']} of {row['letting_pool']}"
        )
