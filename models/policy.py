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
}

#: Distribution keys available to compute each municipality's share (weight w_m).
DISTRIBUTION_KEYS: dict[str, str] = {
    "population": "registered inhabitants on 1 January (Huisvestingswet art. 29(1))",
    "households": "number of households (column 'households' required)",
    "dwellings": "housing stock",
}

#: Objectives of the fairness stage.
OBJECTIVES: dict[str, str] = {
    "sum_abs_deviation": "minimise the sum over municipalities and groups of |placed - quota|",
    "max_rel_deviation": "minimise the largest relative deviation of a municipality's total "
    "placements from its total quota, then the sum of absolute deviations",
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
        objective: name of the fairness objective in `OBJECTIVES`.
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
    objective: str = "sum_abs_deviation"
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

#: The whole-number fields of `Policy` (weights of the first stage).
INT_FIELDS: tuple[str, ...] = ("weight_unmet_demand", "weight_norm_shortfall")
