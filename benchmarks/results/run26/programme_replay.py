"""The programme stage after ``equal_burden`` on syn-1000-g8, as the backend is handed it
(`solver.solve.stage_problem`), solved alone on SCIP from the previous stage's answer, with
CP-SAT taking over after SCIP's 100 nodes or without (benchmarks/RESULTS.md, run 26, C).

    PYTHONPATH=. python benchmarks/results/run26/programme_replay.py SECONDS cpsat|none
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.solve import stage_problem


def main(seconds: float, proof_engine: str | None) -> None:
    region = get_instance("syn-1000-g8").load()
    region = replace(region, policy=replace(region.policy, objective="equal_burden"))
    problem = stage_problem(region, "programme", SolverOptions(time_limit=1800))
    assert problem is not None
    print(f"{len(problem.model.variables):,} variables, {len(problem.model.constraints):,} rows")
    options = SolverOptions(time_limit=seconds, proof_engine=proof_engine)
    backend = backend_class("ortools")(problem.model, options)
    started = time.perf_counter()
    outcome = backend.minimize(problem.terms, seconds, hint=problem.start)
    print(
        f"{outcome.status.value} ({outcome.stop_reason}), answer {outcome.objective}, bound "
        f"{outcome.bound} (reduced objective), {time.perf_counter() - started:.1f} s; "
        f"{outcome.note}"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]), None if sys.argv[2] == "none" else sys.argv[2])
