"""The policy parameters of a distribution: norms, new-build mix, letting cap, key and objective.

None of these is fixed by law in a way that makes it a constant: each is a parameter with the
national default and its source (see ``docs/DOMAIN.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

#: Policy rules the model knows, by stable id. Each can be switched off in ``[policy.rules]``.
RULES: dict[str, str] = {
    "new_build_total": "the sum of new homes meets the regional total of the woondeal",
    "plan_capacity": "each municipality builds at most its plan capacity, at least its minimum",
    "regional_mix": "regional new-build mix: at least 2/3 affordable, at least 1/3 social rent",
    "social_norm": "30% social housing in each municipality's stock at the horizon (soft)",
    "new_build_mix": "Wet versterking regie: low-social municipalities build >= 30% social, "
    "high-social ones >= 40% middle segment",
    "group_demand": "every target group's regional demand is housed (soft)",
    "letting_pool": "placements fit in the share of lettings that may go to priority groups",
    "eligibility": "a group is only housed where the instance allows it",
    "fair_split": "placements follow each municipality's quota under the distribution key",
    "concentration": "caps against concentration: placements per 1,000 inhabitants, and the "
    "share of a municipality's lettings going to one group",
}

#: Distribution keys available to compute each municipality's share (weight w_m). The exact
#: formulas are in `solver.quotas`; every weight is an exact `Fraction`.
DISTRIBUTION_KEYS: dict[str, str] = {
    "population": "registered inhabitants on 1 January (Huisvestingswet art. 29(1))",
    "households": "number of households (column 'households' required)",
    "dwellings": "housing stock",
    "social_stock_inverted": "non-social housing stock, dwellings - social_stock: who has less "
    "social rent takes more (evenwichtige verdeling)",
    "population_ses_corrected": "population times 1 + ses_correction * (ses - mean ses) / "
    "(max ses - min ses), at least 0: the Spreidingswet's correction by the CBS SES-WOA score "
    "(column 'ses_score' required)",
    "weighted": "sum over [policy.key_factors] of weight * the municipality's share of the factor "
    "(inverted: of 1/factor), as the EU relocation key of 2015",
}

#: Directions of a factor of the weighted key: the share of x_m, or of 1/x_m (less takes more).
FACTOR_DIRECTIONS: dict[str, str] = {
    "direct": "share x_m / sum_k x_k: more of the factor takes more",
    "inverted": "share (1/x_m) / sum_k (1/x_k): more of the factor takes less (x_m > 0 required)",
}

#: Municipality columns a factor of the weighted key may name, besides any ``factor_<name>``.
FACTOR_COLUMNS: tuple[str, ...] = (
    "population",
    "households",
    "dwellings",
    "social_stock",
    "plan_capacity",
    "ses_score",
)


@dataclass(frozen=True)
class KeyFactor:
    """One factor of the ``weighted`` distribution key, ``[policy.key_factors]``.

    Attributes:
        column: a column of `FACTOR_COLUMNS` or a user column ``factor_<name>``.
        weight: the factor's weight; the weights of all factors sum to 1.
        direction: ``"direct"`` or ``"inverted"``, see `FACTOR_DIRECTIONS`.
    """

    column: str
    weight: Fraction
    direction: str = "direct"


#: Objectives of the fairness stage.
OBJECTIVES: dict[str, str] = {
    "sum_abs_deviation": "minimise the sum over municipalities and groups of |placed - quota|",
    "max_abs_deviation": "minimise the largest absolute deviation of a municipality's total "
    "placements from its total quota (households), then the sum of absolute deviations",
    "max_rel_deviation": "minimise the largest relative deviation of a municipality's total "
    "placements from its total quota, then the sum of absolute deviations",
    "leximin": "minimise the largest relative deviation, fix the municipalities that cannot do "
    "better, and repeat for the others until every municipality is fixed; then the sum",
    "quota_respecting": "keep each placement between the floor and the ceiling of its quota "
    "wherever feasible (households outside that interval), then the sum",
    "equal_burden": "minimise the largest number of placements per 1,000 inhabitants, then the sum",
}

#: Pairs of municipalities that may exchange tasks.
EXCHANGE_PAIRS: dict[str, str] = {
    "adjacent": "municipalities that share a border (the adjacency table)",
    "distance": "municipalities whose centroids lie within exchange_max_km",
    "subregion": "municipalities of the same subregion (column 'subregion')",
}

#: How the needs stage treats the shortfall to the social norm.
NORM_OBJECTIVES: dict[str, str] = {
    "total": "minimise the total shortfall of all municipalities (with unmet demand, weighted)",
    "equalise": "first minimise the largest shortfall of any municipality (min-max), then the "
    "total as above",
}


@dataclass(frozen=True)
class Policy:
    """Policy parameters; the defaults are the national ones of docs/DOMAIN.md.

    Attributes:
        social_norm: target share of social rent in each municipality's stock at the horizon
            (30%, "Een thuis voor iedereen", rijksoverheid.nl 2022-05-11).
        affordable_new_build_min: regional share of new build that is affordable, social rent plus
            middle segment (2/3, national housing agreements of October 2022).
        social_new_build_min: regional share of new build that is social rent (1/3, same source;
            Zuid-Holland: half of the 2/3 affordable).
        low_social_threshold: a municipality whose social share is below this builds at least
            ``low_social_min_social`` of its new homes as social rent (bill 36 512, Wet versterking
            regie op de volkshuisvesting).
        low_social_min_social: 30% (same bill).
        high_social_threshold: a municipality whose social share is above this builds at least
            ``high_social_min_middle`` of its new homes in the middle segment (same bill).
        high_social_min_middle: 40% (same bill, "more than 40%").
        letting_priority_max: the share kappa of lettings that may go to priority groups (Amsterdam
            aims below 40%; Huisvestingswet art. 14(2) caps local priority at 50%).
        weight_unmet_demand / weight_norm_shortfall: weights of the first stage, which minimises
            ``weight_unmet_demand * unmet households + weight_norm_shortfall * dwellings short of
            the norm``. Both default to 1: a household of a target group left without a home
            counts as much as a dwelling short of the 30% norm.
        distribution_key: name of the key in `DISTRIBUTION_KEYS`.
        ses_correction: strength c of the SES correction of the ``population_ses_corrected`` key,
            ``w_m = population_m * max(0, 1 + c * (ses_m - mean ses) / (max ses - min ses))``.
            The Spreidingswet corrects the population share by the CBS SES-WOA score but
            docs/DOMAIN.md gives no strength; the default 1/5 moves no municipality's weight by
            20% of its population or more. Any number >= 0; above 1 the clamp at 0 can bite.
        key_factors: the factors of the ``weighted`` key (EU relocation key of 2015: 40%
            population, 40% GDP, 10% unemployment, 10% past effort), sorted by column; their
            weights sum to 1. Empty unless ``[policy.key_factors]`` is given.
        credit_prior_placements: if true, placements already made (``prior_<group>``) count
            towards each municipality's quota, as the Spreidingswet counts existing places and
            the Swiss cantonal key credits earlier intake (see `solver.quotas.credited_split`).
        objective: name of the fairness objective in `OBJECTIVES`.
        norm_objective: how the shortfall to the social norm is minimised, `NORM_OBJECTIVES`.
        exchanges: which municipalities may exchange tasks (Huisvestingswet art. 29(2)): one of
            `EXCHANGE_PAIRS`, or ``None`` for no exchanges.
        exchange_max_km: for ``exchanges = "distance"``, the largest centroid distance.
        exchange_max_share: no municipality gives away more than this share of its own quota of
            a group.
        exchange_max_per_pair: at most this many households of a group from one municipality to
            another (``None``: no limit).
        exchange_compensation: the cost of a transferred household, in households of deviation
            from the quota, added to the fairness stage's sum.
        max_placements_per_1000: concentration cap, at most this many placements (all groups)
            per 1,000 inhabitants of a municipality; ``None``: no cap.
        max_group_letting_share: concentration cap, at most this share of a municipality's
            lettings to any one group (the letting pool caps all groups together); ``None``: no
            cap. Both against *stapeling*, DOMAIN.md.
        rules: on/off switch per rule id of `RULES`.
    """

    social_norm: Fraction = Fraction(3, 10)
    affordable_new_build_min: Fraction = Fraction(2, 3)
    social_new_build_min: Fraction = Fraction(1, 3)
    low_social_threshold: Fraction = Fraction(3, 10)
    low_social_min_social: Fraction = Fraction(3, 10)
    high_social_threshold: Fraction = Fraction(3, 10)
    high_social_min_middle: Fraction = Fraction(2, 5)
    letting_priority_max: Fraction = Fraction(2, 5)
    weight_unmet_demand: int = 1
    weight_norm_shortfall: int = 1
    distribution_key: str = "population"
    ses_correction: Fraction = Fraction(1, 5)
    key_factors: tuple[KeyFactor, ...] = ()
    credit_prior_placements: bool = False
    objective: str = "sum_abs_deviation"
    norm_objective: str = "total"
    exchanges: str | None = None
    exchange_max_km: Fraction | None = None
    exchange_max_share: Fraction = Fraction(1)
    exchange_max_per_pair: int | None = None
    exchange_compensation: Fraction = Fraction(0)
    max_placements_per_1000: Fraction | None = None
    max_group_letting_share: Fraction | None = None
    rules: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(RULES, True))

    def rule_enabled(self, rule: str) -> bool:
        """True if the rule with this id is switched on."""
        return self.rules.get(rule, True)


#: The fraction-valued fields of `Policy`, as named in ``[policy]`` of region.toml.
FRACTION_FIELDS: tuple[str, ...] = (
    "social_norm",
    "affordable_new_build_min",
    "social_new_build_min",
    "low_social_threshold",
    "low_social_min_social",
    "high_social_threshold",
    "high_social_min_middle",
    "letting_priority_max",
)

#: Fraction-valued fields of `Policy` that are off (``None``) unless given.
OPTIONAL_FRACTION_FIELDS: tuple[str, ...] = ("max_placements_per_1000", "max_group_letting_share")

#: The whole-number fields of `Policy` (weights of the first stage).
INT_FIELDS: tuple[str, ...] = ("weight_unmet_demand", "weight_norm_shortfall")
