"""A first answer from another engine (`SolverOptions.first_answer_engine`): the OR-Tools backend
starts its own engine from that answer only where it meets every row exactly and beats the start
given, never reports that engine's status or bound, and a whole solve that uses it on the reduced
model reaches the same stages and allocation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from instances import bundled_instance
from models.loader import load_instance
from solver import run as run_module
from solver.backends.base import Outcome, SolverOptions, Status
from solver.backends.ortools_mathopt import MathOptBackend
from solver.model import LinearModel
from solver.solve import solve


@dataclass
class _Engines:
    """Stands in for the engines: the first-answer engine answers ``first`` with status
    ``first_status``; the backend's own engine answers ``x = 7`` and records its start."""

    first: dict[int, int] | None
    first_status: Status = Status.FEASIBLE
    starts: list[Mapping[int, int] | None] = field(default_factory=list)
    engines: list[str | None] = field(default_factory=list)

    def solve(
        self,
        terms: object,
        time_limit: float,
        hint: Mapping[int, int] | None,
        *,
        tight: bool,
        engine: str | None = None,
        **_: object,
    ) -> Outcome:
        self.engines.append(engine)
        if engine == "highs":
            return Outcome(self.first_status, "optimal", self.first, 0.0, 0.0, 0.25)
        self.starts.append(hint)
        return Outcome(Status.FEASIBLE, "time_limit", {0: 7}, 7.0, 2.0, 0.5)


def _backend(engines: _Engines, first_answer_engine: str | None = "highs") -> MathOptBackend:
    """``x`` in 0..100 with ``x >= 1``, minimised."""
    model = LinearModel()
    model.add_variable("x", 0, 100)
    model.add_constraint("x_at_least_1", "test", {0: 1}, ">=", 1)
    options = SolverOptions(time_limit=10, first_answer_engine=first_answer_engine)
    backend = MathOptBackend(model, options)
    backend._solve = engines.solve  # type: ignore[method-assign]
    return backend


def test_a_better_answer_of_the_first_engine_starts_the_search() -> None:
    engines = _Engines(first={0: 3})
    _backend(engines).minimize({0: 1}, 10, hint={0: 5})
    assert engines.engines == ["highs", None]
    assert engines.starts == [{0: 3}]


def test_an_answer_no_better_than_the_start_leaves_the_start() -> None:
    engines = _Engines(first={0: 5})
    _backend(engines).minimize({0: 1}, 10, hint={0: 5})
    assert engines.starts == [{0: 5}]


def test_an_answer_that_breaks_a_row_is_not_used() -> None:
    engines = _Engines(first={0: 0})
    _backend(engines).minimize({0: 1}, 10, hint={0: 5})
    assert engines.starts == [{0: 5}]


def test_without_a_start_any_answer_that_meets_the_rows_starts_the_search() -> None:
    engines = _Engines(first={0: 40})
    _backend(engines).minimize({0: 1}, 10)
    assert engines.starts == [{0: 40}]


def test_the_first_engine_s_status_and_bound_are_not_reported() -> None:
    """It claims optimal at 3; the backend's own engine stops on time at 7 with bound 2, and
    that is the outcome."""
    engines = _Engines(first={0: 3}, first_status=Status.OPTIMAL)
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 5})
    assert outcome.status == Status.FEASIBLE and outcome.stop_reason == "time_limit"
    assert outcome.values == {0: 7} and outcome.bound == 2.0
    assert outcome.seconds >= 0.5


def test_without_the_option_no_other_engine_runs() -> None:
    engines = _Engines(first={0: 3})
    _backend(engines, first_answer_engine=None).minimize({0: 1}, 10, hint={0: 5})
    assert engines.engines == [None]
    assert engines.starts == [{0: 5}]


def test_an_unknown_first_answer_engine_is_refused() -> None:
    with pytest.raises(KeyError, match="gurobi"):
        MathOptBackend(LinearModel(), SolverOptions(first_answer_engine="gurobi"))


def test_a_whole_solve_started_by_highs_on_the_reduced_model_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the threshold at 0 the programme stage of every reduced model starts from HiGHS's
    answer, and no other stage does: the stage values and the allocation are those of SCIP
    alone, and the result says so in a note."""
    region = load_instance(bundled_instance("haaglanden")).region
    options = SolverOptions(time_limit=60)
    alone = solve(region, "ortools", options, hard_limit=False)
    monkeypatch.setattr(run_module, "FIRST_ANSWER_FROM", 0)
    engines: list[str] = []
    first_answer = MathOptBackend._first_answer

    def recorded(
        backend: MathOptBackend,
        engine: str,
        terms: dict[int, int],
        time_limit: float,
        hint: Mapping[int, int] | None,
    ) -> Mapping[int, int] | None:
        engines.append(engine)
        return first_answer(backend, engine, terms, time_limit, hint)

    monkeypatch.setattr(MathOptBackend, "_first_answer", recorded)
    started = solve(region, "ortools", options, hard_limit=False)
    assert engines == ["highs"]
    assert alone.status == started.status == "optimal"
    assert [(s.name, s.value) for s in started.stages] == [(s.name, s.value) for s in alone.stages]
    assert started.allocation == alone.allocation
    assert any("HiGHS" in note for note in started.notes)
    assert not any("HiGHS" in note for note in alone.notes)
