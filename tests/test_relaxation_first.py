"""A MIP proven by its linear relaxation (`solver.relaxation_first.solve_by_relaxation`): an
answer that reaches the duals' bound is optimal; anything else is left to the whole MIP; on a
pilot region every building MIP of the placement network is proven this way, at the optimum the
whole MIP finds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import solver.relaxation_first as relaxation_first
import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import Backend, Basis, LastBasis, Outcome, SolverOptions, Status
from solver.model import Constraint, LinearModel, Terms, evaluate
from solver.network import holds
from solver.relaxation_first import solve_by_relaxation
from solver.solve import solve

OPTIONS = SolverOptions(time_limit=10)


def _backend(model: LinearModel) -> Backend:
    return backend_class("ortools")(model, OPTIONS)


def _by_relaxation(model: LinearModel, terms: Terms) -> Outcome | None:
    return solve_by_relaxation(_backend(model), terms, 10, _backend)


def test_an_answer_that_reaches_the_bound_is_proven_from_a_fractional_relaxation() -> None:
    # max x + y  s.t.  2x + 2y <= 3, x, y in {0, 1}: the relaxation stops at 1.5 with one of
    # them at 1/2, its bound rounds up to -1, and fixing the whole one leaves an answer of -1.
    model = LinearModel()
    x = model.add_variable("x", 0, 1)
    y = model.add_variable("y", 0, 1)
    model.add_constraint("row", "test", {x: 2, y: 2}, "<=", 3)
    outcome = _by_relaxation(model, {x: -1, y: -1})
    assert outcome is not None and outcome.status == Status.OPTIMAL
    assert outcome.values is not None and holds(model, (), outcome.values)
    assert outcome.objective == outcome.bound == -1 == evaluate({x: -1, y: -1}, outcome.values)


def test_nothing_is_claimed_where_the_integers_stay_above_the_bound() -> None:
    # An odd cycle: x + y, y + z, x + z <= 1 over 0/1 variables, max 2(x + y + z). The
    # relaxation reaches 3 at one half each, the bound -3; the integers reach only -2.
    model = LinearModel()
    x, y, z = (model.add_variable(name, 0, 1) for name in "xyz")
    for name, pair in (("xy", (x, y)), ("yz", (y, z)), ("xz", (x, z))):
        model.add_constraint(name, "test", dict.fromkeys(pair, 1), "<=", 1)
    assert _by_relaxation(model, {x: -2, y: -2, z: -2}) is None
    whole = _backend(model).minimize({x: -2, y: -2, z: -2}, 10)
    assert whole.status == Status.OPTIMAL and whole.objective == -2


def test_nothing_is_claimed_for_a_model_without_an_answer() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 3)
    model.add_constraint("row", "test", {x: 2}, "==", 3)
    assert _by_relaxation(model, {x: 1}) is None


def test_every_building_mip_of_a_pilot_region_is_proven_at_the_whole_mips_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved: list[tuple[LinearModel, Terms, Outcome | None]] = []

    def recorded(
        backend: Backend,
        terms: Terms,
        time_limit: float,
        backend_for: Callable[..., Backend],
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome | None:
        outcome = solve_by_relaxation(backend, terms, time_limit, backend_for, guide, last)
        solved.append((backend.model, terms, outcome))
        return outcome

    monkeypatch.setattr(run_module, "solve_by_relaxation", recorded)
    region = load_instance(bundled_instance("haaglanden")).region
    assert solve(region, "ortools", OPTIONS, hard_limit=False).status == "optimal"
    assert len(solved) >= 2  # the least building cost and the widest pools
    for model, terms, outcome in solved:
        assert outcome is not None and outcome.values is not None
        assert holds(model, (), outcome.values)
        whole = _backend(model).minimize(terms, 10)
        assert whole.status == Status.OPTIMAL and outcome.objective == whole.objective


def test_a_search_without_an_objective_is_steered_by_its_guide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without terms the relaxation minimises the guide (here its vertex is x = 0, y = 2, where
    one without an objective may stop anywhere in the box), and the answer, a point within the
    rows, is proven at 0; with terms the guide is not read."""
    model = LinearModel()
    x = model.add_variable("x", 0, 2)
    y = model.add_variable("y", 0, 2)
    model.add_constraint("row", "test", {x: 1, y: 1}, ">=", 2)
    backend = _backend(model)
    asked: list[Terms] = []
    real = backend.prepared_relaxation

    def prepared(terms: Terms, start: Basis | None = None) -> Any:
        asked.append(dict(terms))
        return real(terms, start)

    monkeypatch.setattr(backend, "prepared_relaxation", prepared)
    guide = {x: 3, y: 1}
    outcome = solve_by_relaxation(backend, {}, 10, _backend, guide)
    assert asked == [guide]
    assert outcome is not None and outcome.status == Status.OPTIMAL
    assert outcome.objective == outcome.bound == 0
    assert outcome.values == {x: 0, y: 2}
    steered = solve_by_relaxation(backend, {x: 1, y: 2}, 10, _backend, guide)
    assert asked[-1] == {x: 1, y: 2}
    assert steered is not None and steered.objective == 2 and steered.values == {x: 2, y: 0}


