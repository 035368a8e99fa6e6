"""The measures of `solver.measures` on hand-computed regions, edge cases and random regions.

The hand region (defaults of `tiny_regions`: horizon 1 year, turnover 1/10, norm 3/10, letting
share kappa 2/5):

====  ==========  =========  ======  =========  ==========  ============================
code  population  dwellings  social  new homes  new social  placed (group g, group h)
====  ==========  =========  ======  =========  ==========  ============================
A     200         100        20      10         2           4, 0 (h may not go to A)
B     300         100        28      5          1           3, 2
C     500         200        150     0          0           3, 3
====  ==========  =========  ======  =========  ==========  ============================

Group g: demand 10 everywhere; group h: demand 5, only in B and C. Quotas by population:
``q_g = 10 * (2, 3, 5)/10 = (2, 3, 5)``; ``q_h = 5 * (0, 3, 5)/8 = (0, 15/8, 25/8)``; so
``Q = (2, 39/8, 65/8)``, total 15, and ``P = (4, 5, 6)``, total 15.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_regions import A, B, C, code_of, group, muni, region

from models.errors import InputError
from models.region import Region
from solver.allocation import Allocation
from solver.check import check_allocation, soft_measures
from solver.measures import (
    MEANINGS,
    Measures,
    fixed,
    fixed_root,
    gini,
    measure,
    per_municipality,
    summary_rows,
)
from solver.quotas import compute_quotas

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def allocation(
    placed: dict[tuple[str, str], int],
    new_homes: dict[str, int],
    new_social: dict[str, int] | None = None,
) -> Allocation:
    """An allocation without middle-segment homes (and without social ones unless given)."""
    return Allocation(
        new_homes=new_homes,
        new_social=new_social or dict.fromkeys(new_homes, 0),
        new_middle=dict.fromkeys(new_homes, 0),
        placed=placed,
    )


def hand_region() -> Region:
    return region(
        [
            muni(A, population=200, dwellings=100, social=20),
            muni(B, population=300, dwellings=100, social=28),
            muni(C, population=500, dwellings=200, social=150),
        ],
        [group("g", 10), group("h", 5, only_in=[B, C])],
    )


HAND_PLACED = {(A, "g"): 4, (B, "g"): 3, (C, "g"): 3, (B, "h"): 2, (C, "h"): 3}
HAND_HOMES = {A: 10, B: 5, C: 0}
HAND_SOCIAL = {A: 2, B: 1, C: 0}


@pytest.fixture
def hand() -> Measures:
    return measure(hand_region(), allocation(HAND_PLACED, HAND_HOMES, HAND_SOCIAL))


def pairwise_gini(placed: dict[str, int], population: dict[str, int]) -> Fraction:
    """The mean-difference form ``sum_i sum_j |P_i w_j - P_j w_i| / (2 W P)``."""
    total = sum(
        abs(placed[i] * population[j] - placed[j] * population[i])
        for i in population
        for j in population
    )
    return Fraction(total, 2 * sum(population.values()) * sum(placed.values()))


# --- the hand region ---------------------------------------------------------------------------


def test_deviations_from_quota(hand: Measures) -> None:
    # P - Q = (4 - 2, 5 - 39/8, 6 - 65/8) = (2, 1/8, -17/8): max 17/8, mean (34/8)/3 = 17/12.
    assert (hand.placed_total, hand.quota_total) == (15, Fraction(15))
    assert hand.max_abs_deviation == Fraction(17, 8)
    assert hand.mean_abs_deviation == Fraction(17, 12)
    # Cells (A,g) (A,h) (B,g) (B,h) (C,g) (C,h): 4-2, 0-0, 3-3, 2-15/8, 3-5, 3-25/8
    # = 2, 0, 0, 1/8, -2, -1/8: max 2, mean (17/4)/6 = 17/24.
    assert hand.cells == 6
    assert hand.max_abs_deviation_cell == 2
    assert hand.mean_abs_deviation_cell == Fraction(17, 24)


def test_relative_deviations(hand: Measures) -> None:
    # 2/2 = 1, (1/8)/(39/8) = 1/39, (17/8)/(65/8) = 17/65; mean (195 + 5 + 51)/195 / 3 = 251/585.
    assert hand.quota_positive == 3
    assert hand.max_rel_deviation == 1
    assert hand.mean_rel_deviation == Fraction(251, 585)


def test_gini_of_placements_per_inhabitant(hand: Measures) -> None:
    # Per inhabitant A 4/200, B 5/300, C 6/500: ascending C, B, A with population shares
    # 1/2, 3/10, 1/5 and cumulative placement shares Y = 0, 6/15, 11/15, 1:
    # G = 1 - (1/2 * 6/15 + 3/10 * 17/15 + 1/5 * 26/15) = 1 - 13.3/15 = 17/150.
    # Pairwise: |4*300 - 5*200| + |4*500 - 6*200| + |5*500 - 6*300| = 200 + 800 + 700 = 1700,
    # 2 * 1700 / (2 * 1000 * 15) = 17/150.
    assert hand.gini == Fraction(17, 150)
    assert pairwise_gini({A: 4, B: 5, C: 6}, {A: 200, B: 300, C: 500}) == hand.gini


def test_loosemore_hanby_and_gallagher(hand: Measures) -> None:
    # Share gaps P_m/P - Q_m/Q = (2/15, 1/120, -17/120); LH = (16 + 1 + 17)/120 / 2 = 17/120.
    assert hand.loosemore_hanby == Fraction(17, 120)
    # In points: 40/3, 5/6, -85/6; squares 6400/36 + 25/36 + 7225/36 = 13650/36; half 2275/12.
    assert hand.gallagher_squared == Fraction(2275, 12)
    assert hand.gallagher == pytest.approx(13.768926368215255, rel=1e-15)


def test_quota_property(hand: Measures) -> None:
    # Municipalities: A 4 not in [2, 2], B 5 in [4, 5], C 6 not in [8, 9].
    assert (hand.within_quota, hand.municipalities) == (1, 3)
    # Cells: (A,g) 4 not in [2,2]; (A,h) 0 in [0,0]; (B,g) 3 in [3,3]; (B,h) 2 in [1,2];
    # (C,g) 3 not in [5,5]; (C,h) 3 in [3,4].
    assert hand.within_quota_cells == 4


def test_social_norm_at_the_horizon(hand: Measures) -> None:
    # A: 22/110 < 3/10, short 33 - 22 = 11; B: 29/105 < 3/10, short 31.5 - 29 = 5/2 -> 3 whole
    # dwellings; C: 150/200 above the norm.
    assert hand.below_norm == (A, B)
    assert hand.norm_shortfall_exact == Fraction(27, 2)
    assert hand.norm_shortfall_dwellings == 11 + 3


def test_letting_pool_pressure(hand: Measures) -> None:
    # Lettings L = turnover * S * years + s: A 2 + 2 = 4, B 14/5 + 1 = 19/5, C 15 + 0 = 15.
    # Pressure P/L: A 4/4 = 1, B 5/(19/5) = 25/19, C 6/15 = 2/5 (exactly the cap, not above it).
    assert hand.pool_pressure == {A: 1, B: Fraction(25, 19), C: Fraction(2, 5)}
    assert hand.max_pool_pressure == Fraction(25, 19)
    assert hand.above_letting_cap == (A, B)


def test_above_letting_cap_is_what_the_checker_calls_a_letting_pool_violation() -> None:
    r = hand_region()
    violations = check_allocation(r, allocation(HAND_PLACED, HAND_HOMES, HAND_SOCIAL))
    pool = tuple(v.where for v in violations if v.rule == "letting_pool")
    assert pool == measure(r, allocation(HAND_PLACED, HAND_HOMES, HAND_SOCIAL)).above_letting_cap


def test_quotas_default_to_the_policy_key() -> None:
    r = hand_region()
    a = allocation(HAND_PLACED, HAND_HOMES, HAND_SOCIAL)
    assert measure(r, a) == measure(r, a, compute_quotas(r))
    # By dwellings instead (100, 100, 200): Q = (5/2, 5/2 + 5/3, 5 + 10/3), and A's 4 placements
    # deviate by 3/2 from its quota 5/2.
    by_dwellings = measure(r, a, compute_quotas(r, "dwellings"))
    assert by_dwellings.quota_total == 15
    assert by_dwellings.max_rel_deviation == Fraction(3, 5)


def test_per_municipality_rows() -> None:
    r = hand_region()
    rows = per_municipality(r, allocation(HAND_PLACED, HAND_HOMES, HAND_SOCIAL), compute_quotas(r))
    assert [row["code"] for row in rows] == [A, B, C]
    assert rows[0] == {
        "code": A,
        "name": "Municipality 1",
        "quota": 2,
        "placed": 4,
        "deviation": 2,
        "relative_deviation": 1,
        "placed_per_1000": 20,  # 1000 * 4 / 200
        "within_quota": False,
        "social_share_horizon": Fraction(1, 5),  # 22 / 110
        "norm_shortfall": 11,
        "lettings": 4,
        "pool_pressure": 1,
    }
    assert rows[1]["deviation"] == Fraction(1, 8)
    assert rows[1]["within_quota"] is True
    assert rows[2]["pool_pressure"] == Fraction(2, 5)
    assert rows[2]["placed_per_1000"] == 12  # 1000 * 6 / 500


def test_summary_rows(hand: Measures) -> None:
    rows = summary_rows(hand)
    assert [name for name, _, _ in rows] == list(MEANINGS)
    values = {name: value for name, value, _ in rows}
    assert values["max deviation"] == "2.1250"  # 17/8
    assert values["mean relative deviation"] == "0.4291"  # 251/585 = 0.42906
    assert values["Gini"] == "0.1133"  # 17/150
    assert values["Loosemore-Hanby"] == "0.1417"  # 17/120 = 0.141666...
    assert values["Gallagher"] == "13.7689"  # sqrt(2275/12) = 13.76893
    assert values["within quota"] == "1 of 3"
    assert values["within quota per group"] == "4 of 6"
    assert values["below social norm"] == f"2: {A} {B}"
    assert values["norm shortfall"] == "14"
    assert values["max letting pool pressure"] == "1.3158"  # 25/19
    assert all(meaning for _, _, meaning in rows)


def test_formatting_rounds_half_to_even() -> None:
    assert fixed(Fraction(1, 8), 2) == "0.12"
    assert fixed(Fraction(3, 8), 2) == "0.38"
    assert fixed(7) == "7.0000"
    assert fixed_root(Fraction(9, 4), 1) == "1.5"


# --- edge cases --------------------------------------------------------------------------------


def test_no_placements_at_all() -> None:
    m = measure(hand_region(), allocation({}, HAND_HOMES, HAND_SOCIAL))
    assert m.placed_total == 0
    # Every deviation is the quota itself: the largest is C's 65/8; each relative deviation is 1.
    assert m.max_abs_deviation == Fraction(65, 8)
    assert m.max_rel_deviation == m.mean_rel_deviation == 1
    # Shares of nothing are undefined.
    assert (m.gini, m.loosemore_hanby, m.gallagher_squared, m.gallagher) == (None,) * 4
    # Only the forbidden cell (A,h), quota 0, holds its quota.
    assert (m.within_quota, m.within_quota_cells) == (0, 1)
    assert m.max_pool_pressure == 0
    assert m.above_letting_cap == ()
    values = {name: value for name, value, _ in summary_rows(m)}
    assert values["Gini"] == values["Loosemore-Hanby"] == values["Gallagher"] == "n/a"
    assert values["above letting cap"] == "0"


def test_municipality_without_inhabitants_has_no_quota() -> None:
    r = region([muni(A, population=0), muni(B, population=100)], [group("g", 4)])
    m = measure(r, allocation({(A, "g"): 2, (B, "g"): 2}, {A: 0, B: 0}))
    # Q = (0, 4): only B has a relative deviation, |2 - 4| / 4 = 1/2.
    assert m.quota_positive == 1
    assert m.max_rel_deviation == m.mean_rel_deviation == Fraction(1, 2)
    # Shares P/P = (1/2, 1/2), Q/Q = (0, 1): LH = (1/2 + 1/2) / 2 = 1/2.
    assert m.loosemore_hanby == Fraction(1, 2)
    # A's placements have no inhabitants: Lorenz curve (0, 0) -> (1, 1/2) -> (1, 1), so
    # G = 1 - 1 * (0 + 1/2) = 1/2; pairwise |2*100 - 2*0| * 2 / (2 * 100 * 4) = 1/2.
    assert m.gini == Fraction(1, 2)
    rows = per_municipality(
        r, allocation({(A, "g"): 2, (B, "g"): 2}, {A: 0, B: 0}), compute_quotas(r)
    )
    assert rows[0]["relative_deviation"] is None
    assert rows[0]["placed_per_1000"] is None
    assert rows[1]["placed_per_1000"] == 20


def test_all_placements_where_nobody_lives_give_gini_one() -> None:
    assert gini({A: 3, B: 0}, {A: 0, B: 10}) == 1
    assert gini({A: 3, B: 0}, {A: 0, B: 0}) is None


def test_zero_lettings() -> None:
    r = region(
        [muni(A, social=0), muni(B, social=0), muni(C, social=50)],
        [group("g", 6)],
    )
    # A and B have no social stock and build no social homes: no lettings. C: 1/10 * 50 = 5.
    m = measure(r, allocation({(A, "g"): 1, (C, "g"): 1}, {A: 0, B: 0, C: 0}))
    assert m.pool_pressure == {A: None, B: None, C: Fraction(1, 5)}
    assert m.max_pool_pressure == Fraction(1, 5)
    # A places 1 household in a pool of 0 lettings: above the cap; B places none: not above.
    assert m.above_letting_cap == (A,)
    nothing = measure(r, allocation({}, {A: 0, B: 0, C: 0}, {A: 0, B: 0, C: 0}))
    assert nothing.above_letting_cap == ()
    only_empty_pools = region([muni(A, social=0)], [group("g", 1)])
    assert measure(only_empty_pools, allocation({}, {A: 0})).max_pool_pressure is None


def test_region_without_groups() -> None:
    m = measure(region([muni(A), muni(B)]), allocation({}, {A: 0, B: 0}))
    assert m.cells == m.max_abs_deviation_cell == m.mean_abs_deviation_cell == 0
    assert (m.quota_positive, m.max_rel_deviation, m.loosemore_hanby) == (0, None, None)


def test_codes_that_do_not_match_the_region_are_refused() -> None:
    r = hand_region()
    with pytest.raises(InputError) as error:
        measure(r, allocation({(code_of(9), "g"): 1}, {A: 0, B: 0}))
    text = " ".join(str(p) for p in error.value.problems)
    assert C in text  # missing
    assert code_of(9) in text  # unknown
    with pytest.raises(InputError):
        per_municipality(r, allocation({(A, "x"): 1}, HAND_HOMES), compute_quotas(r))


# --- properties on random regions --------------------------------------------------------------


@st.composite
def placements_on_regions(draw: st.DrawFn, *, min_population: int) -> tuple[Region, Allocation]:
    """A region of 1..6 municipalities with 1..3 groups and any placements (0..12 a cell)."""
    n = draw(st.integers(1, 6))
    codes = [code_of(i) for i in range(1, n + 1)]
    populations = draw(st.lists(st.integers(min_population, 500), min_size=n, max_size=n))
    demands = draw(st.lists(st.integers(0, 30), min_size=1, max_size=3))
    r = region(
        [muni(c, population=w) for c, w in zip(codes, populations, strict=True)],
        [group(f"g{i}", d) for i, d in enumerate(demands)],
    )
    cells = [(c, g.id) for c in codes for g in r.groups]
    counts = draw(st.lists(st.integers(0, 12), min_size=len(cells), max_size=len(cells)))
    return r, allocation(dict(zip(cells, counts, strict=True)), dict.fromkeys(codes, 0))


@PROPERTY
@given(placements_on_regions(min_population=1))
def test_indices_stay_in_their_ranges(case: tuple[Region, Allocation]) -> None:
    r, a = case
    m = measure(r, a)
    if m.loosemore_hanby is not None:
        assert 0 <= m.loosemore_hanby <= 1
        assert m.gallagher_squared is not None
        assert 0 <= m.gallagher_squared <= 10_000
    if m.gini is not None:
        assert 0 <= m.gini < 1
    assert 0 <= m.within_quota <= m.municipalities
    assert m.mean_abs_deviation <= m.max_abs_deviation


@PROPERTY
@given(placements_on_regions(min_population=0))
def test_lorenz_gini_equals_the_mean_difference_form(case: tuple[Region, Allocation]) -> None:
    r, a = case
    placed = {c: a.placed_in(c) for c in r.codes}
    population = {m.code: m.population for m in r.municipalities}
    g = gini(placed, population)
    if g is None:
        assert sum(placed.values()) == 0 or sum(population.values()) == 0
    else:
        assert 0 <= g <= 1
        assert g == pairwise_gini(placed, population)


@PROPERTY
@given(
    populations=st.lists(st.integers(1, 200), min_size=1, max_size=6),
    multiples=st.lists(st.integers(0, 3), min_size=1, max_size=3),
)
def test_placing_exact_integer_quotas_deviates_nowhere(
    populations: list[int], multiples: list[int]
) -> None:
    # Demand k * sum(w) gives every municipality the whole quota k * w_m.
    codes = [code_of(i) for i in range(1, len(populations) + 1)]
    r = region(
        [muni(c, population=w) for c, w in zip(codes, populations, strict=True)],
        [group(f"g{i}", k * sum(populations)) for i, k in enumerate(multiples)],
    )
    quotas = compute_quotas(r)
    assert all(q.denominator == 1 for q in quotas.by_cell.values())
    exact = {cell: int(q) for cell, q in quotas.by_cell.items()}
    m = measure(r, allocation(exact, dict.fromkeys(codes, 0)), quotas)
    assert m.max_abs_deviation == m.mean_abs_deviation == 0
    assert m.max_abs_deviation_cell == m.mean_abs_deviation_cell == 0
    assert (m.within_quota, m.within_quota_cells) == (m.municipalities, m.cells)
    if any(multiples):
        assert m.max_rel_deviation == m.mean_rel_deviation == 0
        assert m.loosemore_hanby == m.gallagher_squared == m.gini == 0
        assert m.gallagher == 0.0


# --- a solved bundled instance -----------------------------------------------------------------


def test_measures_of_a_solved_bundled_instance() -> None:
    from instances import bundled_instance
    from models.loader import load_region
    from solver.solve import solve

    r = load_region(bundled_instance("parkstad-limburg"))
    result = solve(r, "ortools")
    assert result.allocation is not None
    m = measure(r, result.allocation)
    soft = soft_measures(r, result.allocation)
    assert m.below_norm == tuple(c for c in r.codes if soft.norm_shortfall[c] > 0)
    assert m.norm_shortfall_exact == sum(soft.norm_shortfall.values())
    assert m.placed_total == sum(result.allocation.placed.values())
    assert m.above_letting_cap == ()  # the solver keeps to the letting pool
    assert m.loosemore_hanby is not None
    assert 0 <= m.loosemore_hanby <= 1
    assert m.gini is not None
    assert 0 <= m.gini < 1
    rows = per_municipality(r, result.allocation, compute_quotas(r))
    assert [row["code"] for row in rows] == list(r.codes)
    assert sum(row["within_quota"] is True for row in rows) == m.within_quota
    assert len(summary_rows(m)) == len(MEANINGS)
