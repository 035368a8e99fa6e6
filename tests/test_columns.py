"""The later stages proven block by block (`solver.columns`, `solver.run.Run.by_columns`): the
blocks split the model as documented, the Lagrangian bound never passes the optimum whatever
the duals, the decomposition reaches the optimum SCIP proves, and a solve that takes this route
returns the allocation of the usual one."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest

import solver.backends.mathopt_parameters as parameters_module
import solver.backends.ortools_mathopt as mathopt_module
import solver.columns as columns_module
import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import Backend, Outcome, SolverOptions, Status
from solver.backends.mathopt_proto import solve_relaxation
from solver.columns import (
    GROWTH,
    LARGEST_PRICE,
    BlockPricer,
    ByColumns,
    _restricted,
    _widened,
    exact_duals,
    lagrangian_bound,
    lagrangian_terms,
    priced_duals,
    solve_by_columns,
    split_blocks,
)
from solver.linear_stage import FIRST_ANSWER_SKIPPED_WITHIN, _first_answer_wanted, with_columns
from solver.model import Constraint, LinearModel
from solver.objectives import Stage
from solver.solve import StageProblem, solve, stage_problem

OPTIONS = SolverOptions(time_limit=120)


@pytest.fixture(scope="module")
def national() -> Region:
    return load_instance(bundled_instance("nl")).region


@pytest.fixture(scope="module")
def programme(national: Region) -> StageProblem:
    problem = stage_problem(national, "programme", OPTIONS)
    assert problem is not None
    return problem


def _backend(model: LinearModel) -> Backend:
    return backend_class("ortools")(model, OPTIONS)


def _optimum(problem: StageProblem) -> int:
    outcome = _backend(problem.model).minimize(problem.terms, 120, hint=problem.start)
    assert outcome.status == Status.OPTIMAL and outcome.values is not None
    return sum(c * outcome.values[i] for i, c in problem.terms.items())


def test_blocks_partition_the_variables_and_split_the_rows(
    national: Region, programme: StageProblem
) -> None:
    """Every variable is in exactly one block; a kept row lies within one block, a coupling row
    spans at least two; nationally the blocks are the 342 municipalities."""
    blocks = split_blocks(programme.model)
    assert blocks is not None
    block_of: dict[int, int] = {}
    for number, members in enumerate(blocks.members):
        for index in members:
            assert index not in block_of
            block_of[index] = number
    assert sorted(block_of) == list(range(len(programme.model.variables)))
    for row in blocks.kept:
        assert len({block_of[i] for i, _ in row.terms}) <= 1
    for row in blocks.coupling:
        assert len({block_of[i] for i, _ in row.terms}) >= 2
    assert len(blocks.kept) + len(blocks.coupling) == len(programme.model.constraints)
    assert [programme.model.constraints[p] for p in blocks.positions] == list(blocks.coupling)
    assert len(blocks.members) == len(national.codes)


def test_short_rows_join_blocks_and_long_rows_couple_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """With rows of three terms or more coupling: x0-x1 and x2-x3 are blocks, the row over all
    four couples them."""
    monkeypatch.setattr(columns_module, "COUPLING_FROM", 3)
    model = LinearModel()
    for name in "abcd":
        model.add_variable(name, 0, 5)
    model.add_constraint("pair[0]", "test", {0: 1, 1: 1}, "<=", 4)
    model.add_constraint("pair[1]", "test", {2: 1, 3: -1}, ">=", 0)
    model.add_constraint("total", "test", {0: 1, 1: 1, 2: 1, 3: 1}, "==", 6)
    blocks = split_blocks(model)
    assert blocks is not None
    assert sorted(sorted(m) for m in blocks.members) == [[0, 1], [2, 3]]
    assert [r.name for r in blocks.coupling] == ["total"]
    assert blocks.positions == (2,)


def test_duals_keep_the_signs_that_make_the_bound_valid() -> None:
    rows = [
        Constraint("at_most", "test", ((0, 1),), "<=", 0),
        Constraint("at_least", "test", ((0, 1),), ">=", 0),
        Constraint("equal", "test", ((0, 1),), "==", 0),
    ]
    duals, common = exact_duals([0.6000000001, -0.1, -0.6], rows)
    assert [Fraction(d, common) for d in duals] == [0, 0, Fraction(-3, 5)]
    duals, common = exact_duals([-0.6, 0.1, 1 / 3], rows)
    assert [Fraction(d, common) for d in duals] == [
        Fraction(-3, 5),
        Fraction(1, 10),
        Fraction(1, 3),
    ]
    odd = [1 / 9973, 1 / 9967, 1 / 9949]
    duals, common = exact_duals(odd, [rows[2]] * 3, grid=1000)
    assert common == 1000 and duals == [0, 0, 0]


def test_duals_are_rounded_on_the_finest_grid_whose_prices_fit() -> None:
    """Two duals of odd denominators push the common denominator past 10**6; with a third of
    3 * 10**6 the prices on that grid pass `LARGEST_PRICE`, on 10**5 they fit; at 3 * 10**9
    no grid fits."""
    rows = [
        Constraint("odd_a", "test", ((0, 1),), "==", 0),
        Constraint("odd_b", "test", ((1, 1),), "==", 0),
        Constraint("large", "test", ((2, 1),), "<=", 0),
    ]
    terms = {0: 1, 1: 1, 2: 1}
    made = priced_duals(terms, rows, [1 / 9973, 1 / 9967, -3e6])
    assert made is not None
    duals, common, prices = made
    assert common == 10**5
    assert duals == [10, 10, -3 * 10**11]
    assert prices == {0: 10**5 - 10, 1: 10**5 - 10, 2: 10**5 + 3 * 10**11}
    assert max(abs(p) for p in prices.values()) <= LARGEST_PRICE
    assert priced_duals(terms, rows, [1 / 9973, 1 / 9967, -3e9]) is None
    exact = priced_duals(terms, rows[:1] + rows[2:], [1 / 9973, -3e6])
    assert exact is not None and exact[1] == 9973


def test_the_lagrangian_bound_never_passes_the_optimum(programme: StageProblem) -> None:
    """Weak duality: at any duals (made exact and of the right signs by `exact_duals`), the
    bound from the cheapest point over the kept rows is at most the stage's optimum; at the
    duals of the linear relaxation it is above that relaxation's value (nationally it closes
    the programme stage's gap of 111 dwellings but for 0.2)."""
    blocks = split_blocks(programme.model)
    assert blocks is not None
    optimum = _optimum(programme)
    pricer = _backend(programme.model.with_constraints(blocks.kept))
    draw = random.Random(7)
    samples = [[draw.uniform(-3, 3) for _ in blocks.coupling] for _ in range(4)]
    relaxation = _backend(programme.model).relaxation(programme.terms, 60)
    assert relaxation is not None
    at_relaxation = [relaxation.duals[p] for p in blocks.positions]
    for floats in [*samples, at_relaxation]:
        duals, common = exact_duals(floats, blocks.coupling)
        prices = lagrangian_terms(programme.terms, blocks.coupling, duals, common)
        outcome = pricer.minimize(prices, 60)
        assert outcome.status == Status.OPTIMAL and outcome.values is not None
        bound = lagrangian_bound(blocks.coupling, duals, common, prices, outcome.values)
        assert bound <= optimum
    relaxed_value = sum(c * relaxation.values[i] for i, c in programme.terms.items())
    assert bound > relaxed_value + 100
    assert optimum - bound < 1


