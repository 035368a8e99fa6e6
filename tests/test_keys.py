"""Distribution keys: hand-computed weights and quotas for every key, credits for placements
already made, the sum of the quotas on random regions, validation of the key settings, and the
round trip of those settings through region.toml and the workbook.

The hand region has three municipalities and one group of 60 households::

    code    population  households  dwellings  social_stock  ses_score  factor_gdp  factor_unemp
    GM0001         100          40         50            10          1         300             2
    GM0002         200          90         80            40          0         100             4
    GM0003         100          50         70            20         -1         100             4
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from instance_factory import (
    REGION,
    ROW,
    load_problems,
    locations,
    the_problem,
    toml_line,
    write_instance,
)

from cli import main
from models.errors import InputError, Problem
from models.loader import load_instance, load_region
from models.policy import DISTRIBUTION_KEYS, RULES, KeyFactor, Policy
from models.region import Municipality, Region, TargetGroup, Targets
from models.workbook import write_workbook
from models.writer import write_instance_dir
from solver.quotas import KEYS, compute_quotas, credited_split, exact_sum, key_weights

A, B, C = "GM0001", "GM0002", "GM0003"
R = REGION

#: The EU-2015-style factors of the hand region: 40% population, 40% GDP, 20% unemployment
#: inverted.
EU_FACTORS = (
    KeyFactor("factor_gdp", Fraction(2, 5)),
    KeyFactor("factor_unemp", Fraction(1, 5), "inverted"),
    KeyFactor("population", Fraction(2, 5)),
)


def hand_region(**policy: object) -> Region:
    """The region of the module docstring; ``policy`` overrides fields of `Policy`."""
    rows = (
        (A, 100, 40, 50, 10, 1, 300, 2),
        (B, 200, 90, 80, 40, 0, 100, 4),
        (C, 100, 50, 70, 20, -1, 100, 4),
    )
    municipalities = tuple(
        Municipality(
            code=code,
            name=code,
            population=population,
            dwellings=dwellings,
            social_stock=social,
            plan_capacity=10,
            households=households,
            ses_score=Fraction(ses),
            factors={"factor_gdp": Fraction(gdp), "factor_unemp": Fraction(unemp)},
        )
        for code, population, households, dwellings, social, ses, gdp, unemp in rows
    )
    return Region(
        name="hand",
        base_year=2024,
        horizon_years=1,
        default_turnover_rate=Fraction(1, 10),
        targets=Targets(0, 30),
        policy=replace(Policy(key_factors=EU_FACTORS), **policy),  # type: ignore[arg-type]
        groups=(TargetGroup("g", "g", "households", 60),),
        municipalities=municipalities,
    )


def quotas_of(region: Region, key: str | None = None) -> dict[str, Fraction]:
    quotas = compute_quotas(region, key)
    return {m.code: quotas.of(m.code, "g") for m in region.municipalities}


F = Fraction


# --- every key by hand ------------------------------------------------------------------------

HAND: dict[str, tuple[dict[str, Fraction], dict[str, Fraction]]] = {
    # w = population = 100, 200, 100; sum 400; q = 60 * w / 400
    "population": ({A: F(100), B: F(200), C: F(100)}, {A: F(15), B: F(30), C: F(15)}),
    # w = households = 40, 90, 50; sum 180; q = 60 * 40/180 = 40/3, 60 * 90/180 = 30, 50/3
    "households": ({A: F(40), B: F(90), C: F(50)}, {A: F(40, 3), B: F(30), C: F(50, 3)}),
    # w = dwellings = 50, 80, 70; sum 200; q = 15, 24, 21
    "dwellings": ({A: F(50), B: F(80), C: F(70)}, {A: F(15), B: F(24), C: F(21)}),
    # w = dwellings - social = 50-10, 80-40, 70-20 = 40, 40, 50; sum 130; q = 2400/130 = 240/13
    "social_stock_inverted": (
        {A: F(40), B: F(40), C: F(50)},
        {A: F(240, 13), B: F(240, 13), C: F(300, 13)},
    ),
    # ses mean (1 + 0 - 1)/3 = 0, range 1 - (-1) = 2, c = 1/5:
    # A 100 * (1 + 1/5 * 1/2) = 110, B 200 * 1 = 200, C 100 * (1 - 1/10) = 90; sum 400
    # q = 60 * 110/400 = 33/2, 30, 60 * 90/400 = 27/2
    "population_ses_corrected": (
        {A: F(110), B: F(200), C: F(90)},
        {A: F(33, 2), B: F(30), C: F(27, 2)},
    ),
    # shares: population 1/4, 1/2, 1/4; gdp 300/500 = 3/5, 1/5, 1/5;
    # unemp inverted: 1/x = 1/2, 1/4, 1/4 (sum 1), so 1/2, 1/4, 1/4.
    # A = 2/5 * 1/4 + 2/5 * 3/5 + 1/5 * 1/2 = 10/100 + 24/100 + 10/100 = 44/100 = 11/25
    # B = 2/5 * 1/2 + 2/5 * 1/5 + 1/5 * 1/4 = 20/100 +  8/100 +  5/100 = 33/100
    # C = 2/5 * 1/4 + 2/5 * 1/5 + 1/5 * 1/4 = 10/100 +  8/100 +  5/100 = 23/100; sum 1
    # q = 60 * w = 132/5, 99/5, 69/5
    "weighted": (
        {A: F(11, 25), B: F(33, 100), C: F(23, 100)},
        {A: F(132, 5), B: F(99, 5), C: F(69, 5)},
    ),
}


def test_every_key_is_computed_by_hand() -> None:
    assert set(HAND) == set(KEYS) == set(DISTRIBUTION_KEYS)


@pytest.mark.parametrize("key", sorted(HAND))
def test_key_weights_and_quotas_by_hand(key: str) -> None:
    weights, quotas = HAND[key]
    region = hand_region(distribution_key=key)
    assert key_weights(region) == weights
    assert all(isinstance(w, Fraction) for w in key_weights(region).values())
    assert quotas_of(region) == quotas
    assert sum(quotas.values()) == 60
    assert quotas_of(hand_region(), key) == quotas  # the key argument overrides the policy


def test_ses_correction_is_clamped_at_zero() -> None:
    # c = 4: A 100 * (1 + 4 * 1/2) = 300, B 200, C 100 * max(0, 1 - 2) = 0; sum 500
    region = hand_region(distribution_key="population_ses_corrected", ses_correction=F(4))
    assert key_weights(region) == {A: F(300), B: F(200), C: F(0)}
    assert quotas_of(region) == {A: F(36), B: F(24), C: F(0)}


def test_equal_ses_scores_mean_no_correction() -> None:
    region = hand_region(distribution_key="population_ses_corrected")
    same = replace(
        region, municipalities=tuple(replace(m, ses_score=F(3)) for m in region.municipalities)
    )
    assert key_weights(same) == key_weights(same, "population")


def test_weights_of_an_inverted_factor_only() -> None:
    # dwellings inverted: 1/50, 1/80, 1/70 = 56/2800, 35/2800, 40/2800; sum 131/2800
    region = hand_region(key_factors=(KeyFactor("dwellings", F(1), "inverted"),))
    assert key_weights(region, "weighted") == {A: F(56, 131), B: F(35, 131), C: F(40, 131)}


# --- credits for placements already made ------------------------------------------------------


def test_credit_is_the_share_of_the_whole_task_less_what_was_done() -> None:
    # prior A = 20: T = 60 + 20 = 80; A 80/4 - 20 = 0, B 80/2 = 40, C 80/4 = 20
    region = hand_region(credit_prior_placements=True)
    region = replace(
        region,
        municipalities=(
            replace(region.municipalities[0], prior_placements={"g": 20}),
            *region.municipalities[1:],
        ),
    )
    assert quotas_of(region) == {A: F(0), B: F(40), C: F(20)}
    assert sum(quotas_of(region).values()) == 60
    # the argument overrides the policy: without credit the plain population split
    plain = compute_quotas(region, credit_prior_placements=False)
    assert {c: plain.of(c, "g") for c in (A, B, C)} == {A: F(15), B: F(30), C: F(15)}


def test_credit_drops_a_municipality_over_its_share_and_resplits() -> None:
    # prior A = 30, C = 16: T = 106; A 106/4 - 30 < 0, dropped.
    # Then T = 60 + 16 = 76 over B, C (200 + 100): B 76 * 2/3 = 152/3, C 76/3 - 16 = 28/3.
    region = hand_region(credit_prior_placements=True)
    a, b, c = region.municipalities
    region = replace(
        region,
        municipalities=(
            replace(a, prior_placements={"g": 30}),
            b,
            replace(c, prior_placements={"g": 16}),
        ),
    )
    assert quotas_of(region) == {A: F(0), B: F(152, 3), C: F(28, 3)}


def test_credit_in_several_rounds() -> None:
    # round 1: T = 3 + 10 + 5 = 18, each 6: a 6 - 10 < 0 (dropped), b 6 - 5 = 1, c 6
    # round 2: T = 3 + 5 = 8, each 4: b 4 - 5 < 0 (dropped), c 4
    # round 3: T = 3: c 3
    weights = {"a": F(1), "b": F(1), "c": F(1)}
    assert credited_split(3, weights, {"a": 10, "b": 5}) == {"a": 0, "b": 0, "c": 3}


def test_credit_with_zero_weights_splits_equally() -> None:
    # T = 4 + 2 = 6 over two equal shares: a 3 - 2 = 1, b 3
    assert credited_split(4, {"a": F(0), "b": F(0)}, {"a": 2}) == {"a": 1, "b": 3}


@given(
    st.lists(st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**4)),
    st.fractions(min_value=0, max_value=100, max_denominator=50),
    st.lists(st.integers(-5, 5), min_size=4, max_size=4),
)
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_the_split_and_its_sums_are_exact(values: list[F], demand: F, prior: list[int]) -> None:
    """`exact_sum` is the sum of its values, and `credited_split`'s shares (one fraction per
    municipality) are the rule's ``T w_m / W - p_m`` in Fractions, where none is negative."""
    assert exact_sum(values) == sum(values, F(0))
    drawn = values[:4] or [F(1)]
    weights = {code: abs(value) + 1 for code, value in zip("abcd", drawn, strict=False)}
    credits = dict(zip(weights, prior, strict=False))
    split = credited_split(demand, weights, credits)
    whole = demand + sum(credits.values())
    every = {c: whole * w / sum(weights.values()) - credits.get(c, 0) for c, w in weights.items()}
    if all(q >= 0 for q in every.values()):
        assert split == every
    assert sum(split.values()) == demand or all(q == 0 for q in split.values())


