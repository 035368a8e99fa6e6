"""The reduced model of the later stages (`solver.reduction`): bounds tightened exactly, the same
whole points as the model with the rows in force, and the same answers as the whole model."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_regions import (
    SENSES,
    assert_same_answer,
    assert_solved,
    haaglanden_before_the_reduction,
    random_row,
    small_regions,
)

import solver.solve as solve_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends.base import Outcome, SolverOptions
from solver.check import check_allocation
from solver.linear_stage import linear_stage
from solver.model import Constraint, LinearModel, Sense
from solver.objectives import Stage
from solver.reduction import _tighten, reduce_model
from solver.run import Run
from solver.solve import solve

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)


@given(
    st.integers(-7, 7).filter(bool),
    st.sampled_from(SENSES),
    st.integers(-30, 30),
    st.integers(-10, 0),
    st.one_of(st.none(), st.integers(0, 10)),
)
def test_bounds_from_a_row_of_one_variable_are_exact(
    coefficient: int, sense: Sense, rhs: int, low: int, high: int | None
) -> None:
    lower, upper = [low], [high]
    row = Constraint("r", "test", ((0, coefficient),), sense, rhs)
    nonempty = _tighten(row, lower, upper)
    top = high if high is not None else 40
    meets = [x for x in range(low, top + 1) if row.holds({0: x})]
    if not nonempty:
        assert not meets
        return
    assert meets == list(range(lower[0], (upper[0] if upper[0] is not None else 40) + 1))


def _random_case(seed: int) -> tuple[LinearModel, list[Constraint]]:
    """A model of four variables in -2..3 with a few rows, and rows in force that fix some."""
    rng = random.Random(seed)
    model = LinearModel()
    for index in range(4):
        model.add_variable(f"x{index}", -2, 3)
    for number in range(3):
        terms = {rng.randrange(4): rng.randint(-3, 3) for _ in range(rng.randint(1, 3))}
        model.add_constraint(f"m{number}", "test", terms, rng.choice(SENSES), rng.randint(-4, 4))
    rows = [random_row(rng, f"f{number}", 4) for number in range(rng.randint(0, 4))]
    return model, rows


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 10**6))
def test_the_reduced_model_has_exactly_the_whole_points_of_the_model(seed: int) -> None:
    """Without splits nothing is chosen for the solver: the whole points of the model that meet
    the rows in force are exactly the points of the reduced model's answers, whatever the centre
    its variables are counted from."""
    model, rows = _random_case(seed)
    centre = dict(enumerate(random.Random(seed + 1).choices(range(-3, 4), k=4)))
    reduction = reduce_model(model, rows, centre if seed % 2 else None)
    every = [dict(enumerate(p)) for p in itertools.product(range(-2, 4), repeat=4)]
    whole = [p for p in every if all(c.holds(p) for c in (*model.constraints, *rows))]
    if reduction is None:
        assert not whole  # contradicting rows: nothing is feasible
        return
    mapped = [reduction.row(row) for row in rows]
    ranges = [range(v.lower, (v.upper or 0) + 1) for v in reduction.model.variables]
    answers = []
    for values in itertools.product(*ranges):
        point = dict(enumerate(values))
        if all(c.holds(point) for c in reduction.model.constraints) and all(
            m is True or (m is not False and m.holds(point)) for m in mapped
        ):
            answers.append(reduction.point(point))
    assert sorted(map(sorted, (p.items() for p in answers))) == sorted(
        map(sorted, (p.items() for p in whole))
    )
    # A whole point as a start is the same point, counted from the centre.
    assert all(reduction.point(reduction.start(p)) == p for p in whole)


def _without_reduction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "REDUCED_FROM", "no stage")


def _both(r: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    options = SolverOptions(time_limit=30)
    reduced = assert_solved(r, solve(r, "ortools", options, hard_limit=False))
    with monkeypatch.context() as patch:
        _without_reduction(patch)
        whole = assert_solved(r, solve(r, "ortools", options, hard_limit=False))
    assert_same_answer(reduced, whole)


@pytest.mark.parametrize("name", ["haaglanden", "mra"])
def test_bundled_regions_get_the_same_answer_on_the_reduced_model(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both(load_instance(bundled_instance(name)).region, monkeypatch)


@PROPERTY
@given(
    small_regions(
        vary_policy=True,
        objectives=[
            "sum_abs_deviation",
            "quota_respecting",
            "max_rel_deviation",
            "max_abs_deviation",
            "equal_burden",
            "leximin",
        ],
    )
)
def test_small_regions_get_the_same_answer_on_the_reduced_model(r: Region) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(r, monkeypatch)


def _backend_sizes(
    monkeypatch: pytest.MonkeyPatch, backend: str, gap: float = 0.0
) -> dict[str, tuple[int, int]]:
    """Solve Haaglanden and return, per stage, the variables of the backend's model and of the
    whole model."""
    sizes: dict[str, tuple[int, int]] = {}

    def recording(run: Run, stage: Stage) -> Outcome:
        sizes[stage.name] = (len(run.backend.model.variables), len(run.f.model.variables))
        return linear_stage(run, stage)

    monkeypatch.setattr(solve_module, "linear_stage", recording)
    r = load_instance(bundled_instance("haaglanden")).region
    result = solve(r, backend, SolverOptions(time_limit=60, gap=gap), hard_limit=False)
    if gap == 0:
        assert_solved(r, result)
    assert result.allocation is not None
    return sizes


def test_the_later_stages_run_on_a_model_without_the_fixed_placements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Haaglanden the flow rows fix placements: the backend of the programme and tie-break
    stages holds fewer variables than the whole model."""
    sizes = _backend_sizes(monkeypatch, "ortools")
    backend, whole = sizes["programme"]
    assert backend < whole
    assert sizes["needs"][0] == whole
    assert sizes["tie_break"][0] == backend


