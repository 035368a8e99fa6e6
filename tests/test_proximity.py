"""Proximity to care: a group that needs care is housed only within reach of a care location.

Region of every test: a path A - B - C - D (borders A-B, B-C, C-D; codes GM0001..GM0004), each
H=1000, S=300, no plan capacity, nothing built, population 100, letting pool
floor(2/5 * 1/10 * 300) = 12. Care facilities only in A, so a group's care location defaults to A.

Centroids on a square of 0.1 degree at the equator: A (0, 0), B (0, 0.1), C (0.1, 0.1),
D (0.1, 0) (latitude, longitude). A-B runs along the equator and B-C along a meridian, each
R * 0.1 * pi/180 = 11.1195 km (R = 6371.0088 km); C-D runs along the parallel at 0.1 N, a hair
shorter (11.11949 km). Along the borders A is 0 km from care, B 11.12, C 22.24 and D 33.36 km,
although D is only 11.12 km from A as the crow flies: the distance to care follows the borders.
Expected km are computed with `centroid_km` (floats; compared with `pytest.approx`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction
from math import isclose
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from instance_factory import REGION, load_problems, the_problem, toml_line, write_instance
from tiny_regions import (
    A,
    B,
    C,
    D,
    allocation_of,
    group,
    muni,
    placements,
    region,
    solved,
    stage_values,
)

from cli import main
from models.loader import load_instance
from models.proximity import centroid_km
from models.region import Edge, Municipality, Region, TargetGroup
from models.writer import write_instance_dir
from solver.allocation import Allocation
from solver.check import check_allocation
from solver.quotas import compute_quotas
from solver.reasons import cell_reason

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

both = pytest.mark.parametrize("backend", ["ortools", "cbc"])

CODES = [A, B, C, D]
EDGES = (Edge(A, B), Edge(B, C), Edge(C, D))
TENTH = Fraction(1, 10)
POSITION = {A: (Fraction(0), Fraction(0)), B: (Fraction(0), TENTH), C: (TENTH, TENTH)}
POSITION[D] = (TENTH, Fraction(0))

AB = centroid_km(POSITION[A], POSITION[B])
BC = centroid_km(POSITION[B], POSITION[C])
CD = centroid_km(POSITION[C], POSITION[D])
#: Distance along the borders from A to each municipality.
ALONG = {A: 0.0, B: AB, C: AB + BC, D: AB + BC + CD}


def place(code: str, *, facilities: int | None = None, located: bool = True) -> Municipality:
    m = muni(code, dwellings=1000, social=300, cap=0, population=100)
    latitude, longitude = POSITION[code] if located else (None, None)
    return replace(m, latitude=latitude, longitude=longitude, care_facilities=facilities)


def care(
    demand: int = 6,
    *,
    hops: int | None = None,
    km: Fraction | None = None,
    at: Iterable[str] | None = None,
    not_in: Iterable[str] = (),
) -> TargetGroup:
    """The group ``care`` in households, with its reach of care."""
    return replace(
        group("care", demand, not_in=not_in),
        care_within_hops=hops,
        care_within_km=km,
        care_at=None if at is None else frozenset(at),
    )


def path_region(
    *groups: TargetGroup,
    facilities: dict[str, int] | None = None,
    located: Iterable[str] = CODES,
    **policy: Any,
) -> Region:
    """The path A - B - C - D with care facilities (default: 1 in A) and the given groups."""
    facilities = {A: 1} if facilities is None else facilities
    homes = [place(c, facilities=facilities.get(c), located=c in located) for c in CODES]
    return replace(region(homes, groups, **policy), edges=EDGES)


def test_the_geometry_of_the_square() -> None:
    assert abs(AB - 11.1195) < 1e-4
    assert isclose(BC, AB)
    assert abs(CD - AB) < 1e-4 and CD < AB
    assert isclose(centroid_km(POSITION[A], POSITION[D]), AB)


# --- who is within reach ----------------------------------------------------------------------


# Hops from A along the path: A 0, B 1, C 2, D 3.
@pytest.mark.parametrize(
    ("hops", "reach"),
    [
        (0, {A: 0.0}),
        (1, {A: 0.0, B: 1.0}),
        (2, {A: 0.0, B: 1.0, C: 2.0}),
        (3, {A: 0.0, B: 1.0, C: 2.0, D: 3.0}),
    ],
)
def test_reach_in_hops(hops: int, reach: dict[str, float]) -> None:
    r = path_region(care(hops=hops))
    assert r.near_care == {"care": reach}
    assert [r.may_house(c, "care") for c in CODES] == [c in reach for c in CODES]


# Within 15 km: A (0) and B (11.12); D is 11.12 km from A in a straight line but 33.36 km along
# the borders, so it is out. Within 25 km: C (22.24) too; within 34 km all four.
@pytest.mark.parametrize(
    ("km", "reach"),
    [(Fraction(0), [A]), (Fraction(15), [A, B]), (Fraction(25), [A, B, C]), (Fraction(34), CODES)],
)
def test_reach_in_km_follows_the_borders(km: Fraction, reach: list[str]) -> None:
    r = path_region(care(km=km))
    assert r.near_care["care"] == pytest.approx({c: ALONG[c] for c in reach})
    assert [r.may_house(c, "care") for c in CODES] == [c in reach for c in CODES]


# Care locations default to the municipalities with care facilities (A and D: within one border
# A, B, C, D; none of them at 0 hops but A and D). Facilities of 0 do not count. care_at replaces
# the facilities: care at C within one border is B, C, D.
def test_care_locations_default_to_care_facilities_and_care_at_replaces_them() -> None:
    r = path_region(care(hops=0), facilities={A: 1, B: 0, D: 3})
    assert r.care_locations(r.group("care")) == frozenset({A, D})
    assert r.near_care["care"] == {A: 0.0, D: 0.0}
    r = path_region(care(hops=1), facilities={A: 1, D: 3})
    assert set(r.near_care["care"]) == {A, B, C, D}
    r = path_region(care(hops=1, at=[C]))
    assert r.care_locations(r.group("care")) == frozenset({C})
    assert r.near_care["care"] == {C: 0.0, B: 1.0, D: 1.0}


# Reach and not_in both apply: within one border of A is A, B, but B is excluded.
def test_reach_and_not_in_both_apply() -> None:
    r = path_region(care(hops=1, not_in=[B]))
    assert [r.may_house(c, "care") for c in CODES] == [True, False, False, False]


# A group that needs no care goes everywhere, and has no entry in near_care.
def test_a_group_without_care_needs_is_not_limited() -> None:
    r = path_region(group("free", 8))
    assert r.near_care == {}
    assert all(r.may_house(c, "free") for c in CODES)


# --- solving ----------------------------------------------------------------------------------


# care within one border (or 15 km) of A, 6 households: quotas over A, B only, 6 * 100/200 = 3
# each, C and D 0; free, 8 households over all four: 2 each. Pools 12 hold A's 3 + 2.
# Placements care (3, 3, 0, 0), free (2, 2, 2, 2): needs 0, fairness 0. No placement variable
# exists beyond reach.
@both
@pytest.mark.parametrize("reach", [{"hops": 1}, {"km": Fraction(15)}], ids=["hops", "km"])
def test_placements_only_within_reach(backend: str, reach: dict[str, Any]) -> None:
    r = path_region(care(6, **reach), group("free", 8))
    quotas = compute_quotas(r)
    assert [quotas.of(c, "care") for c in CODES] == [3, 3, 0, 0]
    result = solved(r, backend)
    assert placements(result, "care", CODES) == [3, 3, 0, 0]
    assert placements(result, "free", CODES) == [2, 2, 2, 2]
    assert (C, "care") not in allocation_of(result).placed
    assert (D, "care") not in allocation_of(result).placed
    values = stage_values(result)
    assert values["needs"] == 0
    assert values["fairness_sum"] == 0


# The reach binds: care 24 households within one border of A: quotas (12, 12, 0, 0) fill both
# pools of 12; free (8 households, quotas 2 each) must leave A and B for C and D.
# needs 0 (everybody housed); fairness: free |0-2| + |0-2| = 4 in A, B and, with p_C + p_D = 8,
# at least |p_C - 2| + |p_D - 2| >= 8 - 4 = 4 in C, D (any split with both >= 2, e.g. (4, 4) or
# (6, 2), ties): 8. Housing a care household fewer would leave it unhoused (needs 1), so the care
# placements stay (12, 12).
# With the eligibility rule off the reach does not count: care quotas 6 each, free 2 each:
# placements = quotas, fairness 0.
@both
def test_reach_binds_and_pushes_other_groups_out(backend: str) -> None:
    r = path_region(care(24, hops=1), group("free", 8))
    result = solved(r, backend)
    assert placements(result, "care", CODES) == [12, 12, 0, 0]
    free = placements(result, "free", CODES)
    assert free[:2] == [0, 0]
    assert free[2] + free[3] == 8 and min(free[2:]) >= 2
    values = stage_values(result)
    assert values["needs"] == 0
    assert values["fairness_sum"] == 8

    off = solved(path_region(care(24, hops=1), group("free", 8), off=["eligibility"]), backend)
    assert placements(off, "care", CODES) == [6, 6, 6, 6]
    assert placements(off, "free", CODES) == [2, 2, 2, 2]
    assert stage_values(off)["fairness_sum"] == 0


# --- the checker and the reasons --------------------------------------------------------------


def _hand_built(r: Region, placed: dict[tuple[str, str], int]) -> Allocation:
    zero = dict.fromkeys(r.codes, 0)
    return Allocation(dict(zero), dict(zero), dict(zero), placed)


# By hand: care 3 in A and 3 in C, within one border of A. C is beyond reach: one violation,
# 3 households. Reasons: C "too far from care" (quota 0, placed 3), D too (placed 0).
def test_checker_reports_a_placement_beyond_reach_and_the_reason_says_too_far() -> None:
    r = path_region(care(6, hops=1))
    allocation = _hand_built(r, {(A, "care"): 3, (C, "care"): 3})
    violations = check_allocation(r, allocation)
    assert [(v.rule, v.where, v.excess) for v in violations] == [
        ("eligibility", f"{C},care", Fraction(3))
    ]
    assert "3 households of care placed beyond reach of care" in violations[0].message
    assert f"within 1 border(s) of {A}" in violations[0].message
    quotas = compute_quotas(r)
    assert cell_reason(r, allocation, quotas, C, "care") == (
        "quota 0.0, placed 3 (+3.0): too far from care for this group"
    )
    assert cell_reason(r, allocation, quotas, D, "care") == (
        "quota 0.0, placed 0 (0.0): too far from care for this group"
    )
    assert "too far" not in cell_reason(r, allocation, quotas, A, "care")

    off = path_region(care(6, hops=1), off=["eligibility"])
    assert check_allocation(off, allocation) == []


# In km: D within 15 km of A as the crow flies but 33.36 km along the borders.
def test_checker_in_km_names_the_distance() -> None:
    r = path_region(care(2, km=Fraction(15)))
    violations = check_allocation(r, _hand_built(r, {(A, "care"): 1, (D, "care"): 1}))
    assert [(v.rule, v.where) for v in violations] == [("eligibility", f"{D},care")]
    assert f"beyond reach of care (within 15 km of {A})" in violations[0].message


# Excluded by not_in (B) the reason and the violation say so, not "too far".
def test_not_in_is_reported_as_not_allowed_not_as_too_far() -> None:
    r = path_region(care(2, hops=1, not_in=[B]))
    allocation = _hand_built(r, {(A, "care"): 1, (B, "care"): 1})
    violations = check_allocation(r, allocation)
    assert [(v.rule, v.where) for v in violations] == [("eligibility", f"{B},care")]
    assert "placed where the group may not be housed" in violations[0].message
    reason = cell_reason(r, allocation, compute_quotas(r), B, "care")
    assert reason.endswith("the group may not be housed here")


# --- region.toml and validation ---------------------------------------------------------------


def test_care_settings_round_trip_and_validate_prints_the_reach(tmp_path: Path) -> None:
    r = path_region(
        care(6, hops=1),
        replace(group("far", 4), care_within_km=Fraction(25), care_at=frozenset({D})),
    )
    directory = tmp_path / "inst"
    write_instance_dir(r, directory)
    loaded = load_instance(directory).region
    assert loaded.groups == r.groups
    assert loaded.near_care == r.near_care
    result = CliRunner().invoke(main, ["validate", str(directory)])
    assert result.exit_code == 0, result.output
    assert f"near care (within 1 border(s) of {A}: 2 of 4 municipalities)" in result.stdout
    # far: within 25 km of D along the borders: D (0), C (11.12), B (22.24)
    assert f"near care (within 25 km of {D}: 3 of 4 municipalities)" in result.stdout


def _instance(tmp_path: Path, r: Region, settings: dict[str, Any] | None = None) -> Path:
    return write_instance(tmp_path / "inst", region=r, settings=settings or {})


# km need a centroid for every municipality: C and D have none.
def test_care_within_km_without_coordinates(tmp_path: Path) -> None:
    directory = _instance(tmp_path, path_region(care(6, km=Fraction(15)), located=[A, B]))
    problems = load_problems(directory)
    line = toml_line(directory, r"care_within_km = ")
    assert {(p.file, p.row, p.column) for p in problems} == {
        (REGION, line, "groups.0.care_within_km")
    }
    problem = the_problem(problems, REGION, line, "groups.0.care_within_km")
    assert f"latitude and longitude of every municipality; missing for {C}, {D}" in (
        problem.message
    )
    assert "care_within_hops" in problem.fix


def test_care_within_hops_and_km_both_given(tmp_path: Path) -> None:
    r = path_region(care(6, km=Fraction(15)))
    directory = _instance(tmp_path, r, {"groups.0.care_within_hops": 1})
    problems = load_problems(directory)
    line = toml_line(directory, r"care_within_km = ")
    assert {(p.file, p.row, p.column) for p in problems} == {
        (REGION, line, "groups.0.care_within_km")
    }
    problem = the_problem(problems, REGION, line, "groups.0.care_within_km")
    assert "in borders or in km, not both" in problem.message
    assert "remove care_within_hops or care_within_km" in problem.fix


def test_care_at_naming_an_unknown_code(tmp_path: Path) -> None:
    directory = _instance(tmp_path, path_region(care(6, hops=1, at=[A, "GM0099"])))
    problems = load_problems(directory)
    line = toml_line(directory, r"care_at = ")
    assert {(p.file, p.row, p.column) for p in problems} == {(REGION, line, "groups.0.care_at")}
    problem = the_problem(problems, REGION, line, "groups.0.care_at")
    assert problem.value == "GM0099"
    assert "not in the municipality table" in problem.message


# No care_at and no municipality with care facilities: the key is absent, so its group's line.
def test_no_care_location_at_all(tmp_path: Path) -> None:
    directory = _instance(tmp_path, path_region(care(6, hops=1), facilities={}))
    problems = load_problems(directory)
    line = toml_line(directory, r"\[\[groups\]\]")
    assert {(p.file, p.row, p.column) for p in problems} == {(REGION, line, "groups.0.care_at")}
    problem = the_problem(problems, REGION, line, "groups.0.care_at")
    assert "needs care nearby, but no municipality has care_facilities" in problem.message
    assert "care_at" in problem.fix


# An empty care_at is no care location either: the group could be housed nowhere.
def test_empty_care_at_is_no_care_location(tmp_path: Path) -> None:
    directory = _instance(tmp_path, path_region(care(6, hops=1)), {"groups.0.care_at": []})
    problems = load_problems(directory)
    line = toml_line(directory, r"care_at = ")
    assert {(p.file, p.row, p.column) for p in problems} == {(REGION, line, "groups.0.care_at")}


def test_negative_care_within_hops(tmp_path: Path) -> None:
    directory = _instance(tmp_path, path_region(care(6, hops=1)), {"groups.0.care_within_hops": -1})
    problems = load_problems(directory)
    line = toml_line(directory, r"care_within_hops = ")
    problem = the_problem(problems, REGION, line, "groups.0.care_within_hops")
    assert problem.value == "-1"
    assert "at least 0" in problem.message
