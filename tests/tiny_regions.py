"""Tiny regions for solver tests: built directly from the dataclasses, with round numbers.

Municipalities are called A, B, C, D (codes ``GM0001`` .. ``GM0004``); groups are counted in
households, so that a group's demand is its demand in dwellings. Unless a test says otherwise:
horizon 1 year, default turnover 1/10 per year, the national policy defaults (norm 3/10,
thresholds 3/10, low-social 3/10 social, high-social 2/5 middle, letting share kappa 2/5, regional
mix 2/3 affordable and 1/3 social) and the ``sum_abs_deviation`` objective.

`solved` solves on a backend without the hard limit and checks what every solved case must satisfy:
status optimal, every stage proven optimal, and no violation found by the independent checker.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from fractions import Fraction
from math import ceil

from hypothesis import assume
from hypothesis import strategies as st

from instances import bundled_instance
from models.loader import load_instance
from models.policy import RULES, Policy
from models.region import Municipality, Region, TargetGroup, Targets, Unit
from solver.allocation import Allocation
from solver.backends.base import SolverOptions, Status
from solver.check import check_allocation
from solver.linear_stage import linear_stage
from solver.minmax import MinMaxStage
from solver.model import Constraint, Sense
from solver.objectives import Stage
from solver.result import Result
from solver.run import Run
from solver.solve import REDUCED_FROM, solve

#: Codes of the municipalities A, B, C, D (and more for generated regions).
A, B, C, D = "GM0001", "GM0002", "GM0003", "GM0004"
BACKENDS = ("ortools", "cbc")
OPTIONS = SolverOptions(time_limit=30)
SENSES: list[Sense] = ["<=", ">=", "=="]


def code_of(number: int) -> str:
    """``GM0001`` for 1."""
    return f"GM{number:04d}"


def muni(
    code: str,
    *,
    dwellings: int = 100,
    social: int = 30,
    cap: int = 10,
    population: int = 100,
    min_new: int | None = None,
    turnover: Fraction | None = None,
) -> Municipality:
    """A municipality; by default 100 dwellings of which 30 social (exactly the 30% threshold)."""
    return Municipality(
        code=code,
        name=f"Municipality {code[-1]}",
        population=population,
        dwellings=dwellings,
        social_stock=social,
        plan_capacity=cap,
        min_new_homes=min_new,
        turnover_rate=turnover,
    )


def group(
    group_id: str,
    demand: int,
    *,
    only_in: Iterable[str] | None = None,
    not_in: Iterable[str] = (),
) -> TargetGroup:
    """A target group counted in households."""
    return TargetGroup(
        id=group_id,
        name=group_id,
        unit="households",
        demand=demand,
        only_in=None if only_in is None else frozenset(only_in),
        not_in=frozenset(not_in),
    )


def region(
    municipalities: Sequence[Municipality],
    groups: Sequence[TargetGroup] = (),
    *,
    total: int | tuple[int, int] = 0,
    horizon: int = 1,
    turnover: Fraction = Fraction(1, 10),
    off: Iterable[str] = (),
    **policy: object,
) -> Region:
    """A region; ``total`` is the exact new-build total or a ``(min, max)`` range, ``off`` names
    rules switched off and ``policy`` overrides fields of `Policy`."""
    low, high = (total, total) if isinstance(total, int) else total
    rules = dict.fromkeys(RULES, True)
    for rule in off:
        assert rule in RULES, rule
        rules[rule] = False
    return Region(
        name="tiny",
        base_year=2024,
        horizon_years=horizon,
        default_turnover_rate=turnover,
        targets=Targets(low, high),
        policy=replace(Policy(), rules=rules, **policy),  # type: ignore[arg-type]
        groups=tuple(groups),
        municipalities=tuple(municipalities),
    )


def assert_solved(r: Region, result: Result) -> Result:
    """Assert an optimal, proven answer that the independent checker accepts."""
    assert result.status == "optimal", (result.status, result.stop_reason, result.message)
    assert result.proven_optimal
    assert result.allocation is not None
    assert check_allocation(r, result.allocation) == []
    return result


def solved(r: Region, backend: str, options: SolverOptions = OPTIONS) -> Result:
    """Solve in this process (no hard limit); assert an optimal, proven, checked answer."""
    return assert_solved(r, solve(r, backend, options, hard_limit=False))


def stage_values(result: Result) -> dict[str, Fraction | None]:
    """Stage name -> exact value in the stage's reporting unit."""
    return {s.name: s.value for s in result.stages}


