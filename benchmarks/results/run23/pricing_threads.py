"""The national programme stage's blocks priced in parts of at most 500 variables (7 parts) at
40 random duals, with SCIP on THREADS threads and WORKERS parts at once
(benchmarks/RESULTS.md, run 23).

    PYTHONPATH=. python benchmarks/results/run23/pricing_threads.py THREADS WORKERS
"""

from __future__ import annotations

import random
import sys
import time

import solver.columns as columns_module
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.model import LinearModel
from solver.solve import stage_problem


def main(threads: int, workers: int) -> None:
    columns_module.PRICING_PART = 500
    options = SolverOptions(time_limit=120, threads=threads)

    def backend_for(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, options)

    region = load_instance(bundled_instance("nl")).region
    problem = stage_problem(region, "programme", SolverOptions(time_limit=120))
    assert problem is not None
    blocks = columns_module.split_blocks(problem.model)
    assert blocks is not None
    pricer = columns_module.BlockPricer(problem.model, blocks, backend_for, workers)
    draw = random.Random(3)
    started = time.perf_counter()
    for _ in range(40):
        floats = [draw.uniform(-3, 3) for _ in blocks.coupling]
        duals, common = columns_module.exact_duals(floats, blocks.coupling)
        prices = columns_module.lagrangian_terms(problem.terms, blocks.coupling, duals, common)
        assert pricer.cheapest(prices, 60) is not None
    spent = time.perf_counter() - started
    print(f"{len(pricer.parts)} parts, SCIP threads {threads}, workers {workers}: {spent:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
