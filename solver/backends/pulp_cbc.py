"""The independent second backend: PuLP with the CBC binary it bundles.

The same `LinearModel` is written through PuLP's own modelling layer and solved by CBC in a separate
process, a code path that shares nothing with OR-Tools. CBC reports no objective bound through PuLP,
so a stopped solve is reported as feasible with an unknown bound.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import ClassVar

import pulp

from solver.backends.base import (
    GAP_LIMIT,
    Backend,
    Outcome,
    Prover,
    SolverOptions,
    Status,
    broken_row,
    fractional_outcome,
    round_values,
)
from solver.model import Constraint, LinearModel, Terms

_SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}


class PulpCbcBackend(Backend):
    """PuLP's bundled CBC."""

    name: ClassVar[str] = "cbc"
    engines: ClassVar[tuple[str, ...]] = ("cbc",)

    def __init__(self, model: LinearModel, options: SolverOptions) -> None:
        super().__init__(model, options)
        self._problem = pulp.LpProblem("fairshare", pulp.LpMinimize)
        self._variables = [
            self._problem.add_variable(
                f"x{v.index}",
                lowBound=v.lower,
                upBound=v.upper,
                cat=pulp.LpInteger if v.integer else pulp.LpContinuous,
            )
            for v in model.variables
        ]
        self._count = 0
        #: Every row CBC holds (the model's and those added), by its name in PuLP.
        self._rows: dict[str, Constraint] = {}
        for constraint in model.constraints:
            self.add_constraint(constraint)

    def add_constraint(self, constraint: Constraint) -> object:
        """Add the constraint under a generated name (PuLP rewrites brackets and commas)."""
        name = f"c{self._count}"
        self._count += 1
        self._rows[name] = constraint
        expression = pulp.LpAffineExpression([(self._variables[i], c) for i, c in constraint.terms])
        self._problem += pulp.LpConstraint(
            expression, sense=_SENSES[constraint.sense], rhs=constraint.rhs, name=name
        )
        return name

    def remove_constraint(self, handle: object) -> None:
        """Delete a constraint added before."""
        del self._problem.constraints[str(handle)]
        del self._rows[str(handle)]

    def tighten_bounds(self, bounds: Mapping[int, tuple[int, int | None]]) -> None:
        """The bounds replaced in the model and on PuLP's variables."""
        super().tighten_bounds(bounds)
        for index, (lower, upper) in bounds.items():
            self._variables[index].lowBound = lower
            self._variables[index].upBound = upper

    def _set_objective(self, terms: Terms, offset: int) -> None:
        # An empty objective would make PuLP add a dummy variable whose bound CBC then refuses
        # (it has no column); a zero coefficient on the first variable keeps the model valid.
        ordered = sorted(terms.items()) or [(0, 0)]
        self._problem.setObjective(
            pulp.LpAffineExpression([(self._variables[i], c) for i, c in ordered], constant=offset)
        )

    def minimize(
        self,
        terms: Terms,
        time_limit: float,
        hint: Mapping[int, int] | None = None,
        *,
        offset: int = 0,
        prover: Prover | None = None,
    ) -> Outcome:
        """Minimise ``terms`` with CBC (single-threaded unless the options say otherwise),
        starting from ``hint`` if given. ``offset``: as `Backend.minimize`; CBC has no proof
        engine, so ``prover`` is not called."""
        offset = self.engine_offset(offset)
        self._set_objective(terms, offset)
        if hint:
            for index, value in hint.items():
                self._variables[index].setInitialValue(value)
        integral = all(v.integer for v in self.model.variables if v.index in terms)
        solver = pulp.PULP_CBC_CMD(
            msg=self.options.log,
            timeLimit=max(time_limit, 0.01),
            gapRel=self.options.gap,
            gapAbs=0.5 if integral and self.options.gap == 0 else 0.0,
            # CBC 2.10's threaded search with "-threads 1" now and then waits on its one worker
            # thread until the time limit, even on a trivial model; without the option CBC does
            # not start threads at all.
            threads=self.options.threads if self.options.threads > 1 else None,
            warmStart=bool(hint),
            options=[
                f"randomSeed {self.options.seed + 1}",
                f"randomCbcSeed {self.options.seed + 1}",
            ],
        )
        started = time.perf_counter()
        try:
            self._problem.solve(solver)
        except (pulp.PulpSolverError, KeyError, ValueError) as error:
            return Outcome(
                Status.ERROR, f"error: {error}", None, None, None, time.perf_counter() - started
            )
        seconds = time.perf_counter() - started
        solution = self._problem.sol_status
        # CBC's "integer infeasible" reaches PuLP as status Infeasible with no solution found.
        if solution == pulp.LpSolutionInfeasible or self._problem.status == pulp.LpStatusInfeasible:
            return Outcome(Status.INFEASIBLE, "infeasible", None, None, None, seconds)
        if solution == pulp.LpSolutionNoSolutionFound:
            stopped = seconds >= 0.95 * time_limit
            return Outcome(
                Status.NO_SOLUTION,
                "time_limit" if stopped else "no solution",
                None,
                None,
                None,
                seconds,
            )
        if solution not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return Outcome(
                Status.ERROR, f"error: {pulp.LpSolution[solution]}", None, None, None, seconds
            )
        raw = {
            i: (v.varValue if v.varValue is not None else 0.0)
            for i, v in enumerate(self._variables)
        }
        values = round_values(raw, self.model)
        if values is None:
            return fractional_outcome(None, seconds)
        broken = broken_row(self._rows.values(), values)
        if broken is not None:
            return Outcome(
                Status.ERROR,
                f"error: CBC's answer, rounded to whole numbers, breaks the row {broken.name}",
                None,
                None,
                None,
                seconds,
            )
        objective = float(pulp.value(self._problem.objective) or 0.0) - offset
        if solution == pulp.LpSolutionOptimal and self.options.gap == 0:
            return Outcome(Status.OPTIMAL, "optimal", values, objective, objective, seconds)
        stop = GAP_LIMIT if solution == pulp.LpSolutionOptimal else "time_limit"
        return Outcome(Status.FEASIBLE, stop, values, objective, None, seconds)

    @staticmethod
    def versions() -> dict[str, str]:
        """The PuLP package version (its bundled CBC comes with it)."""
        return {"pulp": version("pulp")}

    def write_mps(self, terms: Terms) -> str:
        """The model with objective ``terms`` in MPS format (variables named x0, x1, ...)."""
        self._set_objective(terms, 0)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.mps"
            self._problem.writeMPS(str(path))
            return path.read_text(encoding="utf-8")
