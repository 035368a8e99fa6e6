"""`models.cells.round_half_up`, which rounds the population shares of social stock, the
quotas of the fairness stage and the scaled demands of batch scenarios: the nearest integer,
a half rounded up, computed in integers."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from models.cells import round_half_up


@given(st.fractions())
def test_it_is_the_floor_of_the_value_plus_one_half(value: Fraction) -> None:
    assert round_half_up(value) == math.floor(value + Fraction(1, 2))


def test_halves_go_up_and_the_rest_to_the_nearest() -> None:
    cases = {
        Fraction(5, 2): 3,
        Fraction(-5, 2): -2,
        Fraction(7, 3): 2,
        Fraction(8, 3): 3,
        Fraction(-7, 3): -2,
        Fraction(-8, 3): -3,
        Fraction(4): 4,
        Fraction(0): 0,
    }
    assert {value: round_half_up(value) for value in cases} == cases
