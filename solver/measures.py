"""Measures planners judge a distribution by, computed exactly for any allocation of a region.

The allocation may come from a solve, an apportionment or a planner's hand edits: only its
decisions are read, and every measure is recomputed from them and the region with exact
arithmetic (`int` and `Fraction`). The one exception is the Gallagher index, whose square root is a
`float` taken from an exact sum of squares (the exact square is kept beside it).

Notation: ``p_mg`` placements and ``q_mg`` quota of municipality m for group g (`solver.quotas`);
``P_m = sum_g p_mg`` and ``Q_m = sum_g q_mg``; ``P = sum_m P_m`` and ``Q = sum_m Q_m``;
``w_m`` the population; ``H_m``, ``S_m`` the dwellings and social stock now; ``y_m``, ``s_m``
the new homes and new social homes by the horizon. A measure that divides by a total that is zero
(no placements, no quota, no inhabitants, no lettings) is ``None``: it is undefined, not zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor, sqrt

from models.cells import decimal, decimal_root
from models.errors import InputError, Problem
from models.region import Region
from solver.allocation import Allocation
from solver.check import norm_shortfall
from solver.formulation import turnover_lettings
from solver.quotas import Quotas, compute_quotas

#: Decimal places of the shares, indices and deviations `summary_rows` shows.
PLACES = 4
#: Codes `summary_rows` lists before it says how many more there are.
MAX_CODES_SHOWN = 10


@dataclass(frozen=True)
class Measures:
    """The measures of one allocation (see the module docstring for the notation).

    Attributes:
        municipalities: n, the number of municipalities.
        cells: the number of cells (m, g): n times the number of groups, forbidden cells included
            (their quota is 0).
        placed_total: ``P = sum_m P_m``.
        quota_total: ``Q = sum_m Q_m``.
        max_abs_deviation: ``max_m |P_m - Q_m|``.
        mean_abs_deviation: ``(1/n) sum_m |P_m - Q_m|``.
        max_abs_deviation_cell: ``max_mg |p_mg - q_mg|`` (0 without cells).
        mean_abs_deviation_cell: ``sum_mg |p_mg - q_mg|`` divided by ``cells`` (0 without cells).
        quota_positive: municipalities with ``Q_m > 0``, over which relative deviations are taken.
        max_rel_deviation: ``max_m |P_m - Q_m| / Q_m`` over ``Q_m > 0``.
        mean_rel_deviation: the mean of ``|P_m - Q_m| / Q_m`` over ``Q_m > 0``. Both ``None`` if
            no municipality has a quota.
        gini: population-weighted Gini coefficient of placements per inhabitant (`gini`);
            ``None`` without placements or inhabitants.
        loosemore_hanby: ``1/2 sum_m |P_m/P - Q_m/Q|`` (`loosemore_hanby`), in [0, 1]; ``None``
            (as are both Gallagher fields) if P or Q is 0.
        gallagher_squared: ``1/2 sum_m (100 P_m/P - 100 Q_m/Q)^2``, exact.
        gallagher: ``sqrt(gallagher_squared)`` in percentage points (`gallagher_squared`), the
            one float: `math.sqrt` of the float nearest the exact square.
        within_quota: municipalities with ``floor(Q_m) <= P_m <= ceil(Q_m)``.
        within_quota_cells: cells with ``floor(q_mg) <= p_mg <= ceil(q_mg)`` (of ``cells``).
        below_norm: codes with ``(S_m + s_m) / (H_m + y_m) < norm`` (`horizon_social_share`),
            equivalently with a positive norm shortfall (`solver.check.norm_shortfall`).
        norm_shortfall_exact: ``sum_m max(0, norm (H_m + y_m) - S_m - s_m)``.
        norm_shortfall_dwellings: ``sum_m ceil(max(0, norm (H_m + y_m) - S_m - s_m))``: each
            municipality's shortfall rounded up to whole dwellings, then summed.
        pool_pressure: per code, ``P_m / L_m`` with ``L_m`` the lettings (`lettings`); ``None``
            where ``L_m = 0``.
        max_pool_pressure: the largest defined ``pool_pressure`` (``None`` if none is).
        above_letting_cap: codes with ``P_m > kappa L_m``, kappa the policy's
            ``letting_priority_max``; a municipality without lettings but with placements counts.
    """

    municipalities: int
    cells: int
    placed_total: int
    quota_total: Fraction
    max_abs_deviation: Fraction
    mean_abs_deviation: Fraction
    max_abs_deviation_cell: Fraction
    mean_abs_deviation_cell: Fraction
    quota_positive: int
    max_rel_deviation: Fraction | None
    mean_rel_deviation: Fraction | None
    gini: Fraction | None
    loosemore_hanby: Fraction | None
    gallagher_squared: Fraction | None
    gallagher: float | None
    within_quota: int
    within_quota_cells: int
    below_norm: tuple[str, ...]
    norm_shortfall_exact: Fraction
    norm_shortfall_dwellings: int
    pool_pressure: dict[str, Fraction | None]
    max_pool_pressure: Fraction | None
    above_letting_cap: tuple[str, ...]


# --- the measures, one function each --------------------------------------------------------------


def within_quota(placed: int, quota: Fraction) -> bool:
    """The quota property: ``floor(q) <= p <= ceil(q)`` (Balinski & Young 1982).

    Examples:
        >>> within_quota(3, Fraction(5, 2)), within_quota(4, Fraction(5, 2))
        (True, False)
    """
    return floor(quota) <= placed <= ceil(quota)


def relative_deviation(placed: int, quota: Fraction) -> Fraction | None:
    """``|P_m - Q_m| / Q_m``; ``None`` for a municipality without quota.

    Examples:
        >>> relative_deviation(3, Fraction(2))
        Fraction(1, 2)
    """
    return abs(placed - quota) / quota if quota > 0 else None


def _shares(values: Mapping[str, Fraction]) -> dict[str, Fraction] | None:
    """Each value as a share of their sum; ``None`` if the sum is 0."""
    total = sum(values.values(), Fraction(0))
    return {k: v / total for k, v in values.items()} if total else None


def _share_gaps(
    placed: Mapping[str, int], quotas: Mapping[str, Fraction]
) -> dict[str, Fraction] | None:
    """``P_m/P - Q_m/Q`` per code (the keys of ``quotas``); ``None`` if P or Q is 0."""
    p = _shares({c: Fraction(placed[c]) for c in quotas})
    q = _shares(quotas)
    return None if p is None or q is None else {c: p[c] - q[c] for c in quotas}


def loosemore_hanby(placed: Mapping[str, int], quotas: Mapping[str, Fraction]) -> Fraction | None:
    """Loosemore-Hanby index ``1/2 sum_m |P_m/P - Q_m/Q|``: the share of all placements that would
    have to move to make every municipality's share equal its quota share (0 fair, at most 1).

    Source: Loosemore & Hanby (1971), British Journal of Political Science 1(4), 467-477.
    ``None`` if there are no placements or no quota.

    Examples:
        >>> loosemore_hanby({"A": 3, "B": 1}, {"A": Fraction(1), "B": Fraction(1)})
        Fraction(1, 4)
    """
    gaps = _share_gaps(placed, quotas)
    return None if gaps is None else sum(map(abs, gaps.values()), Fraction(0)) / 2


def gallagher_squared(placed: Mapping[str, int], quotas: Mapping[str, Fraction]) -> Fraction | None:
    """The square of the Gallagher (least squares) index, exactly:
    ``1/2 sum_m (100 P_m/P - 100 Q_m/Q)^2``.

    The index itself, ``sqrt`` of this in percentage points, weighs large gaps more than
    Loosemore-Hanby does. Source: Gallagher (1991), Electoral Studies 10(1), 33-51.
    ``None`` if there are no placements or no quota.

    Examples:
        >>> gallagher_squared({"A": 3, "B": 1}, {"A": Fraction(1), "B": Fraction(1)})
        Fraction(625, 1)
    """
    gaps = _share_gaps(placed, quotas)
    return None if gaps is None else sum(((100 * g) ** 2 for g in gaps.values()), Fraction(0)) / 2


def gini(placed: Mapping[str, int], population: Mapping[str, int]) -> Fraction | None:
    """Population-weighted Gini coefficient of placements per inhabitant, from the Lorenz curve.

    Order the municipalities by ``P_m / w_m`` ascending (a municipality without inhabitants but
    with placements last). With ``W = sum w``, ``P = sum P`` and ``Y_k`` the share of all
    placements in the first k municipalities (``Y_0 = 0``), the Lorenz curve joins the points
    ``((w_1 + ... + w_k) / W, Y_k)`` and::

        G = 1 - sum_k (w_k / W) (Y_(k-1) + Y_k)

    one minus twice the area under it. This equals the mean-difference form
    ``sum_i sum_j |P_i w_j - P_j w_i| / (2 W P)`` (Gini 1912). G is 0 when every inhabitant gets
    the same number of placements and below 1 while every municipality has inhabitants; it is 1
    only if all placements are in municipalities without inhabitants. ``None`` if P or W is 0.
    The sum is taken in integers (``P Y_k`` are whole) and divided once, so G is exact.

    Examples:
        >>> gini({"A": 1, "B": 1}, {"A": 1, "B": 1})
        Fraction(0, 1)
        >>> gini({"A": 0, "B": 1}, {"A": 1, "B": 1})
        Fraction(1, 2)
    """
    total_placed = sum(placed[c] for c in population)
    total_population = sum(population.values())
    if total_placed == 0 or total_population == 0:
        return None

    def per_inhabitant(code: str) -> tuple[bool, Fraction]:
        w = population[code]
        return (w == 0, Fraction(placed[code], w) if w else Fraction(0))

    area_twice = 0  # twice the area under the Lorenz curve, times W P
    below = 0  # P Y_k
    for code in sorted(population, key=per_inhabitant):
        before, below = below, below + placed[code]
        area_twice += population[code] * (before + below)
    return 1 - Fraction(area_twice, total_population * total_placed)


def horizon_social_share(
    region: Region, code: str, new_homes: int, new_social: int
) -> Fraction | None:
    """Social share of the stock at the horizon: ``(S_m + s_m) / (H_m + y_m)``; ``None`` without
    any dwellings."""
    m = region.municipality(code)
    dwellings = m.dwellings + new_homes
    return Fraction(m.social_stock + new_social, dwellings) if dwellings else None


def lettings(region: Region, code: str, new_social: int) -> Fraction:
    """Social lettings over the horizon: ``L_m = turnover_m * S_m * years + s_m`` (exact).

    The letting-pool rule caps placements at ``floor(kappa L_m)``
    (`solver.check.letting_pool_capacity`).
    """
    return turnover_lettings(region, region.municipality(code)) + new_social


def pool_pressure(placed: int, letting_count: Fraction) -> Fraction | None:
    """Share of the lettings taken by placements: ``P_m / L_m``; ``None`` without lettings.

    Examples:
        >>> pool_pressure(2, Fraction(5))
        Fraction(2, 5)
    """
    return placed / letting_count if letting_count else None


# --- the measures of an allocation ----------------------------------------------------------------


def _check_keys(region: Region, allocation: Allocation) -> None:
    """Refuse an allocation whose codes or groups differ from the region's (never align silently).

    Raises:
        InputError: naming every missing or unknown code and every unknown placement cell.
    """
    codes = set(region.codes)
    groups = {g.id for g in region.groups}
    problems = []
    for column, table in (
        ("new_homes", allocation.new_homes),
        ("new_social", allocation.new_social),
        ("new_middle", allocation.new_middle),
    ):
        for what, wrong in (("missing", codes - table.keys()), ("unknown", table.keys() - codes)):
            if wrong:
                problems.append(
                    Problem(
                        file="allocation",
                        column=column,
                        message=f"{what} municipality codes {', '.join(sorted(wrong))}",
                        fix="give exactly one value for every municipality of the region",
                    )
                )
    for code, group in sorted(allocation.placed):
        if code not in codes or group not in groups:
            problems.append(
                Problem(
                    file="allocation",
                    column="placed",
                    message=f"placements for unknown municipality or group ({code}, {group})",
                    fix="use the codes and group ids of the region",
                )
            )
    if problems:
        raise InputError(problems)


def _mean(values: list[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values) if values else Fraction(0)


def measure(region: Region, allocation: Allocation, quotas: Quotas | None = None) -> Measures:
    """Every measure of `Measures` for the allocation (quotas: `compute_quotas` by default).

    Raises:
        InputError: if the allocation's codes or groups are not the region's.
    """
    _check_keys(region, allocation)
    if quotas is None:
        quotas = compute_quotas(region)
    policy = region.policy
    codes = region.codes
    placed = {c: allocation.placed_in(c) for c in codes}
    quota = {c: quotas.municipality_total(c) for c in codes}
    deviation = [abs(placed[c] - quota[c]) for c in codes]
    cells = [(c, g.id) for c in codes for g in region.groups]
    cell_deviation = [abs(allocation.placed.get(k, 0) - quotas.of(*k)) for k in cells]
    relative = [r for c in codes if (r := relative_deviation(placed[c], quota[c])) is not None]
    shortfall = {
        c: norm_shortfall(region, c, allocation.new_homes[c], allocation.new_social[c])
        for c in codes
    }
    letting = {c: lettings(region, c, allocation.new_social[c]) for c in codes}
    pressure = {c: pool_pressure(placed[c], letting[c]) for c in codes}
    defined = [p for p in pressure.values() if p is not None]
    squared = gallagher_squared(placed, quota)
    return Measures(
        municipalities=len(codes),
        cells=len(cells),
        placed_total=sum(placed.values()),
        quota_total=sum(quota.values(), Fraction(0)),
        max_abs_deviation=max(deviation, default=Fraction(0)),
        mean_abs_deviation=_mean(deviation),
        max_abs_deviation_cell=max(cell_deviation, default=Fraction(0)),
        mean_abs_deviation_cell=_mean(cell_deviation),
        quota_positive=len(relative),
        max_rel_deviation=max(relative, default=None),
        mean_rel_deviation=_mean(relative) if relative else None,
        gini=gini(placed, {m.code: m.population for m in region.municipalities}),
        loosemore_hanby=loosemore_hanby(placed, quota),
        gallagher_squared=squared,
        gallagher=None if squared is None else sqrt(squared),
        within_quota=sum(within_quota(placed[c], quota[c]) for c in codes),
        within_quota_cells=sum(
            within_quota(allocation.placed.get(k, 0), quotas.of(*k)) for k in cells
        ),
        below_norm=tuple(c for c in codes if shortfall[c] > 0),
        norm_shortfall_exact=sum(shortfall.values(), Fraction(0)),
        norm_shortfall_dwellings=sum(ceil(s) for s in shortfall.values()),
        pool_pressure=pressure,
        max_pool_pressure=max(defined, default=None),
        above_letting_cap=tuple(
            c for c in codes if placed[c] > policy.letting_priority_max * letting[c]
        ),
    )


def per_municipality(
    region: Region, allocation: Allocation, quotas: Quotas
) -> list[dict[str, object]]:
    """One row per municipality, sorted by code, with exact values for a CSV.

    Values are `int`, `Fraction` (write it with `models.cells.format_fraction` to keep it exact, or
    round it for display), `bool`, or ``None`` where a measure is undefined. ``norm_shortfall`` is
    exact (`solver.check.norm_shortfall`); ``placed_per_1000`` is ``1000 P_m / w_m``.

    Raises:
        InputError: if the allocation's codes or groups are not the region's.
    """
    _check_keys(region, allocation)
    rows: list[dict[str, object]] = []
    for m in region.municipalities:
        c = m.code
        y, s = allocation.new_homes[c], allocation.new_social[c]
        placed, quota = allocation.placed_in(c), quotas.municipality_total(c)
        letting = lettings(region, c, s)
        rows.append(
            {
                "code": c,
                "name": m.name,
                "quota": quota,
                "placed": placed,
                "deviation": placed - quota,
                "relative_deviation": relative_deviation(placed, quota),
                "placed_per_1000": Fraction(1000 * placed, m.population) if m.population else None,
                "within_quota": within_quota(placed, quota),
                "social_share_horizon": horizon_social_share(region, c, y, s),
                "norm_shortfall": norm_shortfall(region, c, y, s),
                "lettings": letting,
                "pool_pressure": pool_pressure(placed, letting),
            }
        )
    return rows


# --- for people -----------------------------------------------------------------------------------

#: The rows of `summary_rows`: measure name and its meaning in one sentence, in the order shown.
MEANINGS: dict[str, str] = {
    "placements": "households placed, summed over the region",
    "quota total": "the sum of all municipalities' exact quotas",
    "max deviation": "largest |placed - quota| of a municipality, in households",
    "mean deviation": "mean |placed - quota| over the municipalities, in households",
    "max deviation per group": "largest |placed - quota| of a municipality for one group",
    "mean deviation per group": "mean |placed - quota| over all municipality-group cells",
    "municipalities with a quota": "those over which relative deviations are taken",
    "max relative deviation": "largest |placed - quota| / quota of a municipality with a quota",
    "mean relative deviation": "mean |placed - quota| / quota over municipalities with a quota",
    "Gini": "population-weighted Gini of placements per inhabitant: 0 equal, 1 concentrated",
    "Loosemore-Hanby": "share of all placements that would have to move to match the quota shares",
    "Gallagher": "least-squares gap between placement and quota shares, in percentage points",
    "within quota": "municipalities whose placements lie between their quota rounded down and up",
    "within quota per group": "municipality-group cells whose placements lie within their quota",
    "below social norm": "municipalities whose social share at the horizon stays below the norm",
    "norm shortfall": "social dwellings short of the norm, each municipality's rounded up",
    "max letting pool pressure": "largest share of a municipality's lettings taken by placements",
    "above letting cap": "municipalities placing more than the share of lettings allowed",
}


def fixed(value: Fraction | int | None, places: int = PLACES) -> str:
    """An exact number rounded half to even to ``places`` decimals; ``n/a`` for ``None``.

    Examples:
        >>> fixed(Fraction(2, 3)), fixed(Fraction(-1, 8), 2), fixed(None)
        ('0.6667', '-0.12', 'n/a')
    """
    return "n/a" if value is None else decimal(value, places)


def fixed_root(square: Fraction | None, places: int = PLACES) -> str:
    """``sqrt(square)`` rounded half to even, from the exact square rather than a float.

    Examples:
        >>> fixed_root(Fraction(2)), fixed_root(None)
        ('1.4142', 'n/a')
    """
    return "n/a" if square is None else decimal_root(square, places)


def _codes(codes: tuple[str, ...]) -> str:
    """``3: GM0001 GM0002 GM0003``, listing at most `MAX_CODES_SHOWN` codes."""
    more = len(codes) - MAX_CODES_SHOWN
    listed = f": {' '.join(codes[:MAX_CODES_SHOWN])}" if codes else ""
    return f"{len(codes)}{listed}" + (f" and {more} more" if more > 0 else "")


def summary_rows(measures: Measures) -> list[tuple[str, str, str]]:
    """``(measure, value, meaning)`` rows for a printed table or a CSV, in the order of `MEANINGS`.

    Exact values are rounded half to even to `PLACES` decimals; ``n/a`` marks a measure that is
    undefined for this allocation (a zero total in a denominator).
    """
    x = measures
    values = {
        "placements": str(x.placed_total),
        "quota total": fixed(x.quota_total),
        "max deviation": fixed(x.max_abs_deviation),
        "mean deviation": fixed(x.mean_abs_deviation),
        "max deviation per group": fixed(x.max_abs_deviation_cell),
        "mean deviation per group": fixed(x.mean_abs_deviation_cell),
        "municipalities with a quota": f"{x.quota_positive} of {x.municipalities}",
        "max relative deviation": fixed(x.max_rel_deviation),
        "mean relative deviation": fixed(x.mean_rel_deviation),
        "Gini": fixed(x.gini),
        "Loosemore-Hanby": fixed(x.loosemore_hanby),
        "Gallagher": fixed_root(x.gallagher_squared),
        "within quota": f"{x.within_quota} of {x.municipalities}",
        "within quota per group": f"{x.within_quota_cells} of {x.cells}",
        "below social norm": _codes(x.below_norm),
        "norm shortfall": str(x.norm_shortfall_dwellings),
        "max letting pool pressure": fixed(x.max_pool_pressure),
        "above letting cap": _codes(x.above_letting_cap),
    }
    return [(name, values[name], meaning) for name, meaning in MEANINGS.items()]
