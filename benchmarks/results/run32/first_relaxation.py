"""Column generation's first relaxation with and without the basis the run hands it, in turns,
within one whole solve (benchmarks/RESULTS.md, run 32): for each stage whose relaxation would
start from a basis, the median seconds of each way and whether both reach the same optimum
(within 1e-6 relative).

    PYTHONPATH=. python benchmarks/results/run32/first_relaxation.py INSTANCE OBJECTIVE REPEATS
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from typing import Any

import solver.run as run_module
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import Basis, SolverOptions
from solver.columns import RELAXATION_UP_TO, solve_by_columns
from solver.model import LinearModel, Terms, evaluate
from solver.solve import solve

OPTIONS = SolverOptions(time_limit=600)


def _timed(model: LinearModel, terms: Terms, basis: Basis | None) -> tuple[float, float | None]:
    started = time.perf_counter()
    relaxation = backend_class("ortools")(model, OPTIONS).prepared_relaxation(terms, basis)(600)
    seconds = time.perf_counter() - started
    value = None if relaxation is None else float(evaluate(terms, relaxation.values))  # type: ignore[arg-type]
    return seconds, value


def main(instance: str, objective: str, repeats: int) -> None:
    def measured(model: LinearModel, terms: Terms, *args: Any, **kwargs: Any) -> Any:
        basis = kwargs.get("basis")
        if basis is not None and len(model.variables) <= RELAXATION_UP_TO:
            seconds: dict[str, list[float]] = {"without": [], "from the basis": []}
            values: dict[str, float | None] = {}
            for _ in range(repeats):
                for label, start in (("without", None), ("from the basis", basis)):
                    spent, values[label] = _timed(model, terms, start)
                    seconds[label].append(spent)
            cold, warm = values["without"], values["from the basis"]
            same = (
                cold is not None
                and warm is not None
                and abs(cold - warm) <= 1e-6 * max(1.0, abs(cold))
            )
            print(
                f"  {len(model.variables):,} variables, {len(model.constraints):,} rows: "
                f"without the basis {statistics.median(seconds['without']):.3f} s, "
                f"from it {statistics.median(seconds['from the basis']):.3f} s "
                f"(medians of {repeats}); {'the same optimum' if same else 'OTHER OPTIMA'} "
                f"({cold}, {warm})",
                flush=True,
            )
        return solve_by_columns(model, terms, *args, **kwargs)

    run_module.solve_by_columns = measured  # type: ignore[attr-defined]
    base = get_instance(instance).load()
    region = replace(base, policy=replace(base.policy, objective=objective))
    print(f"{instance} {objective}:")
    result = solve(region, "ortools", SolverOptions(time_limit=1800), hard_limit=False)
    print(f"  status {result.status}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
