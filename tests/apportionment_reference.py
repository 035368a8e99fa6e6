"""A second, independent implementation of the apportionment methods, for the tests only.

It shares no code with `solver.apportionment` and works the other way round: a divisor method is
computed by searching for the divisor itself (the classical definition), Hamilton and the
statutory rule by integer division after scaling the weights to whole numbers.

Divisor search. Every method is a rounding rule: a quotient ``x = w / λ`` becomes ``n`` seats
when ``x`` lies between the thresholds ``t(n-1)`` and ``t(n)``, and at ``x == t(n)`` exactly
either ``n`` or ``n + 1`` is admissible (a tie). For Huntington-Hill ``t(n) = sqrt(n (n + 1))`` is
irrational, so that method works with squares throughout: the level searched for is ``λ^2``, the
quotient ``w^2 / λ^2`` and the thresholds ``n (n + 1)``. Seats change only at the critical levels
``w / t(n)`` (or ``w^2 / t(n)``), so the search bisects over the sorted list of those: it takes
the largest critical level at which the generous count (ties rounded up) still reaches the total.
There the strict count (ties rounded down) falls short, and the missing units go to the tied keys
in ascending key order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from math import lcm

Threshold = Callable[[int], Fraction]

THRESHOLDS: dict[str, Threshold] = {
    "dhondt": lambda n: Fraction(n + 1),
    "webster": lambda n: Fraction(2 * n + 1, 2),
    "adams": lambda n: Fraction(n),
    "huntington-hill": lambda n: Fraction(n * (n + 1)),
}
"""``t(n)``: the quotient (squared for Huntington-Hill) at which seat ``n + 1`` is earned."""

SQUARED = frozenset({"huntington-hill"})


def _as_integers(weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """The weights scaled by the common denominator: proportional whole numbers."""
    scale = lcm(*(Fraction(w).denominator for w in weights.values())) if weights else 1
    scaled = {key: int(Fraction(w) * scale) for key, w in weights.items()}
    if not any(scaled.values()):
        scaled = dict.fromkeys(scaled, 1)
    return scaled


def _seats(quotient: Fraction, threshold: Threshold, *, ties_up: bool) -> int:
    """How many thresholds ``t(0), t(1), ...`` lie below ``quotient`` (or at it, if ``ties_up``)."""
    count = 0
    while threshold(count) < quotient or (ties_up and threshold(count) == quotient):
        count += 1
    return count


def divisor_method(
    method: str, total: int, weights: Mapping[str, int | Fraction]
) -> dict[str, int]:
    """The divisor method ``method`` by exact search for its divisor."""
    threshold = THRESHOLDS[method]
    squared = method in SQUARED
    masses = {
        key: Fraction(w) ** 2 if squared else Fraction(w)
        for key, w in _as_integers(weights).items()
    }
    positive = {key: m for key, m in masses.items() if m > 0}
    if threshold(0) == 0 and total < len(positive):
        raise ValueError("fewer units than keys with a positive weight")
    if total == 0:
        return dict.fromkeys(weights, 0)
    levels = sorted(
        {m / threshold(n) for m in positive.values() for n in range(total + 1) if threshold(n) > 0}
    )

    def generous(level: Fraction) -> int:
        return sum(_seats(m / level, threshold, ties_up=True) for m in positive.values())

    low, high = 0, len(levels)
    while high - low > 1:
        middle = (low + high) // 2
        if generous(levels[middle]) >= total:
            low = middle
        else:
            high = middle
    if generous(levels[low]) < total:
        raise AssertionError("no critical level reaches the total")
    level = levels[low]
    shares = dict.fromkeys(weights, 0)
    for key, m in positive.items():
        shares[key] = _seats(m / level, threshold, ties_up=False)
    tied = sorted(
        key
        for key, m in positive.items()
        if _seats(m / level, threshold, ties_up=True) > shares[key]
    )
    for key in tied[: total - sum(shares.values())]:
        shares[key] += 1
    if sum(shares.values()) != total:
        raise AssertionError("divisor search did not reach the total")
    return shares


def hamilton(total: int, weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """Largest remainder by integer division; equal remainders ranked by key."""
    scaled = _as_integers(weights)
    weight_sum = sum(scaled.values())
    floors = {key: total * w // weight_sum for key, w in scaled.items()}
    remainders = {key: total * w % weight_sum for key, w in scaled.items()}
    order = sorted(scaled, key=lambda key: (-remainders[key], key))
    left = total - sum(floors.values())
    return {key: floors[key] + (1 if key in order[:left] else 0) for key in scaled}


def statutory(total: int, weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """Every share the ceiling of its quota, by integer division."""
    scaled = _as_integers(weights)
    weight_sum = sum(scaled.values())
    return {key: -(-total * w // weight_sum) for key, w in scaled.items()}


def reference(method: str, total: int, weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """The reference result of ``method`` (a command-line name) for ``total`` and ``weights``."""
    if method == "hamilton":
        return hamilton(total, weights)
    if method == "statutory":
        return statutory(total, weights)
    return divisor_method(method, total, weights)