def test_the_decomposition_reaches_the_optimum_and_proves_it(programme: StageProblem) -> None:
    """From the previous stage's answer, column generation ends at an answer that meets every
    row, whose value is SCIP's optimum and the ceiling of the exact bound."""
    found = solve_by_columns(
        programme.model, programme.terms, programme.start, _backend, time.perf_counter() + 120
    )
    assert found is not None
    assert found.value == _optimum(programme)
    assert found.bound <= found.value < found.bound + 1
    assert all(row.holds(found.values) for row in programme.model.constraints)
    for variable in programme.model.variables:
        value = found.values[variable.index]
        assert value >= variable.lower and (variable.upper is None or value <= variable.upper)
    assert found.value == sum(c * found.values[i] for i, c in programme.terms.items())


def test_a_start_at_the_bound_ends_the_decomposition_at_once(programme: StageProblem) -> None:
    """Started from SCIP's optimum, whose value is the ceiling of the first bound (nationally
    454,434.8 against 454,435 dwellings), column generation runs no round and returns that
    start."""
    outcome = _backend(programme.model).minimize(programme.terms, 120, hint=programme.start)
    assert outcome.values is not None
    found = solve_by_columns(
        programme.model, programme.terms, outcome.values, _backend, time.perf_counter() + 120
    )
    assert found is not None
    assert found.rounds == 0
    assert found.values == dict(outcome.values)
    assert found.value == _optimum(programme)


def test_boxes_widen_only_where_a_dual_sits_on_their_edge() -> None:
    """A row whose dual is on the edge of its box (either side) gets a box `GROWTH` times
    wider, at most the widest; a row whose dual is inside keeps its box."""
    centre = [0.0, 5.0, -2.0, 1.0]
    width = [10.0, 10.0, 4.0, 400.0]
    duals = [10.0, -5.0, -3.0, 401.0]
    assert _widened(width, centre, duals, 1000.0) == [
        10.0 * GROWTH,
        10.0 * GROWTH,
        4.0,
        min(400.0 * GROWTH, 1000.0),
    ]


