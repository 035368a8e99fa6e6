"""Distribution keys and the exact quota of every municipality for every target group.

The quota of municipality m for group g is ``q_mg = D_g * w_m / sum(w_k for k eligible for g)``
for an eligible m and 0 otherwise, an exact `Fraction`; ``D_g`` is the group's demand in dwellings
and ``w`` the weight of the policy's distribution key. This is the statutory permit-holder rule of
Huisvestingswet art. 29(1) (before its rounding up) when the key is population. With
``credit_prior_placements`` the placements already made count towards the quota (`credited_split`).

The keys (`KEYS`, documented for users in `models.policy.DISTRIBUTION_KEYS`), each weight exact:

- ``population``: ``w_m = population_m``.
- ``households``: ``w_m = households_m`` (the column is then required).
- ``dwellings``: ``w_m = dwellings_m``.
- ``social_stock_inverted``: ``w_m = dwellings_m - social_stock_m``, the non-social stock.
- ``population_ses_corrected``: ``w_m = population_m * max(0, 1 + c * (s_m - s_mean) / s_range)``.
- ``weighted``: ``w_m = sum_f a_f * share_f(m)`` over the factors of ``[policy.key_factors]``.

The functions named ``*_key`` give the weights of one key each; their docstrings give the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from models.errors import InputError, Problem
from models.policy import DISTRIBUTION_KEYS, FACTOR_COLUMNS, KeyFactor
from models.region import Municipality, Region
from models.schema import FACTOR_PREFIX
from models.settings import closest, unknown_name_fix

Weights = dict[str, Fraction]

#: Where the settings live, for problems with the key's parameters.
SETTINGS_FILE = "region.toml"
MUNICIPALITIES_FILE = "municipalities"


def _listed(codes: list[str]) -> str:
    return ", ".join(codes[:10]) + (" ..." if len(codes) > 10 else "")


def _value(m: Municipality, column: str) -> Fraction | None:
    """The municipality's value in a numeric column, or ``None`` where it has none."""
    if column.startswith(FACTOR_PREFIX):
        return m.factors.get(column)
    value: int | Fraction | None = getattr(m, column)
    return None if value is None else Fraction(value)


def column_values(region: Region, column: str, needed_by: str) -> Weights:
    """The value of a municipality column for every municipality.

    ``needed_by`` names what needs the column, for the message.

    Raises:
        InputError: if some municipality has no value in the column.
    """
    if column not in FACTOR_COLUMNS and not column.startswith(FACTOR_PREFIX):
        problem = Problem(
            file=SETTINGS_FILE,
            column="policy.key_factors",
            value=column,
            message="not a numeric municipality column",
            fix=f"use one of {', '.join(FACTOR_COLUMNS)}, or {FACTOR_PREFIX}<name>",
        )
        raise InputError([problem])
    values = {m.code: _value(m, column) for m in region.municipalities}
    missing = [code for code, value in values.items() if value is None]
    if not missing:
        return {code: value for code, value in values.items() if value is not None}
    if len(missing) == len(values) and column.startswith(FACTOR_PREFIX):
        present = sorted({name for m in region.municipalities for name in m.factors})
        near = closest(column, present)
        message = f"{needed_by} needs the column '{column}', which the table does not have"
        fix = (
            f"did you mean '{near}'? Correct the name in [policy.key_factors]"
            if near
            else f"add the column {column} to the municipality table, or choose other factors"
        )
    else:
        message = (
            f"{needed_by} needs {column} for every municipality; missing for {_listed(missing)}"
        )
        fix = f"fill in {column} for these municipalities, or choose another distribution_key"
    raise InputError([Problem(file=MUNICIPALITIES_FILE, column=column, message=message, fix=fix)])


def population_key(region: Region) -> Weights:
    """``w_m = population_m``: registered inhabitants (Huisvestingswet art. 29(1))."""
    return {m.code: Fraction(m.population) for m in region.municipalities}


def households_key(region: Region) -> Weights:
    """``w_m = households_m``: private households, for groups counted in households.

    Raises:
        InputError: if a municipality has no households.
    """
    return column_values(region, "households", "the distribution key 'households'")


def dwellings_key(region: Region) -> Weights:
    """``w_m = dwellings_m``: the housing stock."""
    return {m.code: Fraction(m.dwellings) for m in region.municipalities}


