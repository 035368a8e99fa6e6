"""The narrowing relaxation solved beside the stage it follows (`solver.early_narrowing`,
`solver.run.Run.start_narrowing`): it gives the bounds the relaxation solved afterwards gives,
it is used only for the problem it was begun for, and no solve outlives the run."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

import solver.early_narrowing as early_module
import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import Outcome, SolverOptions, Status
from solver.columns import solve_by_columns
from solver.dual_bound import implied_bounds
from solver.early_narrowing import EarlyNarrowing, NarrowingProblem
from solver.model import LinearModel, Terms
from solver.run import Run
from solver.solve import solve

THREAD = "fairshare-narrowing"


@pytest.fixture(scope="module")
def national() -> Region:
    return load_instance(bundled_instance("nl")).region


def _narrowing_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD]


def _recorded_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> list[dict[int, tuple[int, int | None]] | None]:
    """Record every set of bounds `Run.tighten` computes."""
    computed: list[dict[int, tuple[int, int | None]] | None] = []
    implied = implied_bounds

    def recorded(
        model: LinearModel, terms: Terms, value: int, duals: dict[int, float]
    ) -> dict[int, tuple[int, int | None]] | None:
        bounds = implied(model, terms, value, duals)
        computed.append(bounds)
        return bounds

    monkeypatch.setattr(run_module, "implied_bounds", recorded)
    return computed


def test_the_early_relaxation_narrows_as_the_late_one_does(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Nationally the programme stage's relaxation is solved beside its search; the bounds it
    gives the tie-break stage, and so the allocation, are those of the relaxation solved after
    the programme stage is fixed."""
    begun: list[int] = []
    used: list[bool] = []
    serves = EarlyNarrowing.serves

    def counted_serves(self: EarlyNarrowing, *args: object) -> bool:
        answer = serves(self, *args)  # type: ignore[arg-type]
        used.append(answer)
        return answer

    init = EarlyNarrowing.__init__

    def counted_init(self: EarlyNarrowing, *args: object) -> None:
        begun.append(1)
        init(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(EarlyNarrowing, "serves", counted_serves)
    monkeypatch.setattr(EarlyNarrowing, "__init__", counted_init)
    recorded = _recorded_bounds(monkeypatch)
    early = solve(national, hard_limit=False)
    early_bounds = list(recorded)
    # Begun twice and taken each time: at the reduction for the needs stage's cap
    # (`Run._begin_cap_narrowing`), and beside the programme stage for its cap (the tie-break
    # stage is last).
    assert len(begun) == 2
    assert used == [True, True]

    monkeypatch.setattr(Run, "start_narrowing", lambda run, stage: None)
    del recorded[:]
    late = solve(national, hard_limit=False)
    late_bounds = list(recorded)
    assert early.status == late.status == "optimal"
    assert len(early_bounds) == len(late_bounds) == 2
    assert early_bounds == late_bounds
    assert early_bounds[1]
    assert early.allocation == late.allocation
    assert [s.value for s in early.stages] == [s.value for s in late.stages]


def test_no_narrowing_thread_outlives_a_solve_whose_stage_is_not_fixed(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """The programme stage ends without an answer: the relaxation begun beside it is not taken
    by any cap, and the run waits for it before it returns (as `tighten` waited for the one
    begun at the reduction)."""
    finished: list[bool] = []
    result = EarlyNarrowing.result

    def slow_result(self: EarlyNarrowing) -> object:
        answer = result(self)
        finished.append(not self.solving.running)
        return answer

    minimize = Run.minimize

    def no_programme(
        run: Run, terms: Terms, hint: object, *, first_answer: bool = False, by_blocks: bool = False
    ) -> Outcome:
        if first_answer:  # the programme stage
            return Outcome(Status.NO_SOLUTION, "time_limit", None, None, None, 0.0)
        return minimize(
            run,
            terms,
            hint,  # type: ignore[arg-type]
            first_answer=first_answer,
            by_blocks=by_blocks,
        )

    monkeypatch.setattr(EarlyNarrowing, "result", slow_result)
    monkeypatch.setattr(Run, "minimize", no_programme)
    outcome = solve(national, hard_limit=False)
    assert outcome.status == "feasible"
    assert outcome.stop_reason == "time_limit"
    assert [s.name for s in outcome.stages][-1] == "programme"
    assert finished == [True, True]
    assert _narrowing_threads() == []


def test_a_memory_limit_keeps_the_relaxation_after_the_stage(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    begun: list[object] = []
    monkeypatch.setattr(run_module, "EarlyNarrowing", lambda *args: begun.append(args))
    recorded = _recorded_bounds(monkeypatch)
    outcome = solve(national, options=SolverOptions(memory_limit=4000), hard_limit=False)
    assert outcome.status == "optimal"
    assert begun == []
    # The narrowing still happens, its relaxation solved once the stage is fixed.
    assert len(recorded) == 2
    assert recorded[1]


def test_an_early_relaxation_serves_only_its_own_problem() -> None:
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    problem = NarrowingProblem(model, {x: 1}, 0)
    early = EarlyNarrowing({x: 1}, model, (3, 5), problem, lambda: None)
    assert early.serves({x: 1}, model, (3, 5))
    assert not early.serves({x: 2}, model, (3, 5))
    assert not early.serves({x: 1}, model, (3,))
    assert not early.serves({x: 1}, model.with_constraints(model.constraints), (3, 5))
    assert early.result() is None


def test_an_error_on_the_relaxation_thread_is_raised_on_the_callers() -> None:
    model = LinearModel()

    def broken() -> None:
        raise ValueError("engine failed")

    early = EarlyNarrowing({}, model, (), NarrowingProblem(model, {}, 0), broken)
    with pytest.raises(ValueError, match="engine failed"):
        early.result()


def test_the_prepared_relaxation_is_the_relaxation() -> None:
    """`Backend.prepared_relaxation` writes the model first and solves when called; its answer
    is `Backend.relaxation`'s."""
    model = LinearModel()
    x = model.add_variable("x", 0, 10)
    y = model.add_variable("y", 0, 10)
    model.add_constraint("sum", "test", {x: 2, y: 2}, ">=", 7)
    backend = backend_class("ortools")(model, SolverOptions(time_limit=10))
    direct = backend.relaxation({x: 1, y: 3}, 10)
    prepared = early_module.narrowing_relaxation(
        backend_class("ortools"),
        SolverOptions(time_limit=10),
        NarrowingProblem(model, {x: 1, y: 3}, 0),
    )(10)
    assert direct is not None and prepared is not None
    assert prepared == direct
    assert prepared.values[x] == pytest.approx(3.5)


def test_column_generation_takes_the_early_relaxation_by_size_not_by_timing(
    monkeypatch: pytest.MonkeyPatch, national: Region
) -> None:
    """Block by block, the programme stage starts from the duals of the relaxation begun
    beside it (the tie-break stage, the last, has none); above `RELAXATION_UP_TO` variables
    from zero duals, even where that relaxation is solved already, so that the path never
    depends on how fast its thread was."""
    monkeypatch.setattr(run_module, "COLUMNS_FROM", 0)
    begin = EarlyNarrowing.__init__

    def solved_at_once(self: EarlyNarrowing, *args: object, **kwargs: object) -> None:
        begin(self, *args, **kwargs)  # type: ignore[arg-type]
        self.result()

    monkeypatch.setattr(EarlyNarrowing, "__init__", solved_at_once)
    firsts: list[bool] = []

    def recorded(*args: object, **kwargs: object) -> object:
        firsts.append(args[5] is not None)
        return solve_by_columns(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "solve_by_columns", recorded)
    usual = solve(national, hard_limit=False)
    monkeypatch.setattr(run_module, "RELAXATION_UP_TO", 0)
    from_zero = solve(national, hard_limit=False)
    assert firsts == [True, False, False, False]
    assert usual.status == from_zero.status == "optimal"
    assert from_zero.allocation == usual.allocation


@pytest.mark.parametrize("objective", ["sum_abs_deviation", "equal_burden", "leximin"])
def test_the_cap_narrowing_begun_at_the_reduction_is_the_one_solved_after_it(
    monkeypatch: pytest.MonkeyPatch, national: Region, objective: str
) -> None:
    """Nationally the needs stage's cap is narrowed by a relaxation begun while the reduced
    model's backend is written (`Run._begin_cap_narrowing`), and `tighten` takes it: the same
    bounds, stage values and allocation as with that relaxation solved when `tighten` asks."""
    region = replace(national, policy=replace(national.policy, objective=objective))
    taken: list[bool] = []
    serves = EarlyNarrowing.serves

    def counted(self: EarlyNarrowing, *args: Any) -> bool:
        answer = serves(self, *args)
        taken.append(answer)
        return answer

    monkeypatch.setattr(EarlyNarrowing, "serves", counted)
    recorded = _recorded_bounds(monkeypatch)
    early = solve(region, hard_limit=False)
    early_bounds = list(recorded)
    assert taken == [True, True]
    monkeypatch.setattr(Run, "_begin_cap_narrowing", lambda run, reduction: None)
    del recorded[:], taken[:]
    late = solve(region, hard_limit=False)
    assert taken == [True]
    assert early.status == late.status == "optimal"
    assert early_bounds == list(recorded)
    assert early_bounds[0]
    assert early.allocation == late.allocation
    assert [s.value for s in early.stages] == [s.value for s in late.stages]