# --- the quotas sum to the demand on random regions -------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)


@st.composite
def random_regions(draw: st.DrawFn) -> Region:
    """2..5 municipalities, 1..3 groups (some restricted), any key, with or without credits."""
    n = draw(st.integers(2, 5))
    codes = [f"GM{i:04d}" for i in range(1, n + 1)]
    groups = []
    for index in range(draw(st.integers(1, 3))):
        only_in = draw(st.one_of(st.none(), st.sets(st.sampled_from(codes), min_size=1)))
        persons = draw(st.booleans())
        groups.append(
            TargetGroup(
                f"g{index}",
                f"g{index}",
                "persons" if persons else "households",
                draw(st.integers(0, 40)),
                F(2) if persons else F(1),
                None if only_in is None else frozenset(only_in),
            )
        )
    municipalities = []
    for code in codes:
        dwellings = draw(st.integers(1, 100))
        municipalities.append(
            Municipality(
                code=code,
                name=code,
                population=draw(st.integers(0, 50)),
                dwellings=dwellings,
                social_stock=draw(st.integers(0, dwellings)),
                plan_capacity=5,
                households=draw(st.integers(0, 30)),
                ses_score=F(draw(st.integers(-30, 30)), 10),
                prior_placements={g.id: draw(st.integers(0, 10)) for g in groups},
                factors={"factor_a": F(draw(st.integers(1, 20)))},
            )
        )
    factors = (
        KeyFactor("dwellings", F(1, 4)),
        KeyFactor("factor_a", F(1, 4), "inverted"),
        KeyFactor("population", F(1, 2)),
    )
    policy = Policy(
        distribution_key=draw(st.sampled_from(sorted(KEYS))),
        ses_correction=draw(st.sampled_from([F(0), F(1, 5), F(1), F(3)])),
        key_factors=factors,
        credit_prior_placements=draw(st.booleans()),
        rules={rule: rule != "eligibility" or draw(st.booleans()) for rule in RULES},
    )
    return Region(
        name="random",
        base_year=2024,
        horizon_years=1,
        default_turnover_rate=F(1, 10),
        targets=Targets(0, 10),
        policy=policy,
        groups=tuple(groups),
        municipalities=tuple(municipalities),
    )