def social_stock_inverted_key(region: Region) -> Weights:
    """``w_m = dwellings_m - social_stock_m``: the non-social stock; less social rent takes more.

    "Een thuis voor iedereen" asks for an *evenwichtige verdeling*: municipalities with little
    social rent should carry more of the task. Of two municipalities of equal stock the one with
    the lower social share ``s_m`` gets more (``w_m = dwellings_m * (1 - s_m)``), and the weight
    still grows with size, as a share of the task should. Unlike ``population * (1 - s_m)`` it
    stays in one unit (dwellings) and in whole numbers. A municipality that is all social rent
    gets 0.
    """
    return {m.code: Fraction(m.dwellings - m.social_stock) for m in region.municipalities}


def population_ses_corrected_key(region: Region) -> Weights:
    """``w_m = population_m * max(0, 1 + c * (s_m - s_mean) / (s_max - s_min))``.

    The Spreidingswet (Wet gemeentelijke taak mogelijk maken asielopvangvoorzieningen, in force
    1 February 2024) takes each municipality's population share corrected by the CBS
    socio-economic score SES-WOA: more prosperous municipalities take more. ``s`` is ``ses_score``,
    ``s_mean`` its unweighted mean over the region's municipalities, and ``c`` the policy's
    ``ses_correction``. Dividing by the range puts ``(s_m - s_mean) / (s_max - s_min)`` strictly
    inside (-1, 1), so ``c`` is the largest relative change of a weight and no weight is negative
    for ``c <= 1``; for larger ``c`` the weight is clamped at 0. With all scores equal there is no
    correction.

    Raises:
        InputError: if a municipality has no ``ses_score``.
    """
    scores = column_values(region, "ses_score", "the distribution key 'population_ses_corrected'")
    mean = sum(scores.values(), Fraction(0)) / len(scores) if scores else Fraction(0)
    spread = max(scores.values()) - min(scores.values()) if scores else Fraction(0)
    strength = region.policy.ses_correction
    weights: Weights = {}
    for m in region.municipalities:
        correction = Fraction(1)
        if spread:
            correction = max(Fraction(0), 1 + strength * (scores[m.code] - mean) / spread)
        weights[m.code] = m.population * correction
    return weights


def factor_shares(region: Region, factor: KeyFactor) -> tuple[Weights | None, list[Problem]]:
    """Each municipality's share of one factor of the weighted key; shares sum to 1.

    Direct: ``x_m / sum_k x_k`` (every ``x >= 0``, some ``x > 0``). Inverted: ``(1/x_m) / sum_k
    (1/x_k)`` (every ``x > 0``). The reciprocal is this project's convention: docs/DOMAIN.md names
    the factors of the EU key of 2015 (whose unemployment and past-effort criteria lower a share)
    but not its capped correction formula; the reciprocal share is exact, needs no other
    parameter and, unlike ``max - x``, gives no municipality a zero share.

    Returns the shares, or ``None`` and the problems that make the factor unusable.
    """
    try:
        values = column_values(region, factor.column, "the weighted distribution key")
    except InputError as error:
        return None, list(error.problems)
    if factor.direction == "inverted":
        bad = [code for code, x in values.items() if x <= 0]
        if bad:
            problem = Problem(
                file=MUNICIPALITIES_FILE,
                column=factor.column,
                message=f"the inverted factor {factor.column} uses 1/{factor.column}, which "
                f"needs a value above 0; zero or negative for {_listed(bad)}",
                fix=f"give a positive {factor.column}, or make the factor direct "
                f'(direction = "direct" in [policy.key_factors])',
            )
            return None, [problem]
        inverse = {code: 1 / x for code, x in values.items()}
        total = sum(inverse.values(), Fraction(0))
        return {code: x / total for code, x in inverse.items()}, []
    bad = [code for code, x in values.items() if x < 0]
    total = sum(values.values(), Fraction(0))
    if bad or total == 0:
        problem = Problem(
            file=MUNICIPALITIES_FILE,
            column=factor.column,
            message="a factor's share x_m / sum x needs values >= 0 that are not all 0; "
            + (f"negative for {_listed(bad)}" if bad else "all are 0"),
            fix=f"correct {factor.column}, or remove the factor from [policy.key_factors]",
        )
        return None, [problem]
    return {code: x / total for code, x in values.items()}, []


