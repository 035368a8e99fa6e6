"""Apportionment: splitting a whole number in proportion to weights, in exact arithmetic.

Every method takes ``total`` (a whole number, at least 0) and ``weights`` (a mapping from a key,
in fairshare a municipality code such as ``GM0518``, to a weight: an ``int`` or a
``fractions.Fraction``, at least 0) and returns a ``dict`` of whole numbers with the keys in the
order given. All arithmetic is exact: quotas, remainders and priorities are ``Fraction`` objects
and are never rounded to a float; a ``float`` weight is refused with a ``TypeError``.

The methods, by the names the command line uses (`METHODS`):

- ``statutory``: every share is the ceiling of its quota (Huisvestingswet 2014, art. 29); the
  shares may add up to more than ``total`` (`statutory_overshoot`).
- ``hamilton``: largest remainder (Hamilton, Vinton).
- ``dhondt`` (Jefferson), ``webster`` (Sainte-Laguë), ``adams`` and ``huntington-hill``: divisor
  methods, computed by highest averages: seat after seat goes to the key with the largest
  priority ``w / d(n)``, ``n`` the seats it holds so far and ``d`` the method's divisor sequence.

Ties: when two keys have exactly the same claim to the last unit (equal remainders under
``hamilton``, equal priorities under a divisor method), the key that sorts first in ascending
string order gets it. Municipality codes are zero-padded (``GM0003`` < ``GM0014``), so this is also
ascending numeric order. The result therefore depends only on the weights, never on the order of
the mapping.

Zero weights: a key with weight 0 gets 0, under every method, as long as some weight is positive.
If all weights are zero (or there are none), the weights carry no information and every method
splits as if all weights were equal (1 each), as `largest_remainder` always has. An empty mapping
can only take ``total == 0``.

Adams and Huntington-Hill give every key with a positive weight at least 1 (``d(0) = 0``, so the
first unit has infinite priority); they raise ``ValueError`` when ``total`` is smaller than the
number of such keys.

Source for all methods: M. L. Balinski and H. P. Young, *Fair Representation: Meeting the Ideal of
One Man, One Vote*, 2nd ed., Brookings Institution Press, 2001.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from fractions import Fraction
from math import ceil

Weight = int | Fraction
"""A weight: a whole number or an exact fraction, never a float."""

Method = Callable[[int, Mapping[str, Weight]], dict[str, int]]
"""An apportionment method: ``(total, weights) -> shares``."""

Priority = Callable[[Fraction, int], Fraction]
"""``(w, n) -> p``, with ``p`` in the same order as ``w / d(n)`` for every ``w > 0`` and ``n``."""


def _validated(total: int, weights: Mapping[str, Weight]) -> dict[str, Fraction]:
    """The weights as exact fractions, all-zero weights replaced by 1; refuse bad input."""
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"total must be an int, got {total!r}; round it before apportioning")
    if total < 0:
        raise ValueError(f"total must be at least 0, got {total}")
    exact: dict[str, Fraction] = {}
    for key, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
            raise TypeError(
                f"weight of {key} must be an int or a Fraction, got {weight!r}; "
                "convert it with fractions.Fraction(str(value)) for an exact decimal"
            )
        if weight < 0:
            raise ValueError(f"weight of {key} must be at least 0, got {weight}")
        exact[key] = Fraction(weight)
    if not exact and total > 0:
        raise ValueError(f"cannot apportion total {total} over no keys; give at least one weight")
    if not any(exact.values()):
        exact = dict.fromkeys(exact, Fraction(1))
    return exact


def largest_remainder(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder (Hamilton).

    Each key gets the floor of its exact quota ``total * w / sum(w)``; the units left go to the
    largest remainders, ties broken by key in ascending order. With all weights zero the split is
    equal. Does not validate its input; `hamilton` does.

    Examples:
        >>> largest_remainder(10, {"GM0001": 1, "GM0002": 1, "GM0003": 1})
        {'GM0001': 4, 'GM0002': 3, 'GM0003': 3}
    """
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        weights = dict.fromkeys(weights, 1)
        weight_sum = len(weights)
    if all(type(w) is int for w in weights.values()):
        # Whole weights: every quota is ``total * w / sum`` over the same denominator, so its
        # floor and remainder are whole-number division (at 5,000 keys much faster than fractions).
        parts = {key: divmod(total * w, weight_sum) for key, w in weights.items()}
        shares = {key: share for key, (share, _) in parts.items()}
        ranked = sorted(parts, key=lambda key: (-parts[key][1], key))
    else:
        quotas = {key: Fraction(total * w, weight_sum) for key, w in weights.items()}
        shares = {key: int(q) for key, q in quotas.items()}
        ranked = sorted(quotas, key=lambda key: (-(quotas[key] - shares[key]), key))
    left = total - sum(shares.values())
    for key in ranked[:left]:
        shares[key] += 1
    return shares


