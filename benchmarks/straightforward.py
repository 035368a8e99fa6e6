"""The straightforward formulation, as an analyst would write it in PuLP: the baseline.

The same policy rules as `solver.formulation`, written plainly with float coefficients and solved
by PuLP's bundled CBC with its defaults (no messages, a time limit):

* integer ``y_m`` (new homes), ``s_m`` (social), ``a_m`` (middle), ``p_mg`` (placements, only
  where the group may be housed), ``unmet_g``; continuous ``short_m`` and ``d_mg``;
* ``N_min <= sum y <= N_max``; ``min_m <= y_m <= C_m``; ``s + a <= y``;
* ``sum(s + a) >= 0.667 sum y`` and ``sum s >= 0.333 sum y`` (the policy's shares as floats);
* ``S + s + short >= 0.3 * (H + y)``;
* ``s >= 0.3 * y`` where ``S / H < 0.3``, ``a >= 0.4 * y`` where ``S / H > 0.3``;
* ``sum_m p + unmet == D``;
* ``sum_g p <= 0.4 * (turnover * S * years + s)``;
* ``d >= p - q`` and ``d >= q - p`` with the float quota ``q`` (no hull cuts).

Stage 1 minimises ``sum(unmet) + sum(short)`` (weights 1); stage 2 keeps stage 1 with
``<= value + 1e-6`` and minimises ``sum(d)``. There are no programme and tie-break stages.

The answer is judged exactly, never by the floats: `StraightforwardResult.needs` and
``fairness`` are recomputed from the integer decisions with exact fractions (the norm shortfall by
`solver.check.soft_measures`, the quotas by `solver.quotas.compute_quotas`), in the units of
fairshare's ``needs`` and ``fairness_sum`` stages, so that they can be compared with them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import pulp  # noqa: TID251 - the baseline is, by definition, a plain PuLP model

from models.region import Region
from solver.allocation import Allocation
from solver.check import soft_measures
from solver.quotas import compute_quotas, eligible

#: The tolerance with which stage 1 is kept in stage 2.
STAGE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class StageOutcome:
    """One CBC solve: ``status`` is ``optimal``, ``feasible``, ``infeasible``, ``no_solution`` or
    ``error``; ``objective`` is CBC's float objective value."""

    name: str
    status: str
    stop_reason: str
    objective: float | None
    seconds: float


@dataclass(frozen=True)
class StraightforwardResult:
    """The outcome of the two stages, with the exact values of the answer.

    ``needs`` and ``fairness`` are ``None`` without an allocation; ``fairness`` is also ``None`` if
    stage 2 found no solution or the fair split is switched off.
    """

    status: str
    stop_reason: str
    stages: tuple[StageOutcome, ...]
    allocation: Allocation | None
    needs: Fraction | None
    fairness: Fraction | None
    build_seconds: float
    solve_seconds: float
    versions: dict[str, str]


@dataclass
class _Model:
    """The PuLP problem with its variables, keyed like fairshare's."""

    problem: pulp.LpProblem
    y: dict[str, pulp.LpVariable]
    s: dict[str, pulp.LpVariable]
    a: dict[str, pulp.LpVariable]
    p: dict[tuple[str, str], pulp.LpVariable]
    needs: pulp.LpAffineExpression
    deviation: pulp.LpAffineExpression | None


def build(region: Region) -> _Model:
    """The PuLP model of the region (variables, every enabled rule, the two objectives)."""
    policy = region.policy
    rule = policy.rule_enabled
    problem = pulp.LpProblem("straightforward", pulp.LpMinimize)
    codes = region.codes
    y = {c: pulp.LpVariable(f"y_{c}", lowBound=0, cat=pulp.LpInteger) for c in codes}
    s = {c: pulp.LpVariable(f"s_{c}", lowBound=0, cat=pulp.LpInteger) for c in codes}
    a = {c: pulp.LpVariable(f"a_{c}", lowBound=0, cat=pulp.LpInteger) for c in codes}
    short = {c: pulp.LpVariable(f"short_{c}", lowBound=0) for c in codes}
    p = {
        (c, g.id): pulp.LpVariable(f"p_{c}_{g.id}", lowBound=0, cat=pulp.LpInteger)
        for g in region.groups
        for c in codes
        if eligible(region, c, g.id)
    }
    unmet = {
        g.id: pulp.LpVariable(f"unmet_{g.id}", lowBound=0, cat=pulp.LpInteger)
        for g in region.groups
    }

    total = pulp.lpSum(y.values())
    if rule("new_build_total"):
        problem += total >= region.targets.new_homes_min
        problem += total <= region.targets.new_homes_max
    for m in region.municipalities:
        c = m.code
        if rule("plan_capacity"):
            problem += y[c] <= m.plan_capacity
            if m.min_new_homes:
                problem += y[c] >= m.min_new_homes
        problem += s[c] + a[c] <= y[c]
        if rule("social_norm"):
            norm = float(policy.social_norm)
            problem += m.social_stock + s[c] + short[c] >= norm * (m.dwellings + y[c])
        else:
            problem += short[c] == 0
        if rule("new_build_mix"):
            share = m.social_stock / m.dwellings if m.dwellings else 0.0
            if share < float(policy.low_social_threshold):
                problem += s[c] >= float(policy.low_social_min_social) * y[c]
            elif share > float(policy.high_social_threshold):
                problem += a[c] >= float(policy.high_social_min_middle) * y[c]
        if rule("letting_pool"):
            turnover = float(region.turnover_rate(m)) * m.social_stock * region.horizon_years
            placed = pulp.lpSum(p[(c, g.id)] for g in region.groups if (c, g.id) in p)
            problem += placed <= float(policy.letting_priority_max) * (turnover + s[c])
    if rule("regional_mix"):
        problem += (
            pulp.lpSum(s.values()) + pulp.lpSum(a.values())
            >= float(policy.affordable_new_build_min) * total
        )
        problem += pulp.lpSum(s.values()) >= float(policy.social_new_build_min) * total
    for g in region.groups:
        placed = pulp.lpSum(p[(c, g.id)] for c in codes if (c, g.id) in p)
        if rule("group_demand"):
            problem += placed + unmet[g.id] == g.demand_dwellings
        else:
            problem += placed <= g.demand_dwellings
            problem += unmet[g.id] == 0

    needs = pulp.lpSum(unmet.values()) + pulp.lpSum(short.values())
    deviation = None
    if rule("fair_split"):
        quotas = compute_quotas(region)
        d = {cell: pulp.LpVariable(f"d_{cell[0]}_{cell[1]}", lowBound=0) for cell in p}
        for cell, variable in p.items():
            q = float(quotas.of(*cell))
            problem += d[cell] >= variable - q
            problem += d[cell] >= q - variable
        deviation = pulp.lpSum(d.values())
    return _Model(problem, y, s, a, p, needs, deviation)