def test_no_relaxation_once_rows_were_added_to_the_backend() -> None:
    # The duals are read against the model's own rows; a row added since has no `Constraint`
    # among them (and may be scaled), so the backend gives no relaxation then.
    model = LinearModel()
    x = model.add_variable("x", 0, 3)
    model.add_constraint("row", "test", {x: 2}, "<=", 5)
    backend = _backend(model)
    assert backend.relaxation({x: -1}, 10) is not None
    backend.add_constraint(Constraint("added", "test", ((x, 1),), "<=", 1))
    assert backend.relaxation({x: -1}, 10) is None
    assert _by_relaxation(model, {x: -1}) is not None


def test_a_failed_completion_is_tried_again_with_the_whole_blocks_of_the_fractional_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the MIP over the fractional variables alone gives nothing (here: as if it had no
    answer), a second one frees every variable their short rows link to them (x and y), not
    those only a long row reaches (z, w; long here from 3 terms), and its answer at the bound
    is proven."""
    monkeypatch.setattr(relaxation_first, "COUPLING_FROM", 3)
    model = LinearModel()
    x = model.add_variable("x", 0, 1)
    y = model.add_variable("y", 0, 1)
    z = model.add_variable("z", 0, 1)
    w = model.add_variable("w", 0, 1)
    model.add_constraint("row", "test", {x: 2, y: 2}, "<=", 3)
    model.add_constraint("long", "test", {x: 1, z: 1, w: 1}, "<=", 3)
    freed: list[set[int]] = []
    real = relaxation_first._completed

    def first_fails(*args: Any) -> dict[int, int] | None:
        freed.append(set(args[3]))
        return None if len(freed) == 1 else real(*args)

    monkeypatch.setattr(relaxation_first, "_completed", first_fails)
    outcome = _by_relaxation(model, {x: -1, y: -1, z: -1, w: -1})
    assert outcome is not None and outcome.status == Status.OPTIMAL
    assert outcome.values is not None and holds(model, (), outcome.values)
    assert outcome.objective == outcome.bound == -3
    assert len(freed) == 2 and len(freed[0]) == 1 and freed[0] < {x, y}
    assert freed[1] == {x, y}


def test_a_first_completion_short_of_the_bound_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first completion that meets every row but misses the bound is not kept: the second,
    over the blocks, reaches it (z and w only make x and y's block half the model)."""
    model = LinearModel()
    x = model.add_variable("x", 0, 1)
    y = model.add_variable("y", 0, 1)
    model.add_variable("z", 0, 1)
    model.add_variable("w", 0, 1)
    model.add_constraint("row", "test", {x: 2, y: 2}, "<=", 3)
    freed: list[set[int]] = []
    real = relaxation_first._completed

    def first_short(*args: Any) -> dict[int, int] | None:
        freed.append(set(args[3]))
        return {x: 0, y: 0, 2: 0, 3: 0} if len(freed) == 1 else real(*args)

    monkeypatch.setattr(relaxation_first, "_completed", first_short)
    outcome = _by_relaxation(model, {x: -1, y: -1})
    assert outcome is not None and outcome.objective == outcome.bound == -1
    assert outcome.values is not None and evaluate({x: -1, y: -1}, outcome.values) == -1
    assert freed[1] == {x, y}


def test_no_second_completion_where_the_blocks_free_nothing_more_or_half_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the fractional variable is a block of its own (x alone), or its block holds half
    the model or more (x and y of x, y, z), the first failure ends it: the caller solves the
    whole MIP."""
    model = LinearModel()
    x = model.add_variable("x", 0, 3)
    model.add_constraint("row", "test", {x: 2}, "<=", 3)
    calls: list[set[int]] = []

    def failing(*args: Any) -> dict[int, int] | None:
        calls.append(set(args[3]))
        return None

    monkeypatch.setattr(relaxation_first, "_completed", failing)
    assert _by_relaxation(model, {x: -1}) is None
    assert calls == [{x}]
    calls.clear()
    model = LinearModel()
    x = model.add_variable("x", 0, 3)
    y = model.add_variable("y", 0, 3)
    z = model.add_variable("z", 0, 3)
    model.add_constraint("row", "test", {x: 2, y: 1}, "<=", 3)
    model.add_constraint("y", "test", {y: 1}, "==", 0)
    model.add_constraint("z", "test", {z: 1}, "<=", 1)
    assert _by_relaxation(model, {x: -1, z: -1}) is None
    assert calls == [{x}]
