"""Min-max stages: minimise the largest per-municipality measure, exactly.

A min-max stage minimises ``max_m measure_m`` over its member municipalities. Each measure is a
function of one integer linear expression ``e_m`` of the decisions (`MinMaxStage.value_of`), and
``measure_m <= w`` is equivalent to whole-number bounds on ``e_m`` (`MinMaxStage.bounds`). The
stage is therefore solved as a search over levels with feasibility problems on those bounds (on
the linear relaxation first, then on whole numbers), never by minimising a continuous variable
(whose optimality a branch-and-bound solver struggles to prove: the linear relaxation puts every
total on its quota). `solver.levels` runs that search; this module says what is measured, the
floor that rounding alone sets (`MinMaxStage.least`) and the rows of a real level that guide the
search (`MinMaxStage.level_rows`).

Measures:

- ``relative``: ``|P_m - Q_m| / Q_m``, total placements against total quota (members: ``Q_m > 0``);
- ``absolute``: ``|P_m - Q_m|`` in households;
- ``burden``: ``1000 P_m / population_m``, placements per 1,000 inhabitants (members: population
  ``> 0``), the equal-burden rule;
- ``norm_shortfall``: ``max(0, n (H_m + y_m) - d (S_m + s_m)) / d``, the dwellings a municipality
  is short of the social norm ``n/d`` at the horizon (equalising the shortfall).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import ceil, floor, lcm
from typing import Any, TypeVar

from solver.formulation import Formulation
from solver.model import Constraint, LevelRow, Terms

Values = Mapping[int, int]
#: Integer bounds ``(low, high)`` on ``e_m``; ``None`` for no bound on that side.
Bounds = tuple[int | None, int | None]
#: Real bounds ``(low, high)`` on ``e_m``; ``None`` for no bound on that side.
Interval = tuple[Fraction | None, Fraction | None]
#: An end of a member's interval, ``(A + B w) / D`` at the level ``w``, as ``(A, B, D)``, ``D > 0``.
LinearEnd = tuple[int, int, int]
#: Levels whose per-member answers `RecentLevels` keeps.
RECENT_LEVELS = 16


class RecentLevels:
    """Per-member measures at the most recent levels asked, oldest dropped first: the rounds of a
    leximin stage ask again at the levels of the rounds just before, and keeping every level
    would grow with members times rounds."""

    def __init__(self, size: int = RECENT_LEVELS) -> None:
        self._size = size
        self._levels: OrderedDict[Fraction, dict[str, Fraction | None]] = OrderedDict()

    def at(self, level: Fraction) -> dict[str, Fraction | None]:
        """The answers known at ``level``, by member; filled by the caller."""
        found = self._levels.get(level)
        if found is None:
            found = self._levels[level] = {}
            if len(self._levels) > self._size:
                self._levels.popitem(last=False)
        else:
            self._levels.move_to_end(level)
        return found


@dataclass(frozen=True)
class MinMaxStage:
    """Minimise the largest measure over ``members`` (see the module docstring).

    Attributes:
        name: stage name in the result.
        unit: the unit of the stage value.
        members: the municipality codes measured, sorted.
        expression: the integer linear expression ``e_m`` of one member.
        value_of: the exact measure of a member when ``e_m`` takes a given whole value; convex in
            that value, so that its largest value on an interval is at an end.
        interval: the real values of ``e_m`` whose measure is at most ``w``, an interval whose
            ends are linear in ``w`` (``None``: no bound on that side); `bounds` rounds it.
        lowest: the least value ``e_m`` can take (0 for placements), ``None`` if unbounded.
        leximin: after the largest measure, minimise the next largest, and so on
            (`solver.solve` documents the procedure).
        target: the real value of ``e_m`` at which the member's measure is least (its quota);
            ``None`` where the least measure is 0.
    """

    name: str
    unit: str
    members: tuple[str, ...]
    expression: Callable[[str], Terms]
    value_of: Callable[[str, int], Fraction]
    interval: Callable[[str, Fraction], Interval]
    lowest: int | None = 0
    leximin: bool = False
    target: Callable[[str], Fraction] | None = None

    def least(self, code: str) -> Fraction:
        """The least measure the member can take at any whole value of ``e_m``: at the whole
        number below or above ``target`` (the real value where the convex measure is least),
        raised to `lowest`; 0 for a stage without a target. Remembered per member: a leximin
        stage asks for it in every round."""
        known = self._least.get(code)
        if known is not None:
            return known
        least = Fraction(0)
        if self.target is not None:
            point = self.target(code)
            ends = {floor(point), ceil(point)}
            if self.lowest is not None:
                ends = {max(end, self.lowest) for end in ends}
            least = min(self.measure_at(code, end) for end in ends)
        self._least[code] = least
        return least

    @cached_property
    def _least(self) -> dict[str, Fraction]:
        return {}

    def least_levels(self, members: tuple[str, ...]) -> list[Fraction]:
        """The distinct least measures (`least`) of ``members``, largest first. The members are
        sorted by least measure once (`_by_least`): a leximin stage asks in every round, for
        the members still free, and sorting them with Fraction comparisons each time took about
        8% of its time at 1,000 municipalities under a profiler (benchmarks/RESULTS.md, run
        25)."""
        wanted = set(members)
        levels: list[Fraction] = []
        for code in self._by_least:
            if code in wanted:
                least = self.least(code)
                if not levels or least != levels[-1]:
                    levels.append(least)
        return levels

    @cached_property
    def _by_least(self) -> tuple[str, ...]:
        return tuple(sorted(self.members, key=self.least, reverse=True))

    def terms(self, code: str) -> tuple[tuple[int, int], ...]:
        """``e_m`` as sorted ``(variable, coefficient)`` pairs, built once per member (a leximin
        stage reads every member's expression in every round)."""
        known = self._terms.get(code)
        if known is None:
            known = self._terms[code] = tuple(sorted(self.expression(code).items()))
        return known

    @cached_property
    def _terms(self) -> dict[str, tuple[tuple[int, int], ...]]:
        return {}

    def whole_value(self, values: Values, code: str) -> int:
        """The whole value of ``e_m`` in a solution."""
        return sum(c * values[i] for i, c in self.terms(code))

    def bounds(self, code: str, level: Fraction, strict: bool) -> Bounds:
        """Whole-number bounds on ``e_m`` equivalent to ``measure_m <= level`` (``< level`` if
        strict): the ends of `interval` rounded inwards (past an end that is whole if strict).

        Computed in integers from the ends' linear form (`_ends`): a level search asks for
        thousands of these (12,312 in one national ``equal_burden`` solve), and with
        `interval`'s Fractions each took 6-12 microseconds."""
        low, high = self._ends(code)
        p, q = level.numerator, level.denominator
        return (
            None if low is None else _rounded_up(low, p, q, strict),
            None if high is None else _rounded_down(high, p, q, strict),
        )

    def _ends(self, code: str) -> tuple[LinearEnd | None, LinearEnd | None]:
        """The ends of `interval` as ``(A, B, D)`` with ``end(w) = (A + B w) / D``, read from
        the interval at levels 0 and 1 (its ends are linear in the level). Remembered per
        member."""
        known = self._linear_ends.get(code)
        if known is None:
            at_0, at_1 = self.interval(code, Fraction(0)), self.interval(code, Fraction(1))
            known = (_linear_end(at_0[0], at_1[0]), _linear_end(at_0[1], at_1[1]))
            self._linear_ends[code] = known
        return known

    @cached_property
    def _linear_ends(self) -> dict[str, tuple[LinearEnd | None, LinearEnd | None]]:
        return {}

    def level_rows(self, code: str) -> list[LevelRow]:
        """``measure_m <= t`` for a real level ``t`` as linear rows in ``e_m`` and ``t``, from the
        ends of `interval` at levels 0 and 1: ``e_m + (low_0 - low_1) t >= low_0`` and
        ``e_m - (high_1 - high_0) t <= high_0``, the slopes and right-hand sides as floats (for
        the relaxation that guides the level search, `solver.levels._guides`)."""
        (low_0, high_0), (low_1, high_1) = (
            self.interval(code, Fraction(0)),
            self.interval(code, Fraction(1)),
        )
        terms = dict(self.terms(code))
        rows: list[LevelRow] = []
        if low_0 is not None and low_1 is not None:
            rows.append((terms, float(low_0 - low_1), ">=", float(low_0)))
        if high_0 is not None and high_1 is not None:
            rows.append((terms, float(high_0 - high_1), "<=", float(high_0)))
        return rows

    def measure_at(self, code: str, value: int) -> Fraction:
        """`value_of`, remembered per member and whole value: a level search asks again and
        again for the same few values of each member (the ends of its bounds move by a unit at
        a time), and each `value_of` builds a Fraction (nationally 14,364 of them in the
        ``equal_burden`` stage, of which 3,850 distinct)."""
        return _remembered(self._measures, (code, value), self.value_of, self.members)

    @cached_property
    def _measures(self) -> dict[tuple[str, int], Fraction]:
        return {}

    def measure(self, values: Values, code: str) -> Fraction:
        """The exact measure of one member in a solution."""
        return self.measure_at(code, self.whole_value(values, code))

    def worst(self, values: Values, members: tuple[str, ...]) -> Fraction:
        """The largest measure over the members (0 without any)."""
        return max((self.measure(values, code) for code in members), default=Fraction(0))

    def below(self, code: str, level: Fraction) -> Fraction | None:
        """The largest measure the member can take strictly below ``level``; ``None`` if none."""
        return self.below_each((code,), level)[0]

    def below_each(self, members: tuple[str, ...], level: Fraction) -> list[Fraction | None]:
        """`below` for each member in turn. Remembered for the most recent levels
        (`RecentLevels`): the rounds of a leximin stage ask again at the levels of the rounds
        just before."""
        known = self._below_known.at(level)
        answers: list[Fraction | None] = []
        for code in members:
            if code not in known:
                known[code] = self._largest(code, level, strict=True)
            answers.append(known[code])
        return answers

    @cached_property
    def _below_known(self) -> RecentLevels:
        return RecentLevels()

    def at_most(self, code: str, level: Fraction) -> Fraction | None:
        """The largest measure the member can take at or below ``level``; ``None`` if none.
        ``measure_m <= level`` and ``measure_m <= at_most(level)`` allow the same values."""
        return self._largest(code, level, strict=False)

    def _largest(self, code: str, level: Fraction, *, strict: bool) -> Fraction | None:
        """The measure is convex in ``e_m``, so its largest value within the (strict) bounds of
        ``level`` is the larger of its values at their two ends (the lower end raised to
        `lowest`)."""
        low, high = self.bounds(code, level, strict)
        lowest = self.lowest
        if lowest is not None and (low is None or low < lowest):
            low = lowest
        if low is None or high is None or low == high:
            end = high if low is None else low
            if end is None:
                raise ValueError(f"{self.name}: no bound on the measure of {code} at {level}")
            return self.measure_at(code, end)
        if high < low:
            return None
        # Written out rather than a max over a generator: a level search asks for every
        # member's value at every level it probes (benchmarks/RESULTS.md, run 28).
        at_low, at_high = self.measure_at(code, low), self.measure_at(code, high)
        return at_high if at_high > at_low else at_low

    def points_at(self, code: str, level: Fraction) -> list[int]:
        """The whole values of ``e_m`` at which the member's measure is exactly ``level`` (at
        most two: the measure is convex, so they are the ends of the level's bounds)."""
        low, high = self.bounds(code, level, False)
        if self.lowest is not None:
            low = self.lowest if low is None else max(low, self.lowest)
        ends = dict.fromkeys(end for end in (low, high) if end is not None)
        return [end for end in ends if self.measure_at(code, end) == level]

    def fixed_at(self, code: str, point: int) -> Constraint:
        """``e_m == point``."""
        return Constraint(f"{self.name}_fixed[{code}]", "stage", self.terms(code), "==", point)

    def bound_constraints(self, code: str, level: Fraction) -> list[Constraint]:
        """``e_m`` within the bounds of ``measure_m <= level``. The rows are written once per
        member and bounds (`_bound_rows`): a level search asks for every member's rows at each
        probe, and most members' bounds stay the same from one probe to the next."""
        low, high = self.bounds(code, level, False)
        rows: tuple[Constraint, ...] = _remembered(
            self._bound_rows, (code, low, high), self._rows_within, self.members
        )
        return list(rows)

    def _rows_within(self, code: str, low: int | None, high: int | None) -> tuple[Constraint, ...]:
        terms = self.terms(code)
        rows = []
        if low is not None:
            rows.append(Constraint(f"{self.name}_low[{code}]", "stage", terms, ">=", low))
        if high is not None:
            rows.append(Constraint(f"{self.name}_high[{code}]", "stage", terms, "<=", high))
        return tuple(rows)

    @cached_property
    def _bound_rows(self) -> dict[tuple[str, int | None, int | None], tuple[Constraint, ...]]:
        return {}


#: Entries per member that `MinMaxStage.measure_at` and `MinMaxStage.bound_constraints` keep
#: before they start afresh: a leximin stage probes hundreds of levels.
REMEMBERED_PER_MEMBER = 16

Key = TypeVar("Key", bound=tuple[Any, ...])
Known = TypeVar("Known")


def _remembered(
    known: dict[Key, Known], key: Key, make: Callable[..., Known], members: tuple[str, ...]
) -> Known:
    """``known[key]``, made as ``make(*key)`` and kept where it is not there yet; ``known`` is
    emptied first once it holds `REMEMBERED_PER_MEMBER` entries per member."""
    found = known.get(key)
    if found is not None:
        return found
    if len(known) >= REMEMBERED_PER_MEMBER * max(1, len(members)):
        known.clear()
    made = known[key] = make(*key)
    return made


def _linear_end(at_0: Fraction | None, at_1: Fraction | None) -> LinearEnd | None:
    """``(A, B, D)`` with ``(A + B w) / D`` through ``at_0`` at ``w = 0`` and ``at_1`` at
    ``w = 1``; ``None`` for no bound on that side."""
    if at_0 is None or at_1 is None:
        if at_0 is not at_1:
            raise ValueError("an end of a min-max interval must be bounded at every level or none")
        return None
    slope = at_1 - at_0
    denominator = lcm(at_0.denominator, slope.denominator)
    return (
        at_0.numerator * (denominator // at_0.denominator),
        slope.numerator * (denominator // slope.denominator),
        denominator,
    )


def _rounded_up(end: LinearEnd, p: int, q: int, strict: bool) -> int:
    """The least whole number at or above (``strict``: above) ``end`` at the level ``p/q``."""
    a, b, d = end
    numerator, denominator = a * q + b * p, d * q
    return numerator // denominator + 1 if strict else -(-numerator // denominator)


def _rounded_down(end: LinearEnd, p: int, q: int, strict: bool) -> int:
    """The largest whole number at or below (``strict``: below) ``end`` at the level ``p/q``."""
    a, b, d = end
    numerator, denominator = a * q + b * p, d * q
    return -(-numerator // denominator) - 1 if strict else numerator // denominator


def relative_deviation_stage(f: Formulation, name: str, *, leximin: bool = False) -> MinMaxStage:
    """``max_m |P_m - Q_m| / Q_m`` over municipalities with ``Q_m > 0``.

    ``e_m = P_m`` (with exchanges ``P_m + out_m - in_m``, `Formulation.task_total_terms`); the
    level ``w`` bounds ``ceil((1 - w) Q_m) <= e_m <= floor((1 + w) Q_m)``. A
    municipality without a quota has no relative deviation and is left out (its placements still
    count in the sum of absolute deviations that follows).
    """
    members = tuple(c for c in f.region.codes if f.quotas.municipality_total(c) > 0)

    def value_of(code: str, total: int) -> Fraction:
        # |total - a/b| / (a/b) = |b total - a| / a, one fraction instead of three
        quota = f.quotas.municipality_total(code)
        a, b = quota.numerator, quota.denominator
        return Fraction(abs(b * total - a), a)

    def interval(code: str, level: Fraction) -> Interval:
        quota = f.quotas.municipality_total(code)
        spread = level * quota
        return quota - spread, quota + spread

    lowest = None if f.transfers else 0
    return MinMaxStage(
        name,
        "ratio",
        members,
        f.task_total_terms,
        value_of,
        interval,
        lowest,
        leximin=leximin,
        target=f.quotas.municipality_total,
    )


def absolute_deviation_stage(f: Formulation, name: str) -> MinMaxStage:
    """``max_m |P_m - Q_m|`` in households, over every municipality.

    ``e_m = P_m`` (with exchanges ``P_m + out_m - in_m``); the level ``w`` bounds
    ``ceil(Q_m - w) <= e_m <= floor(Q_m + w)``.
    """

    def value_of(code: str, total: int) -> Fraction:
        return abs(total - f.quotas.municipality_total(code))

    def interval(code: str, level: Fraction) -> Interval:
        quota = f.quotas.municipality_total(code)
        return quota - level, quota + level

    lowest = None if f.transfers else 0
    return MinMaxStage(
        name,
        "households",
        tuple(f.region.codes),
        f.task_total_terms,
        value_of,
        interval,
        lowest,
        target=f.quotas.municipality_total,
    )


def burden_stage(f: Formulation, name: str) -> MinMaxStage:
    """Equal burden: ``max_m 1000 P_m / population_m`` (placements per 1,000 inhabitants) over
    municipalities with inhabitants.

    ``e_m = P_m``; the level ``w`` bounds ``P_m <= floor(w population_m / 1000)``. Whatever the
    key, the most burdened municipality carries as little as the earlier stages allow.
    """
    region = f.region
    members = tuple(c for c in region.codes if region.municipality(c).population > 0)

    def value_of(code: str, total: int) -> Fraction:
        return Fraction(1000 * total, region.municipality(code).population)

    def interval(code: str, level: Fraction) -> Interval:
        return None, level * region.municipality(code).population / 1000

    return MinMaxStage(name, "per 1,000 inhabitants", members, f.placements_in, value_of, interval)


def norm_shortfall_stage(f: Formulation, name: str) -> MinMaxStage:
    """Equalise the shortfall to the social norm: ``max_m short_m`` in dwellings, with
    ``short_m = max(0, n (H_m + y_m) - d (S_m + s_m)) / d`` for the norm ``n/d``.

    ``e_m = n y_m - d s_m``; the level ``w`` bounds ``e_m <= floor(d w - n H_m + d S_m)``.
    """
    region = f.region
    norm = region.policy.social_norm
    n, d = norm.numerator, norm.denominator

    def expression(code: str) -> Terms:
        return {f.new_homes[code]: n, f.new_social[code]: -d}

    def value_of(code: str, e: int) -> Fraction:
        m = region.municipality(code)
        return Fraction(max(0, e + n * m.dwellings - d * m.social_stock), d)

    def interval(code: str, level: Fraction) -> Interval:
        m = region.municipality(code)
        return None, d * level - n * m.dwellings + d * m.social_stock

    return MinMaxStage(
        name, "dwellings", tuple(region.codes), expression, value_of, interval, lowest=None
    )
