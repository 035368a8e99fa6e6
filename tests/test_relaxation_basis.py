"""A relaxation started from the basis of another over the same variables
(`solver.backends.ortools_mathopt.MathOptBackend.prepared_relaxation`): the basis a relaxation
gives, how it is read for a model with other rows, GLOP's solve from it and HiGHS's where GLOP
gives no optimum, the tie-break stage's first relaxation of column generation started from
the programme stage's, and the building searches of a level search's probes started each from
the last one's (`solver.relaxation_first.solve_by_relaxation`'s ``last``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import solver.backends.ortools_mathopt as mathopt_module
import solver.run as run_module
from benchmarks.suite import get_instance
from instances import bundled_instance
from models.loader import load_instance
from solver.backends.base import Basis, LastBasis, Relaxation, SolverOptions, Status
from solver.backends.mathopt_proto import solve_relaxation
from solver.columns import solve_by_columns
from solver.model import Constraint, LinearModel, Terms, evaluate
from solver.relaxation_first import solve_by_relaxation
from solver.solve import solve

OPTIONS = SolverOptions(time_limit=60)
BASIC = mathopt_module._BASIC


def _backend(model: LinearModel) -> mathopt_module.MathOptBackend:
    return mathopt_module.MathOptBackend(model, OPTIONS)


def _square() -> LinearModel:
    """x, y in [0, 4] with x + y <= 6 and x - y <= 2: a square cut twice."""
    model = LinearModel()
    x = model.add_variable("x", 0, 4, integer=False)
    y = model.add_variable("y", 0, 4, integer=False)
    model.add_constraint("sum", "test", {x: 1, y: 1}, "<=", 6)
    model.add_constraint("gap", "test", {x: 1, y: -1}, "<=", 2)
    return model


def _engines(
    monkeypatch: pytest.MonkeyPatch,
    fail_glop: bool = False,
    ended: list[bool] | None = None,
    limits: list[int | None] | None = None,
) -> list[tuple[str, bool]]:
    """The engine of each relaxation the backend solves and whether it had a basis; with
    ``fail_glop`` every GLOP solve ends without an answer; ``ended`` gets, for each solve
    from a basis, whether it ended optimal with duals; ``limits`` each solve's iteration
    limit."""
    calls: list[tuple[str, bool]] = []

    def recorded(
        proto: Any,
        time_limit: float,
        solver: Any,
        algorithm: Any = None,
        basis: Any = None,
        iteration_limit: int | None = None,
    ) -> Any:
        calls.append((solver.name, basis is not None))
        if limits is not None:
            limits.append(iteration_limit)
        if fail_glop and solver.name == "GLOP":
            return None
        result = solve_relaxation(proto, time_limit, solver, algorithm, basis, iteration_limit)
        if basis is not None and ended is not None:
            ended.append(mathopt_module._optimal_with_duals(result))
        return result

    monkeypatch.setattr(mathopt_module, "solve_relaxation", recorded)
    return calls


def _relaxed(model: LinearModel, terms: Terms, start: Basis | None = None) -> Relaxation:
    relaxation = _backend(model).prepared_relaxation(terms, start)(60)
    assert relaxation is not None
    return relaxation


def test_a_relaxation_gives_a_basis_of_its_models_variables_and_rows() -> None:
    model = _square()
    relaxation = _relaxed(model, {0: -1, 1: -2})
    basis = relaxation.basis
    assert basis is not None
    assert len(basis.variables) == 2 and len(basis.row_status) == 2
    assert len(basis.rows) == 2
    assert all(kept is row for kept, row in zip(basis.rows, model.constraints, strict=True))
    assert basis.variables.count(BASIC) + basis.row_status.count(BASIC) == 2
    assert relaxation.values == pytest.approx({0: 2.0, 1: 4.0})


def test_a_relaxation_from_a_basis_is_solved_by_glop_to_the_optimum_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another objective over the same variables with one more row (the first two the same
    objects, as with the reduced model's rows): GLOP starts from the basis, HiGHS is not asked,
    and the optimum is the one HiGHS finds without a start."""
    first = _square()
    basis = _relaxed(first, {0: -1, 1: -2}).basis
    assert basis is not None
    second = first.with_constraints([*first.constraints])
    second.add_constraint("floor", "test", {0: 1}, ">=", 1)
    terms = {0: -3, 1: -1}
    limits: list[int | None] = []
    calls = _engines(monkeypatch, limits=limits)
    warm = _relaxed(second, terms, basis)
    assert calls == [("GLOP", True)]
    assert limits == [3]  # at most as many iterations as the model has rows
    calls.clear()
    cold = _relaxed(second, terms)
    assert calls == [("HIGHS", False)]
    assert evaluate(terms, warm.values) == pytest.approx(evaluate(terms, cold.values))  # type: ignore[arg-type]
    assert warm.values == pytest.approx({0: 4.0, 1: 2.0})


def test_where_glop_gives_no_optimum_highs_solves_the_relaxation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _square()
    basis = _relaxed(model, {0: -1, 1: -2}).basis
    calls = _engines(monkeypatch, fail_glop=True)
    relaxation = _relaxed(model, {0: -3, 1: -1}, basis)
    assert calls == [("GLOP", True), ("HIGHS", False)]
    assert relaxation.values == pytest.approx({0: 4.0, 1: 2.0})


