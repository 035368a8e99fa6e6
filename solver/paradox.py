"""Paradox audit: does an allocation rule behave monotonely when the total or a weight grows?

Both audits take the allocation as a plain function, so they work for every method in
`solver.apportionment.METHODS` and for any other rule that maps a total or a set of weights to
whole numbers per key:

- `house_monotonicity_violations`: more to distribute must never give any key less (a key that
  falls is the *Alabama paradox*, after the seat Alabama would have lost in 1880 had the House
  grown from 299 to 300 seats under Hamilton's method);
- `population_paradox_violations`: a key whose weight grows at least in proportion to another's
  must never lose a unit to it (the *population paradox*).

Divisor methods are free of both paradoxes; Hamilton's method shows both. M. L. Balinski and
H. P. Young, *Fair Representation*, 2nd ed., Brookings Institution Press, 2001.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

Weight = int | Fraction


@dataclass(frozen=True)
class AlabamaViolation:
    """Key ``key`` gets fewer units at ``total_after`` than at the smaller ``total_before``."""

    key: str
    total_before: int
    total_after: int
    before: int
    after: int

    def describe(self) -> str:
        """One plain-English line.

        Examples:
            >>> AlabamaViolation("GM0003", 10, 11, 2, 1).describe()
            'total 10 -> 11: GM0003 falls from 2 to 1 (Alabama paradox)'
        """
        return (
            f"total {self.total_before} -> {self.total_after}: {self.key} falls from "
            f"{self.before} to {self.after} (Alabama paradox)"
        )


@dataclass(frozen=True)
class PopulationViolation:
    """Changing the weight of ``swept`` made ``loser`` lose units while ``gainer`` gained.

    The loser's weight grew at least in proportion to the gainer's (see
    `population_paradox_violations`).
    """

    swept: str
    weight_before: Weight
    weight_after: Weight
    loser: str
    loser_before: int
    loser_after: int
    gainer: str
    gainer_before: int
    gainer_after: int

    def describe(self) -> str:
        """One plain-English line.

        Examples:
            >>> PopulationViolation("GM0001", 3, 5, "GM0002", 2, 1, "GM0003", 0, 1).describe()
            'weight of GM0001 3 -> 5: GM0002 falls from 2 to 1 while GM0003 rises from 0 to 1 (population paradox)'
        """  # noqa: E501
        return (
            f"weight of {self.swept} {self.weight_before} -> {self.weight_after}: "
            f"{self.loser} falls from {self.loser_before} to {self.loser_after} while "
            f"{self.gainer} rises from {self.gainer_before} to {self.gainer_after} "
            "(population paradox)"
        )


Violation = AlabamaViolation | PopulationViolation


def _same_keys(before: Mapping[str, int], after: Mapping[str, int], where: str) -> None:
    """Refuse to compare two allocations over different keys."""
    missing = sorted(set(before) - set(after))
    extra = sorted(set(after) - set(before))
    if missing or extra:
        raise ValueError(
            f"the allocation changes its keys at {where}: missing {missing}, extra {extra}; "
            "the allocation function must return every key every time"
        )


def _growth(before: Weight, after: Weight) -> Fraction | None:
    """The factor ``after / before``; 1 for a weight that stays 0, ``None`` (unbounded) from 0."""
    if before > 0:
        return Fraction(after) / before
    return Fraction(1) if after == 0 else None


def _grew_at_least_as_much(i: tuple[Weight, Weight], j: tuple[Weight, Weight]) -> bool:
    """Whether weight ``i`` (before, after) grew by at least the factor weight ``j`` grew by."""
    growth_i, growth_j = _growth(*i), _growth(*j)
    if growth_i is None:
        return True
    return growth_j is not None and growth_i >= growth_j


def house_monotonicity_violations(
    allocate: Callable[[int], Mapping[str, int]], totals: range
) -> list[AlabamaViolation]:
    """Every Alabama paradox along ``totals``.

    For each pair of consecutive members ``t < t'`` of ``totals`` (``t' = t + 1`` for a range with
    step 1) and each key ``i`` with ``allocate(t')[i] < allocate(t)[i]``, one `AlabamaViolation`.
    Ordered by total, then key. An empty list means the rule is house-monotone on this range.

    Raises:
        ValueError: ``totals`` does not increase, or two allocations have different keys.

    Examples:
        >>> from solver.apportionment import hamilton
        >>> weights = {"GM0001": 6, "GM0002": 6, "GM0003": 2}
        >>> for v in house_monotonicity_violations(lambda t: hamilton(t, weights), range(9, 13)):
        ...     print(v.describe())
        total 10 -> 11: GM0003 falls from 2 to 1 (Alabama paradox)
    """
    if totals.step < 0:
        raise ValueError(f"totals must increase, got {totals}; reverse the range")
    violations: list[AlabamaViolation] = []
    previous: Mapping[str, int] | None = None
    for total in totals:
        current = allocate(total)
        if previous is not None:
            before_total = total - totals.step
            _same_keys(previous, current, f"total {before_total} -> {total}")
            violations.extend(
                AlabamaViolation(key, before_total, total, previous[key], current[key])
                for key in sorted(current)
                if current[key] < previous[key]
            )
        previous = current
    return violations


def population_paradox_violations(
    allocate: Callable[[Mapping[str, Weight]], Mapping[str, int]],
    weights: Mapping[str, Weight],
    key: str,
    new_weights_values: Iterable[Weight],
) -> list[PopulationViolation]:
    """Every population paradox while the weight of ``key`` sweeps ``new_weights_values``.

    The weights at sweep point ``s`` are ``weights`` with ``key`` set to the ``s``-th value; the
    other weights stay fixed. For each pair of consecutive sweep points, with weights ``w`` then
    ``w'`` and allocations ``a`` then ``a'``, one `PopulationViolation` is reported for each
    ordered pair of distinct keys ``(i, j)`` such that

    - ``i`` loses and ``j`` gains: ``a'_i < a_i`` and ``a'_j > a_j``, and
    - ``i``'s weight grew at least in proportion to ``j``'s: ``w'_i / w_i >= w'_j / w_j``. A
      weight that stays 0 counts as unchanged (factor 1), one that grows from 0 as growing
      without bound.

    With only ``key`` changing, that is exactly one of:

    - ``key`` grew, yet lost a unit to another key (whose weight did not grow): the paradox in
      Balinski & Young's form, "A grows relative to B but loses a seat to B";
    - ``key`` shrank, yet took a unit from another key (the same, read backwards);
    - two keys whose weights are both unchanged swap a unit (their ratio is unchanged, so neither
      may gain at the other's expense; Hamilton's method does this, while a key that grows alone
      can never lose under Hamilton).

    Ordered by sweep step, then loser, then gainer. Divisor methods never produce a violation:
    they are exactly the population-monotone methods (Balinski & Young, *Fair Representation*,
    2nd ed. 2001).

    Raises:
        ValueError: ``key`` is not among ``weights``, or two allocations have different keys.

    Examples:
        >>> from solver.apportionment import hamilton
        >>> weights = {"GM0001": 3, "GM0002": 3, "GM0003": 1}
        >>> found = population_paradox_violations(
        ...     lambda w: hamilton(4, w), weights, "GM0001", [3, 5]
        ... )
        >>> [(v.loser, v.gainer) for v in found]
        [('GM0002', 'GM0003')]
    """
    if key not in weights:
        raise ValueError(f"cannot sweep {key}: it is not among the weights {sorted(weights)}")
    violations: list[PopulationViolation] = []
    previous: tuple[dict[str, Weight], Mapping[str, int]] | None = None
    for value in new_weights_values:
        swept = {**weights, key: value}
        current = allocate(swept)
        if previous is not None:
            w, a = previous
            _same_keys(a, current, f"weight of {key} {w[key]} -> {value}")
            losers = sorted(i for i in current if current[i] < a[i])
            gainers = sorted(j for j in current if current[j] > a[j])
            violations.extend(
                PopulationViolation(key, w[key], value, i, a[i], current[i], j, a[j], current[j])
                for i in losers
                for j in gainers
                if _grew_at_least_as_much((w[i], swept[i]), (w[j], swept[j]))
            )
        previous = (swept, current)
    return violations
