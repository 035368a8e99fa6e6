"""HiGHS's search for a start on the programme stage of a synthetic region, with a given cut pool:
its seconds, its answer and the process's peak memory (sampled every 0.05 s).

    python benchmarks/results/run12/highs_pool.py --municipalities 5000 --pool 1000

The problem is the one `solver.solve.stage_problem` builds; rows with large coefficients are added
to the backend as a run adds its rows in force, so that they reach HiGHS scaled, as in a run.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import solver.backends.mathopt_parameters as parameters_module
from models.generate import generate_region
from solver.backends.base import SolverOptions
from solver.backends.mathopt_proto import LARGE_COEFFICIENT
from solver.backends.ortools_mathopt import MathOptBackend
from solver.model import Constraint, evaluate
from solver.solve import stage_problem


def _resident_mib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--municipalities", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--pool", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=200.0)
    args = parser.parse_args()
    region = generate_region(args.municipalities, args.groups, seed=2024)
    problem = stage_problem(region, "programme", SolverOptions(time_limit=1200))
    if problem is None:
        raise SystemExit("no programme stage problem")

    def large(row: Constraint) -> bool:
        return max((abs(c) for _, c in row.terms), default=1) > LARGE_COEFFICIENT

    rows = problem.model.constraints
    backend = MathOptBackend(
        problem.model.with_constraints(r for r in rows if not large(r)), SolverOptions()
    )
    for row in rows:
        if large(row):
            backend.add_constraint(row)
    backend._set_objective(backend._proto, problem.terms)
    parameters_module.HIGHS_FIRST_ANSWER_POOL = args.pool
    peak = [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], _resident_mib())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    before = _resident_mib()
    started = time.perf_counter()
    values = backend._first_answer("highs", problem.terms, args.time_limit, problem.start)
    seconds = time.perf_counter() - started
    value = None if values is None else evaluate(problem.terms, values) + problem.constant
    print(
        f"pool {args.pool}: {seconds:.1f} s, programme value {value}, resident before "
        f"{before} MiB, peak {peak[0]} MiB"
    )


if __name__ == "__main__":
    main()
