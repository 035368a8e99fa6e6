"""Rows of the OR-Tools backend (`MathOptBackend`): a removed row no longer binds, a kept one does,
rows freed in many rounds do not pile up in the model, rows removed before the next solve never
reach it, a row with large coefficients reaches the solver scaled and still binds, an answer
that breaks a row after rounding is solved again with a tight tolerance and is never reported as
optimal, and a model whose objective is set again and again is copied afresh."""

from __future__ import annotations

import copy

from solver.backends.base import Outcome, SolverOptions, Status
from solver.backends.mathopt_proto import LARGE_COEFFICIENT
from solver.backends.ortools_mathopt import COMPACT_AFTER, COPY_AFTER_OBJECTIVES, MathOptBackend
from solver.model import Constraint, LinearModel


def _backend() -> MathOptBackend:
    model = LinearModel()
    model.add_variable("x", 0, 100)
    model.add_constraint("x_at_least_1", "test", {0: 1}, ">=", 1)
    return MathOptBackend(model, SolverOptions(time_limit=10))


def _at_least(value: int) -> Constraint:
    return Constraint(f"x_at_least_{value}", "test", ((0, 1),), ">=", value)


def _least_x(backend: MathOptBackend) -> int:
    outcome = backend.minimize({0: 1}, 10)
    assert outcome.status == Status.OPTIMAL and outcome.values is not None
    return outcome.values[0]


def test_a_removed_row_no_longer_binds_and_a_kept_one_does() -> None:
    backend = _backend()
    kept = backend.add_constraint(_at_least(5))
    removed = backend.add_constraint(_at_least(9))
    assert _least_x(backend) == 9
    backend.remove_constraint(removed)
    assert _least_x(backend) == 5
    backend.remove_constraint(kept)
    assert _least_x(backend) == 1


def test_rows_replaced_round_after_round_do_not_pile_up() -> None:
    backend = _backend()
    kept = backend.add_constraint(_at_least(7))
    previous = backend.add_constraint(_at_least(2))
    for round_number in range(3 * COMPACT_AFTER):
        current = backend.add_constraint(_at_least(2 + round_number % 5))
        assert backend._proto is not None  # written into the model, as a solve writes it
        backend.remove_constraint(previous)
        previous = current
    rows = len(backend._proto.linear_constraints.ids)
    assert rows <= 1 + 2 + COMPACT_AFTER + 1
    assert _least_x(backend) == 7
    backend.remove_constraint(kept)
    assert _least_x(backend) == 2 + (3 * COMPACT_AFTER - 1) % 5
    # Removing a row twice is harmless.
    backend.remove_constraint(kept)
    assert _least_x(backend) == 2 + (3 * COMPACT_AFTER - 1) % 5


def test_a_model_whose_objective_is_set_again_and_again_is_copied_afresh() -> None:
    """Once `COPY_AFTER_OBJECTIVES` times its variables have been written as objectives, the
    MathOpt model is a new copy (upb keeps each array an objective held until the message
    goes), with the same rows, bounds and added rows, and the solves give the same answers."""
    model = LinearModel()
    for name in "abc":
        model.add_variable(name, 0, 10)
    model.add_constraint("a_plus_b", "test", {0: 1, 1: 1}, ">=", 4)
    backend = MathOptBackend(model, SolverOptions(time_limit=10))
    backend.add_constraint(Constraint("c_at_least_3", "test", ((2, 1),), ">=", 3))
    backend.tighten_bounds({1: (0, 2)})
    objectives = [{0: 2, 1: 1, 2: 1}, {0: 1, 1: 2, 2: 1}]
    first = backend._proto
    answers = []
    for number in range(COPY_AFTER_OBJECTIVES):
        outcome = backend.minimize(objectives[number % 2], 10)
        answers.append(outcome.values)
        assert backend._proto is first
    outcome = backend.minimize(objectives[COPY_AFTER_OBJECTIVES % 2], 10)
    assert backend._proto is not first
    first.ClearField("objective")
    copied = copy.deepcopy(backend._proto)
    copied.ClearField("objective")
    assert copied == first
    answers.append(outcome.values)
    assert answers[:2] == [{0: 2, 1: 2, 2: 3}, {0: 4, 1: 0, 2: 3}]
    assert all(a == answers[n % 2] for n, a in enumerate(answers))