@PROPERTY
@given(random_regions())
def test_quotas_sum_to_the_demand_under_every_key(region: Region) -> None:
    quotas = compute_quotas(region)
    weights = quotas.weights
    assert all(w >= 0 for w in weights.values())
    for g in region.groups:
        cells = {c: q for (c, group), q in quotas.by_cell.items() if group == g.id}
        if region.policy.rule_enabled("eligibility"):
            assert set(cells) == {m.code for m in region.municipalities if g.may_house(m.code)}
        assert sum(cells.values()) == g.demand_dwellings
        assert all(q >= 0 for q in cells.values())
        if not region.policy.credit_prior_placements:
            total = sum(weights[c] for c in cells)
            if total:
                assert all(q * total == g.demand_dwellings * weights[c] for c, q in cells.items())
        elif all(weights[c] > 0 for c in cells):
            # the water-filling solution: q = max(0, lam * w - p) with one lam for the group
            prior = {c: region.municipality(c).prior_placements[g.id] for c in cells}
            lams = {(q + prior[c]) / weights[c] for c, q in cells.items() if q > 0}
            assert len(lams) <= 1
            for lam in lams:
                assert all(lam * weights[c] - prior[c] <= 0 for c, q in cells.items() if q == 0)


# --- validation of the settings ---------------------------------------------------------------