def test_the_cbc_backend_solves_every_stage_on_the_whole_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CBC, the independent cross-check, stays the plain whole MIP."""
    sizes = _backend_sizes(monkeypatch, "cbc")
    assert all(backend == whole for backend, whole in sizes.values())
    assert "programme" in sizes


def test_with_a_relative_gap_the_later_stages_run_on_the_reduced_model_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine measures the gap on the stage's whole value (`Backend.minimize`'s offset), so
    the reduced model serves a gap as well."""
    sizes = _backend_sizes(monkeypatch, "ortools", gap=0.01)
    backend, whole = sizes["programme"]
    assert backend < whole
    assert sizes["tie_break"][0] == backend


@pytest.mark.parametrize("name", ["haaglanden", "mra", "nl"])
def test_a_stage_stopped_within_the_gap_is_within_it_on_its_whole_value(name: str) -> None:
    """Counted from the previous answer, the reduced objective is far from the stage's value
    (nationally the tie-break stage's is 0 at the previous answer and below it after, its value
    about 4.1 billion): a gap measured on it would mean something else."""
    gap = 0.1
    r = load_instance(bundled_instance(name)).region
    result = solve(r, "ortools", SolverOptions(time_limit=120, gap=gap), hard_limit=False)
    assert result.allocation is not None and check_allocation(r, result.allocation) == []
    stopped = [s for s in result.stages if s.stop_reason == "gap_limit"]
    assert stopped, "no stage stopped within the gap: the test shows nothing"
    for stage in stopped:
        assert stage.value is not None and stage.bound is not None
        assert stage.value - stage.bound <= Fraction(gap) * abs(stage.value)


def test_a_row_the_reduction_rests_on_cannot_be_removed() -> None:
    run = haaglanden_before_the_reduction()
    run.reduce()
    assert run.reduction is not None
    with pytest.raises(RuntimeError, match="reduced model was built on"):
        run.remove_row(next(iter(run.rows)))
    added = run.add_row(Constraint("later", "stage", ((0, 1),), ">=", 0))
    run.remove_row(added)  # a row added afterwards may go


def test_the_reduced_run_keeps_only_the_rows_in_force_with_an_unfixed_variable() -> None:
    """A row over fixed variables alone holds at every point of the reduced model: the run no
    longer keeps it (on Haaglanden the flow rows that fix placements), and keeps every other,
    a row over derived variables too."""
    run = haaglanden_before_the_reduction()
    before = run.fixed
    run.reduce()
    reduction = run.reduction
    assert reduction is not None
    unfixed = set(reduction.free) | reduction.derived_variables
    with_unfixed = [row for row in before if any(i in unfixed for i, _ in row.terms)]
    assert run.fixed == with_unfixed
    assert len(with_unfixed) < len(before)


def test_a_model_with_a_continuous_variable_is_not_reduced() -> None:
    model = LinearModel()
    model.add_variable("x", 0, 5)
    model.add_variable("t", 0, 5, integer=False)
    assert reduce_model(model, [Constraint("x_fixed", "stage", ((0, 1),), "==", 2)]) is None


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 10**6))
def test_fixings_reduce_the_model_as_rows_fixing_them_do(seed: int) -> None:
    """`reduce_model`'s ``fixings`` are rows ``x == value``: the same reduction, or none where
    a value lies outside the variable's bounds."""
    model, rows = _random_case(seed)
    rng = random.Random(seed)
    fixings = {i: rng.randint(-3, 4) for i in range(4) if rng.random() < 0.4}
    as_rows = [
        Constraint(f"fix[{i}]", "test", ((i, 1),), "==", value) for i, value in fixings.items()
    ]
    by_rows = reduce_model(model, [*rows, *as_rows])
    by_fixings = reduce_model(model, rows, fixings=fixings)
    if by_rows is None:
        assert by_fixings is None
        return
    assert by_fixings is not None
    assert by_fixings.model.variables == by_rows.model.variables
    assert by_fixings.model.constraints == by_rows.model.constraints
    assert by_fixings.fixed == by_rows.fixed
    assert by_fixings.free == by_rows.free
