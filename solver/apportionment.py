"""Apportionment: splitting a whole number in proportion to weights, in exact arithmetic."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction


def largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder (Hamilton).

    Each key gets the floor of its exact quota ``total * w / sum(w)``; the units left go to the
    largest remainders, ties broken by key in ascending order. With all weights zero the split is
    equal.

    Examples:
        >>> largest_remainder(10, {"GM0001": 1, "GM0002": 1, "GM0003": 1})
        {'GM0001': 4, 'GM0002': 3, 'GM0003': 3}
    """
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        weights = dict.fromkeys(weights, 1)
        weight_sum = len(weights)
    quotas = {key: Fraction(total * w, weight_sum) for key, w in weights.items()}
    shares = {key: int(q) for key, q in quotas.items()}
    left = total - sum(shares.values())
    ranked = sorted(quotas, key=lambda key: (-(quotas[key] - shares[key]), key))
    for key in ranked[:left]:
        shares[key] += 1
    return shares