def test_unknown_factor_names_name_the_closest(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        settings={
            "policy.distribution_key": "weighted",
            "policy.key_factors": {"populaton": "0.5", "gdp": "0.5"},
        },
    )
    problems = load_problems(directory)
    typo = toml_line(directory, r"populaton = ")
    gdp = toml_line(directory, r"gdp = ")
    assert locations(problems) == {
        (R, typo, "policy.key_factors.populaton"),
        (R, gdp, "policy.key_factors.gdp"),
    }
    problem = the_problem(problems, R, typo, "policy.key_factors.populaton")
    assert problem.message == "unknown key factor"
    assert problem.value == "populaton"
    assert "did you mean 'population'?" in problem.fix
    assert "'factor_gdp'" in the_problem(problems, R, gdp, "policy.key_factors.gdp").fix


def test_unknown_direction_names_the_closest(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        settings={
            "policy.key_factors": {
                "population": "0.9",
                "factor_gdp": {"weight": "0.1", "direction": "inverse"},
            }
        },
    )
    problems = load_problems(directory)
    line = toml_line(directory, r"direction = ")
    assert locations(problems) == {(R, line, "policy.key_factors.factor_gdp.direction")}
    problem = the_problem(problems, R, line, "policy.key_factors.factor_gdp.direction")
    assert problem.value == "inverse"
    assert "did you mean 'inverted'?" in problem.fix


def test_factor_weights_must_sum_to_one(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        settings={"policy.key_factors": {"population": "0.4", "factor_gdp": "50%"}},
    )
    problems = load_problems(directory)
    line = toml_line(directory, r"\[policy\.key_factors\]")
    assert locations(problems) == {(R, line, "policy.key_factors")}
    problem = the_problem(problems, R, line, "policy.key_factors")
    assert problem.message == "the factor weights sum to 0.9, not 1"
    assert "divide each by 0.9" in problem.fix


