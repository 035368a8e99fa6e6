"""The pricing MIPs of the tie-break stage after ``equal_burden`` at 5,000 municipalities, at
the duals of a final master (prices up to 5.4 * 10**11, near `LARGEST_PRICE`), solved part by
part by SCIP and by HiGHS: their optima compared in integers (benchmarks/RESULTS.md, run 23).

    PYTHONPATH=. python benchmarks/results/run23/pricing_engines.py PROBLEM.pickle MASTER.pickle

PROBLEM.pickle: the stage's problem as `benchmarks/results/run22/columns_replay.py` caches it;
MASTER.pickle: ``{"args": (columns, rows, blocks, centre, width)}``, the arguments of the last
`solver.columns.master_model` of a run on that problem.
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import solver.columns as columns_module
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.model import LinearModel


def main(problem_path: Path, master_path: Path) -> None:
    problem = pickle.loads(problem_path.read_bytes())
    columns, rows, count, centre, width = pickle.loads(master_path.read_bytes())["args"]
    master, objective = columns_module.master_model(columns, rows, count, centre, width)
    solved = backend_class("ortools")(master, SolverOptions(time_limit=600)).relaxation(
        objective, 600
    )
    assert solved is not None
    scale = columns_module.MASTER_SCALE
    duals = [solved.duals.get(row, 0.0) / scale for row in range(len(rows))]
    made = columns_module.priced_duals(problem.terms, rows, duals)
    assert made is not None
    _, common, prices = made
    print(f"grid 1/{common}, largest price {max(abs(p) for p in prices.values()):,}")
    blocks = columns_module.split_blocks(problem.model)
    assert blocks is not None

    def pricer(engine: str) -> columns_module.BlockPricer:
        options = SolverOptions(time_limit=600, engine=engine)

        def backend_for(model: LinearModel) -> Backend:
            return backend_class("ortools")(model, options)

        return columns_module.BlockPricer(problem.model, blocks, backend_for)

    pricers = {engine: pricer(engine) for engine in ("scip", "highs")}
    for number in range(len(pricers["scip"].parts)):
        line = [f"part {number}"]
        for engine, each in pricers.items():
            indices, backend = each.parts[number]
            local = {each.local[i]: prices[i] for i in indices if i in prices}
            started = time.perf_counter()
            outcome = backend.minimize(local, 600)
            value = None
            if outcome.values is not None:
                value = sum(c * outcome.values[i] for i, c in local.items())
            line.append(f"{engine}: {outcome.status} {value} {time.perf_counter() - started:.1f} s")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
