"""Applying a policy variation and a scenario (one draw of it) to a region, exactly.

Every variation returns a new `Region` (`dataclasses.replace`); nothing is changed in place. A
whole-number input is multiplied by all its factors (the scenario's and the draw's) as an exact
fraction and rounded half up once; rates and shares stay exact fractions.

Monte Carlo draws are not taken from a random number generator's stream but hashed: the factor of
one input in draw ``d`` of a scenario with seed ``s`` is ``1 - b + 2 b U`` with band ``b`` and

    U = int(first 8 bytes of SHA-256("{s}:{d}:{input}:{key}"), big-endian) / 2^64

for ``input`` one of ``demand``, ``capacity``, ``turnover`` and ``key`` the group id or the
municipality code. U is uniform on a grid of 2^64 points in [0, 1), the same on every machine,
Python version and worker, and one input's draw does not move when a group, a municipality or
another band is added.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from fractions import Fraction

from batch.spec import PolicyVariation, Scenario
from models.cells import format_fraction, round_half_up
from models.errors import InputError, Problem
from models.region import Municipality, Region, TargetGroup, Targets

#: Denominator of the uniform draws (`uniform`).
GRID = 2**64


def uniform(seed: int, draw: int, what: str, key: str) -> Fraction:
    """The draw's uniform number in [0, 1) for one input, exactly (see the module docstring).

    Examples:
        >>> uniform(7, 0, "demand", "homeless") == uniform(7, 0, "demand", "homeless")
        True
        >>> 0 <= uniform(7, 1, "demand", "homeless") < 1
        True
    """
    digest = hashlib.sha256(f"{seed}:{draw}:{what}:{key}".encode()).digest()
    return Fraction(int.from_bytes(digest[:8], "big"), GRID)


def band_factor(band: Fraction, seed: int, draw: int, what: str, key: str) -> Fraction:
    """``1 - band + 2 band U``: a factor uniform in ``[1 - band, 1 + band)``.

    Examples:
        >>> band_factor(Fraction(0), 7, 0, "demand", "homeless")
        Fraction(1, 1)
    """
    return 1 - band + 2 * band * uniform(seed, draw, what, key)


def apply_policy(region: Region, variation: PolicyVariation) -> Region:
    """The region with the variation's policy settings (rules switched one by one)."""
    policy = replace(region.policy, **variation.overrides)
    if variation.rules:
        policy = replace(policy, rules={**policy.rules, **variation.rules})
    return replace(region, policy=policy)


def _scaled(value: int, factor: Fraction) -> int:
    return value if factor == 1 else round_half_up(value * factor)


def _drawn(scenario: Scenario, draw: int, what: str, key: str) -> Fraction:
    """The Monte Carlo factor of one input (``demand``, ``capacity`` or ``turnover``) for ``key``
    (a group id or a code) in a draw; 1 without a band for it."""
    mc = scenario.monte_carlo
    band = None if mc is None else getattr(mc, f"{what}_band")
    if mc is None or not band:
        return Fraction(1)
    return band_factor(band, mc.seed, draw, what, key)


def _demand_factor(scenario: Scenario, draw: int, group: TargetGroup) -> Fraction:
    fixed = (scenario.demand_factor or Fraction(1)) * scenario.demand_factors.get(
        group.id, Fraction(1)
    )
    return fixed * _drawn(scenario, draw, "demand", group.id)


def _capacity_factor(scenario: Scenario, draw: int, m: Municipality) -> Fraction:
    return (scenario.capacity_factor or Fraction(1)) * _drawn(scenario, draw, "capacity", m.code)


def _turnover_factor(scenario: Scenario, draw: int, m: Municipality) -> Fraction:
    return (scenario.turnover_factor or Fraction(1)) * _drawn(scenario, draw, "turnover", m.code)


def _turnover(region: Region, scenario: Scenario, draw: int, m: Municipality) -> Fraction | None:
    """The municipality's own turnover rate after the scenario; ``None`` keeps the default."""
    factor = _turnover_factor(scenario, draw, m)
    if factor == 1:
        return m.turnover_rate
    rate = region.turnover_rate(m) * factor
    if rate > 1:
        raise InputError(
            [
                Problem(
                    file=f"scenario {scenario.name}",
                    column="turnover_factor",
                    value=format_fraction(factor),
                    message=f"the turnover rate of {m.code} would be {format_fraction(rate)}, "
                    "above 1 a year",
                    fix="give a smaller turnover_factor or turnover_band",
                )
            ]
        )
    return rate


def apply_scenario(region: Region, scenario: Scenario, draw: int = -1) -> Region:
    """The region with the scenario's inputs (and, for ``draw >= 0``, that Monte Carlo draw).

    Raises:
        InputError: if a varied input leaves its range (a turnover rate above 1).
    """
    groups = tuple(
        replace(g, demand=_scaled(g.demand, _demand_factor(scenario, draw, g)))
        for g in region.groups
    )
    municipalities = tuple(
        replace(
            m,
            plan_capacity=_scaled(m.plan_capacity, _capacity_factor(scenario, draw, m)),
            turnover_rate=_turnover(region, scenario, draw, m),
        )
        for m in region.municipalities
    )
    targets = region.targets
    if scenario.new_homes_factor is not None:
        targets = Targets(
            _scaled(targets.new_homes_min, scenario.new_homes_factor),
            _scaled(targets.new_homes_max, scenario.new_homes_factor),
        )
    default_turnover = region.default_turnover_rate * (scenario.turnover_factor or Fraction(1))
    if default_turnover > 1:
        raise InputError(
            [
                Problem(
                    file=f"scenario {scenario.name}",
                    column="turnover_factor",
                    value=format_fraction(scenario.turnover_factor or Fraction(1)),
                    message="the region's default turnover rate would be above 1 a year",
                    fix="give a smaller turnover_factor",
                )
            ]
        )
    policy = region.policy
    if scenario.kappa is not None:
        policy = replace(policy, letting_priority_max=scenario.kappa)
    if scenario.key_factors is not None:
        policy = replace(policy, distribution_key="weighted", key_factors=scenario.key_factors)
    return replace(
        region,
        groups=groups,
        municipalities=municipalities,
        targets=targets,
        default_turnover_rate=default_turnover,
        policy=policy,
    )


def vary(region: Region, policy: PolicyVariation, scenario: Scenario, draw: int = -1) -> Region:
    """The region of one run: the policy variation first, then the scenario's draw.

    Raises:
        InputError: if a varied input leaves its range.
    """
    return apply_scenario(apply_policy(region, policy), scenario, draw)
