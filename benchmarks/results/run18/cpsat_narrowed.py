"""CP-SAT on the programme stage of syn-342-g8 after max_abs_deviation, on the reduced model as
given and with the bounds the needs stage's cap implies (benchmarks/RESULTS.md, run 18).

The stage's problem (`solver.solve.stage_problem`, with `Run.tighten` off, so the model as run
17 reduced it) is narrowed as `Run.tighten` narrows it: the relaxation of the needs stage's
objective over the model without its cap, read by `solver.dual_bound.implied_bounds`. CP-SAT
then solves it under SEEDS from the previous stage's answer for at most SECONDS each: on the
model as given, narrowed, and narrowed in one kind of variable only (the name before its
bracket).

    PYTHONPATH=. python benchmarks/results/run18/cpsat_narrowed.py SECONDS SEEDS
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import replace

import solver.run as run_module
from models.generate import generate_region
from solver.backends.base import SolverOptions
from solver.backends.ortools_mathopt import MathOptBackend
from solver.dual_bound import implied_bounds
from solver.model import LinearModel, Terms
from solver.solve import stage_problem


def kind(name: str) -> str:
    return name.split("[")[0].split(",")[0]


def solve(
    model: LinearModel, terms: Terms, start: dict[int, int], seconds: float, seed: int
) -> str:
    options = SolverOptions(time_limit=seconds, engine="cpsat", seed=seed)
    began = time.perf_counter()
    outcome = MathOptBackend(model, options).minimize(terms, seconds, hint=start)
    took = time.perf_counter() - began
    return f"{outcome.status.value}, {outcome.objective} >= {outcome.bound}, {took:.2f} s"


def main(seconds: float, seeds: int) -> None:
    run_module.Run.tighten = lambda self: None  # type: ignore[method-assign]
    region = generate_region(342, 8, seed=2024)
    region = replace(region, policy=replace(region.policy, objective="max_abs_deviation"))
    problem = stage_problem(region, "programme", SolverOptions(time_limit=120))
    if problem is None:
        raise SystemExit("a stage before the programme stage was not proven")
    model = problem.model
    position = next(k for k, row in enumerate(model.constraints) if row.name == "stage[needs]")
    cap = model.constraints[position]
    without = model.with_constraints(r for k, r in enumerate(model.constraints) if k != position)
    objective = dict(cap.terms)
    relaxation = MathOptBackend(without, SolverOptions()).relaxation(objective, 60)
    if relaxation is None:
        raise SystemExit("no relaxation")
    bounds = implied_bounds(without, objective, cap.rhs, relaxation.duals) or {}
    kinds = Counter(kind(model.variables[i].name) for i in bounds)
    fixed = sum(lower == upper for lower, upper in bounds.values())
    print(f"{len(model.variables):,} variables; the needs cap narrows {len(bounds)}, fixes {fixed}")
    print(f"  by kind: {dict(sorted(kinds.items()))}")
    for seed in range(seeds):
        print(f"seed {seed}:")
        print(f"  as given: {solve(model, problem.terms, problem.start, seconds, seed)}")
        narrowed = model.with_bounds(bounds)
        print(f"  narrowed: {solve(narrowed, problem.terms, problem.start, seconds, seed)}")
    for name in sorted(kinds):
        part = {i: b for i, b in bounds.items() if kind(model.variables[i].name) == name}
        result = solve(model.with_bounds(part), problem.terms, problem.start, seconds, 0)
        print(f"narrowed in {name} only ({len(part)}), seed 0: {result}")


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]))