def assert_same_answer(first: Result, second: Result) -> None:
    """The two results have the same stage values and the same allocation."""
    assert stage_values(first) == stage_values(second)
    assert first.allocation == second.allocation


# --- random small regions for property tests ---------------------------------------------------


def _policy(draw: st.DrawFn, vary: bool, objectives: Sequence[str]) -> Policy:
    """The national defaults, or with ``vary`` other shares, weights, key, objective and up to
    two optional rules switched off (with both soft rules off the needs objective is empty)."""
    if not vary:
        return Policy()
    optional = [
        "social_norm",
        "group_demand",
        "new_build_mix",
        "letting_pool",
        "eligibility",
        "fair_split",
    ]
    off = draw(st.lists(st.sampled_from(optional), unique=True, max_size=2))
    return Policy(
        social_norm=draw(st.sampled_from([Fraction(3, 10), Fraction(1, 4), Fraction(1, 3)])),
        social_new_build_min=draw(st.sampled_from([Fraction(1, 3), Fraction(1, 4)])),
        low_social_threshold=draw(st.sampled_from([Fraction(3, 10), Fraction(1, 4)])),
        high_social_threshold=draw(st.sampled_from([Fraction(3, 10), Fraction(7, 20)])),
        high_social_min_middle=draw(st.sampled_from([Fraction(2, 5), Fraction(1, 3)])),
        letting_priority_max=draw(st.sampled_from([Fraction(2, 5), Fraction(1, 2)])),
        weight_unmet_demand=draw(st.integers(1, 3)),
        weight_norm_shortfall=draw(st.integers(1, 3)),
        distribution_key=draw(st.sampled_from(["population", "dwellings"])),
        objective=draw(st.sampled_from(list(objectives))),
        rules={rule: rule not in off for rule in RULES},
    )


