"""Memory of long solves: a solve of `TRIM_AFTER_SECONDS` or more hands the memory it freed back
to the system, a shorter one does not; a run that moves to the reduced model lets go of the
placement network and the whole model's backend and hands their memory back; and HiGHS's search
for a start keeps a smaller cut pool than a HiGHS solve of its own; and a solve runs without
Python's cyclic garbage collector."""

from __future__ import annotations

import gc
import platform
import threading
from typing import Any

import pytest
from tiny_regions import OPTIONS, group, haaglanden_before_the_reduction, muni, region

import solver.backends.ortools_mathopt as backend_module
import solver.run as run_module
from solver.backends.base import SolverOptions, Status
from solver.backends.mathopt_parameters import HIGHS_FIRST_ANSWER_POOL
from solver.backends.mathopt_proto import core_solve
from solver.backends.ortools_mathopt import MathOptBackend
from solver.memory import collector_paused, release_freed_memory
from solver.model import LinearModel
from solver.solve import solve


def _backend(engine: str = "scip") -> MathOptBackend:
    """Minimise x + y with 2x + 3y >= 7 (optimum 3) on whole numbers."""
    model = LinearModel()
    model.add_variable("x", 0, 10)
    model.add_variable("y", 0, 10)
    model.add_constraint("cover", "test", {0: 2, 1: 3}, ">=", 7)
    return MathOptBackend(model, SolverOptions(time_limit=10, engine=engine))


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_freed_memory_is_handed_back_on_glibc() -> None:
    assert release_freed_memory() is True


@pytest.mark.parametrize(("threshold", "trims"), [(0.0, 1), (3600.0, 0)])
def test_a_solve_trims_memory_only_from_the_threshold_on(
    monkeypatch: pytest.MonkeyPatch, threshold: float, trims: int
) -> None:
    calls: list[None] = []
    monkeypatch.setattr(backend_module, "TRIM_AFTER_SECONDS", threshold)
    monkeypatch.setattr(backend_module, "release_freed_memory", lambda: calls.append(None))
    outcome = _backend().minimize({0: 1, 1: 1}, 10)
    assert outcome.status == Status.OPTIMAL and outcome.objective == pytest.approx(3)
    assert len(calls) == trims


def test_the_reduced_run_lets_go_of_the_network_and_the_whole_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only linear stages follow the reduction, and the network solves none of them: it goes,
    with the backend of the whole model, and the memory they held is handed back once."""
    calls: list[None] = []
    monkeypatch.setattr(run_module, "release_freed_memory", lambda: calls.append(None))
    run = haaglanden_before_the_reduction()
    whole = run.backend
    assert run.network is not None
    run.reduce()
    assert run.reduction is not None
    assert run.network is None
    assert run.backend is not whole
    assert len(run.backend.model.variables) < len(whole.model.variables)
    assert len(calls) == 1


def _highs_parameters(monkeypatch: pytest.MonkeyPatch, *, first_answer: bool) -> Any:
    """The solve parameters HiGHS gets, the solve itself still run."""
    seen: list[Any] = []

    def recording(proto: Any, solver: Any, parameters: Any, model_parameters: Any) -> Any:
        seen.append(parameters)
        return core_solve(proto, solver, parameters, model_parameters)

    monkeypatch.setattr(backend_module, "core_solve", recording)
    backend = _backend("highs")
    outcome = backend._solve({0: 1, 1: 1}, 10, None, tight=False, first_answer=first_answer)
    assert outcome.status == Status.OPTIMAL
    return seen[0]


def test_highs_keeps_a_smaller_cut_pool_only_when_it_searches_for_a_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _highs_parameters(monkeypatch, first_answer=True)
    assert first.highs.int_options["mip_pool_soft_limit"] == HIGHS_FIRST_ANSWER_POOL
    own = _highs_parameters(monkeypatch, first_answer=False)
    assert "mip_pool_soft_limit" not in own.highs.int_options


def test_a_solve_runs_without_the_cyclic_collector_and_leaves_it_as_it_found_it() -> None:
    """While a solve runs the collector is off (its progress lines see it so); after it, on
    again if it was on, off if the caller had it off."""
    seen: list[bool] = []
    tiny = region([muni("GM0001"), muni("GM0002", social=20)], [group("homeless", 5)], total=10)
    for enabled in (True, False):
        if not enabled:
            gc.disable()
        try:
            result = solve(
                tiny,
                "ortools",
                OPTIONS,
                hard_limit=False,
                progress=lambda _: seen.append(gc.isenabled()),
            )
            assert result.status == "optimal"
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert seen and not any(seen)


def test_the_collector_is_on_again_only_when_the_last_of_overlapping_solves_ends() -> None:
    """Solves in threads of one process: the first to end must not switch the collector on
    under the other, and an error inside a pause ends it too."""
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with pytest.raises(ValueError, match="stop"), collector_paused():
        seen.append(gc.isenabled())
        raise ValueError("stop")
    seen.append(gc.isenabled())
    release.set()
    thread.join(10)
    assert seen == [False, False]
    assert gc.isenabled()
