"""The building searches without an objective of one whole solve, each solved by its relaxation
with and without the guide the run hands it, in turns (benchmarks/RESULTS.md, run 32): the
median seconds of each, whether each is proven, and whether the two buildings differ.

    PYTHONPATH=. python benchmarks/results/run32/building_guide.py INSTANCE OBJECTIVE REPEATS
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace

from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import Backend, LastBasis, Outcome, SolverOptions
from solver.model import LinearModel, Terms
from solver.relaxation_first import solve_by_relaxation
from solver.run import Run
from solver.solve import solve

OPTIONS = SolverOptions(time_limit=600, primal_heuristics=False)


def _backend(model: LinearModel) -> Backend:
    return backend_class("ortools")(model, OPTIONS)


def _timed(model: LinearModel, guide: Terms | None) -> tuple[float, Outcome | None]:
    started = time.perf_counter()
    outcome = solve_by_relaxation(_backend(model), {}, 600, _backend, guide)
    return time.perf_counter() - started, outcome


def main(instance: str, objective: str, repeats: int) -> None:
    searches: list[tuple[LinearModel, Terms]] = []
    solve_building = Run.solve_building

    def recorded(
        self: Run,
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome:
        if not terms and guide:
            searches.append((model, dict(guide)))
        return solve_building(self, model, terms, guide, last)

    Run.solve_building = recorded  # type: ignore[method-assign]
    base = get_instance(instance).load()
    region = replace(base, policy=replace(base.policy, objective=objective))
    solve(region, "ortools", SolverOptions(time_limit=1800), hard_limit=False)
    Run.solve_building = solve_building  # type: ignore[method-assign]
    print(f"{instance} {objective}: {len(searches)} building searches without an objective")
    for k, (model, guide) in enumerate(searches):
        seconds: dict[str, list[float]] = {"without": [], "guided": []}
        found: dict[str, Outcome | None] = {}
        for _ in range(repeats):
            for label, steer in (("without", None), ("guided", guide)):
                spent, found[label] = _timed(model, steer)
                seconds[label].append(spent)
        proven = {label: o is not None and o.values is not None for label, o in found.items()}
        same = all(proven.values()) and found["without"].values == found["guided"].values  # type: ignore[union-attr]
        print(
            f"  {k}: {len(model.variables):,} variables, {len(model.constraints):,} rows; "
            f"without a guide {statistics.median(seconds['without']):.3f} s, "
            f"guided {statistics.median(seconds['guided']):.3f} s (medians of {repeats}); "
            f"proven {proven['without']}/{proven['guided']}; "
            f"{'the same building' if same else 'another building'}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
