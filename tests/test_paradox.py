"""The paradox audit: it finds the textbook paradoxes of Hamilton's method, finds none for the
divisor methods on random inputs, and reports exactly what its docstrings promise."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.apportionment import DIVISOR_METHODS, METHODS, Weight, hamilton, statutory
from solver.paradox import (
    AlabamaViolation,
    PopulationViolation,
    house_monotonicity_violations,
    population_paradox_violations,
)

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

WEIGHT = st.one_of(
    st.integers(0, 12),
    st.integers(1, 3000),
    st.builds(Fraction, st.integers(0, 180), st.integers(1, 6)),
)


@st.composite
def weight_maps(draw: st.DrawFn, max_keys: int = 6) -> dict[str, Weight]:
    codes = draw(st.lists(st.integers(1, 9999), min_size=2, max_size=max_keys, unique=True))
    return {f"GM{code:04d}": draw(WEIGHT) for code in codes}


# Weights 6, 6, 2: Hamilton gives 4, 4, 2 at 10 units and 5, 5, 1 at 11 (worked out in
# test_apportionment.test_hamilton_textbook_alabama_values).
ALABAMA = {"GM0001": 6, "GM0002": 6, "GM0003": 2}


def test_audit_finds_the_textbook_alabama_paradox() -> None:
    found = house_monotonicity_violations(lambda t: hamilton(t, ALABAMA), range(10, 12))
    assert found == [AlabamaViolation("GM0003", 10, 11, 2, 1)]
    assert found[0].describe() == "total 10 -> 11: GM0003 falls from 2 to 1 (Alabama paradox)"


def test_audit_reports_every_alabama_paradox_of_a_sweep() -> None:
    totals = range(0, 60)
    found = house_monotonicity_violations(lambda t: hamilton(t, ALABAMA), totals)
    expected = [
        (t, key)
        for t in totals[1:]
        for key in sorted(ALABAMA)
        if hamilton(t, ALABAMA)[key] < hamilton(t - 1, ALABAMA)[key]
    ]
    assert [(v.total_after, v.key) for v in found] == expected
    assert (11, "GM0003") in expected
    assert all(v.total_after == v.total_before + 1 and v.after < v.before for v in found)


def test_audit_compares_consecutive_members_of_a_stepped_range() -> None:
    found = house_monotonicity_violations(lambda t: hamilton(t, ALABAMA), range(8, 14, 3))
    assert all(v.total_after - v.total_before == 3 for v in found)


@pytest.mark.parametrize("name", [*sorted(DIVISOR_METHODS), "statutory"])
@PROPERTY
@given(weights=weight_maps(), start=st.integers(0, 10))
def test_divisor_methods_are_house_monotone(
    name: str, weights: dict[str, Weight], start: int
) -> None:
    method = METHODS[name]
    start += sum(1 for w in weights.values() if w > 0) or len(weights)
    totals = range(start, start + 25)
    assert house_monotonicity_violations(lambda t: method(t, weights), totals) == []


# Weights 3, 3, 1 and 4 units; GM0001 grows from 3 to 5, the others stay.
# Before (sum 7): quotas 1.71, 1.71, 0.57; floors 1, 1, 0 leave 2 units, for the remainders 0.71
#   of GM0001 and GM0002: 2, 2, 0.
# After (sum 9): quotas 2.22, 1.33, 0.44; floors 2, 1, 0 leave 1 unit, for the largest remainder
#   0.44 of GM0003: 2, 1, 1.
# GM0002 and GM0003 both keep their weight, yet GM0003 takes a unit from GM0002.
POPULATION = {"GM0001": 3, "GM0002": 3, "GM0003": 1}


def test_audit_finds_hamiltons_population_paradox() -> None:
    found = population_paradox_violations(lambda w: hamilton(4, w), POPULATION, "GM0001", [3, 5])
    assert found == [PopulationViolation("GM0001", 3, 5, "GM0002", 2, 1, "GM0003", 0, 1)]
    assert found[0].describe() == (
        "weight of GM0001 3 -> 5: GM0002 falls from 2 to 1 while GM0003 rises from 0 to 1 "
        "(population paradox)"
    )


def perverse(weights: Mapping[str, Weight]) -> dict[str, int]:
    """A made-up rule that punishes growth: the unit goes to GM0001 only while it is small."""
    small = weights["GM0001"] < 5
    return {"GM0001": int(small), "GM0002": int(not small), "GM0003": 0}


def test_audit_reports_a_growing_key_that_loses_to_another() -> None:
    weights = {"GM0001": 4, "GM0002": 4, "GM0003": 4}
    grown = population_paradox_violations(perverse, weights, "GM0001", [4, 6])
    assert grown == [PopulationViolation("GM0001", 4, 6, "GM0001", 1, 0, "GM0002", 0, 1)]
    assert grown[0].describe() == (
        "weight of GM0001 4 -> 6: GM0001 falls from 1 to 0 while GM0002 rises from 0 to 1 "
        "(population paradox)"
    )
    shrunk = population_paradox_violations(perverse, weights, "GM0001", [6, 4])
    assert shrunk == [PopulationViolation("GM0001", 6, 4, "GM0002", 1, 0, "GM0001", 0, 1)]


def test_audit_accepts_a_loss_to_a_key_that_grew() -> None:
    # GM0001 grows and takes the unit from GM0002: that is the intended direction.
    def rewarding(weights: Mapping[str, Weight]) -> dict[str, int]:
        big = weights["GM0001"] >= 5
        return {"GM0001": int(big), "GM0002": int(not big)}

    weights = {"GM0001": 4, "GM0002": 4}
    assert population_paradox_violations(rewarding, weights, "GM0001", [4, 6, 7]) == []


@pytest.mark.parametrize("name", sorted(DIVISOR_METHODS))
@PROPERTY
@given(
    weights=weight_maps(),
    extra=st.integers(0, 30),
    values=st.lists(WEIGHT, min_size=2, max_size=6),
)
def test_divisor_methods_are_population_monotone(
    name: str, weights: dict[str, Weight], extra: int, values: list[Weight]
) -> None:
    method = METHODS[name]
    total = len(weights) + extra
    key = min(weights)
    found = population_paradox_violations(lambda w: method(total, w), weights, key, values)
    assert found == []


def test_audit_refuses_what_it_cannot_compare() -> None:
    with pytest.raises(ValueError, match="must increase"):
        house_monotonicity_violations(lambda t: hamilton(t, ALABAMA), range(11, 9, -1))
    with pytest.raises(ValueError, match="GM0009"):
        population_paradox_violations(lambda w: hamilton(4, w), POPULATION, "GM0009", [1, 2])

    def shifting(total: int) -> dict[str, int]:
        return {f"GM{total:04d}": total}

    with pytest.raises(ValueError, match="missing"):
        house_monotonicity_violations(shifting, range(1, 3))


def test_statutory_is_audited_like_any_other_rule() -> None:
    assert house_monotonicity_violations(lambda t: statutory(t, ALABAMA), range(0, 40)) == []
