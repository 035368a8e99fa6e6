"""Bounds narrowed by the stages fixed before (`solver.run.Run.tighten`): every backend solves
within the narrowed bounds, the later stages narrow the national reduced model and find the
allocation the solve finds without narrowing, and a small or a large reduced model is left as
it is."""

from __future__ import annotations

from typing import Any

import pytest

import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.dual_bound import implied_bounds
from solver.model import LinearModel, Terms
from solver.run import NARROW_FROM, Run
from solver.solve import solve


@pytest.mark.parametrize("backend", ["ortools", "cbc"])
def test_each_backend_solves_within_the_narrowed_bounds(backend: str) -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    y = model.add_variable("y", -5, 5)
    model.add_constraint("sum", "test", {x: 1, y: 1}, "<=", 12)
    solver = backend_class(backend)(model, SolverOptions(time_limit=10))
    assert solver.minimize({x: -1, y: 1}, 10).values == {x: 10, y: -5}
    solver.tighten_bounds({x: (0, 4), y: (2, 5)})
    assert solver.model.variables[x].upper == 4
    assert solver.model.variables[y].lower == 2
    assert solver.minimize({x: -1, y: 1}, 10).values == {x: 4, y: 2}


@pytest.mark.parametrize("backend", ["ortools", "cbc"])
def test_bounds_narrowed_before_the_first_solve_hold_in_it(backend: str) -> None:
    """The OR-Tools backend writes its model only when a solver first needs it: bounds narrowed
    before then are in it."""
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    solver = backend_class(backend)(model, SolverOptions(time_limit=10))
    solver.tighten_bounds({x: (3, 7)})
    assert solver.minimize({x: -1}, 10).values == {x: 7}
    assert solver.minimize({x: 1}, 10).values == {x: 3}


def test_the_relaxation_reads_the_narrowed_bounds() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    solver = backend_class("ortools")(model, SolverOptions(time_limit=10))
    solver.tighten_bounds({x: (3, 7)})
    relaxation = solver.relaxation({x: -1}, 10)
    assert relaxation is not None
    assert relaxation.values[x] == pytest.approx(7)


def test_the_later_stages_narrow_the_national_model_and_find_the_same_allocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nationally the needs stage fixes 535 of the programme stage's variables and the programme
    stage narrows 1,341 for the tie-break stage; the allocation is the same without them."""
    region = load_instance(bundled_instance("nl")).region
    narrowed: list[tuple[int, int]] = []
    tighten = Run.tighten

    def counted(run: Run) -> None:
        before = None if run.reduction is None else run.reduction.model.variables
        tighten(run)
        if before is not None and run.reduction is not None:
            after = run.reduction.model.variables
            changed = [(a, b) for a, b in zip(after, before, strict=True) if a != b]
            fixed = sum(a.lower == a.upper for a, _ in changed)
            narrowed.append((len(changed), fixed))
            # The narrowed bounds keep the answer of the stage before.
            start = run.reduction.start(run.values or {})
            for variable in after:
                value = start[variable.index]
                assert variable.lower <= value
                assert variable.upper is None or value <= variable.upper
            # The backend's model is the narrowed one.
            assert run.backend.model.variables == after

    monkeypatch.setattr(Run, "tighten", counted)
    with_bounds = solve(region, hard_limit=False)
    assert [record.name for record in with_bounds.stages][-2:] == ["programme", "tie_break"]
    # Once before each stage on the reduced model: the needs stage fixes some variables
    # for the programme stage, the programme stage narrows others for the tie-break.
    assert len(narrowed) == 2
    assert narrowed[0][1] > 0
    assert narrowed[1][0] > 0
    monkeypatch.setattr(Run, "tighten", lambda run: None)
    without = solve(region, hard_limit=False)
    assert with_bounds.status == without.status == "optimal"
    assert with_bounds.allocation == without.allocation
    assert [s.value for s in with_bounds.stages] == [s.value for s in without.stages]


def test_a_small_reduced_model_is_not_narrowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Haaglanden's reduced model has 95 variables, below `NARROW_FROM`: no cap is read; with
    the threshold at 0 both caps (needs, programme) are."""
    region = load_instance(bundled_instance("haaglanden")).region
    read: list[int] = []

    def recorded(model: LinearModel, terms: Terms, value: int, duals: dict[int, float]) -> None:
        read.append(len(model.variables))

    monkeypatch.setattr(run_module, "implied_bounds", recorded)
    assert solve(region, hard_limit=False).status == "optimal"
    assert read == []
    monkeypatch.setattr(run_module, "NARROW_FROM", 0)
    assert solve(region, hard_limit=False).status == "optimal"
    assert len(read) == 2
    assert all(size < NARROW_FROM for size in read)


def test_a_large_reduced_model_is_not_narrowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above `NARROW_UP_TO` variables no narrowing relaxation is solved, beside a stage or
    after it: nationally (3,425 variables) with the limit at 1,000 no cap is read, and the
    allocation and the stage values are those of the usual solve, which reads caps."""
    region = load_instance(bundled_instance("nl")).region
    read: list[int] = []
    begun: list[int] = []
    narrowing = Run._narrowing
    implied = implied_bounds

    def recorded(model: LinearModel, terms: Terms, value: int, duals: dict[int, float]) -> Any:
        read.append(len(model.variables))
        return implied(model, terms, value, duals)

    def counted(run: Run, *args: Any) -> Any:
        begun.append(1)
        return narrowing(run, *args)

    monkeypatch.setattr(run_module, "implied_bounds", recorded)
    monkeypatch.setattr(Run, "_narrowing", counted)
    usual = solve(region, hard_limit=False)
    assert read and begun
    read.clear()
    begun.clear()
    monkeypatch.setattr(run_module, "NARROW_UP_TO", 1_000)
    unnarrowed = solve(region, hard_limit=False)
    assert read == [] and begun == []
    assert usual.status == unnarrowed.status == "optimal"
    assert unnarrowed.allocation == usual.allocation
    assert [s.value for s in unnarrowed.stages] == [s.value for s in usual.stages]
