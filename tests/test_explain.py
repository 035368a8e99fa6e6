"""Infeasibility explained: planted conflicts named exactly, irreducible, with the smallest
relaxation, the flexibility bounds, and the same words on both backends and every run.

Tiny regions are built from the dataclasses (tiny_regions), since `load_instance` refuses a
regional total above the sum of the plan capacities. Municipalities A, B are "Municipality 1"
(GM0001) and "Municipality 2" (GM0002). Notation as in test_solver_rules: y new homes, s new social
rent, a new middle segment; a share above 3/10 asks ``5 a >= 2 y`` (new_build_middle), the region
asks ``3 sum s >= sum y`` (regional_mix_social), and ``s + a <= y`` (segments).

A relaxation is measured in dwellings: a mix row scaled by its share's denominator counts
``1/den`` dwelling per unit (``5 a - 2 y >= 0`` falling short by 2 is 2/5 dwelling).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from fractions import Fraction

import pytest
from tiny_regions import OPTIONS, A, B, group, muni, region

from models.region import Region
from solver.backends import backend_class
from solver.backends.base import Status
from solver.explain import HARD_RULES, Explanation, explain
from solver.formulation import formulate
from solver.result import OPTIMAL
from solver.solve import solve

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

both = pytest.mark.parametrize("backend", ["ortools", "cbc"])
NOT_RELAXABLE: dict[str, int | None] = dict.fromkeys(HARD_RULES, 0)


def explained(
    r: Region, backend: str, flexibility: Mapping[str, int | None] | None = None
) -> Explanation:
    e = explain(r, backend, OPTIONS, flexibility)
    assert e is not None, "a planted infeasible region was called feasible"
    return e


def feasible_without(r: Region, backend: str, conflict: Iterable[str], drop: str | None) -> bool:
    """Whether the model's rows outside the hard rules, plus the conflict's rows except ``drop``,
    can hold together (an integer feasibility problem on the backend, no objective)."""
    model = formulate(r).model
    members = set(conflict) - {drop}
    rows = [c for c in model.constraints if c.rule not in HARD_RULES or c.name in members]
    outcome = backend_class(backend)(model.with_constraints(rows), OPTIONS).minimize({}, 30)
    assert outcome.status in (Status.OPTIMAL, Status.INFEASIBLE), outcome.stop_reason
    return outcome.status == Status.OPTIMAL


def assert_irreducible(r: Region, backend: str, conflict: tuple[str, ...]) -> None:
    """The conflict alone is infeasible and dropping any one member makes the rest feasible."""
    assert not feasible_without(r, backend, conflict, None)
    for member in conflict:
        assert feasible_without(r, backend, conflict, member), member


def solves(r: Region, backend: str) -> bool:
    return solve(r, backend, OPTIONS, hard_limit=False).status == OPTIMAL


# --- planted conflict 1: the regional total above the plan capacities ---------------------------


def capacity_region() -> Region:
    """Exact total 10,000 > plan capacity 3,000 + 4,000. A has 20% social stock (below 30%), so
    its new-build rule ``10 s_A >= 3 y_A`` is a candidate too, but it can hold (s_A = y_A) and is
    no member of the conflict; neither are the regional mix and the segment rows."""
    return region([muni(A, social=20, cap=3000), muni(B, cap=4000)], [group("g", 2)], total=10_000)


CAPACITY_CONFLICT = ("new_build_total", "plan_capacity[GM0001]", "plan_capacity[GM0002]")


@both
def test_total_above_capacity_conflict_is_named_exactly(backend: str) -> None:
    e = explained(capacity_region(), backend)
    assert e.conflict == CAPACITY_CONFLICT
    assert e.conflict_text == (
        "the regional total (woondeal): exactly 10,000 new homes",
        "Municipality 1 (GM0001): plan capacity 3,000 homes",
        "Municipality 2 (GM0002): plan capacity 4,000 homes",
    )
    assert e.text().startswith(
        "These rules cannot all hold (dropping any one of them resolves the conflict):\n"
        "  - the regional total (woondeal): exactly 10,000 new homes\n"
    )


@both
def test_total_above_capacity_conflict_is_irreducible(backend: str) -> None:
    r = capacity_region()
    assert_irreducible(r, backend, explained(r, backend).conflict)
    # The same, through the input and the full solve: each member dropped, the rest solves.
    assert solves(
        region(list(r.municipalities), r.groups, total=10_000, off=["new_build_total"]), backend
    )
    for code in (A, B):
        lifted = [
            replace(m, plan_capacity=10_000) if m.code == code else m for m in r.municipalities
        ]
        assert solves(replace(r, municipalities=tuple(lifted)), backend), code


# The least total violation is 10,000 - 7,000 = 3,000 dwellings, whichever members give it.
@both
def test_total_above_capacity_smallest_relaxation(backend: str) -> None:
    r = capacity_region()
    relaxation = explained(r, backend).relaxation
    assert relaxation.feasible
    assert relaxation.total == 3000
    # the documented tie-break picks the regional total among the equal relaxations
    assert [(g.constraint, g.amount) for g in relaxation.gives] == [
        ("new_build_total", Fraction(3000))
    ]
    assert (
        relaxation.gives[0].text == "the regional total: 7,000 instead of 10,000 new homes (-3,000)"
    )
    relaxed = relaxation.apply(r)
    assert relaxed.targets.new_homes_min == relaxed.targets.new_homes_max == 7000
    assert solves(relaxed, backend)
    assert explain(relaxed, backend, OPTIONS) is None


# With the regional total not relaxable, the 3,000 dwellings must come from plan capacity.
@both
def test_fixed_total_relaxation_raises_plan_capacity(backend: str) -> None:
    r = capacity_region()
    relaxation = explained(r, backend, {"new_build_total": 0}).relaxation
    assert relaxation.feasible
    assert relaxation.total == 3000
    assert {g.rule for g in relaxation.gives} == {"plan_capacity"}
    assert all(g.constraint.startswith("plan_capacity[") for g in relaxation.gives)
    relaxed = relaxation.apply(r)
    assert relaxed.targets == r.targets
    assert sum(m.plan_capacity for m in relaxed.municipalities) == 10_000
    assert solves(relaxed, backend)


# Each capacity may give at most N: N = 1,500 is exactly enough (1,500 + 1,500), N = 1,499 is not.
@both
def test_flexibility_bounds_each_constraint(backend: str) -> None:
    r = capacity_region()
    tight = explained(r, backend, {"new_build_total": 0, "plan_capacity": 1500}).relaxation
    assert tight.feasible
    assert [(g.constraint, g.amount) for g in tight.gives] == [
        ("plan_capacity[GM0001]", Fraction(1500)),
        ("plan_capacity[GM0002]", Fraction(1500)),
    ]
    assert tight.gives[0].text == (
        "Municipality 1 (GM0001): raise the plan capacity from 3,000 to 4,500 (+1,500)"
    )
    assert solves(tight.apply(r), backend)

    short = explained(r, backend, {"new_build_total": 0, "plan_capacity": 1499})
    assert not short.relaxation.feasible
    assert short.conflict == CAPACITY_CONFLICT


@both
def test_nothing_relaxable_reports_infeasible_within_flexibility(backend: str) -> None:
    e = explained(capacity_region(), backend, NOT_RELAXABLE)
    assert e.conflict == CAPACITY_CONFLICT
    assert not e.relaxation.feasible
    assert e.relaxation.gives == ()
    assert e.text().endswith(
        "\nNo relaxation within the flexibility allowed (--flex) restores feasibility."
    )
    assert "Smallest relaxation" not in e.text()


# --- planted conflict 2: minimums above the regional maximum ------------------------------------


def minimum_region() -> Region:
    """min_new_homes 6 + 6 = 12 > the regional maximum 10 (range 0..10), capacities 10."""
    return region([muni(A, min_new=6), muni(B, min_new=6)], [group("g", 2)], total=(0, 10))


MINIMUM_CONFLICT = ("new_build_total_max", "plan_minimum[GM0001]", "plan_minimum[GM0002]")


@both
def test_minimums_above_maximum_conflict_is_named_exactly(backend: str) -> None:
    r = minimum_region()
    e = explained(r, backend)
    assert e.conflict == MINIMUM_CONFLICT
    assert e.conflict_text == (
        "the regional total (woondeal): at most 10 new homes",
        "Municipality 1 (GM0001): builds at least 6 homes",
        "Municipality 2 (GM0002): builds at least 6 homes",
    )
    assert_irreducible(r, backend, e.conflict)


# Least violation 12 - 10 = 2 dwellings: lower the minimums by 2 together, or raise the maximum.
@both
def test_minimums_above_maximum_smallest_relaxation(backend: str) -> None:
    r = minimum_region()
    relaxation = explained(r, backend).relaxation
    assert relaxation.total == 2
    relaxed = relaxation.apply(r)
    assert solves(relaxed, backend)
    assert explain(relaxed, backend, OPTIONS) is None

    # minimums fixed: the maximum goes up to 12
    by_total = explained(r, backend, {"plan_capacity": 0}).relaxation
    assert [(g.constraint, g.amount) for g in by_total.gives] == [
        ("new_build_total_max", Fraction(2))
    ]
    assert by_total.gives[0].text == "the regional total: at most 12 instead of 10 new homes (+2)"
    assert by_total.apply(r).targets.new_homes_max == 12
    assert solves(by_total.apply(r), backend)


# An exact total of 10 with minimums 6 + 6: the total row ``y_A + y_B == 10`` is violated upwards
# (sum y = 12), so the smallest relaxation (2 dwellings) means a total of 12, or minimums lowered
# by 2. Whatever it says, applying it must give a feasible region.
@both
def test_exact_total_below_the_minimums_relaxation_moves_the_total_up(backend: str) -> None:
    r = region([muni(A, min_new=6), muni(B, min_new=6)], [group("g", 2)], total=10)
    e = explained(r, backend)
    assert e.conflict == ("new_build_total", "plan_minimum[GM0001]", "plan_minimum[GM0002]")
    assert e.relaxation.total == 2
    relaxed = e.relaxation.apply(r)
    assert solves(relaxed, backend), (relaxed.targets, e.text())
    assert "8 instead of 10" not in e.text()


# --- planted conflict 3: the new-build mix against the regional social share ----------------------


def mix_region() -> Region:
    """A, B: H = 100, S = 40 (share 2/5 > 3/10), plan capacity 1 each; exact total 2.

    By hand: y = (1, 1) (total 2, capacities 1). new_build_middle: 5 a_m >= 2, so a_m >= 1;
    segments: s_m + a_m <= 1, so s_m = 0; regional_mix_social: 3 (s_A + s_B) >= 2, so sum s >= 1.
    Contradiction. Every one of these 8 rows is needed: without the total, y = 0 holds; without a
    capacity, that municipality builds 2 with a = s = 1; without a segments row, s_m = a_m = 1;
    without a middle rule, a_m = 0 and s_m = 1; without the social share, s = 0. The affordable
    share (3 sum(s + a) >= 4) holds with a = (1, 1) and is not a member.
    """
    return region([muni(A, social=40, cap=1), muni(B, social=40, cap=1)], [group("g", 2)], total=2)


MIX_CONFLICT = (
    "new_build_total",
    "plan_capacity[GM0001]",
    "plan_capacity[GM0002]",
    "segments[GM0001]",
    "segments[GM0002]",
    "regional_mix_social",
    "new_build_middle[GM0001]",
    "new_build_middle[GM0002]",
)


@both
def test_new_build_mix_conflict_is_named_exactly(backend: str) -> None:
    r = mix_region()
    e = explained(r, backend)
    assert e.conflict == MIX_CONFLICT
    assert e.conflict_text[5] == "the regional mix: at least 33.3% of the new homes social rent"
    assert e.conflict_text[6] == (
        "Municipality 1 (GM0001) (social share now 40%, above 30%): at least 40% of its new "
        "homes middle segment"
    )
    assert e.conflict_text[3] == (
        "Municipality 1 (GM0001): social rent plus middle segment at most its new homes"
    )
    assert_irreducible(r, backend, e.conflict)


# Smallest relaxations by hand (y = (1, 1) fixed unless a capacity or the total gives):
# - one middle rule gives 2 fifths (a_m = 0, 5*0 - 2*1 = -2), then s_m = 1: 2/5 dwelling;
# - the regional social share gives 2 thirds (s = 0: 3*0 - 2 = -2): 2/3 dwelling;
# - a capacity +1 (that municipality builds 2, a = s = 1): 1 dwelling (the segments rows are
#   arithmetic, never relaxed);
# - the total down to 0: 2 dwellings (down to 1 still asks s >= 1 with a >= 1 in 1 home).
@both
def test_new_build_mix_smallest_relaxation_and_flexibility(backend: str) -> None:
    r = mix_region()
    least = explained(r, backend).relaxation
    assert least.total == Fraction(2, 5)
    assert len(least.gives) == 1 and least.gives[0].rule == "new_build_mix"
    assert least.gives[0].constraint in ("new_build_middle[GM0001]", "new_build_middle[GM0002]")
    assert least.apply(r) == r  # a mix relaxation is reported in words only

    no_local = explained(r, backend, {"new_build_mix": 0}).relaxation
    assert [(g.constraint, g.amount) for g in no_local.gives] == [
        ("regional_mix_social", Fraction(2, 3))
    ]

    no_mix = explained(r, backend, {"new_build_mix": 0, "regional_mix": 0}).relaxation
    assert no_mix.total == 1
    assert len(no_mix.gives) == 1
    assert [g.rule for g in no_mix.gives] == ["plan_capacity"]
    assert solves(no_mix.apply(r), backend)

    assert not explained(r, backend, NOT_RELAXABLE).relaxation.feasible


# With the mixes and plan capacity fixed, a segments row (s_m = a_m = 1 in y_m = 1 home) would
# cost 1 dwelling, but social plus middle within the new homes is arithmetic, not policy: it is
# never relaxed. The least relaxation left is the total down to 0: 2 dwellings.
@both
def test_segments_are_never_relaxed(backend: str) -> None:
    flexibility = {"new_build_mix": 0, "regional_mix": 0, "plan_capacity": 0}
    relaxation = explained(mix_region(), backend, flexibility).relaxation
    assert relaxation.total == 2
    assert [(g.constraint, g.excess) for g in relaxation.gives] == [("new_build_total", False)]
    assert relaxation.gives[0].text == "the regional total: 0 instead of 2 new homes (-2)"


# --- feasible regions and determinism -------------------------------------------------------------


@both
def test_feasible_region_has_no_explanation(backend: str) -> None:
    # capacities 10 + 10 for an exact total of 5; minimum 2 in B; shares at and below the norm
    r = region([muni(A, social=20), muni(B, min_new=2)], [group("g", 2)], total=5)
    assert explain(r, backend, OPTIONS) is None


@pytest.mark.parametrize("make", [capacity_region, minimum_region, mix_region])
def test_same_explanation_on_both_backends_and_every_run(make: Callable[[], Region]) -> None:
    r = make()
    texts = [explained(r, b).text() for b in ("ortools", "ortools", "cbc", "cbc")]
    assert len(set(texts)) == 1, texts
    flexible = [explained(r, b, {"new_build_total": 0}).text() for b in ("ortools", "cbc")]
    assert flexible[0] == flexible[1]
