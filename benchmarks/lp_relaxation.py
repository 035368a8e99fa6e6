"""The LP relaxation of fairshare's own model: the yardstick of the "within 3x" target.

`solver.formulation.formulate` plus the stages of `solver.solve` with every variable continuous,
solved stage by stage on the OR-Tools backend with HiGHS, each stage kept at its float optimum
(plus ``1e-6`` relative) before the next. Min-max stages have no linear relaxation of their own
(they are searches over levels with integer feasibility problems) and are skipped.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

from benchmarks.record import fraction_text
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import SolverOptions, Status
from solver.formulation import formulate
from solver.model import Constraint, LinearModel
from solver.objectives import Stage
from solver.result import OPTIMAL
from solver.run import lexicographic_stages

#: Relative tolerance with which an LP stage is kept in the next stages.
LP_STAGE_TOLERANCE = 1e-6


def solve_lp_relaxation(region: Region, time_limit: float) -> dict[str, Any]:
    """fairshare's model with every variable continuous, stage by stage on OR-Tools/HiGHS.

    Each stage is kept at its float optimum (``<= value + 1e-6 * max(1, |value|)``) in the later
    stages. Stage values are reported in the stages' units (dwellings, households).
    """
    started = time.perf_counter()
    f = formulate(region)
    stages = lexicographic_stages(f)  # adds the stages' variables and constraints to f.model
    relaxed = LinearModel(
        variables=[v._replace(integer=False) for v in f.model.variables],
        constraints=list(f.model.constraints),
    )
    backend = backend_class("ortools")(
        relaxed, SolverOptions(time_limit=time_limit, engine="highs")
    )
    build = time.perf_counter() - started
    deadline = started + time_limit
    records: list[dict[str, Any]] = []
    status, stop = OPTIMAL, "optimal"
    for stage in stages:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status, stop = "feasible" if records else "no_solution", "time_limit"
            break
        if not isinstance(stage, Stage):
            # A min-max stage is a search over levels with integer feasibility problems: it has
            # no linear relaxation of its own.
            continue
        outcome = backend.minimize(stage.terms, remaining)
        value = None
        if outcome.objective is not None:
            value = (outcome.objective + stage.constant) / stage.scale
        records.append(
            {
                "name": stage.name,
                "status": outcome.status.value,
                "stop_reason": outcome.stop_reason,
                "value": None if value is None else repr(value),
                "bound": None,
                "seconds": outcome.seconds,
            }
        )
        if outcome.status != Status.OPTIMAL or outcome.objective is None:
            status, stop = outcome.status.value, outcome.stop_reason
            break
        keep = outcome.objective + LP_STAGE_TOLERANCE * max(1.0, abs(outcome.objective))
        # A float right-hand side: `Constraint` is typed for the exact integer model, and the
        # MathOpt backend passes the value through to the solver as a float bound.
        fixed = tuple(sorted(stage.terms.items()))
        backend.add_constraint(
            Constraint(f"stage[{stage.name}]", "stage", fixed, "<=", keep)  # type: ignore[arg-type]
        )
    total = time.perf_counter() - started
    values = {r["name"]: r["value"] for r in records if r["status"] == OPTIMAL}

    def exact_float(name: str) -> str | None:
        text = values.get(name)
        return None if text is None else fraction_text(Fraction(float(text)))

    return {
        "status": status,
        "stop_reason": stop,
        "build_s": build,
        "solve_s": sum(r["seconds"] for r in records),
        "total_s": total,
        "needs": exact_float("needs"),
        "fairness": exact_float("fairness_sum"),
        "proven": False,
        "gap_note": "LP relaxation: stage objectives, not an allocation",
        "check": None,
        "stages": records,
        "versions": backend.versions(),
    }
