"""The pricing of column generation in parts grouped by the coupling rows their blocks meet, and
a part that keeps its point where its prices only change in scale (`solver.columns.BlockPricer`).
Nationally the programme stage's blocks fall in two groups: 246 whose new homes are unfixed
(meeting the regional total and the mix rows) and 96 whose new homes are fixed (meeting the mix
rows and the needs stage's cap)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

import solver.columns as columns_module
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.columns import (
    BlockPricer,
    Blocks,
    ByColumns,
    FirstRelaxation,
    Priced,
    _coupled_by,
    _direction,
    _unfixed,
    exact_duals,
    lagrangian_terms,
    solve_by_columns,
    split_blocks,
)
from solver.model import Constraint, LinearModel, Terms
from solver.solve import StageProblem, stage_problem

OPTIONS = SolverOptions(time_limit=60, threads=1)


@pytest.fixture(scope="module")
def programme() -> StageProblem:
    region = load_instance(bundled_instance("nl")).region
    problem = stage_problem(region, "programme", OPTIONS)
    assert problem is not None
    return problem


@pytest.fixture(scope="module")
def blocks(programme: StageProblem) -> Blocks:
    found = split_blocks(programme.model)
    assert found is not None
    return found


def _backend(model: LinearModel) -> Backend:
    return backend_class("ortools")(model, OPTIONS)


def _prices(problem: StageProblem, blocks: Blocks, floats: list[float]) -> Terms:
    duals, common = exact_duals(floats, blocks.coupling)
    return lagrangian_terms(problem.terms, blocks.coupling, duals, common)


def _relaxation_duals(problem: StageProblem, blocks: Blocks) -> list[float]:
    relaxation = _backend(problem.model).relaxation(problem.terms, 60)
    assert relaxation is not None
    return [relaxation.duals.get(p, 0.0) for p in blocks.positions]


def test_directions_agree_exactly_for_positive_multiples() -> None:
    assert _direction([6, -4, 0]) == _direction([3, -2, 0]) == (3, -2, 0)
    assert _direction([-3, 2, 0]) != _direction([3, -2, 0])
    assert _direction([3, -2, 1]) != _direction([3, -2, 0])
    assert _direction([0, 0]) == (0, 0)
    assert _direction([]) == ()


def test_parts_hold_blocks_that_meet_the_same_coupling_rows(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem, blocks: Blocks
) -> None:
    """In parts of at most 500 variables every part's blocks meet the same coupling rows by
    their unfixed variables, nationally two groups, and every variable is in one part."""
    coupled = _coupled_by(blocks, _unfixed(programme.model))
    assert len(set(coupled)) == 2
    block_of = {i: b for b, members in enumerate(blocks.members) for i in members}
    monkeypatch.setattr(columns_module, "PRICING_PART", 500)
    pricer = BlockPricer(programme.model, blocks, _backend)
    assert len(pricer.parts) > 2
    for indices, _ in pricer.parts:
        assert len({coupled[block_of[i]] for i in indices}) == 1
    everything = sorted(i for indices, _ in pricer.parts for i in indices)
    assert everything == list(range(len(programme.model.variables)))


def test_prices_scaled_by_a_positive_factor_keep_every_part(
    programme: StageProblem, blocks: Blocks
) -> None:
    """The same prices times 3 are priced by no engine and give the same point."""
    pricer = BlockPricer(programme.model, blocks, _backend)
    prices = _prices(programme, blocks, _relaxation_duals(programme, blocks))
    first = pricer.cheapest(prices, 60)
    assert first is not None
    assert (pricer.solved, pricer.kept) == (len(pricer.parts), 0)
    again = pricer.cheapest({i: 3 * c for i, c in prices.items()}, 60)
    assert again == first
    assert (pricer.solved, pricer.kept) == (len(pricer.parts), len(pricer.parts))


def test_a_moved_dual_reprices_only_the_parts_that_meet_its_row(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem, blocks: Blocks
) -> None:
    """Moving the regional total's dual alone reprices the parts of the blocks whose new homes
    are unfixed; the others keep their point (their prices change only on fixed new homes),
    and the point is as cheap as that of a pricer that prices every part anew. In parts of
    2,500 variables, as a started solve prices them (`FAST_PRICING_PART`): one per group."""
    monkeypatch.setattr(columns_module, "PRICING_PART", 2_500)
    floats = _relaxation_duals(programme, blocks)
    total = [row.name for row in blocks.coupling].index("new_build_total")
    moved = list(floats)
    moved[total] += 0.75
    coupled = _coupled_by(blocks, _unfixed(programme.model))
    block_of = {i: b for b, members in enumerate(blocks.members) for i in members}
    pricer = BlockPricer(programme.model, blocks, _backend)
    meeting = sum(total in coupled[block_of[indices[0]]] for indices, _ in pricer.parts)
    assert 0 < meeting < len(pricer.parts)

    assert pricer.cheapest(_prices(programme, blocks, floats), 60) is not None
    prices = _prices(programme, blocks, moved)
    kept = pricer.cheapest(prices, 60)
    assert kept is not None
    assert pricer.solved == len(pricer.parts) + meeting
    assert pricer.kept == len(pricer.parts) - meeting

    anew = BlockPricer(programme.model, blocks, _backend).cheapest(prices, 60)
    assert anew is not None
    assert all(row.holds(kept) for row in blocks.kept)
    assert sum(c * kept[i] for i, c in prices.items()) == sum(
        c * anew[i] for i, c in prices.items()
    )


def test_on_two_threads_a_moved_dual_keeps_the_same_parts_and_point(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem, blocks: Blocks
) -> None:
    """In parts of at most 500 variables priced two at a time, moving the regional total's
    dual keeps the same parts as pricing them one after the other, and the same point."""
    monkeypatch.setattr(columns_module, "PRICING_PART", 500)
    floats = _relaxation_duals(programme, blocks)
    total = [row.name for row in blocks.coupling].index("new_build_total")
    moved = list(floats)
    moved[total] -= 0.5
    points = []
    counts = []
    for workers in (1, 2):
        pricer = BlockPricer(programme.model, blocks, _backend, workers=workers)
        assert pricer.cheapest(_prices(programme, blocks, floats), 60) is not None
        points.append(pricer.cheapest(_prices(programme, blocks, moved), 60))
        counts.append((pricer.solved, pricer.kept))
    assert points[0] is not None and points[0] == points[1]
    assert counts[0] == counts[1] and 0 < counts[0][1] < len(pricer.parts)


def test_forgotten_points_are_priced_again(programme: StageProblem, blocks: Blocks) -> None:
    pricer = BlockPricer(programme.model, blocks, _backend)
    prices = _prices(programme, blocks, _relaxation_duals(programme, blocks))
    first = pricer.cheapest(prices, 60)
    pricer.forget()
    assert pricer.cheapest(prices, 60) == first
    assert (pricer.solved, pricer.kept) == (2 * len(pricer.parts), 0)


def test_a_small_group_shares_its_part_with_the_next(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem, blocks: Blocks
) -> None:
    """With parts of up to 100,000 variables the first group's 2,460 variables fill less than a
    quarter of one, so the second group joins that part: one part for the whole national
    programme stage, as before the grouping."""
    monkeypatch.setattr(columns_module, "PRICING_PART", 100_000)
    pricer = BlockPricer(programme.model, blocks, _backend)
    assert len(pricer.parts) == 1
    assert len(pricer.parts[0][0]) == len(programme.model.variables)


def _narrowed_around_start(problem: StageProblem, room: int) -> LinearModel:
    """The stage's model with every unfixed variable's bounds narrowed to within ``room`` of
    the stage's start, which still meets every row."""
    bounds: dict[int, tuple[int, int | None]] = {}
    for variable in problem.model.variables:
        value = problem.start[variable.index]
        lower = max(variable.lower, value - room)
        upper = value + room if variable.upper is None else min(variable.upper, value + room)
        if (lower, upper) != (variable.lower, variable.upper):
            bounds[variable.index] = (lower, upper)
    assert bounds
    return problem.model.with_bounds(bounds)


