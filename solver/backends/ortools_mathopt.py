"""The OR-Tools backend, through MathOpt: SCIP (default), HiGHS or CP-SAT.

MathOpt reports a termination reason and the limit that stopped the solver separately, which maps
directly onto `Outcome`. A result within a non-zero gap tolerance is reported as feasible, never as
optimal, unless the objective bound proves it.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from importlib.metadata import version
from typing import ClassVar

from ortools.math_opt.io.python import mps_converter
from ortools.math_opt.python import mathopt

from solver.backends.base import Backend, Outcome, SolverOptions, Status, round_values
from solver.model import Constraint, LinearModel, Terms

ENGINES: dict[str, mathopt.SolverType] = {
    "scip": mathopt.SolverType.GSCIP,
    "highs": mathopt.SolverType.HIGHS,
    "cpsat": mathopt.SolverType.CP_SAT,
}


class MathOptBackend(Backend):
    """OR-Tools MathOpt with the engine named in the options."""

    name: ClassVar[str] = "ortools"
    engines: ClassVar[tuple[str, ...]] = tuple(ENGINES)

    def __init__(self, model: LinearModel, options: SolverOptions) -> None:
        super().__init__(model, options)
        if self.engine not in ENGINES:
            raise KeyError(f"unknown OR-Tools engine {self.engine!r}; known: {', '.join(ENGINES)}")
        self._model = mathopt.Model(name="fairshare")
        self._variables = [
            self._model.add_variable(
                lb=v.lower,
                ub=math.inf if v.upper is None else v.upper,
                is_integer=v.integer,
                name=v.name,
            )
            for v in model.variables
        ]
        for constraint in model.constraints:
            self.add_constraint(constraint)

    def add_constraint(self, constraint: Constraint) -> object:
        """Add a constraint with its bounds taken from the sense."""
        lower = -math.inf if constraint.sense == "<=" else constraint.rhs
        upper = math.inf if constraint.sense == ">=" else constraint.rhs
        row = self._model.add_linear_constraint(lb=lower, ub=upper, name=constraint.name)
        for index, coefficient in constraint.terms:
            row.set_coefficient(self._variables[index], coefficient)
        return row

    def remove_constraint(self, handle: object) -> None:
        """Delete a constraint added before."""
        self._model.delete_linear_constraint(handle)

    def _set_objective(self, terms: Terms) -> None:
        objective = self._model.objective
        objective.clear()
        objective.is_maximize = False
        for index, coefficient in sorted(terms.items()):
            objective.set_linear_coefficient(self._variables[index], coefficient)

    def minimize(self, terms: Terms, time_limit: float) -> Outcome:
        """Minimise ``terms``; an objective that is integral at integer points may stop at a gap
        below 1, which still proves optimality."""
        self._set_objective(terms)
        integral = all(v.integer for v in self.model.variables if v.index in terms)
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=max(time_limit, 0.001)),
            relative_gap_tolerance=self.options.gap,
            absolute_gap_tolerance=0.5 if integral and self.options.gap == 0 else 0.0,
            # HiGHS takes no thread count through MathOpt; it runs its MIP search on one thread.
            threads=None if self.engine == "highs" else self.options.threads,
            random_seed=self.options.seed,
        )
        started = time.perf_counter()
        try:
            result = mathopt.solve(self._model, ENGINES[self.engine], params=params)
        except Exception as error:  # noqa: BLE001 - any solver failure is an error outcome
            return Outcome(
                Status.ERROR, f"error: {error}", None, None, None, time.perf_counter() - started
            )
        seconds = time.perf_counter() - started
        out_of_time = seconds >= 0.98 * time_limit
        return _outcome(
            result, self._variables, self.model, self.options, integral, seconds, out_of_time
        )

    @staticmethod
    def versions() -> dict[str, str]:
        """The OR-Tools package version."""
        return {"ortools": version("ortools")}

    def write_mps(self, terms: Terms) -> str:
        """The model with objective ``terms`` in (free) MPS format."""
        self._set_objective(terms)
        return str(mps_converter.model_proto_to_mps(self._model.export_model()))


def _outcome(
    result: mathopt.SolveResult,
    variables: list[mathopt.Variable],
    model: LinearModel,
    options: SolverOptions,
    integral: bool,
    seconds: float,
    out_of_time: bool,
) -> Outcome:
    """Normalise MathOpt's termination; ``out_of_time`` marks a solve that used up its limit
    (some engines report the limit as undetermined)."""
    reason = result.termination.reason
    bounds = result.termination.objective_bounds
    bound = bounds.dual_bound if math.isfinite(bounds.dual_bound) else None
    limit = result.termination.limit
    stopped_by_time = limit == mathopt.Limit.TIME or out_of_time
    if reason in (
        mathopt.TerminationReason.INFEASIBLE,
        mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED,
    ):
        return Outcome(Status.INFEASIBLE, "infeasible", None, None, bound, seconds)
    if reason == mathopt.TerminationReason.NO_SOLUTION_FOUND:
        stop = "time_limit" if stopped_by_time else f"no solution ({limit.name.lower()})"
        return Outcome(Status.NO_SOLUTION, stop, None, None, bound, seconds)
    if reason not in (mathopt.TerminationReason.OPTIMAL, mathopt.TerminationReason.FEASIBLE):
        return Outcome(
            Status.ERROR,
            f"error: {reason.name.lower()} {result.termination.detail}",
            None,
            None,
            bound,
            seconds,
        )
    raw = result.variable_values(variables)
    values = round_values(dict(enumerate(raw)), model)
    if values is None:
        return Outcome(
            Status.ERROR,
            "error: the solver returned a fractional integer variable",
            None,
            None,
            bound,
            seconds,
        )
    objective = result.objective_value()
    proven = (
        reason == mathopt.TerminationReason.OPTIMAL
        and bound is not None
        and (objective - bound < (0.5 if integral else 1e-9 * max(1.0, abs(objective))))
    )
    if proven:
        return Outcome(Status.OPTIMAL, "optimal", values, objective, bound, seconds)
    if stopped_by_time:
        stop = "time_limit"
    elif options.gap > 0:
        stop = "gap_limit"
    else:
        stop = f"stopped without proof ({limit.name.lower()})"
    return Outcome(Status.FEASIBLE, stop, values, objective, bound, seconds)