def test_rows_added_and_removed_between_two_solves_never_reach_the_model() -> None:
    """A level search adds and removes thousands of bound rows between two solves."""
    backend = _backend()
    assert _least_x(backend) == 1
    for value in range(2, 102):
        backend.remove_constraint(backend.add_constraint(_at_least(value)))
    backend.add_constraint(_at_least(3))
    assert len(backend._proto.linear_constraints.ids) == 2
    assert _least_x(backend) == 3


def test_the_written_model_holds_only_the_rows_in_force() -> None:
    backend = _backend()
    backend.add_constraint(_at_least(5))
    removed = backend.add_constraint(_at_least(9))
    backend.remove_constraint(removed)
    written = backend.write_mps({0: 1})
    assert "x_at_least_5" in written and "x_at_least_1" in written
    assert "x_at_least_9" not in written


def _answers(backend: MathOptBackend, first: int, second: int) -> list[bool]:
    """Make the backend's next two solves answer ``x = first`` (default tolerance) and then
    ``x = second`` (tight tolerance), as a solver whose tolerance lets a row slip would; returns
    the ``tight`` flag of every solve made."""
    calls: list[bool] = []

    def solve(
        terms: object, time_limit: float, hint: object, *, tight: bool, **_: object
    ) -> Outcome:
        calls.append(tight)
        value = second if tight else first
        return Outcome(Status.OPTIMAL, "optimal", {0: value}, float(value), float(value), 0.1)

    backend._solve = solve  # type: ignore[method-assign]
    return calls


def test_an_answer_that_breaks_a_row_is_solved_again_with_a_tight_tolerance() -> None:
    backend = _backend()
    backend.add_constraint(_at_least(5))
    calls = _answers(backend, first=4, second=5)
    outcome = backend.minimize({0: 1}, 10)
    assert calls == [False, True]
    assert outcome.status == Status.OPTIMAL and outcome.values == {0: 5}
    assert outcome.seconds == 0.2


def test_an_answer_that_still_breaks_a_row_is_an_error_never_optimal() -> None:
    backend = _backend()
    backend.add_constraint(_at_least(5))
    calls = _answers(backend, first=4, second=4)
    outcome = backend.minimize({0: 1}, 10)
    assert calls == [False, True]
    assert outcome.status == Status.ERROR and outcome.values is None
    assert "x_at_least_5" in outcome.stop_reason


def test_a_retry_cut_short_keeps_the_first_solves_better_bound() -> None:
    """The first solve's bound holds for the exact rows too; a retry stopped before its root
    bound reports less, and the better one is kept, never above the answer."""
    backend = _backend()
    backend.add_constraint(_at_least(5))

    def solve(
        terms: object, time_limit: float, hint: object, *, tight: bool, **_: object
    ) -> Outcome:
        if not tight:
            return Outcome(Status.OPTIMAL, "optimal", {0: 4}, 4.0, 4.0, 9.0)
        return Outcome(Status.FEASIBLE, "time_limit", {0: 9}, 9.0, -100.0, 1.0)

    backend._solve = solve  # type: ignore[method-assign]
    outcome = backend.minimize({0: 1}, 10)
    assert outcome.status == Status.FEASIBLE and outcome.values == {0: 9}
    assert outcome.bound == 4.0 and outcome.seconds == 10.0


def test_an_answer_within_every_row_is_not_solved_again() -> None:
    backend = _backend()
    calls = _answers(backend, first=3, second=3)
    assert backend.minimize({0: 1}, 10).status == Status.OPTIMAL
    assert calls == [False]


def test_a_row_with_large_coefficients_is_scaled_for_the_solver_and_still_binds() -> None:
    backend = _backend()
    large = 3 * LARGE_COEFFICIENT
    backend.add_constraint(
        Constraint("large_row", "test", ((0, large),), ">=", 7 * LARGE_COEFFICIENT)
    )
    # The solver sees x >= 7/3; whole numbers need x >= 3.
    assert list(backend._proto.linear_constraint_matrix.coefficients)[-1] == 1.0
    assert _least_x(backend) == 3
    assert f"{large}" in backend.write_mps({0: 1})