def hamilton(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Largest remainder (Hamilton's method), with input validation.

    With quota ``q_i = total * w_i / sum_j w_j``, key ``i`` gets ``floor(q_i)`` plus one more if
    its remainder ``q_i - floor(q_i)`` is among the ``total - sum_j floor(q_j)`` largest; equal
    remainders are ranked by key. It satisfies quota (``floor(q_i) <= share_i <= ceil(q_i)``) but
    is not house-monotone: one more unit in total can cost a key a unit (the Alabama paradox).
    Balinski & Young, *Fair Representation*, 2nd ed. 2001.

    Raises:
        ValueError: ``total`` or a weight is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> hamilton(10, {"GM0001": 6, "GM0002": 6, "GM0003": 2})
        {'GM0001': 4, 'GM0002': 4, 'GM0003': 2}
        >>> hamilton(11, {"GM0001": 6, "GM0002": 6, "GM0003": 2})
        {'GM0001': 5, 'GM0002': 5, 'GM0003': 1}
    """
    return largest_remainder(total, _validated(total, weights))


def statutory(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """The permit-holder rule: every share is the ceiling of its quota.

    ``share_i = ceil(total * w_i / sum_j w_j)``. The task for housing permit holders
    (Huisvestingswet 2014, art. 29) is set per municipality in proportion to its population and
    rounded up, so the shares add up to at least ``total`` and to less than ``total`` plus the
    number of keys; `statutory_overshoot` gives the excess, which the caller should report. This
    is Adams's rounding at the fixed divisor ``sum(w) / total`` (Balinski & Young, *Fair
    Representation*, 2nd ed. 2001), without adjusting the divisor to hit the total.

    Raises:
        ValueError: ``total`` or a weight is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> statutory(10, {"GM0001": 1, "GM0002": 1, "GM0003": 1})
        {'GM0001': 4, 'GM0002': 4, 'GM0003': 4}
        >>> statutory_overshoot(10, {"GM0001": 1, "GM0002": 1, "GM0003": 1})
        2
    """
    exact = _validated(total, weights)
    weight_sum = sum(exact.values(), Fraction(0))
    return {key: ceil(total * w / weight_sum) for key, w in exact.items()}


def statutory_overshoot(total: int, weights: Mapping[str, Weight]) -> int:
    """How many units `statutory` hands out beyond ``total``: ``sum_i share_i - total >= 0``.

    Examples:
        >>> statutory_overshoot(12, {"GM0001": 1, "GM0002": 1, "GM0003": 1})
        0
    """
    return sum(statutory(total, weights).values()) - total


def _highest_averages(
    total: int, weights: Mapping[str, Weight], priority: Priority, *, first_free: bool
) -> dict[str, int]:
    """The divisor method with the given priority, by sequential assignment.

    Seat after seat goes to the largest ``priority(w, n)``, ties to the smallest key. With
    ``first_free`` (``d(0) = 0``) every positive weight first gets one seat. Within one key the
    priority falls strictly with ``n``, so the seats handed out are exactly the ``total`` largest
    entries of the table ``priority(w_i, n)``, which is the divisor method's result.
    """
    exact = _validated(total, weights)
    shares = dict.fromkeys(exact, 0)
    positive = sorted(key for key, w in exact.items() if w > 0)
    if first_free:
        if total < len(positive):
            raise ValueError(
                f"this method gives each of the {len(positive)} keys with a positive weight at "
                f"least 1, so total must be at least {len(positive)}, got {total}; "
                "raise the total or use another method"
            )
        for key in positive:
            shares[key] = 1
    left = total - sum(shares.values())
    heap = [(-priority(exact[key], shares[key]), key) for key in positive]
    heapq.heapify(heap)
    for _ in range(left):
        _, key = heap[0]
        shares[key] += 1
        heapq.heapreplace(heap, (-priority(exact[key], shares[key]), key))
    return shares


def _jefferson_priority(w: Fraction, n: int) -> Fraction:
    return w / (n + 1)


def _webster_priority(w: Fraction, n: int) -> Fraction:
    return 2 * w / (2 * n + 1)


def _adams_priority(w: Fraction, n: int) -> Fraction:
    return w / n


def _huntington_hill_priority(w: Fraction, n: int) -> Fraction:
    return w * w / (n * (n + 1))


def dhondt(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Jefferson's method (D'Hondt): divisor ``d(n) = n + 1``, rounding down.

    There is a divisor ``λ`` with ``share_i = floor(w_i / λ)`` and ``sum_i share_i = total``;
    equivalently the ``n+1``-th unit goes to a key when its quotient ``w/λ`` reaches ``n + 1``.
    Computed as highest averages: each unit goes to the largest ``w_i / (n_i + 1)``. Satisfies
    lower quota and favours large weights. Balinski & Young, *Fair Representation*, 2nd ed.
    2001 (the 1792 apportionment of the US House used it).

    Raises:
        ValueError: ``total`` or a weight is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> dhondt(6, {"GM0001": 11, "GM0002": 4, "GM0003": 1})
        {'GM0001': 5, 'GM0002': 1, 'GM0003': 0}
    """
    return _highest_averages(total, weights, _jefferson_priority, first_free=False)


def webster(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Webster's method (Sainte-Laguë): divisor ``d(n) = n + 1/2``, rounding at the mean.

    There is a divisor ``λ`` with ``share_i = w_i / λ`` rounded to the nearest whole number
    (the ``n+1``-th unit once the quotient reaches ``n + 1/2``) and ``sum_i share_i = total``.
    Computed as highest averages: each unit goes to the largest ``w_i / (n_i + 1/2)``, compared
    as ``2 w_i / (2 n_i + 1)``. Balinski & Young, *Fair Representation*, 2nd ed. 2001.

    Raises:
        ValueError: ``total`` or a weight is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> webster(6, {"GM0001": 11, "GM0002": 4, "GM0003": 1})
        {'GM0001': 4, 'GM0002': 2, 'GM0003': 0}
    """
    return _highest_averages(total, weights, _webster_priority, first_free=False)


def adams(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Adams's method: divisor ``d(n) = n``, rounding up.

    There is a divisor ``λ`` with ``share_i = ceil(w_i / λ)`` and ``sum_i share_i = total``; every
    positive weight gets at least 1. Computed as highest averages: one unit to each positive
    weight, then each unit to the largest ``w_i / n_i``. Satisfies upper quota and favours small
    weights. Balinski & Young, *Fair Representation*, 2nd ed. 2001.

    Raises:
        ValueError: ``total`` is less than the number of positive weights, ``total`` or a weight
            is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> adams(6, {"GM0001": 11, "GM0002": 4, "GM0003": 1})
        {'GM0001': 3, 'GM0002': 2, 'GM0003': 1}
    """
    return _highest_averages(total, weights, _adams_priority, first_free=True)


def huntington_hill(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """The Huntington-Hill method (equal proportions): divisor ``d(n) = sqrt(n (n + 1))``.

    There is a divisor ``λ`` such that each quotient ``x_i = w_i / λ`` is rounded at the geometric
    mean of its neighbours (down to ``n`` if ``x_i^2 < n (n + 1)``, up to ``n + 1`` if
    ``x_i^2 > n (n + 1)``) and the shares add up to ``total``; every positive weight gets at
    least 1. Computed as highest averages: one
    unit to each positive weight, then each unit to the largest ``w_i / sqrt(n_i (n_i + 1))``,
    compared exactly through its square ``w_i^2 / (n_i (n_i + 1))``. The US House has been
    apportioned by it since 1941. Balinski & Young, *Fair Representation*, 2nd ed. 2001.

    Raises:
        ValueError: ``total`` is less than the number of positive weights, ``total`` or a weight
            is negative, or ``total > 0`` with no keys.
        TypeError: ``total`` is not an int, or a weight is neither an int nor a Fraction.

    Examples:
        >>> huntington_hill(6, {"GM0001": 11, "GM0002": 4, "GM0003": 1})
        {'GM0001': 4, 'GM0002': 1, 'GM0003': 1}
    """
    return _highest_averages(total, weights, _huntington_hill_priority, first_free=True)


METHODS: dict[str, Method] = {
    "statutory": statutory,
    "hamilton": hamilton,
    "webster": webster,
    "dhondt": dhondt,
    "huntington-hill": huntington_hill,
    "adams": adams,
}
"""Every method by its command-line name."""

DIVISOR_METHODS: frozenset[str] = frozenset({"webster", "dhondt", "huntington-hill", "adams"})
"""The names in `METHODS` of the divisor methods: house-monotone and population-monotone."""