def test_unknown_key_names_the_closest_and_exits_with_2(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", settings={"policy.distribution_key": "weigthed"})
    line = toml_line(directory, r"distribution_key = ")
    problem = the_problem(load_problems(directory), R, line, "policy.distribution_key")
    assert "did you mean 'weighted'?" in problem.fix
    result = CliRunner().invoke(main, ["validate", str(directory)])
    assert result.exit_code == 2
    assert f"{R}, line {line}, key 'policy.distribution_key'" in result.stderr


def test_weighted_key_without_factors(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst", settings={"policy.distribution_key": "weighted"})
    line = toml_line(directory, r"distribution_key = ")
    problems = load_problems(directory)
    assert locations(problems) == {(R, line, "policy.distribution_key")}
    assert "[policy.key_factors]" in problems[0].fix


def test_bad_ses_correction_and_credit_switch(tmp_path: Path) -> None:
    directory = write_instance(
        tmp_path / "inst",
        settings={"policy.ses_correction": "-0.1", "policy.credit_prior_placements": "yes"},
    )
    problems = load_problems(directory)
    ses = toml_line(directory, r"ses_correction = ")
    credit = toml_line(directory, r"credit_prior_placements = ")
    assert locations(problems) == {
        (R, ses, "policy.ses_correction"),
        (R, credit, "policy.credit_prior_placements"),
    }


# --- validation against the data (when the quotas are computed) -------------------------------


def quota_problems(region: Region, key: str | None = None) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as info:
        compute_quotas(region, key)
    assert info.value.exit_code == 2
    return info.value.problems


def test_missing_ses_score_names_the_municipalities(tmp_path: Path) -> None:
    # Only GM0518 of the factory instance has a ses_score.
    directory = write_instance(
        tmp_path / "inst", settings={"policy.distribution_key": "population_ses_corrected"}
    )
    region = load_region(directory)
    (problem,) = quota_problems(region)
    assert (problem.file, problem.column) == ("municipalities", "ses_score")
    assert "missing for GM0603, GM0629, GM1916" in problem.message
    assert "fill in ses_score" in problem.fix


def test_zero_in_an_inverted_factor(tmp_path: Path) -> None:
    values = {"GM0518": "3", "GM0603": "0", "GM0629": "2", "GM1916": "5"}
    directory = write_instance(
        tmp_path / "inst",
        cells={(ROW[code], "factor_unemp"): value for code, value in values.items()},
        settings={
            "policy.distribution_key": "weighted",
            "policy.key_factors": {
                "population": "0.9",
                "factor_unemp": {"weight": "0.1", "direction": "inverted"},
            },
        },
    )
    region = load_region(directory)
    (problem,) = quota_problems(region)
    assert (problem.file, problem.column) == ("municipalities", "factor_unemp")
    assert "zero or negative for GM0603" in problem.message
    assert 'direction = "direct"' in problem.fix


def test_factor_column_absent_names_the_closest_column() -> None:
    region = hand_region(key_factors=(KeyFactor("factor_gpd", F(1)),))
    (problem,) = quota_problems(region, "weighted")
    assert problem.column == "factor_gpd"
    assert "did you mean 'factor_gdp'?" in problem.fix


def test_every_bad_factor_is_reported_at_once() -> None:
    region = hand_region(
        key_factors=(
            KeyFactor("factor_gpd", F(1, 2)),
            KeyFactor("ses_score", F(1, 2), "inverted"),  # 0 and -1
        )
    )
    assert {p.column for p in quota_problems(region, "weighted")} == {"factor_gpd", "ses_score"}


def test_a_factor_that_is_no_numeric_column() -> None:
    region = hand_region(key_factors=(KeyFactor("name", F(1)),))
    (problem,) = quota_problems(region, "weighted")
    assert (problem.column, problem.value) == ("policy.key_factors", "name")


def test_unknown_key_argument() -> None:
    (problem,) = quota_problems(hand_region(), "populaton")
    assert "did you mean 'population'?" in problem.fix


# --- round trip -------------------------------------------------------------------------------

KEY_SETTINGS_TOML = """
[policy.key_factors]
population = "0.4"
factor_gdp = "2/5"
factor_unemp = { weight = "10%", direction = "inverted" }
households = { weight = 0.1 }
"""


def test_key_settings_round_trip_through_the_directory_and_the_workbook(tmp_path: Path) -> None:
    values = {"GM0518": "3", "GM0603": "4", "GM0629": "2", "GM1916": "5"}
    directory = write_instance(
        tmp_path / "inst",
        cells={
            **{(ROW[code], "factor_unemp"): value for code, value in values.items()},
            **{(ROW[code], "factor_gdp"): value for code, value in values.items()},
        },
        settings={
            "policy.distribution_key": "weighted",
            "policy.ses_correction": "1/3",
            "policy.credit_prior_placements": True,
        },
    )
    with (directory / R).open("a", encoding="utf-8") as file:
        file.write(KEY_SETTINGS_TOML)
    original = load_region(directory)
    assert original.policy.key_factors == (
        KeyFactor("factor_gdp", F(2, 5)),
        KeyFactor("factor_unemp", F(1, 10), "inverted"),
        KeyFactor("households", F(1, 10)),
        KeyFactor("population", F(2, 5)),
    )
    assert original.policy.ses_correction == F(1, 3)
    assert original.policy.credit_prior_placements is True

    back = tmp_path / "back"
    write_instance_dir(original, back)
    assert load_region(back).policy == original.policy
    assert load_region(back) == original

    workbook = tmp_path / "inst.xlsx"
    write_workbook(original, workbook)
    assert load_instance(workbook).region.policy == original.policy


def test_default_key_settings_are_not_written(tmp_path: Path) -> None:
    directory = write_instance(tmp_path / "inst")
    text = (directory / R).read_text(encoding="utf-8")
    for name in ("ses_correction", "credit_prior_placements", "key_factors"):
        assert name not in text
