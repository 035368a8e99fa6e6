"""A start for the programme stage from its linear relaxation, tried on syn-5000-g8 and the
national instance and not adopted (benchmarks/RESULTS.md, run 17).

The stage's problem (the reduced model with the rows in force, the objective, the previous
stage's answer as start: `solver.solve.stage_problem`) is written once to a pickle. Then HiGHS
solves its linear relaxation, and a MIP over the variables where the relaxation's vertex and the
start disagree (the others fixed at their common value: the start is a point of it, so it is
never empty) gives a new start (RINS, relaxation induced neighbourhood search). Last, ENGINE
(``highs``, as fairshare's search for a start, or ``scip``, as its proof) solves the whole stage
from that start for at most SECONDS.

    python benchmarks/results/run17/rins_start.py dump syn-5000-g8 /tmp/programme5000.pkl
    python benchmarks/results/run17/rins_start.py try /tmp/programme5000.pkl highs 600
"""

from __future__ import annotations

import pickle
import sys
import time

from benchmarks.suite import get_instance
from models.loader import load_region
from solver.backends.base import INTEGRALITY_TOLERANCE, SolverOptions
from solver.backends.ortools_mathopt import MathOptBackend
from solver.model import Constraint, evaluate
from solver.network import holds
from solver.reduction import reduce_model
from solver.solve import stage_problem


def dump(name: str, path: str) -> None:
    region = load_region(name) if "/" in name else get_instance(name).load()
    problem = stage_problem(region, "programme", SolverOptions(time_limit=1200))
    if problem is None:
        raise SystemExit("a stage before the programme stage was not proven")
    with open(path, "wb") as out:
        pickle.dump((problem.model, problem.terms, problem.start), out)


def attempt(path: str, engine: str, seconds: float) -> None:
    with open(path, "rb") as saved:
        model, terms, start = pickle.load(saved)
    print(f"model: {len(model.variables):,} variables, {len(model.constraints):,} rows", flush=True)
    started = time.perf_counter()
    relaxation = MathOptBackend(model, SolverOptions(time_limit=600)).relaxation(terms, 600)
    if relaxation is None:
        raise SystemExit("no relaxation")
    bound = sum(c * relaxation.values[i] for i, c in terms.items())
    agree = {
        index: round(value)
        for index, value in relaxation.values.items()
        if abs(value - round(value)) <= INTEGRALITY_TOLERANCE
        and round(value) == start.get(index, 0)
    }
    print(f"relaxation {bound:,.1f} in {time.perf_counter() - started:.1f} s", flush=True)
    rows = [Constraint(f"rins[{i}]", "rins", ((i, 1),), "==", v) for i, v in sorted(agree.items())]
    reduction = reduce_model(model, rows)
    if reduction is None:
        raise SystemExit("the fixings contradict the rows")
    objective, _ = reduction.objective(terms)
    began = time.perf_counter()
    sub = MathOptBackend(reduction.model, SolverOptions(time_limit=120))
    outcome = sub.minimize(objective, 120, hint=reduction.start(start))
    if outcome.values is None:
        raise SystemExit(f"no answer of the neighbourhood: {outcome.status}")
    point = reduction.point(outcome.values)
    print(
        f"neighbourhood of {len(reduction.free):,} variables: {outcome.status.value} in "
        f"{time.perf_counter() - began:.1f} s, value {evaluate(terms, point):,} "
        f"(start {evaluate(terms, start):,}), meets every row: {holds(model, (), point)}",
        flush=True,
    )
    began = time.perf_counter()
    whole = MathOptBackend(model, SolverOptions(time_limit=seconds))
    whole._set_objective(whole._proto, terms)
    found = whole._solve(
        terms, seconds, point, tight=False, engine=engine, first_answer=engine == "highs"
    )
    value = None if found.values is None else evaluate(terms, found.values)
    print(
        f"{engine} from it: {found.status.value} ({found.stop_reason}) in "
        f"{time.perf_counter() - began:.1f} s, value {value}, bound {found.bound}",
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        attempt(sys.argv[2], sys.argv[3], float(sys.argv[4]))
