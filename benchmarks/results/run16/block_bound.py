"""How far the programme stage's bound rises if each municipality's own rows are solved in integers:
the Lagrangian bound that relaxes only the rows linking municipalities (the regional totals and
mix, the needs stage's row, a group's demand), against the linear relaxation's bound and the
integer optimum of the stage, on the problem as `solver.solve.stage_problem` builds it.

A decomposition by municipality (Dantzig-Wolfe, or Lagrangian with exact blocks) can prove the
stage only if this bound, at its best multipliers, reaches the optimum. The multipliers tried are
the relaxation's duals and a grid around them on the two rows whose duals are not zero and that
are not a group's demand.

Usage: ``PYTHONPATH=. python benchmarks/results/run16/block_bound.py [INSTANCE]`` (default
``instances/nl``). Self-contained on purpose.
"""

from __future__ import annotations

import re
import sys
import time
from fractions import Fraction
from math import lcm
from pathlib import Path

from models.loader import load_region
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.model import LinearModel, Terms, evaluate
from solver.solve import stage_problem

CODE = re.compile(r"GM\d{4}")


def _municipality(name: str) -> str | None:
    found = CODE.search(name)
    return found.group(0) if found else None


def _lagrangian(
    model: LinearModel, local: LinearModel, terms: Terms, multipliers: dict[int, Fraction]
) -> Fraction:
    """``min over the local rows of terms - sum_j u_j (row_j - rhs_j)``, proven by SCIP: the
    bound of the integer blocks at the multipliers ``u``."""
    objective = {i: Fraction(c) for i, c in terms.items()}
    constant = Fraction(0)
    for j, u in multipliers.items():
        row = model.constraints[j]
        for i, a in row.terms:
            objective[i] = objective.get(i, Fraction(0)) - u * a
        constant += u * row.rhs
    scale = lcm(*(v.denominator for v in objective.values()), constant.denominator)
    scaled = {i: int(v * scale) for i, v in objective.items() if v}
    outcome = backend_class("ortools")(local, SolverOptions()).minimize(scaled, 120)
    if outcome.bound is None or outcome.status.value != "optimal":
        raise SystemExit(f"the blocks were not proven: {outcome.stop_reason}")
    return Fraction(round(outcome.bound), scale) + constant


def main(instance: str) -> None:
    region = load_region(Path(instance))
    problem = stage_problem(region, "programme", SolverOptions())
    if problem is None:
        raise SystemExit("a stage before the programme stage was not proven")
    model, terms = problem.model, problem.terms
    names = [v.name for v in model.variables]
    linking = [
        j
        for j, row in enumerate(model.constraints)
        if len({_municipality(names[i]) for i, _ in row.terms}) > 1
    ]
    local = model.with_constraints(
        [row for j, row in enumerate(model.constraints) if j not in set(linking)]
    )
    backend = backend_class("ortools")
    started = time.perf_counter()
    relaxation = backend(model, SolverOptions()).relaxation(terms, 120)
    if relaxation is None:
        raise SystemExit("no relaxation")
    lp = sum(c * relaxation.values[i] for i, c in terms.items())
    lp_seconds = time.perf_counter() - started
    started = time.perf_counter()
    whole = backend(model, SolverOptions()).minimize(terms, 120, hint=problem.start)
    if whole.values is None:
        raise SystemExit("no integer answer")
    mip_seconds = time.perf_counter() - started
    optimum = evaluate(terms, whole.values)
    duals = {j: Fraction(relaxation.duals.get(j, 0.0)).limit_denominator(1000) for j in linking}
    print(f"rows linking municipalities ({len(linking)}):")
    for j in linking:
        row = model.constraints[j]
        print(f"  {row.name}: {len(row.terms)} terms, dual {duals[j]}")
    at_duals = _lagrangian(model, local, terms, duals)
    steps = [
        j for j in linking if duals[j] and not model.constraints[j].name.startswith("group_demand")
    ]
    best = at_duals
    for first in range(-3, 4):
        for second in range(-3, 4):
            tried = dict(duals)
            for j, step in zip(steps, (Fraction(first, 20), Fraction(second, 70)), strict=False):
                tried[j] += step
            if any(model.constraints[j].sense == "<=" and tried[j] > 0 for j in steps):
                continue
            best = max(best, _lagrangian(model, local, terms, tried))
    print(f"linear relaxation bound {lp:.1f} ({lp_seconds:.2f} s)")
    print(f"integer blocks at the relaxation's duals {float(at_duals):.1f}")
    print(f"integer blocks, best on the grid {float(best):.1f}")
    print(f"integer optimum {optimum} ({whole.status.value}, {mip_seconds:.2f} s)")
    print(
        f"gap to the optimum: relaxation {optimum - lp:.1f}, "
        f"blocks in integers {optimum - float(best):.1f}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "instances/nl")