def test_a_pricer_narrowed_to_a_later_model_prices_as_a_new_one(
    programme: StageProblem, blocks: Blocks
) -> None:
    """A pricer narrowed to a model of narrower bounds prices every part again, and its point
    is within those bounds and as cheap as that of a pricer made for that model."""
    narrowed = _narrowed_around_start(programme, 3)
    narrowed_blocks = split_blocks(narrowed)
    assert narrowed_blocks is not None
    prices = _prices(programme, blocks, _relaxation_duals(programme, blocks))
    pricer = BlockPricer(programme.model, blocks, _backend)
    wide = pricer.cheapest(prices, 60)
    assert wide is not None
    assert pricer.fits(narrowed_blocks)
    assert pricer.narrowed_to(narrowed)
    point = pricer.cheapest(prices, 60)
    assert point is not None
    assert (pricer.solved, pricer.kept) == (2 * len(pricer.parts), 0)
    for variable in narrowed.variables:
        value = point[variable.index]
        assert variable.lower <= value and (variable.upper is None or value <= variable.upper)
    anew = BlockPricer(narrowed, narrowed_blocks, _backend).cheapest(prices, 60)
    assert anew is not None

    def cost(values: dict[int, int]) -> int:
        return sum(c * values[i] for i, c in prices.items())

    assert cost(point) == cost(anew) > cost(wide)


