"""The national tie-break stage with the rows that fix the earlier stages written as equalities
(``== value`` instead of ``<= value``: no integer point lies below an optimum, so the rows are
valid) against the rows as fairshare writes them: the linear relaxation's value and SCIP's
median seconds over three solves. Tried in run 17 and not adopted: the relaxation is the same.

    PYTHONPATH=. python benchmarks/results/run17/stage_equalities.py
"""

from __future__ import annotations

import statistics
import time

from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.backends.ortools_mathopt import MathOptBackend
from solver.model import evaluate
from solver.solve import stage_problem


def main() -> None:
    problem = stage_problem(load_region("instances/nl"), "tie_break", SolverOptions(time_limit=60))
    if problem is None:
        raise SystemExit("a stage before the tie-break stage was not proven")
    model, terms = problem.model, problem.terms
    equalities = model.with_constraints(
        row._replace(sense="==") if row.name.startswith("stage[") else row
        for row in model.constraints
    )
    for label, candidate in (("as written (<=)", model), ("as equalities", equalities)):
        seconds = []
        for _ in range(3):
            backend = MathOptBackend(candidate, SolverOptions(time_limit=60))
            relaxation = backend.relaxation(terms, 60)
            started = time.perf_counter()
            outcome = backend.minimize(terms, 60, hint=problem.start)
            seconds.append(time.perf_counter() - started)
        bound = (
            None if relaxation is None else sum(c * relaxation.values[i] for i, c in terms.items())
        )
        value = None if outcome.values is None else evaluate(terms, outcome.values)
        print(
            f"stage rows {label}: relaxation {bound}, {outcome.status.value} {value}, "
            f"median {statistics.median(seconds):.3f} s"
        )


if __name__ == "__main__":
    main()
