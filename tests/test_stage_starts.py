"""Each stage after the first starts from the previous stage's answer (`solver.solve`).

The start must be feasible in the stage it is given to (the earlier stages are fixed at its own
values), and the answer must not depend on it: a solve with starts gives the same allocation and
stage values as one without.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from itertools import pairwise

import pytest
from tiny_regions import OPTIONS, A, B, C, group, muni, region, solved, stage_values

from models.region import Region
from solver.backends import backend_class
from solver.backends.base import Backend, Outcome, Prover
from solver.backends.ortools_mathopt import MathOptBackend
from solver.model import Terms

Call = tuple[Mapping[int, int] | None, Outcome, list[str]]


def _three_towns() -> Region:
    """Three municipalities with room to choose: every stage has something to decide."""
    return region(
        [muni(A, cap=20, population=300), muni(B, cap=15, social=20), muni(C, cap=10)],
        [group("permit_holders", 6), group("homeless", 3, not_in=[C])],
        total=(20, 30),
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every `minimize` call of the OR-Tools backend: its start, its outcome, and the names of
    the constraints (of the model and added) that the start breaks."""
    recorded: list[Call] = []
    original = MathOptBackend.minimize

    def recording(
        self: MathOptBackend,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None = None,
        *,
        offset: int = 0,
        prover: Prover | None = None,
    ) -> Outcome:
        broken: list[str] = []
        if hint is not None:
            rows = (*self.model.constraints, *self._active.values())
            broken = [c.name for c in rows if not c.holds(hint)]
        outcome = original(self, terms, time_limit, hint, offset=offset, prover=prover)
        recorded.append((None if hint is None else dict(hint), outcome, broken))
        return outcome

    monkeypatch.setattr(MathOptBackend, "minimize", recording)
    yield recorded


def test_every_later_stage_starts_from_the_previous_answer(calls: list[Call]) -> None:
    """On the whole MIP (without the placement network, whose stages and starts are tested in
    test_network.py and below)."""
    result = solved(_three_towns(), "ortools", replace(OPTIONS, network=False))
    assert [s.name for s in result.stages] == ["needs", "fairness_sum", "programme", "tie_break"]
    assert len(calls) == 4
    assert calls[0][0] is None  # the first stage has nothing to start from
    for (_, before, _), (start, _, _) in pairwise(calls):
        assert start == before.values


@pytest.mark.parametrize("network", [False, True])
def test_the_start_is_feasible_in_the_stage_it_is_given_to(
    calls: list[Call], network: bool
) -> None:
    """Starts from the previous answer or from the placement network's flow alike."""
    solved(_three_towns(), "ortools", replace(OPTIONS, network=network))
    starts = [broken for start, _, broken in calls if start is not None]
    assert starts and all(broken == [] for broken in starts)


@pytest.mark.parametrize("backend", ["ortools", "cbc"])
def test_the_answer_does_not_depend_on_the_start(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _three_towns()
    started = solved(r, backend)
    backend_type = backend_class(backend)
    original = backend_type.minimize

    def cold(
        self: Backend,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None = None,
        *,
        offset: int = 0,
        prover: Prover | None = None,
    ) -> Outcome:
        return original(self, terms, time_limit, None, offset=offset, prover=prover)

    monkeypatch.setattr(backend_type, "minimize", cold)
    without = solved(r, backend)
    assert without.allocation == started.allocation
    assert stage_values(without) == stage_values(started)