def test_a_pricer_is_not_widened_nor_used_for_other_blocks(
    programme: StageProblem, blocks: Blocks
) -> None:
    """A pricer of the narrowed model refuses the wider one and keeps its own bounds, and no
    pricer fits blocks with a kept row less."""
    narrowed = _narrowed_around_start(programme, 3)
    pricer = BlockPricer(narrowed, blocks, _backend)
    before = [backend.model.variables for _, backend in pricer.parts]
    assert not pricer.narrowed_to(programme.model)
    assert [backend.model.variables for _, backend in pricer.parts] == before
    fewer = Blocks(blocks.members, blocks.kept[1:], blocks.coupling, blocks.positions)
    assert not pricer.fits(fewer)


def test_a_pricer_whose_engine_keeps_its_bounds_is_not_narrowed(
    programme: StageProblem, blocks: Blocks
) -> None:
    """CP-SAT's backend keeps the model as given (`MathOptBackend.tighten_bounds`): a pricer
    on it cannot take narrower bounds, and says so."""

    def cpsat(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, SolverOptions(time_limit=60, engine="cpsat"))

    pricer = BlockPricer(programme.model, blocks, cpsat)
    assert not pricer.narrowed_to(_narrowed_around_start(programme, 3))


def _by_columns(
    problem: StageProblem,
    *,
    first: FirstRelaxation | None = None,
    pricer: BlockPricer | None = None,
    price_alone: bool = False,
) -> ByColumns:
    """The stage by column generation within 60 s, with the pricer it priced with."""
    found = solve_by_columns(
        problem.model,
        problem.terms,
        problem.start,
        _backend,
        time.perf_counter() + 60,
        first=first,
        pricer=pricer,
        price_alone=price_alone,
    )
    assert found is not None and found.pricer is not None
    return found


def test_column_generation_with_an_earlier_pricer_ends_as_with_its_own(
    programme: StageProblem,
) -> None:
    """The national programme stage by columns, once with a pricer of its own and once with
    the first run's pricer (forgetting its points): the same answer, value and bound."""

    first = _by_columns(programme)
    again = _by_columns(programme, pricer=first.pricer)
    assert again.pricer is first.pricer
    assert (again.values, again.value, again.bound) == (first.values, first.value, first.bound)


def test_pricing_alone_while_the_first_relaxation_solves_ends_the_same(
    monkeypatch: pytest.MonkeyPatch, programme: StageProblem
) -> None:
    """With ``price_alone`` and a first relaxation to wait for, the blocks are first priced at
    zero duals on one thread, and column generation ends at the same value and bound; without
    a first relaxation nothing is priced alone."""
    relaxation = _backend(programme.model).relaxation(programme.terms, 60)
    assert relaxation is not None
    calls: list[tuple[list[float], int | None]] = []
    inner = columns_module.price

    def recorded(
        pricer: BlockPricer,
        terms: Terms,
        rows: Sequence[Constraint],
        duals: Sequence[float],
        deadline: float,
        workers: int | None = None,
    ) -> Priced | None:
        calls.append((list(duals), workers))
        return inner(pricer, terms, rows, duals, deadline, workers)

    monkeypatch.setattr(columns_module, "price", recorded)
    found: dict[tuple[bool, bool], tuple[int, object]] = {}
    for alone, first in ((False, True), (True, True), (True, False)):
        calls.clear()
        result = _by_columns(
            programme,
            first=(lambda: (programme.model, relaxation)) if first else None,
            price_alone=alone,
        )
        assert result.proven
        found[(alone, first)] = (result.value, result.bound)
        zero_first = calls[0] == ([0.0] * len(calls[0][0]), 1)
        assert zero_first == (alone and first)
    assert len(set(found.values())) == 1