@st.composite
def small_regions(
    draw: st.DrawFn,
    *,
    max_municipalities: int = 6,
    max_groups: int = 3,
    vary_policy: bool = False,
    objectives: Sequence[str] = ("sum_abs_deviation", "max_rel_deviation"),
) -> Region:
    """A random small region (2..6 municipalities, 1..3 groups) with small numbers.

    Shares of the stock vary around the thresholds (some exactly at 3/10). The regional total
    (exact or a range) contains the sum of a drawn witness ``y_m`` in ``[min_m, cap_m]`` that
    satisfies the mix rules (all social, or where the share is above the high threshold the least
    middle segment and the rest social), so every drawn region is feasible. With ``vary_policy``
    the policy is drawn too (`_policy`).
    """
    policy = _policy(draw, vary_policy, objectives)
    n = draw(st.integers(2, max_municipalities))
    municipalities = []
    witness = 0
    witness_social = 0
    for number in range(1, n + 1):
        dwellings = draw(st.integers(10, 200))
        social = draw(st.one_of(st.integers(0, dwellings), st.just(dwellings * 3 // 10)))
        cap = draw(st.integers(0, 12))
        min_new = draw(st.one_of(st.none(), st.integers(0, min(cap, 3))))
        y = draw(st.integers(min_new or 0, cap))
        middle = 0
        if Fraction(social, dwellings) > policy.high_social_threshold:
            middle = ceil(policy.high_social_min_middle * y)
        witness += y
        witness_social += y - middle
        municipalities.append(
            Municipality(
                code=code_of(number),
                name=f"M{number}",
                population=draw(st.integers(0, 50)),
                dwellings=dwellings,
                social_stock=social,
                plan_capacity=cap,
                min_new_homes=min_new,
                turnover_rate=draw(
                    st.one_of(st.none(), st.sampled_from([Fraction(1, 20), Fraction(1, 8)]))
                ),
            )
        )
    assume(witness_social >= policy.social_new_build_min * witness)
    floor_total = sum(m.min_new_homes or 0 for m in municipalities)
    low = draw(st.integers(floor_total, witness))
    high_total = draw(st.one_of(st.just(witness), st.integers(witness, witness + 6)))
    if low == witness and draw(st.booleans()):
        high_total = low  # an exact total
    codes = [m.code for m in municipalities]
    groups = []
    for index in range(draw(st.integers(1, max_groups))):
        restriction = draw(st.sampled_from(["none", "only_in", "not_in"]))
        only_in = None
        not_in: frozenset[str] = frozenset()
        if restriction == "only_in":
            only_in = frozenset(draw(st.lists(st.sampled_from(codes), min_size=1, unique=True)))
        elif restriction == "not_in":
            not_in = frozenset(draw(st.lists(st.sampled_from(codes), max_size=n - 1, unique=True)))
        unit: Unit = draw(st.sampled_from(["households", "persons"]))
        groups.append(
            TargetGroup(
                id=f"g{index}",
                name=f"Group {index}",
                unit=unit,
                # the first group is never empty: with every quota 0 the max-rel stage loops until
                # the time limit (a bug tested in test_solver_rules)
                demand=draw(st.integers(1 if index == 0 else 0, 25)),
                household_size=Fraction(1) if unit == "households" else Fraction(3, 2),
                only_in=only_in,
                not_in=not_in,
            )
        )
    return Region(
        name="random",
        base_year=2024,
        horizon_years=draw(st.integers(1, 3)),
        default_turnover_rate=Fraction(1, 10),
        targets=Targets(low, high_total),
        policy=policy,
        groups=tuple(groups),
        municipalities=tuple(municipalities),
    )


def allocation_of(result: Result) -> Allocation:
    """The allocation of a result that has one."""
    assert result.allocation is not None, (result.status, result.stop_reason, result.message)
    return result.allocation


def building(result: Result, codes: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
    """New homes, new social and new middle of the municipalities, in the order given."""
    a = allocation_of(result)
    return (
        [a.new_homes[c] for c in codes],
        [a.new_social[c] for c in codes],
        [a.new_middle[c] for c in codes],
    )


def placements(result: Result, group_id: str, codes: Sequence[str]) -> list[int]:
    """Placements of one group in the municipalities, in the order given (0 where forbidden)."""
    a = allocation_of(result)
    return [a.placed.get((c, group_id), 0) for c in codes]


def haaglanden_before_the_reduction() -> Run:
    """A run on the bundled Haaglanden instance with every stage before
    `solver.solve.REDUCED_FROM` solved, its model not yet reduced."""
    run = Run(load_instance(bundled_instance("haaglanden")).region, "ortools", OPTIONS)
    for stage in run.stages:
        if stage.name == REDUCED_FROM:
            break
        assert isinstance(stage, Stage)
        linear_stage(run, stage)
    return run


def random_row(rng: random.Random, name: str, variables: int) -> Constraint:
    """A row in force over one or two of the first ``variables`` variables, with coefficients
    in -2..2 (not 0), a random sense and a right-hand side in -3..3."""
    terms = {rng.randrange(variables): rng.choice([-2, -1, 1, 2]) for _ in range(rng.randint(1, 2))}
    return Constraint(
        name, "stage", tuple(sorted(terms.items())), rng.choice(SENSES), rng.randint(-3, 3)
    )


def after_needs(r: Region, objective: str) -> tuple[Run, MinMaxStage]:
    """A staged solve of ``r`` under ``objective`` on OR-Tools with the needs stage fixed, and
    its min-max stage."""
    variant = replace(r, policy=replace(r.policy, objective=objective))
    run = Run(variant, "ortools", SolverOptions(time_limit=30))
    needs, fairness = run.stages[0], run.stages[1]
    assert isinstance(needs, Stage) and needs.name == "needs"
    assert isinstance(fairness, MinMaxStage)
    assert linear_stage(run, needs).status == Status.OPTIMAL
    return run, fairness
