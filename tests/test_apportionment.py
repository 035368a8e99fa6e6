"""The apportionment methods: textbook cases, input checks, ties, and agreement with a second
implementation (`apportionment_reference`) on random inputs."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import pytest
from apportionment_reference import reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.apportionment import (
    DIVISOR_METHODS,
    METHODS,
    Weight,
    adams,
    dhondt,
    hamilton,
    huntington_hill,
    largest_remainder,
    statutory,
    statutory_overshoot,
    webster,
)

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

WEIGHT = st.one_of(
    st.integers(0, 12),
    st.integers(0, 5000),
    st.builds(Fraction, st.integers(0, 400), st.integers(1, 12)),
)


@st.composite
def weight_maps(draw: st.DrawFn, max_keys: int = 7) -> dict[str, Weight]:
    """Weights over 1..max_keys distinct municipality codes, in random order; many ties."""
    codes = draw(st.lists(st.integers(1, 9999), min_size=1, max_size=max_keys, unique=True))
    return {f"GM{code:04d}": draw(WEIGHT) for code in codes}


def least_total(method: str, weights: dict[str, Weight]) -> int:
    """The smallest total ``method`` accepts: Adams and Huntington-Hill need one unit a key."""
    if method not in {"adams", "huntington-hill"}:
        return 0
    return sum(1 for w in weights.values() if w > 0) or len(weights)


def quotas(total: int, weights: dict[str, Weight]) -> dict[str, Fraction]:
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum == 0:
        return {key: Fraction(total, len(weights)) for key in weights}
    return {key: total * Fraction(w) / weight_sum for key, w in weights.items()}


# The example that tells the four divisor methods apart: weights 11, 4, 1 and 6 units.
#
# Hamilton: quotas 6*11/16 = 4.125, 6*4/16 = 1.5, 6*1/16 = 0.375; floors 4, 1, 0 leave 1 unit,
#   which goes to the largest remainder, 0.5 of GM0002: 4, 2, 0.
# Statutory: ceilings of the quotas: 5, 2, 1 (8 in all, 2 more than the total).
# Jefferson, priorities w/(n+1): GM0001 11, 5.5, 3.67, 2.75, 2.2, 1.83; GM0002 4, 2, 1.33;
#   GM0003 1. The 6 largest: 11, 5.5, 4, 3.67, 2.75, 2.2: 5, 1, 0 (the next is 2).
# Webster, priorities w/(n+1/2): GM0001 22, 7.33, 4.4, 3.14, 2.44; GM0002 8, 2.67, 1.6;
#   GM0003 2. The 6 largest: 22, 8, 7.33, 4.4, 3.14, 2.67: 4, 2, 0 (the next is 2.44).
# Huntington-Hill: 1 unit each first; then squared priorities w^2/(n(n+1)): GM0001 60.5, 20.17,
#   10.08, 6.05; GM0002 8, 2.67; GM0003 0.5. The 3 largest: 60.5, 20.17, 10.08: 4, 1, 1
#   (the next is 8).
# Adams: 1 unit each first; then priorities w/n: GM0001 11, 5.5, 3.67; GM0002 4, 2; GM0003 1.
#   The 3 largest: 11, 5.5, 4: 3, 2, 1 (the next is 3.67).
# No two priorities tie at the cut, so no tie-break is involved.
SMALL = {"GM0001": 11, "GM0002": 4, "GM0003": 1}
SMALL_RESULTS = {
    "statutory": (5, 2, 1),
    "hamilton": (4, 2, 0),
    "dhondt": (5, 1, 0),
    "webster": (4, 2, 0),
    "huntington-hill": (4, 1, 1),
    "adams": (3, 2, 1),
}

# The 1790 census: apportionment populations of the 15 states (3,615,920 in all). The House of
# 1792 had 105 seats, apportioned by Jefferson's method (divisor 33,000). Hamilton's method at 105
# seats would have given Delaware (quota 1.61) a second seat at the expense of Virginia
# (quota 18.31).
CENSUS_1790 = {
    "CT": 236_841,
    "DE": 55_540,
    "GA": 70_835,
    "KY": 68_705,
    "MD": 278_514,
    "MA": 475_327,
    "NH": 141_822,
    "NJ": 179_570,
    "NY": 331_589,
    "NC": 353_523,
    "PA": 432_879,
    "RI": 68_446,
    "SC": 206_236,
    "VT": 85_533,
    "VA": 630_560,
}
HOUSE_1792 = {
    "CT": 7,
    "DE": 1,
    "GA": 2,
    "KY": 2,
    "MD": 8,
    "MA": 14,
    "NH": 4,
    "NJ": 5,
    "NY": 10,
    "NC": 10,
    "PA": 13,
    "RI": 2,
    "SC": 6,
    "VT": 2,
    "VA": 19,
}


def test_methods_are_registered_by_their_command_line_names() -> None:
    assert list(METHODS) == [
        "statutory",
        "hamilton",
        "webster",
        "dhondt",
        "huntington-hill",
        "adams",
    ]
    assert {METHODS[name] for name in DIVISOR_METHODS} == {
        webster,
        dhondt,
        huntington_hill,
        adams,
    }


@pytest.mark.parametrize("method", list(SMALL_RESULTS))
def test_hand_computed_example_separates_the_methods(method: str) -> None:
    assert tuple(METHODS[method](6, SMALL).values()) == SMALL_RESULTS[method]
    assert reference(method, 6, SMALL) == METHODS[method](6, SMALL)


def test_statutory_overshoot_of_the_hand_computed_example() -> None:
    assert statutory_overshoot(6, SMALL) == 2


def test_jefferson_reproduces_the_house_of_1792() -> None:
    assert sum(CENSUS_1790.values()) == 3_615_920
    assert dhondt(105, CENSUS_1790) == HOUSE_1792


def test_hamilton_at_105_seats_moves_a_seat_from_virginia_to_delaware() -> None:
    expected = {**HOUSE_1792, "DE": 2, "VA": 18}
    assert hamilton(105, CENSUS_1790) == expected


@pytest.mark.parametrize("method", list(METHODS))
def test_census_1790_agrees_with_reference(method: str) -> None:
    assert METHODS[method](105, CENSUS_1790) == reference(method, 105, CENSUS_1790)


def test_hamilton_textbook_alabama_values() -> None:
    # Weights 6, 6, 2 (sum 14). At 10: quotas 4.29, 4.29, 1.43; floors 4, 4, 1 leave 1 unit,
    # for the largest remainder 0.43 of GM0003: 4, 4, 2. At 11: quotas 4.71, 4.71, 1.57; floors
    # 4, 4, 1 leave 2 units, for the remainders 0.71: 5, 5, 1. GM0003 falls from 2 to 1.
    weights = {"GM0001": 6, "GM0002": 6, "GM0003": 2}
    assert hamilton(10, weights) == {"GM0001": 4, "GM0002": 4, "GM0003": 2}
    assert hamilton(11, weights) == {"GM0001": 5, "GM0002": 5, "GM0003": 1}


@pytest.mark.parametrize("name", [name for name in METHODS if name != "statutory"])
def test_ties_go_to_the_smaller_code(name: str) -> None:
    method = METHODS[name]
    result = method(3, {"GM0014": 5, "GM0003": 5})
    assert result == {"GM0014": 1, "GM0003": 2}
    assert list(result) == ["GM0014", "GM0003"]
    assert method(5, {"GM0002": 1, "GM0001": 1, "GM0003": 1}) == {
        "GM0002": 2,
        "GM0001": 2,
        "GM0003": 1,
    }


def test_divisor_tie_at_the_last_seat_goes_to_the_smaller_code() -> None:
    # Webster with 8, 3, 1 and 6 units: priorities 16, 5.33, 3.2, 2.29 | 6, 2 | 2. The sixth
    # unit is contested by GM0002 (3/1.5 = 2) and GM0003 (1/0.5 = 2): GM0002 wins by code.
    assert webster(6, {"GM0003": 1, "GM0002": 3, "GM0001": 8}) == {
        "GM0003": 0,
        "GM0002": 2,
        "GM0001": 4,
    }
    assert webster(6, {"GM0001": 1, "GM0002": 3, "GM0003": 8}) == {
        "GM0001": 1,
        "GM0002": 1,
        "GM0003": 4,
    }


@pytest.mark.parametrize("name", sorted(DIVISOR_METHODS))
def test_zero_weight_gets_nothing_under_a_divisor_method(name: str) -> None:
    result = METHODS[name](7, {"GM0001": 3, "GM0002": 0, "GM0003": 2})
    assert result["GM0002"] == 0
    assert sum(result.values()) == 7


@pytest.mark.parametrize("name", list(METHODS))
def test_all_zero_weights_split_as_if_equal(name: str) -> None:
    method = METHODS[name]
    zeros = {"GM0002": 0, "GM0001": 0, "GM0003": 0}
    assert method(7, zeros) == method(7, dict.fromkeys(zeros, 1))
    assert method(0, {}) == {}


@pytest.mark.parametrize("name", ["adams", "huntington-hill"])
def test_every_positive_weight_needs_a_unit(name: str) -> None:
    method = METHODS[name]
    weights = {"GM0001": 100, "GM0002": 1, "GM0003": 1, "GM0004": 0}
    assert method(3, weights) == {"GM0001": 1, "GM0002": 1, "GM0003": 1, "GM0004": 0}
    with pytest.raises(ValueError, match="total must be at least 3, got 2"):
        method(2, weights)


@pytest.mark.parametrize("name", list(METHODS))
def test_bad_input_is_refused(name: str) -> None:
    method = METHODS[name]
    with pytest.raises(ValueError, match="total must be at least 0"):
        method(-1, {"GM0001": 1})
    with pytest.raises(ValueError, match="weight of GM0002 must be at least 0"):
        method(3, {"GM0001": 1, "GM0002": -1})
    with pytest.raises(ValueError, match="no keys"):
        method(3, {})
    with pytest.raises(TypeError, match="Fraction"):
        method(3, {"GM0001": 0.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="total must be an int"):
        method(3.0, {"GM0001": 1})  # type: ignore[arg-type]


def test_statutory_shares_are_ceilings() -> None:
    weights = {"GM0001": 3, "GM0002": 3, "GM0003": 3, "GM0004": 1}
    assert statutory(10, weights) == {"GM0001": 3, "GM0002": 3, "GM0003": 3, "GM0004": 1}
    assert statutory_overshoot(10, weights) == 0
    assert statutory(11, weights) == {"GM0001": 4, "GM0002": 4, "GM0003": 4, "GM0004": 2}
    assert statutory_overshoot(11, weights) == 3


def test_largest_remainder_keeps_its_behaviour() -> None:
    assert largest_remainder(10, {"GM0001": 1, "GM0002": 1, "GM0003": 1}) == {
        "GM0001": 4,
        "GM0002": 3,
        "GM0003": 3,
    }
    assert largest_remainder(5, {"GM0001": 0, "GM0002": 0}) == {"GM0001": 3, "GM0002": 2}
    assert largest_remainder(0, {}) == {}


@PROPERTY
@given(
    st.integers(0, 10**6),
    st.dictionaries(st.sampled_from([f"GM{i:04d}" for i in range(12)]), st.integers(0, 10**5)),
)
def test_whole_weights_split_as_the_same_weights_as_fractions(
    total: int, weights: dict[str, int]
) -> None:
    """Whole weights take whole-number division, fractions exact fractions: the same split."""
    if not weights:
        total = 0
    as_fractions = {key: Fraction(w) for key, w in weights.items()}
    assert largest_remainder(total, weights) == largest_remainder(total, as_fractions)


@pytest.mark.parametrize("name", list(METHODS))
@PROPERTY
@given(weights=weight_maps(), extra=st.integers(0, 40))
def test_method_equals_reference_and_keeps_its_invariants(
    name: str, weights: dict[str, Weight], extra: int
) -> None:
    method = METHODS[name]
    total = least_total(name, weights) + extra
    result = method(total, weights)
    assert result == reference(name, total, weights)
    assert list(result) == list(weights)
    assert all(share >= 0 for share in result.values())
    if name != "statutory":
        assert sum(result.values()) == total
    assert method(total, dict(reversed(weights.items()))) == result
    assert method(total, {key: Fraction(w) / 7 for key, w in weights.items()}) == result
    if name in DIVISOR_METHODS and any(weights.values()):
        assert all(result[key] == 0 for key, w in weights.items() if w == 0)


@PROPERTY
@given(weights=weight_maps(), extra=st.integers(0, 40))
def test_quota_properties(weights: dict[str, Weight], extra: int) -> None:
    total = least_total("adams", weights) + extra
    fair = quotas(total, weights)
    ceilings = statutory(total, weights)
    assert ceilings == {key: ceil(q) for key, q in fair.items()}
    overshoot = statutory_overshoot(total, weights)
    assert overshoot == sum(ceilings.values()) - total
    assert 0 <= overshoot < len(weights)
    largest, lower, upper = hamilton(total, weights), dhondt(total, weights), adams(total, weights)
    assert largest == largest_remainder(total, weights)
    for key, quota in fair.items():
        assert floor(quota) <= largest[key] <= ceil(quota)
        assert lower[key] >= floor(quota)
        assert upper[key] <= ceil(quota)
