"""Caps against concentration: placements per 1,000 inhabitants, and one group's share of lettings.

Municipalities A, B (GM0001, GM0002), each H=1000, S=300 (exactly 3/10: no mix rule), turnover
1/10 a year, horizon 1: 30 turnover lettings and a letting pool of floor(2/5 * (30 + s)) = 12
(13 from s = 3), never binding here. Groups in households.

- per 1,000 inhabitants: ``sum_g p_mg <= floor(x * population_m / 1000)``;
- one group's share: ``p_mg <= floor(y * (turnover * S * years + s_m)) = floor(y * (30 + s_m))``.

Stages as in test_solver_rules: ``needs`` = unmet households + norm shortfall, ``fairness_sum`` =
``sum |p - q|``, ``programme`` = deviations of y, s, a from their regional targets.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from instance_factory import REGION, load_problems, the_problem, toml_line, write_instance
from tiny_regions import (
    A,
    B,
    allocation_of,
    building,
    group,
    muni,
    placements,
    region,
    solved,
    stage_values,
)

from models.loader import load_instance
from models.region import Municipality, Region
from models.writer import region_toml, write_instance_dir
from solver.allocation import Allocation
from solver.check import check_allocation, concentration_caps
from solver.quotas import compute_quotas
from solver.reasons import cell_reason, municipality_reason

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

both = pytest.mark.parametrize("backend", ["ortools", "cbc"])


def big(code: str, population: int, *, cap: int = 0) -> Municipality:
    """H = 1000, S = 300: 30 turnover lettings, letting pool 12."""
    return muni(code, dwellings=1000, social=300, cap=cap, population=population)


# --- placements per 1,000 inhabitants ---------------------------------------------------------


# Populations A 1000, B 3000; key dwellings (equal): g, 10 households, quotas (5, 5).
# x = 7/2 per 1,000: caps floor(7/2 * 1000/1000) = floor(3.5) = 3 and floor(7/2 * 3) = 10.
# A takes 3, B the other 7 (pool 12): needs 0, fairness |3-5| + |7-5| = 4, programme 0.
def per_1000_region(**policy: Any) -> Region:
    homes = [big(A, 1000), big(B, 3000)]
    return region(homes, [group("g", 10)], distribution_key="dwellings", **policy)


@both
def test_per_1000_cap_binds(backend: str) -> None:
    r = per_1000_region(max_placements_per_1000=Fraction(7, 2))
    assert concentration_caps(r, A, 0) == (3, None)
    assert concentration_caps(r, B, 0) == (10, None)
    assert [compute_quotas(r).of(c, "g") for c in (A, B)] == [5, 5]
    result = solved(r, backend)
    assert placements(result, "g", [A, B]) == [3, 7]
    values = stage_values(result)
    assert values["needs"] == 0
    assert values["fairness_sum"] == 4
    assert values["programme"] == 0


# Without a cap, or with the rule switched off, the placements are the quotas (5, 5).
@both
@pytest.mark.parametrize(
    "policy",
    [{}, {"max_placements_per_1000": Fraction(7, 2), "off": ["concentration"]}],
    ids=["no-cap", "rule-off"],
)
def test_per_1000_cap_absent_or_off(backend: str, policy: dict[str, Any]) -> None:
    result = solved(per_1000_region(**policy), backend)
    assert placements(result, "g", [A, B]) == [5, 5]
    assert stage_values(result)["fairness_sum"] == 0


# The cap holds all groups together and can leave households unhoused: x = 3 gives A
# floor(3) = 3 and B floor(9) = 9. g1 10 and g2 4 households (quotas (5, 5) and (2, 2)) need 14
# places, the caps give 12: needs 2. Fairness: A's quotas add up to 7 and B's to 7; A places 3
# and B 9, so the cells deviate by at least |3 - 7| + |9 - 7| = 6, reached with every cell of A at
# or below its quota and every cell of B at or above (which split of the 2 unhoused, ties): 6.
@both
def test_per_1000_cap_counts_every_group(backend: str) -> None:
    r = region(
        [big(A, 1000), big(B, 3000)],
        [group("g1", 10), group("g2", 4)],
        distribution_key="dwellings",
        max_placements_per_1000=Fraction(3),
    )
    result = solved(r, backend)
    a = allocation_of(result)
    assert [a.placed_in(c) for c in (A, B)] == [3, 9]
    values = stage_values(result)
    assert values["needs"] == 2
    assert values["fairness_sum"] == 6


# --- one group's share of the lettings --------------------------------------------------------


# y = 1/4. A: plan capacity 10, B none; exact total 4, so y = (4, 0). Populations equal:
# g1 20 households, quotas (10, 10); g2 2, quotas (1, 1).
# Group cap A floor((30 + s_A) / 4): 7 for s_A <= 1, 8 for s_A = 2, 3, 4 (34/4 = 8.5);
# B floor(30 / 4) = 7. So g1 places at most 8 + 7 = 15: needs 5 (unmet 5; no norm shortfall:
# A 3 * 1004 - 10 * (300 + s_A) < 0 for s_A >= 2, B 0), and the needs stage asks s_A >= 2.
# g2 (1, 1) fits beside (pools: A floor(2/5 * 32) = 12 >= 9, B 12 >= 8).
# Fairness: g1 |8 - 10| + |7 - 10| = 5, g2 0.
# Programme: T = 4, Y = (4, 0), S* = A* = LR(floor(4/3) = 1) = (1, 0) (B has no capacity).
# s_A >= 2; regional sum(s + a) >= ceil(8/3) = 3: s = 2, a = 1 costs |2-1| + |1-1| = 1 (s = 3,
# a = 0 costs 3; s = 2, a = 2 costs 2). Programme 1.
def share_region(**policy: Any) -> Region:
    return region(
        [big(A, 100, cap=10), big(B, 100)],
        [group("g1", 20), group("g2", 2)],
        total=4,
        **policy,
    )


@both
def test_group_letting_share_cap_binds_and_new_social_homes_raise_it(backend: str) -> None:
    r = share_region(max_group_letting_share=Fraction(1, 4))
    assert [concentration_caps(r, A, s)[1] for s in range(5)] == [7, 7, 8, 8, 8]
    assert concentration_caps(r, B, 0) == (None, 7)
    result = solved(r, backend)
    assert building(result, [A, B]) == ([4, 0], [2, 0], [1, 0])
    assert placements(result, "g1", [A, B]) == [8, 7]
    assert placements(result, "g2", [A, B]) == [1, 1]
    values = stage_values(result)
    assert values["needs"] == 5
    assert values["fairness_sum"] == 5
    assert values["programme"] == 1


# Without the cap: g1 (10, 10), g2 (1, 1) fit the pools (A 11 <= 12 for any s_A, B 11 <= 12):
# needs 0 (s_A >= 2 for the norm), fairness 0.
@both
def test_group_letting_share_cap_absent(backend: str) -> None:
    result = solved(share_region(), backend)
    assert placements(result, "g1", [A, B]) == [10, 10]
    values = stage_values(result)
    assert values["needs"] == 0
    assert values["fairness_sum"] == 0


# --- the checker and the reasons --------------------------------------------------------------


def _allocation(
    y: tuple[int, int], s: tuple[int, int], a: tuple[int, int], placed: dict[tuple[str, str], int]
) -> Allocation:
    return Allocation({A: y[0], B: y[1]}, {A: s[0], B: s[1]}, {A: a[0], B: a[1]}, dict(placed))


# 4 placements in A against its cap of 3 (B's 6 are within its 10): one violation of 1. The rule
# switched off: none.
def test_checker_finds_placements_above_the_per_1000_cap() -> None:
    r = per_1000_region(max_placements_per_1000=Fraction(7, 2))
    allocation = _allocation((0, 0), (0, 0), (0, 0), {(A, "g"): 4, (B, "g"): 6})
    violations = check_allocation(r, allocation)
    assert [(v.rule, v.where, v.excess) for v in violations] == [("concentration", A, Fraction(1))]
    assert violations[0].message == (
        "Municipality 1: 4 placements, the cap per 1,000 inhabitants allows 3"
    )
    off = per_1000_region(max_placements_per_1000=Fraction(7, 2), off=["concentration"])
    assert check_allocation(off, allocation) == []


# g1 9 in A with s_A = 2 (cap 8) and 8 in B (cap 7): two violations of 1 each; g2's 1 and 1 are
# within. Nothing else is broken: y = (4, 0) = total; s = 2 >= 4/3 and s + a = 3 >= 8/3; pools
# A 10 <= 12, B 9 <= 12; g1 17 <= 20.
def test_checker_finds_a_group_above_its_share_of_lettings() -> None:
    r = share_region(max_group_letting_share=Fraction(1, 4))
    placed = {(A, "g1"): 9, (B, "g1"): 8, (A, "g2"): 1, (B, "g2"): 1}
    violations = check_allocation(r, _allocation((4, 0), (2, 0), (1, 0), placed))
    assert [(v.rule, v.where, v.excess) for v in violations] == [
        ("concentration", f"{A},g1", Fraction(1)),
        ("concentration", f"{B},g1", Fraction(1)),
    ]
    assert violations[0].message == (
        "Municipality 1: 9 households of g1, one group may take 8 lettings"
    )
    assert violations[1].message == (
        "Municipality 2: 8 households of g1, one group may take 7 lettings"
    )
    # the same placements with s_A = 0 (a = 4): A's cap is 7, so 2 too many (and the regional
    # social share is broken too)
    violations = check_allocation(r, _allocation((4, 0), (0, 0), (4, 0), placed))
    assert [(v.where, v.excess) for v in violations if v.rule == "concentration"] == [
        (f"{A},g1", Fraction(2)),
        (f"{B},g1", Fraction(1)),
    ]


# The reasons for the optimum of test_per_1000_cap_binds: A (quota 5, placed 3, pool 12 not
# full) names the cap, for the municipality and for its one group.
def test_reason_names_the_per_1000_cap() -> None:
    r = per_1000_region(max_placements_per_1000=Fraction(7, 2))
    allocation = _allocation((0, 0), (0, 0), (0, 0), {(A, "g"): 3, (B, "g"): 7})
    quotas = compute_quotas(r)
    expected = "quota 5.0, placed 3 (-2.0): concentration cap per 1,000 inhabitants reached, 3 of 3"
    assert municipality_reason(r, allocation, quotas, A) == expected
    assert cell_reason(r, allocation, quotas, A, "g") == expected


# The reasons for the optimum of test_group_letting_share_cap_binds...: g1 in A (quota 10,
# placed 8, cap 8) and in B (placed 7, cap 7); g2 on its quota.
def test_reason_names_the_group_cap() -> None:
    r = share_region(max_group_letting_share=Fraction(1, 4))
    placed = {(A, "g1"): 8, (B, "g1"): 7, (A, "g2"): 1, (B, "g2"): 1}
    allocation = _allocation((4, 0), (2, 0), (1, 0), placed)
    quotas = compute_quotas(r)
    assert cell_reason(r, allocation, quotas, A, "g1") == (
        "quota 10.0, placed 8 (-2.0): concentration cap for one group reached, 8 of 8"
    )
    assert cell_reason(r, allocation, quotas, B, "g1") == (
        "quota 10.0, placed 7 (-3.0): concentration cap for one group reached, 7 of 7"
    )
    assert cell_reason(r, allocation, quotas, A, "g2") == (
        "quota 1.0, placed 1 (0.0): quota rounded to whole households"
    )


# --- region.toml and validation ---------------------------------------------------------------


def test_caps_round_trip_through_region_toml(tmp_path: Path) -> None:
    r = share_region(max_placements_per_1000=Fraction(7, 2), max_group_letting_share=Fraction(1, 4))
    text = region_toml(r)
    assert 'max_placements_per_1000 = "3.5"' in text
    assert 'max_group_letting_share = "0.25"' in text
    write_instance_dir(r, tmp_path / "inst")
    loaded = load_instance(tmp_path / "inst").region
    assert loaded.policy.max_placements_per_1000 == Fraction(7, 2)
    assert loaded.policy.max_group_letting_share == Fraction(1, 4)
    assert loaded.policy == r.policy
    # without caps nothing is written and nothing is read
    assert "max_" not in region_toml(share_region())


@pytest.mark.parametrize(
    ("key", "value"),
    [("max_placements_per_1000", -1), ("max_group_letting_share", "-10%")],
)
def test_negative_cap(tmp_path: Path, key: str, value: object) -> None:
    r = share_region(max_group_letting_share=Fraction(1, 4))
    directory = write_instance(tmp_path / "inst", region=r, settings={f"policy.{key}": value})
    problems = load_problems(directory)
    line = toml_line(directory, rf"{key} = ")
    assert {(p.file, p.row, p.column) for p in problems} == {(REGION, line, f"policy.{key}")}
    problem = the_problem(problems, REGION, line, f"policy.{key}")
    assert problem.value == str(value)
    if key == "max_group_letting_share":  # a share: between 0 and 1
        assert "between 0 and 1" in problem.message
    else:
        assert "must not be negative" in problem.message
        assert f"the cap {key} >= 0" in problem.fix


# A share of the lettings lies between 0 and 1: 25 (meant as 25%) must not pass as a cap of
# 25 times the lettings, which never binds.
def test_group_letting_share_above_one(tmp_path: Path) -> None:
    r = share_region()
    settings = {"policy.max_group_letting_share": 25}
    directory = write_instance(tmp_path / "inst", region=r, settings=settings)
    problems = load_problems(directory)
    line = toml_line(directory, r"max_group_letting_share = ")
    problem = the_problem(problems, REGION, line, "policy.max_group_letting_share")
    assert "between 0 and 1" in problem.message
