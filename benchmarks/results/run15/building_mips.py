"""The building MIPs of the needs and fairness stages of one instance, each solved four ways: the
whole MIP on SCIP (as before run 15), its relaxation on HiGHS and on GLOP, and the route of
`solver.relaxation_first` (relaxation, exact bound, SCIP on the variables left fractional).

Usage: ``PYTHONPATH=. python benchmarks/results/run15/building_mips.py INSTANCE`` (a directory
or a benchmark id such as ``syn-5000-g8``). Prints, per MIP, its size, the seconds and values of
each way, and whether the route proved it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import solver.backends.ortools_mathopt as backend_module
from benchmarks.suite import get_instance
from models.loader import load_region
from solver.backends.base import LastBasis, Outcome, SolverOptions
from solver.backends.mathopt_proto import solve_relaxation
from solver.dual_bound import integer_bound
from solver.linear_stage import linear_stage
from solver.model import LinearModel, Terms
from solver.objectives import Stage
from solver.relaxation_first import solve_by_relaxation
from solver.run import Run

OPTIONS = replace(SolverOptions(time_limit=600), primal_heuristics=False)


def _backend(model: LinearModel) -> backend_module.MathOptBackend:
    return backend_module.MathOptBackend(model, OPTIONS)


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def measure(model: LinearModel, terms: Terms) -> None:
    started = time.perf_counter()
    whole = _backend(model).minimize(terms, 600)
    whole_seconds = _seconds(started)
    started = time.perf_counter()
    relaxation = _backend(model).relaxation(terms, 600)
    highs_seconds = _seconds(started)
    backend = _backend(model)
    relaxed = backend._relaxed()
    backend._set_objective(relaxed, terms)
    started = time.perf_counter()
    glop = solve_relaxation(relaxed, 600)
    glop_seconds = _seconds(started)
    glop_value = None if glop is None else glop.termination.objective_bounds.dual_bound
    bound = None if relaxation is None else integer_bound(model, terms, relaxation.duals)
    started = time.perf_counter()
    route = solve_by_relaxation(_backend(model), terms, 600, _backend)
    route_seconds = _seconds(started)
    print(
        f"{len(model.variables)} variables, {len(model.constraints)} rows, "
        f"{len(terms)} objective terms:\n"
        f"  whole MIP on SCIP {whole_seconds} s, {whole.status.value} {whole.objective}\n"
        f"  relaxation on HiGHS {highs_seconds} s; on GLOP {glop_seconds} s, {glop_value}; "
        f"exact bound for integers {bound}\n"
        f"  relaxation first {route_seconds} s: "
        + ("not proven" if route is None else f"proven {route.objective}"),
        flush=True,
    )


def main(name: str) -> None:
    region = load_region(name) if "/" in name else get_instance(name).load()
    run = Run(region, "ortools", SolverOptions(time_limit=600))
    captured: list[tuple[LinearModel, Terms]] = []
    solve_building = run.solve_building

    def recorded(
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        captured.append((model, dict(terms)))
        return solve_building(model, terms, guide, last)

    run.solve_building = recorded  # type: ignore[method-assign]
    for stage in run.stages[:2]:
        assert isinstance(stage, Stage)
        linear_stage(run, stage)
    print(name)
    for model, terms in captured:
        measure(model, terms)


if __name__ == "__main__":
    main(sys.argv[1])