def weighted_key(region: Region) -> Weights:
    """``w_m = sum_f a_f * share_f(m)``: a multi-factor key in the style of the EU key of 2015.

    The factors ``f`` and weights ``a_f`` (summing to 1) are ``[policy.key_factors]``; each share
    is that of `factor_shares`, so the weights are shares summing to 1 too. The EU relocation key
    of 2015 is 40% population, 40% GDP, 10% unemployment and 10% past effort (docs/DOMAIN.md).

    Raises:
        InputError: with every problem of every factor: no factors given, a column missing or
            incomplete, a zero in an inverted factor.
    """
    factors = region.policy.key_factors
    if not factors:
        problem = Problem(
            file=SETTINGS_FILE,
            column="policy.key_factors",
            message="the weighted key needs its factors",
            fix='add [policy.key_factors] with lines such as population = "0.4", '
            "weights summing to 1",
        )
        raise InputError([problem])
    weights: Weights = {m.code: Fraction(0) for m in region.municipalities}
    problems: list[Problem] = []
    for factor in factors:
        shares, found = factor_shares(region, factor)
        problems += found
        if shares is not None:
            for code, share in shares.items():
                weights[code] += factor.weight * share
    if problems:
        raise InputError(problems)
    return weights


#: The weights of each distribution key, by its name in `models.policy.DISTRIBUTION_KEYS`.
KEYS: dict[str, Callable[[Region], Weights]] = {
    "population": population_key,
    "households": households_key,
    "dwellings": dwellings_key,
    "social_stock_inverted": social_stock_inverted_key,
    "population_ses_corrected": population_ses_corrected_key,
    "weighted": weighted_key,
}


def key_weights(region: Region, key: str | None = None) -> Weights:
    """The weight of every municipality under a distribution key (the policy's by default).

    Raises:
        InputError: if the key is unknown, or needs a column that some municipality lacks, or
            has parameters that do not fit the data (see the ``*_key`` functions).

    Examples:
        >>> from models.template import example_region
        >>> key_weights(example_region(), "social_stock_inverted")
        {'GM0518': Fraction(195165, 1), 'GM0603': Fraction(18900, 1)}
    """
    name = key or region.policy.distribution_key
    if name not in KEYS:
        problem = Problem(
            file="distribution key",
            value=name,
            message="unknown distribution key",
            fix=unknown_name_fix(name, tuple(DISTRIBUTION_KEYS), "distribution keys"),
        )
        raise InputError([problem])
    return KEYS[name](region)


def credited_split(
    demand: int | Fraction, weights: Mapping[str, Fraction], prior: Mapping[str, int]
) -> dict[str, Fraction]:
    """Split ``demand`` in proportion to ``weights``, crediting placements already made.

    The result is the unique ``q_m = max(0, lam * w_m - p_m)`` with ``sum q = demand``: every
    municipality takes its share of the whole task (the demand plus all placements already made)
    less what it already did, and one that already did more than its share takes nothing, its
    surplus lowering the others' quotas (compensation as in the Swiss cantonal keys; the
    Spreidingswet likewise counts existing places). Exact procedure: with S all codes, compute
    ``T = demand + sum_{k in S} p_k`` and ``q_m = T * w_m / sum_{k in S} w_k - p_m`` on S; drop
    every m with ``q_m < 0`` from S (quota 0) and repeat until none is negative. Each round
    drops at least one code, and dropping one whose ``p_m / w_m`` exceeds ``T / W`` only lowers
    ``T / W``, so a dropped code never comes back and the result is that water-filling solution.
    On S the quotas sum to ``T - sum_S p = demand``. If the weights on S sum to zero they count as
    equal. With no placements made this is the plain proportional split.

    Examples:
        >>> w = {"a": Fraction(1), "b": Fraction(1), "c": Fraction(2)}
        >>> credited_split(10, w, {"a": 8})  # a's share of 18 is 4.5 < 8: b and c split 10
        {'a': Fraction(0, 1), 'b': Fraction(10, 3), 'c': Fraction(20, 3)}
        >>> credited_split(10, w, {"a": 2})  # (10 + 2) * 1/4 - 2 = 1
        {'a': Fraction(1, 1), 'b': Fraction(3, 1), 'c': Fraction(6, 1)}
    """
    quotas = dict.fromkeys(weights, Fraction(0))
    active = list(weights)
    while active:
        total = demand + sum(prior.get(c, 0) for c in active)
        weight_sum = exact_sum([weights[c] for c in active])
        if weight_sum:
            # q_c = (T / W) w_c - p_c as one fraction over the whole numbers n / d = T / W and
            # w_c = a / b: (n a - p_c d b) / (d b), normalised once; three Fraction operations
            # per municipality took 3 ms more nationally (benchmarks/RESULTS.md, run 28).
            per_weight = total / weight_sum
            n, d = per_weight.numerator, per_weight.denominator
            split = {
                c: Fraction(
                    n * weights[c].numerator - prior.get(c, 0) * d * weights[c].denominator,
                    d * weights[c].denominator,
                )
                for c in active
            }
        else:
            split = {c: Fraction(total, len(active)) - prior.get(c, 0) for c in active}
        negative = {c for c, q in split.items() if q < 0}
        if not negative:
            quotas.update(split)
            break
        active = [c for c in active if c not in negative]
    return quotas


