"""The building searches of one whole solve, replayed: each search's relaxation solved by HiGHS
without a start, and by GLOP from the basis of the search before it where both models have the
same variables and their rows map (`MathOptBackend.prepared_relaxation`'s ``start``), with the
seconds, GLOP's iterations and both optima (benchmarks/RESULTS.md, run 33). The models are
those the tree on PYTHONPATH writes (from run 33 on, a row over one variable is a bound).

    PYTHONPATH=. python benchmarks/results/run33/building_searches.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

import solver.backends.mathopt_proto as proto_module
import solver.backends.ortools_mathopt as mathopt_module
import solver.run as run_module
from solver.backends.base import Basis, Relaxation, SolverOptions
from solver.model import LinearModel, Terms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")

OPTIONS = SolverOptions(time_limit=60, threads=1)
SEARCHES: list[tuple[LinearModel, Terms, Terms | None]] = []
ITERATIONS: list[int] = []


def _relaxed(
    model: LinearModel, objective: Terms, start: Basis | None
) -> tuple[Relaxation | None, float]:
    backend = mathopt_module.MathOptBackend(model, OPTIONS)
    solve = backend.prepared_relaxation(objective, start)
    started = time.perf_counter()
    relaxation = solve(60.0)
    return relaxation, time.perf_counter() - started


def main(instance: str, objective: str) -> None:
    searched = run_module.Run.solve_building

    def recorded(self: Any, model: LinearModel, terms: Terms, *args: Any) -> Any:
        guide = args[0] if args else None
        SEARCHES.append((model, dict(terms), None if guide is None else dict(guide)))
        return searched(self, model, terms, *args)

    setattr(run_module.Run, "solve_building", recorded)  # noqa: B010 - a method replaced
    whole_digest.main(instance, 1800.0, objective)
    setattr(run_module.Run, "solve_building", searched)  # noqa: B010 - put back

    solved = proto_module.solve_relaxation

    def counted(*args: Any, **kwargs: Any) -> Any:
        result = solved(*args, **kwargs)
        if result is not None and len(args) > 4 and args[4] is not None:
            ITERATIONS.append(result.solve_stats.simplex_iterations)
        return result

    setattr(mathopt_module, "solve_relaxation", counted)  # noqa: B010 - imported there by name
    previous: Basis | None = None
    for number, (model, terms, guide) in enumerate(SEARCHES):
        wanted = terms or guide or {}
        cold, cold_seconds = _relaxed(model, wanted, None)
        line = (
            f"search {number}: {len(model.variables):,} variables, "
            f"{len(model.constraints):,} rows, {'terms' if terms else 'guide'}; "
            f"HiGHS {cold_seconds:.3f} s"
        )
        if previous is not None and cold is not None:
            ITERATIONS.clear()
            warm, warm_seconds = _relaxed(model, wanted, previous)
            if ITERATIONS and warm is not None:
                same = sum(c * warm.values[i] for i, c in wanted.items()) - sum(
                    c * cold.values[i] for i, c in wanted.items()
                )
                line += (
                    f"; GLOP from the last basis {warm_seconds:.3f} s, "
                    f"{ITERATIONS[0]} iterations, optimum differs by {same:.3g}"
                )
            else:
                line += "; the last basis does not map"
        print(line, flush=True)
        previous = None if cold is None else cold.basis


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