def test_a_basis_is_read_row_by_row_and_a_new_row_starts_with_its_slack_basic() -> None:
    """The rows after those shared as objects are matched by value (a row rewritten alike keeps
    its status), else by all but the right-hand side; a row the start lacks gets a basic slack.
    No basis where the variables differ in number, nor where the statuses would not make one
    (a nonbasic row left out, or replaced by a row over other terms)."""
    model = _square()
    x, y = 0, 1
    start = Basis((BASIC, BASIC), tuple(model.constraints), (3, 2))
    rewritten = [Constraint("gap", "test", ((x, 1), (y, -1)), "<=", 2)]
    other = model.with_constraints([model.constraints[0], *rewritten])
    other.add_constraint("floor", "test", {x: 1}, ">=", 1)
    backend = _backend(other)
    basis = backend._initial_basis(start)
    assert basis is not None
    assert list(basis.constraint_status.values) == [3, 2, BASIC]
    assert list(basis.variable_status.values) == [BASIC, BASIC]
    # A row that differs only in its right-hand side (a building search's row that asks for
    # another total) keeps its status too; one of the same name over other terms does not.
    moved = model.with_constraints(
        [model.constraints[0], Constraint("gap", "test", ((x, 1), (y, -1)), "<=", 1)]
    )
    alike = _backend(moved)._initial_basis(start)
    assert alike is not None and list(alike.constraint_status.values) == [3, 2]
    other = model.with_constraints(
        [model.constraints[0], Constraint("gap", "test", ((x, 2), (y, -1)), "<=", 2)]
    )
    assert _backend(other)._initial_basis(start) is None
    wider = _square()
    wider.add_variable("z", 0, 1, integer=False)
    assert _backend(wider)._initial_basis(start) is None
    fewer = model.with_constraints(model.constraints[:1])
    assert _backend(fewer)._initial_basis(start) is None


def test_the_tie_breaks_first_relaxation_starts_from_the_programme_stages_basis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nationally, with the later stages proven block by block (`COLUMNS_FROM` at 0): the
    tie-break stage's column generation gets the basis of the relaxation that narrowed its
    bounds (the programme stage's, over the rows in force before the programme stage's cap),
    GLOP solves its first relaxation from it to an optimum (no HiGHS after it), and the
    allocation and every stage's value are
    those of the usual solve. The programme stage gets none: the last narrowing before it is
    the needs stage's."""
    national = load_instance(bundled_instance("nl")).region
    region = replace(national, policy=replace(national.policy, objective="sum_abs_deviation"))
    usual = solve(region, hard_limit=False)
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    given: list[Basis | None] = []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs.get("basis"))
        return solve_by_columns(*args, **kwargs)

    monkeypatch.setattr(run_module, "solve_by_columns", recorded)
    ended: list[bool] = []
    calls = _engines(monkeypatch, ended=ended)
    by_blocks = solve(region, hard_limit=False)
    assert by_blocks.status == usual.status == "optimal"
    assert by_blocks.allocation == usual.allocation
    assert [(s.name, s.value) for s in by_blocks.stages] == [
        (s.name, s.value) for s in usual.stages
    ]
    assert len(given) == 2 and given[0] is None and given[1] is not None
    assert any(row.name == "stage[needs]" for row in given[1].rows)
    assert calls.count(("GLOP", True)) == 1 and ended == [True]


def test_a_search_starts_from_the_last_ones_basis_and_leaves_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two searches over the same rows and variables with other bounds
    (`solve_by_relaxation` with ``last``): the first, without a basis, is solved by HiGHS and
    leaves its basis; the second starts GLOP from it and reaches the optimum of a search
    without one."""
    first = _square()
    for index in (0, 1):
        variable = first.variables[index]
        first.variables[index] = variable._replace(integer=True)
    second = first.with_bounds({1: (0, 3)})
    terms = {0: -1, 1: -2}
    last = LastBasis()
    calls = _engines(monkeypatch)
    one = solve_by_relaxation(_backend(first), terms, 60, _backend, None, last)
    assert calls == [("HIGHS", False)] and last.basis is not None
    assert one is not None and one.status == Status.OPTIMAL
    kept = last.basis
    calls.clear()
    two = solve_by_relaxation(_backend(second), terms, 60, _backend, None, last)
    assert calls == [("GLOP", True)] and last.basis is not kept
    alone = solve_by_relaxation(_backend(second), terms, 60, _backend)
    assert two is not None and alone is not None
    assert two.status == alone.status == Status.OPTIMAL
    assert two.objective == alone.objective == -9 and two.values == {0: 3, 1: 3}


def test_the_probes_building_searches_start_from_the_last_ones_basis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """syn-1000-g8 under ``max_rel_deviation``: the level search's probes ask for buildings
    over the same rows and variables; after the first, each relaxation starts GLOP from the
    last one's basis and ends optimal there, and the allocation and every stage's value are
    those of a solve whose searches start from nothing."""
    base = get_instance("syn-1000-g8").load()
    region = replace(base, policy=replace(base.policy, objective="max_rel_deviation"))
    original = run_module.Run.solve_building

    def cold(
        self: run_module.Run,
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Any:
        return original(self, model, terms, guide, None)

    monkeypatch.setattr(run_module.Run, "solve_building", cold)
    usual = solve(region, hard_limit=False)
    monkeypatch.setattr(run_module.Run, "solve_building", original)
    ended: list[bool] = []
    calls = _engines(monkeypatch, ended=ended)
    warm = solve(region, hard_limit=False)
    assert warm.status == usual.status == "optimal"
    assert warm.allocation == usual.allocation
    assert [(s.name, s.value) for s in warm.stages] == [(s.name, s.value) for s in usual.stages]
    assert calls.count(("GLOP", True)) >= 3
    assert ended and all(ended)
