"""A later stage's linear relaxation by HiGHS's own choice of method (the dual simplex) and by
its interior point method (with crossover), in turns: the seconds of each, the objective, whether
the duals are the same, and with ``--price`` the exact Lagrangian bound of column generation's
first pricing at each one's duals of the coupling rows (benchmarks/RESULTS.md, run 29).

    PYTHONPATH=. python benchmarks/results/run29/relaxation_methods.py PROBLEM.pickle ROUNDS \
        [--price]

PROBLEM.pickle: a stage's problem as `benchmarks/results/run22/columns_replay.py` caches it.
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
import solver.columns as columns_module
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.backends.mathopt_proto import solve_relaxation
from solver.columns import BlockPricer

OPTIONS = SolverOptions(time_limit=600)
#: The methods compared: HiGHS's own choice (``None``) and the interior point method.
METHODS: dict[str, Any] = {"highs-choice": None, "interior-point": mathopt_module._AFTER_BREAKDOWN}


def main(path: Path, rounds: int, priced: bool) -> None:
    problem = pickle.loads(path.read_bytes())
    backend = backend_class("ortools")(problem.model, OPTIONS)
    relaxed = backend._relaxed()  # type: ignore[attr-defined]
    backend._set_objective(relaxed, problem.terms)  # type: ignore[attr-defined]
    seconds: dict[str, list[float]] = {name: [] for name in METHODS}
    objectives: dict[str, set[float]] = {name: set() for name in METHODS}
    duals: dict[str, dict[int, float]] = {}
    for number in range(rounds):
        for name in METHODS if number % 2 == 0 else reversed(METHODS):
            started = time.perf_counter()
            result = solve_relaxation(relaxed, 600, mathopt_module.ENGINES["highs"], METHODS[name])
            seconds[name].append(time.perf_counter() - started)
            assert result is not None and result.solutions, name
            solution = result.solutions[0]
            objectives[name].add(round(solution.primal_solution.objective_value, 4))
            values = solution.dual_solution.dual_values
            duals[name] = dict(zip(values.ids, values.values, strict=True))
    same = duals["highs-choice"] == duals["interior-point"]
    print(
        f"{path.name}: {len(problem.model.variables):,} variables; "
        + "; ".join(
            f"{name} median {statistics.median(taken):.3f} s "
            f"({min(taken):.3f}-{max(taken):.3f}), objective {sorted(objectives[name])}"
            for name, taken in seconds.items()
        )
        + f"; {'the same duals' if same else 'other duals'}",
        flush=True,
    )
    if not priced:
        return
    blocks = columns_module.split_blocks(problem.model)
    assert blocks is not None
    pricer = BlockPricer(
        problem.model, blocks, lambda sub: backend_class("ortools")(sub, OPTIONS), workers=2
    )
    for name, by_row in duals.items():
        coupling = [by_row.get(position, 0.0) for position in blocks.positions]
        found = columns_module.price(
            pricer, problem.terms, blocks.coupling, coupling, time.perf_counter() + 600
        )
        bound = "none" if found is None else f"{float(found.bound):,.2f}"
        print(f"  at the duals of {name}: Lagrangian bound {bound}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), "--price" in sys.argv[3:])
