"""The programme stage after ``leximin`` at 5,000 municipalities, replayed: column generation
(`solver.columns.solve_by_columns`, first duals from the stage's own relaxation), then one
engine on the whole stage for SECONDS, either minimising from column generation's answer
(``optimise``) or looking for any point at or below the ceiling of its bound (``cutoff``)
(benchmarks/RESULTS.md, run 25).

    PYTHONPATH=. python benchmarks/results/run25/gap_after_columns.py PROBLEM.pickle \
        optimise|cutoff scip|cpsat SECONDS

PROBLEM.pickle holds the stage's `solver.solve.StageProblem`, as `run22/columns_replay.py`
writes it (`stage_problem(region, "programme", SolverOptions(time_limit=1800))`).
"""

from __future__ import annotations

import math
import pickle
import resource
import sys
import time
from pathlib import Path

from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.columns import solve_by_columns
from solver.model import Constraint, LinearModel, evaluate
from solver.solve import StageProblem


def peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(path: Path, mode: str, engine: str, seconds: float) -> None:
    problem: StageProblem = pickle.loads(path.read_bytes())

    def backend_for(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, SolverOptions(time_limit=seconds))

    started = time.perf_counter()
    found = solve_by_columns(
        problem.model, problem.terms, problem.start, backend_for, started + 600
    )
    if found is None:
        raise SystemExit("column generation gave no bound")
    print(
        f"columns: {time.perf_counter() - started:.1f} s, value {found.value:,}, bound "
        f"{float(found.bound):,.1f} (reduced), proven {found.proven}",
        flush=True,
    )
    options = SolverOptions(time_limit=seconds, engine=engine)
    started = time.perf_counter()
    if mode == "cutoff":
        terms = tuple(sorted(problem.terms.items()))
        cutoff = Constraint("objective_cutoff", "stage", terms, "<=", math.ceil(found.bound))
        model = problem.model.with_constraints([*problem.model.constraints, cutoff])
        outcome = backend_class("ortools")(model, options).minimize({}, seconds)
    else:
        backend = backend_class("ortools")(problem.model, options)
        outcome = backend.minimize(problem.terms, seconds, hint=found.values)
    value = None if outcome.values is None else evaluate(problem.terms, outcome.values)
    print(
        f"{mode} on {engine}: {outcome.status.value} ({outcome.stop_reason}) after "
        f"{time.perf_counter() - started:.1f} s, value {value}, bound {outcome.bound}, "
        f"peak {peak_mib():,} MiB",
        flush=True,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]))
