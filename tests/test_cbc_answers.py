"""CBC's answers are checked exactly against every row it holds once rounded to whole numbers, as
the OR-Tools backend's are: CBC accepts a row within its tolerance, and a rounded answer that
breaks a row (a stage fixed before, say) is an error, never an answer."""

from __future__ import annotations

import pytest

import solver.backends.pulp_cbc as cbc_module
from solver.backends.base import SolverOptions, Status
from solver.backends.pulp_cbc import PulpCbcBackend
from solver.model import Constraint, LinearModel

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def _backend() -> PulpCbcBackend:
    """x + y >= 3 over 0..5 each; a stage fixed at x + y <= 3 is added later."""
    model = LinearModel()
    model.add_variable("x", 0, 5)
    model.add_variable("y", 0, 5)
    model.add_constraint("cover", "test", {0: 1, 1: 1}, ">=", 3)
    return PulpCbcBackend(model, SolverOptions(time_limit=10))


def test_an_answer_within_every_row_comes_back() -> None:
    backend = _backend()
    backend.add_constraint(Constraint("stage[needs]", "stage", ((0, 1), (1, 1)), "<=", 3))
    outcome = backend.minimize({0: 1, 1: 2}, 10)
    assert outcome.status == Status.OPTIMAL
    assert outcome.values == {0: 3, 1: 0}


def test_a_rounded_answer_that_breaks_a_row_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend()
    handle = backend.add_constraint(Constraint("stage[needs]", "stage", ((0, 1), (1, 1)), "<=", 3))
    monkeypatch.setattr(cbc_module, "round_values", lambda raw, model: {0: 3, 1: 1})
    outcome = backend.minimize({0: 1, 1: 2}, 10)
    assert outcome.status == Status.ERROR and outcome.values is None
    assert "breaks the row stage[needs]" in outcome.stop_reason

    backend.remove_constraint(handle)  # without that row, the same answer holds
    assert backend.minimize({0: 1, 1: 2}, 10).values == {0: 3, 1: 1}