@dataclass(frozen=True)
class Quotas:
    """Exact quotas per (municipality code, group id), with the weights they came from."""

    weights: dict[str, Fraction]
    by_cell: dict[tuple[str, str], Fraction]
    totals: dict[str, Fraction]

    def of(self, code: str, group: str) -> Fraction:
        """The quota of a municipality for a group (0 where the group may not be housed)."""
        return self.by_cell.get((code, group), Fraction(0))

    def municipality_total(self, code: str) -> Fraction:
        """The municipality's quota summed over all groups."""
        return self.totals.get(code, Fraction(0))


def eligible(region: Region, code: str, group_id: str) -> bool:
    """Eligibility: ``p_mg = 0`` where group g may not be housed in municipality m. True if the
    group may be housed there: allowed by the instance (``only_in``, ``not_in``) and, for a group
    that needs care, within reach of care (always, with the rule switched off). The model holds
    no placement variable for a cell this refuses (`solver.formulation.formulate`), so the
    equation needs no row; its quota is 0, and the group's demand is split over the others.

    Source: DOMAIN.md, "Capacity in the letting pool": some groups need care nearby (the
    centrumgemeente for sheltered housing); the instance names where a group may be housed.
    """
    if not region.policy.rule_enabled("eligibility"):
        return True
    return region.may_house(code, group_id)


def group_task(region: Region, group_id: str) -> int:
    """The households of a group to house this period: its demand in dwellings plus the arrears
    of the municipalities where it may be housed (``arrears_<group>``: owed from earlier periods,
    negative for a surplus), at least 0.

    Source: Huisvestingswet art. 29; DOMAIN.md: "unmet numbers carry over to the next half-year;
    surpluses are credited in practice".
    """
    g = region.group(group_id)
    arrears = sum(
        m.arrears.get(group_id, 0)
        for m in region.municipalities
        if eligible(region, m.code, group_id)
    )
    return max(0, g.demand_dwellings + arrears)


def compute_quotas(
    region: Region, key: str | None = None, credit_prior_placements: bool | None = None
) -> Quotas:
    """Exact quotas of every eligible (municipality, group) cell.

    A group's demand is split over the municipalities where it may be housed, in proportion to
    their key weights (``key``, by default the policy's). If those weights sum to zero the demand
    is split equally. With ``credit_prior_placements`` (by default the policy's) the split is
    `credited_split` with each municipality's ``prior_placements`` of the group; placements made
    where the group may not be housed are not counted. Arrears (``arrears_<group>``) are added to
    the municipality's quota and to the group's demand (`group_task`): ``q_mg = D_g w_m / W +
    a_mg``, or 0 where a surplus exceeds the share, the rest re-split (`credited_split` with the
    arrears as negative placements). Either way a group's quotas sum to `group_task`.

    Raises:
        InputError: as `key_weights`.

    Examples:
        >>> from instances import bundled_instance
        >>> from models.loader import load_region
        >>> region = load_region(bundled_instance("haaglanden"))
        >>> quotas = compute_quotas(region)
        >>> sum(quotas.of(m.code, "homeless") for m in region.municipalities)
        Fraction(4069, 1)
    """
    weights = key_weights(region, key)
    credit = (
        region.policy.credit_prior_placements
        if credit_prior_placements is None
        else credit_prior_placements
    )
    cells: dict[tuple[str, str], Fraction] = {}
    parts: dict[str, list[Fraction]] = {m.code: [] for m in region.municipalities}
    for g in region.groups:
        codes = [m.code for m in region.municipalities if eligible(region, m.code, g.id)]
        prior = {
            c: (region.municipality(c).prior_placements.get(g.id, 0) if credit else 0)
            - region.municipality(c).arrears.get(g.id, 0)
            for c in codes
        }
        split = credited_split(group_task(region, g.id), {c: weights[c] for c in codes}, prior)
        for c in codes:
            cells[(c, g.id)] = split[c]
            parts[c].append(split[c])
    totals = {code: exact_sum(shares) for code, shares in parts.items()}
    return Quotas(weights=weights, by_cell=cells, totals=totals)


def exact_sum(values: Collection[Fraction]) -> Fraction:
    """The exact sum of ``values``, over the least common denominator and normalised once:
    summed one by one, Fractions normalise every partial sum, and the national quotas took
    8.0 ms instead of 5.3 (benchmarks/RESULTS.md, run 28)."""
    common = lcm(*(value.denominator for value in values))
    numerator = sum(value.numerator * (common // value.denominator) for value in values)
    return Fraction(numerator, common)