def _solve_stage(model: _Model, name: str, time_limit: float) -> StageOutcome:
    """Solve the current objective with CBC's defaults (no messages, a time limit)."""
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(time_limit, 0.01))
    started = time.perf_counter()
    try:
        model.problem.solve(solver)
    except pulp.PulpSolverError as error:
        return StageOutcome(name, "error", f"error: {error}", None, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    solution = model.problem.sol_status
    objective = pulp.value(model.problem.objective)
    value = None if objective is None else float(objective)
    if solution == pulp.LpSolutionOptimal:
        return StageOutcome(name, "optimal", "optimal", value, seconds)
    if solution == pulp.LpSolutionIntegerFeasible:
        return StageOutcome(name, "feasible", "time_limit", value, seconds)
    if solution == pulp.LpSolutionInfeasible:
        return StageOutcome(name, "infeasible", "infeasible", None, seconds)
    if solution == pulp.LpSolutionNoSolutionFound:
        return StageOutcome(name, "no_solution", "time_limit", None, seconds)
    return StageOutcome(name, "error", f"error: {pulp.LpSolution[solution]}", None, seconds)


def _allocation(model: _Model) -> Allocation:
    """The integer decisions, rounded to the nearest integer."""

    def whole(variable: pulp.LpVariable) -> int:
        return round(variable.varValue or 0.0)

    return Allocation(
        new_homes={c: whole(v) for c, v in model.y.items()},
        new_social={c: whole(v) for c, v in model.s.items()},
        new_middle={c: whole(v) for c, v in model.a.items()},
        placed={cell: whole(v) for cell, v in model.p.items()},
    )


def exact_needs(region: Region, allocation: Allocation) -> Fraction:
    """fairshare's ``needs`` value of an allocation, exactly: weighted unmet demand plus the
    dwellings short of the norm (each part only if its rule is on)."""
    policy = region.policy
    measures = soft_measures(region, allocation)
    total = Fraction(0)
    if policy.rule_enabled("group_demand"):
        total += policy.weight_unmet_demand * sum(measures.unmet.values())
    if policy.rule_enabled("social_norm"):
        total += policy.weight_norm_shortfall * sum(measures.norm_shortfall.values(), Fraction(0))
    return total


def exact_fairness(region: Region, allocation: Allocation) -> Fraction:
    """``sum_mg |p_mg - q_mg|`` with the exact quotas of `solver.quotas.compute_quotas`."""
    quotas = compute_quotas(region)
    return sum(
        (abs(allocation.placed.get(cell, 0) - q) for cell, q in quotas.by_cell.items()),
        Fraction(0),
    )


def solve_straightforward(region: Region, time_limit: float) -> StraightforwardResult:
    """Build and solve stages 1 (needs) and 2 (sum of absolute deviations) within
    ``time_limit`` seconds in all (each stage gets what is left)."""
    started = time.perf_counter()
    model = build(region)
    build_seconds = time.perf_counter() - started
    deadline = started + time_limit
    stages: list[StageOutcome] = []
    allocation: Allocation | None = None
    objectives: list[tuple[str, pulp.LpAffineExpression]] = [("needs", model.needs)]
    if model.deviation is not None:
        objectives.append(("fairness_sum", model.deviation))
    status, stop = "optimal", "optimal"
    for name, objective in objectives:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status, stop = ("feasible" if allocation else "no_solution"), "time_limit"
            break
        model.problem.setObjective(objective)
        outcome = _solve_stage(model, name, remaining)
        stages.append(outcome)
        if outcome.status in ("optimal", "feasible"):
            allocation = _allocation(model)
        if outcome.status != "optimal":
            status, stop = outcome.status, outcome.stop_reason
            if outcome.status == "no_solution" and allocation is not None:
                status = "feasible"
            break
        if name == "needs" and outcome.objective is not None:
            model.problem += model.needs <= outcome.objective + STAGE_TOLERANCE, "keep_needs"
    fairness_solved = (
        bool(stages)
        and stages[-1].name == "fairness_sum"
        and stages[-1].status in ("optimal", "feasible")
    )
    return StraightforwardResult(
        status=status,
        stop_reason=stop,
        stages=tuple(stages),
        allocation=allocation,
        needs=None if allocation is None else exact_needs(region, allocation),
        fairness=(
            exact_fairness(region, allocation)
            if allocation is not None and fairness_solved
            else None
        ),
        build_seconds=build_seconds,
        solve_seconds=sum(outcome.seconds for outcome in stages),
        versions={"pulp": pulp.__version__},
    )