def test_pricing_in_parts_finds_the_cheapest_point_of_pricing_whole(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """The blocks priced in parts of at most 500 variables (nationally 7 parts) give a point
    as cheap as one MIP over all the kept rows, meeting every kept row."""
    blocks = split_blocks(programme.model)
    assert blocks is not None
    relaxation = _backend(programme.model).relaxation(programme.terms, 60)
    assert relaxation is not None
    duals, common = exact_duals([relaxation.duals[p] for p in blocks.positions], blocks.coupling)
    prices = lagrangian_terms(programme.terms, blocks.coupling, duals, common)
    whole = _backend(programme.model.with_constraints(blocks.kept)).minimize(prices, 60)
    monkeypatch.setattr(columns_module, "PRICING_PART", 500)
    pricer = BlockPricer(programme.model, blocks, _backend)
    assert len(pricer.parts) == 7
    parts = pricer.cheapest(prices, 60)
    assert whole.values is not None
    assert parts is not None  # every part proven optimal
    assert sorted(parts) == list(range(len(programme.model.variables)))
    assert all(row.holds(parts) for row in blocks.kept)
    cost = sum(c * parts[i] for i, c in prices.items())
    assert cost == sum(c * whole.values[i] for i, c in prices.items())


def test_parts_priced_on_two_threads_give_the_point_of_one(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """Pricing 7 parts two at a time returns the very point of pricing them one after the
    other, at the relaxation's duals and at random ones; one part not proven gives ``None``
    either way (with pricers that have priced nothing yet, so that no part keeps a point)."""
    blocks = split_blocks(programme.model)
    assert blocks is not None
    monkeypatch.setattr(columns_module, "PRICING_PART", 500)
    one = BlockPricer(programme.model, blocks, _backend)
    two = BlockPricer(programme.model, blocks, _backend, workers=2)
    relaxation = _backend(programme.model).relaxation(programme.terms, 60)
    assert relaxation is not None
    draw = random.Random(11)
    samples = [[draw.uniform(-3, 3) for _ in blocks.coupling] for _ in range(2)]
    for floats in [[relaxation.duals[p] for p in blocks.positions], *samples]:
        duals, common = exact_duals(floats, blocks.coupling)
        prices = lagrangian_terms(programme.terms, blocks.coupling, duals, common)
        alone = one.cheapest(prices, 60)
        assert alone is not None
        assert two.cheapest(prices, 60) == alone
    one = BlockPricer(programme.model, blocks, _backend)
    two = BlockPricer(programme.model, blocks, _backend, workers=2)
    for pricer in (one, two):
        backend = pricer.parts[3][1]
        real_minimize = backend.minimize

        def unproven(*args: Any, minimize: Any = real_minimize, **kwargs: Any) -> Any:
            return replace(minimize(*args, **kwargs), status=Status.FEASIBLE)

        monkeypatch.setattr(backend, "minimize", unproven)
        assert pricer.cheapest(prices, 60) is None


def test_a_restricted_model_moves_the_fixed_terms_to_the_right_hand_side() -> None:
    """Over x1 and x3 with x0 = 2 and x2 = 1 fixed, ``x0 + x1 + x2 + x3 <= 10`` becomes
    ``x1' + x3' <= 7`` (x1 numbered 0, x3 numbered 1, their bounds kept); a row over fixed
    variables alone that breaks gives ``None``."""
    model = LinearModel()
    for number in range(4):
        model.add_variable(f"x{number}", 0, 5 + number)
    row = Constraint("total", "test", ((0, 1), (1, 1), (2, 1), (3, 1)), "<=", 10)
    restricted = _restricted(model, [3, 1], [row], {0: 2, 2: 1})
    assert restricted is not None
    sub, local = restricted
    assert local == {3: 0, 1: 1}
    assert [(v.name, v.lower, v.upper) for v in sub.variables] == [("x3", 0, 8), ("x1", 0, 6)]
    assert sub.constraints == [Constraint("total", "test", ((0, 1), (1, 1)), "<=", 7)]
    broken = Constraint("fixed", "test", ((0, 1), (2, 1)), ">=", 4)
    assert _restricted(model, [3, 1], [broken], {0: 2, 2: 1}) is None


def _covering_model() -> LinearModel:
    """min 3x + y over x + 2y >= 4, both continuous in [0, 10]: the answer y = 2, the dual 1/2."""
    model = LinearModel()
    x = model.add_variable("x", 0, 10, integer=False)
    y = model.add_variable("y", 0, 10, integer=False)
    model.add_constraint("cover", "test", {x: 1, y: 2}, ">=", 4)
    return model


def _methods_recorded(monkeypatch: pytest.MonkeyPatch, breaks: list[bool]) -> list[object]:
    """The method of each relaxation HiGHS is asked to solve, in order; the next of ``breaks``
    (taken from its end) that is true makes that solve end without an answer."""
    algorithms: list[object] = []
    real = solve_relaxation

    def breaking(proto: Any, time_limit: float, solver: Any, algorithm: Any = None) -> Any:
        algorithms.append(algorithm)
        if breaks.pop() if breaks else False:
            return None
        return real(proto, time_limit, solver, algorithm)

    monkeypatch.setattr("solver.backends.ortools_mathopt.solve_relaxation", breaking)
    return algorithms


def test_a_relaxation_whose_method_breaks_down_is_solved_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where HiGHS's own choice of method ends without an answer (here: as if it raised), the
    relaxation is solved again by `_AFTER_BREAKDOWN` and its values and duals returned; a
    relaxation proven infeasible is not solved again."""
    model = _covering_model()
    x, y = 0, 1
    algorithms = _methods_recorded(monkeypatch, [True])
    relaxed = _backend(model).relaxation({x: 3, y: 1}, 10)
    assert algorithms == [None, mathopt_module._AFTER_BREAKDOWN]
    assert relaxed is not None
    assert relaxed.values[y] == pytest.approx(2)
    assert relaxed.duals[0] == pytest.approx(0.5)
    algorithms.clear()
    model.add_constraint("cap", "test", {x: 1, y: 1}, "<=", 1)
    assert _backend(model).relaxation({x: 3, y: 1}, 10) is None
    assert algorithms == [None]


def test_a_large_relaxation_is_solved_by_the_interior_point_method_then_by_highs_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From `BARRIER_FROM` variables a relaxation with an objective goes to HiGHS's interior
    point method first; where that breaks down, to HiGHS's own choice, with the same values
    and duals as a relaxation below the threshold. A relaxation without an objective keeps the
    primal simplex, which is not tried again."""
    model = _covering_model()
    x, y = 0, 1
    breaks: list[bool] = []
    algorithms = _methods_recorded(monkeypatch, breaks)
    monkeypatch.setattr(mathopt_module, "BARRIER_FROM", 3)
    below = _backend(model).relaxation({x: 3, y: 1}, 10)
    assert algorithms == [None]
    monkeypatch.setattr(mathopt_module, "BARRIER_FROM", 2)
    algorithms.clear()
    breaks.append(True)
    again = _backend(model).relaxation({x: 3, y: 1}, 10)
    assert algorithms == [mathopt_module._INTERIOR_POINT, None]
    algorithms.clear()
    barrier = _backend(model).relaxation({x: 3, y: 1}, 10)
    assert algorithms == [mathopt_module._INTERIOR_POINT]
    assert below is not None and again is not None and barrier is not None
    for relaxed in (below, again, barrier):
        assert relaxed.values[x] == pytest.approx(0) and relaxed.values[y] == pytest.approx(2)
        assert relaxed.duals[0] == pytest.approx(0.5)
    algorithms.clear()
    assert _backend(model).relaxation({}, 10) is not None
    assert algorithms == [mathopt_module._WITHOUT_OBJECTIVE]
    algorithms.clear()
    breaks.append(True)
    assert _backend(model).relaxation({}, 10) is None
    assert algorithms == [mathopt_module._WITHOUT_OBJECTIVE]


def test_a_large_relaxation_with_a_sparse_objective_keeps_highs_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From `BARRIER_FROM` variables an objective that prices less than
    `BARRIER_PRICED_SHARE` of them goes to HiGHS's own choice, one that prices more to the
    interior point method."""
    model = _covering_model()
    x, y = 0, 1
    algorithms = _methods_recorded(monkeypatch, [])
    monkeypatch.setattr(mathopt_module, "BARRIER_FROM", 2)
    monkeypatch.setattr(mathopt_module, "BARRIER_PRICED_SHARE", 0.75)
    assert _backend(model).relaxation({x: 3}, 10) is not None
    assert algorithms == [None]
    algorithms.clear()
    assert _backend(model).relaxation({x: 3, y: 1}, 10) is not None
    assert algorithms == [mathopt_module._INTERIOR_POINT]


def test_no_answer_once_the_time_is_up(programme: StageProblem) -> None:
    assert (
        solve_by_columns(
            programme.model, programme.terms, programme.start, _backend, time.perf_counter()
        )
        is None
    )


@pytest.mark.parametrize("objective", ["sum_abs_deviation", "max_abs_deviation"])
def test_a_solve_block_by_block_returns_the_usual_allocation(
    monkeypatch: pytest.MonkeyPatch, national: Region, objective: str
) -> None:
    """Nationally the reduced model is below `COLUMNS_FROM`; with the threshold at 0 the
    programme and tie-break stages are proven block by block, and the allocation, every stage's
    value and the status are those of the usual solve."""
    region = replace(national, policy=replace(national.policy, objective=objective))
    usual = solve(region, hard_limit=False)
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    by_blocks = solve(region, hard_limit=False)
    assert usual.status == by_blocks.status == "optimal"
    assert by_blocks.allocation == usual.allocation
    assert [(s.name, s.value) for s in by_blocks.stages] == [
        (s.name, s.value) for s in usual.stages
    ]
    methods = {s.name: s.method for s in by_blocks.stages}
    assert methods["programme"] == methods["tie_break"] == "columns"
    assert {s.name: s.method for s in usual.stages}["programme"] == "mip"
    assert any(note.startswith("tie_break: proven block by block") for note in by_blocks.notes)
    for stage in by_blocks.stages:
        assert stage.bound is not None and stage.value is not None
        assert stage.bound <= stage.value


def _recording_pricer(record: Callable[[BlockPricer], None]) -> type[BlockPricer]:
    """A `BlockPricer` that hands each pricer it makes to ``record``."""

    class Recording(BlockPricer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            record(self)

    return Recording


def test_block_by_block_prices_two_parts_at_once_on_one_thread_each(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Without a memory limit the pricing solves `PRICING_WORKERS` parts at once, each SCIP
    solve on one thread (two-thread solves side by side crashed the process), with
    ``threads=1`` as with ``threads=2``; under a memory limit the parts go one at a time, each
    SCIP solve on the threads asked for; on one core, one part at a time. The allocation is
    the same in all four."""
    monkeypatch.setattr(run_module, "_cores", lambda: 2)
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    monkeypatch.setattr(run_module, "FAST_PRICING_PART", 500)
    made: list[tuple[int, int]] = []

    def record(pricer: BlockPricer) -> None:
        assert len(pricer.parts) > 1
        made.append((pricer.workers, pricer.parts[0][1].options.threads))

    monkeypatch.setattr(columns_module, "BlockPricer", _recording_pricer(record))
    one = solve(national, options=SolverOptions(threads=1), hard_limit=False)
    two = solve(national, options=SolverOptions(threads=2), hard_limit=False)
    limited = solve(national, options=SolverOptions(threads=2, memory_limit=4000), hard_limit=False)
    assert one.status == two.status == limited.status == "optimal"
    assert two.allocation == one.allocation == limited.allocation
    monkeypatch.setattr(run_module, "_cores", lambda: 1)
    single = solve(national, options=SolverOptions(threads=1), hard_limit=False)
    assert single.status == "optimal" and single.allocation == one.allocation
    assert run_module.PRICING_WORKERS == 2
    # One pricer per solve (the tie-break stage prices with the programme stage's), but two
    # under a memory limit, which keeps no pricer between stages.
    assert made == [(2, 1), (2, 1), (1, 2), (1, 2), (1, 1)]


def test_a_completion_short_of_the_bound_comes_back_unproven(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """Where the completion gives nothing that reaches the bound's ceiling, column generation
    returns the best whole point it has (here the start), unproven, with its bound, which
    still holds."""
    optimum = _optimum(programme)
    start_value = sum(c * programme.start[i] for i, c in programme.terms.items())
    assert optimum < start_value
    monkeypatch.setattr(columns_module, "_completed", lambda *args: None)
    found = solve_by_columns(
        programme.model, programme.terms, programme.start, _backend, time.perf_counter() + 120
    )
    assert found is not None and not found.proven
    assert found.values == dict(programme.start) and found.value == start_value
    assert found.bound <= optimum


def test_a_stage_not_proven_block_by_block_is_solved_whole_from_its_answer(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Nationally, forced block by block with a completion that gives nothing, the programme
    and tie-break stages are solved whole, each started from column generation's answer, and
    the allocation is the usual one."""
    usual = solve(national, hard_limit=False)
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    monkeypatch.setattr(columns_module, "_completed", lambda *args: None)
    answers: list[dict[int, int] | None] = []
    starts: list[Any] = []
    by_columns, minimize = run_module.Run.by_columns, run_module.Run.minimize

    def recorded_columns(self: Any, *args: Any) -> Any:
        outcome = by_columns(self, *args)
        answers.append(None if outcome is None else outcome.values)
        return outcome

    def recorded_minimize(self: Any, terms: Any, hint: Any, **kwargs: Any) -> Any:
        starts.append(hint)
        return minimize(self, terms, hint, **kwargs)

    monkeypatch.setattr(run_module.Run, "by_columns", recorded_columns)
    monkeypatch.setattr(run_module.Run, "minimize", recorded_minimize)
    fallen = solve(national, hard_limit=False)
    assert fallen.status == usual.status == "optimal"
    assert fallen.allocation == usual.allocation
    assert [(s.name, s.value) for s in fallen.stages] == [(s.name, s.value) for s in usual.stages]
    methods = {s.name: s.method for s in fallen.stages}
    assert methods["programme"] == methods["tie_break"] == "mip"
    for name in ("programme", "tie_break"):
        assert any(note.startswith(f"{name}: not proven block by block") for note in fallen.notes)
    assert len(answers) == 2 and all(answer is not None for answer in answers)
    assert all(any(start is answer for start in starts) for answer in answers)


def test_the_later_stages_offer_their_blocks_where_scip_stops_after_its_nodes(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Below `COLUMNS_FROM` the programme and tie-break stages go to the backend with a prover
    (`Run.minimize` with ``by_blocks``), and no earlier solve does; the backend calls it only
    where SCIP stops without proof after its nodes, which nationally it does not."""
    offered: list[bool] = []
    called: list[int] = []
    backend_minimize = mathopt_module.MathOptBackend.minimize

    def recorded(self: Any, *args: Any, prover: Any = None, **kwargs: Any) -> Any:
        offered.append(prover is not None)
        number = len(offered)

        def counted(best: Any, seconds: float) -> Any:
            called.append(number)
            return prover(best, seconds)

        return backend_minimize(self, *args, prover=prover and counted, **kwargs)

    monkeypatch.setattr(mathopt_module.MathOptBackend, "minimize", recorded)
    result = solve(national, hard_limit=False)
    assert result.status == "optimal"
    assert [stage.name for stage in result.stages][-2:] == ["programme", "tie_break"]
    assert offered[-2:] == [True, True] and not any(offered[:-2])
    assert called == []


def _outcome(status: Status, value: int | None, bound: float | None, stop: str = "") -> Outcome:
    values = None if value is None else {0: value}
    objective = None if value is None else float(value)
    return Outcome(status, stop or status.value, values, objective, bound, 1.0)


@pytest.mark.parametrize(
    ("whole", "expected"),
    [
        # The MIP stopped worse than column generation's answer: that answer, the higher bound.
        (_outcome(Status.FEASIBLE, 130, 90.0, "time_limit"), (Status.FEASIBLE, 120, 100.0)),
        # Nothing from the MIP: column generation's answer and bound.
        (_outcome(Status.NO_SOLUTION, None, None, "time_limit"), (Status.FEASIBLE, 120, 100.0)),
        # The MIP's better answer reaches column generation's bound: optimal.
        (_outcome(Status.FEASIBLE, 100, 95.0, "time_limit"), (Status.OPTIMAL, 100, 100.0)),
        # The MIP proves its own answer.
        (_outcome(Status.OPTIMAL, 110, 110.0), (Status.OPTIMAL, 110, 110.0)),
    ],
)
def test_the_whole_mip_after_column_generation_keeps_the_better_answer_and_bound(
    whole: Any, expected: tuple[Status, int, float]
) -> None:
    by_columns = _outcome(Status.FEASIBLE, 120, 100.0, run_module.UNPROVEN_BY_COLUMNS)
    merged = with_columns(whole, by_columns, {0: 1})
    status, value, bound = expected
    assert (merged.status, merged.values, merged.bound) == (status, {0: value}, bound)
    assert merged.stop_reason == ("optimal" if status == Status.OPTIMAL else "time_limit")


@pytest.mark.parametrize("status", [Status.ERROR, Status.INFEASIBLE])
def test_an_error_or_infeasibility_of_the_whole_mip_stays(status: Status) -> None:
    whole = _outcome(status, None, None, "error: engine failed")
    by_columns = _outcome(Status.FEASIBLE, 120, 100.0, run_module.UNPROVEN_BY_COLUMNS)
    assert with_columns(whole, by_columns, {0: 1}) == whole


#: The lowest bound that leaves an answer of 100,000 within `FIRST_ANSWER_SKIPPED_WITHIN`.
_WITHIN = 100_000 - FIRST_ANSWER_SKIPPED_WITHIN * 100_000


@pytest.mark.parametrize(
    ("name", "by_columns", "wanted"),
    [
        # After leximin at 5,000 municipalities: one dwelling above the bound.
        ("programme", _outcome(Status.FEASIBLE, 5_610_455, 5_610_454.0), False),
        # Just within the share, and just beyond it.
        ("programme", _outcome(Status.FEASIBLE, 100_000, float(_WITHIN)), False),
        ("programme", _outcome(Status.FEASIBLE, 100_000, float(_WITHIN - 1)), True),
        # No answer or no bound from column generation, or no column generation at all.
        ("programme", _outcome(Status.NO_SOLUTION, None, None), True),
        ("programme", None, True),
        # The tie-break stage never starts from HiGHS's answer.
        ("tie_break", None, False),
        ("tie_break", _outcome(Status.FEASIBLE, 100_000, 50_000.0), False),
    ],
)
def test_the_whole_mip_starts_from_highs_only_where_column_generation_left_a_wide_gap(
    name: str, by_columns: Outcome | None, wanted: bool
) -> None:
    """`_first_answer_wanted`: HiGHS's first answer only on the programme stage, and not where
    column generation's answer is within `FIRST_ANSWER_SKIPPED_WITHIN` of its bound."""
    stage = Stage(name, {}, lambda _values: 0)
    assert _first_answer_wanted(stage, by_columns) is wanted


def test_the_pricing_mips_presolve_fast_without_primal_heuristics(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Where column generation decides the stage (from `COLUMNS_FROM` variables), every
    pricing MIP goes to SCIP with the settings of a started solve (its fast presolve, without
    the plug-ins of `SCIP_OFF_WHEN_STARTED`) and without primal heuristics, in parts of at
    most `FAST_PRICING_PART` variables; the other SCIP solves keep their own settings. The
    allocation is the usual one (SCIP's alone, without column generation)."""
    usual = solve(national, hard_limit=False)
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    monkeypatch.setattr(run_module, "FAST_PRICING_PART", 1000)
    settings: dict[str, set[tuple[bool, bool]]] = {"pricing": set(), "other": set()}
    pricing_backends: set[int] = set()
    held: list[BlockPricer] = []  # alive, so that no later backend takes a pricing one's id
    part_sizes: list[int] = []

    def record(pricer: BlockPricer) -> None:
        held.append(pricer)
        pricing_backends.update(id(backend) for _, backend in pricer.parts)
        part_sizes.extend(len(indices) for indices, _ in pricer.parts)

    solve_on = mathopt_module.MathOptBackend._solve
    made = parameters_module.solve_parameters
    solving = threading.local()  # the backends each thread solves on (parts run in threads)
    others_fast: set[bool] = set()

    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if id(self) not in pricing_backends:
            others_fast.add(self.options.fast_presolve)
        stack = solving.__dict__.setdefault("backends", [])
        stack.append(id(self))
        try:
            return solve_on(self, *args, **kwargs)
        finally:
            stack.pop()

    def kept(*args: Any, **kwargs: Any) -> Any:
        stack = solving.__dict__.get("backends")
        kind = "pricing" if stack and stack[-1] in pricing_backends else "other"
        settings[kind].add((kwargs["started"], kwargs["primal_heuristics"]))
        return made(*args, **kwargs)

    monkeypatch.setattr(columns_module, "BlockPricer", _recording_pricer(record))
    monkeypatch.setattr(mathopt_module.MathOptBackend, "_solve", recorded)
    monkeypatch.setattr(mathopt_module, "solve_parameters", kept)
    by_blocks = solve(national, hard_limit=False)
    assert by_blocks.status == usual.status == "optimal"
    assert by_blocks.allocation == usual.allocation
    assert settings["pricing"] == {(True, False)}
    assert (False, True) in settings["other"]  # the completions (the buildings run without
    assert others_fast == {False}  # heuristics); no other SCIP solve gets the fast settings
    assert len(part_sizes) > 2 and max(part_sizes) <= 1000


def test_column_generation_as_the_prover_prices_with_scips_own_settings(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Below `COLUMNS_FROM` variables, the prover that the programme and tie-break stages offer
    SCIP (`Run._block_prover`) runs column generation with the pricing on the stage's own
    options, in parts of `PRICING_PART`."""
    handed: list[tuple[SolverOptions, int | None]] = []

    def captured(model: LinearModel, *args: Any, **_: Any) -> None:
        pricing_for, part = args[-2:]
        handed.append((pricing_for(model).options, part))

    backend_minimize = mathopt_module.MathOptBackend.minimize

    def proving_first(self: Any, terms: Any, limit: float, hint: Any = None, **kwargs: Any) -> Any:
        prover = kwargs.get("prover")
        if prover is not None and hint is not None:
            assert prover(hint, 10.0) is None  # the captured column generation gives no bound
        return backend_minimize(self, terms, limit, hint, **kwargs)

    monkeypatch.setattr(run_module, "solve_by_columns", captured)
    monkeypatch.setattr(mathopt_module.MathOptBackend, "minimize", proving_first)
    result = solve(national, options=SolverOptions(seed=5), hard_limit=False)
    assert result.status == "optimal"
    assert len(handed) == 2  # the programme and tie-break stages
    for options, part in handed:
        assert part is None
        assert not options.fast_presolve and options.primal_heuristics and options.seed == 5


def test_the_pricing_keeps_scips_settings_where_column_generation_only_proves() -> None:
    """Below `COLUMNS_FROM` variables (column generation as the prover after SCIP) the pricing
    gets the stage's options as they are, in parts of `PRICING_PART`; from it, the settings of
    a started solve without primal heuristics, in parts of `FAST_PRICING_PART`. Every other
    option is kept."""
    options = SolverOptions(time_limit=7.0, seed=3, threads=2, memory_limit=900)
    below = run_module.pricing_settings(options, run_module.COLUMNS_FROM - 1)
    assert below == (options, None)
    fast, part = run_module.pricing_settings(options, run_module.COLUMNS_FROM)
    assert fast == replace(options, fast_presolve=True, primal_heuristics=False)
    assert part == columns_module.FAST_PRICING_PART < columns_module.PRICING_PART


@pytest.mark.parametrize(("engine", "tried"), [("scip", True), ("highs", False), ("cpsat", False)])
def test_only_scip_prices_the_blocks(
    monkeypatch: pytest.MonkeyPatch, engine: str, tried: bool
) -> None:
    """The bound rests on the pricing engine's proofs: only SCIP's are taken (HiGHS called a
    pricing point optimal that SCIP beat). With another engine the stages are solved whole."""
    region = load_instance(bundled_instance("haaglanden")).region
    calls: list[int] = []

    def recorded(*args: object, **kwargs: object) -> None:
        calls.append(1)

    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    monkeypatch.setattr(run_module, "solve_by_columns", recorded)
    result = solve(region, options=SolverOptions(time_limit=60, engine=engine), hard_limit=False)
    assert result.status == "optimal"
    assert bool(calls) == tried


def _from_its_relaxation_at_hand(problem: StageProblem) -> ByColumns | None:
    """``problem`` by column generation whose first duals come from its linear relaxation,
    solved before and handed over as ``first``."""
    relaxation = _backend(problem.model).relaxation(problem.terms, 60)
    assert relaxation is not None
    return solve_by_columns(
        problem.model,
        problem.terms,
        problem.start,
        _backend,
        time.perf_counter() + 120,
        first=lambda: (problem.model, relaxation),
    )


def test_the_first_duals_come_from_a_relaxation_at_hand_or_start_at_zero(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """A relaxation already solved over the same rows gives the first duals (a coupling row it
    lacks starts at 0); above `RELAXATION_UP_TO` variables, without one, column generation
    starts from zero duals. Either way the decomposition reaches the optimum."""
    optimum = _optimum(programme)
    blocks = split_blocks(programme.model)
    assert blocks is not None
    solved = _from_its_relaxation_at_hand(programme)
    assert solved is not None and solved.value == optimum
    lacking = programme.model.with_constraints(
        row for row in programme.model.constraints if row.name != "new_build_total"
    )
    relaxed_lacking = _backend(lacking).relaxation(programme.terms, 60)
    assert relaxed_lacking is not None
    duals = columns_module._first_duals(
        programme.model, programme.terms, blocks, lambda: (lacking, relaxed_lacking), lambda: None
    )
    assert duals is not None
    names = [row.name for row in blocks.coupling]
    assert duals[0][names.index("new_build_total")] == 0.0
    position = {row.name: p for p, row in enumerate(lacking.constraints)}
    for number, name in enumerate(names):
        if name != "new_build_total":
            assert duals[0][number] == relaxed_lacking.duals.get(position[name], 0.0)
    monkeypatch.setattr(columns_module, "RELAXATION_UP_TO", 0)
    duals = columns_module._first_duals(
        programme.model, programme.terms, blocks, None, lambda: None
    )
    assert duals is not None and duals[0] == [0.0] * len(blocks.coupling)
    from_zero = solve_by_columns(
        programme.model, programme.terms, programme.start, _backend, time.perf_counter() + 120
    )
    assert from_zero is not None and from_zero.value == optimum


def test_the_first_relaxation_solves_on_its_own_thread_while_the_pricing_is_set_up(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """Without a relaxation at hand, the stage's relaxation is written before the pricing's
    models are made and solved on a thread of its own meanwhile; its duals are those of the
    same relaxation solved first, so column generation takes the same path to the same
    answer and bound."""
    events: list[str] = []
    prepared = mathopt_module.MathOptBackend.prepared_relaxation

    def recorded_relaxation(self: Any, terms: Any, start: Any = None) -> Any:
        solve_now = prepared(self, terms, start)
        events.append("written")

        def solve_later(limit: float) -> Any:
            events.append(f"solved on {threading.current_thread().name}")
            return solve_now(limit)

        return solve_later

    monkeypatch.setattr(mathopt_module.MathOptBackend, "prepared_relaxation", recorded_relaxation)
    monkeypatch.setattr(
        columns_module, "BlockPricer", _recording_pricer(lambda _: events.append("pricer"))
    )
    begun = solve_by_columns(
        programme.model, programme.terms, programme.start, _backend, time.perf_counter() + 120
    )
    assert events[:2] == ["written", "pricer"] or events[:3] == [
        "written",
        "solved on fairshare-first-duals",
        "pricer",
    ]
    assert "solved on fairshare-first-duals" in events
    at_hand = _from_its_relaxation_at_hand(programme)
    assert begun is not None and at_hand is not None
    assert (begun.values, begun.bound, begun.rounds) == (
        at_hand.values,
        at_hand.bound,
        at_hand.rounds,
    )


def test_a_failed_set_up_still_waits_for_the_first_relaxation(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """Where making the pricing's models fails, the error reaches the caller only once the
    relaxation's thread has ended: no solve outlives the call."""

    class Broken(BlockPricer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("no pricing models")

    monkeypatch.setattr(columns_module, "BlockPricer", Broken)
    with pytest.raises(RuntimeError, match="no pricing models"):
        solve_by_columns(
            programme.model, programme.terms, programme.start, _backend, time.perf_counter() + 60
        )
    assert not any(t.name == "fairshare-first-duals" for t in threading.enumerate())
