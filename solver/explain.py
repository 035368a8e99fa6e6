"""Why an instance is infeasible, in the planner's words, and the smallest relaxation that helps.

Only the hard rules can make an instance infeasible (the soft ones, the norm and the demand, have
shortfall variables): the regional total, plan capacity and minimum, the segment split, the
regional mix and the new-build mix of the Wet versterking regie. Their constraints are the
*candidates*.

- `find_conflict`: a smallest set of candidate constraints that cannot hold together, irreducible
  (dropping any one of them makes the rest feasible). First an elastic filter (Chinneck, Feasibility
  and Infeasibility in Optimization, 2008): every candidate gets a violation variable, the total
  violation is minimised, and the candidates that had to be violated are made hard, until the hard
  ones alone are infeasible; then a deletion filter removes every member that is not needed.
- `smallest_relaxation`: the least total violation, in dwellings, of the candidates, each rule's
  violation limited by the flexibility the user allows (``None``: unlimited, ``0``: not
  relaxable); the answer says by how much each rule instance has to give.

Every question is an integer feasibility or optimisation problem on a backend (`solver.backends`),
so the explanation holds for whole dwellings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import lcm

from models.errors import NoSolutionError
from models.region import Region, Targets
from solver.backends import backend_class
from solver.backends.base import SolverOptions, Status
from solver.formulation import formulate, social_share_now
from solver.model import Constraint, LinearModel, Terms, evaluate
from solver.objectives import tie_break_weight
from solver.result import raise_limit

#: Rules whose constraints can make an instance infeasible.
HARD_RULES: tuple[str, ...] = (
    "new_build_total",
    "plan_capacity",
    "segments",
    "regional_mix",
    "new_build_mix",
)
#: Hard rules the relaxation may relax: the segment split (social plus middle within the new
#: homes) is arithmetic, not policy, and is never relaxed.
RELAXABLE_RULES: tuple[str, ...] = tuple(rule for rule in HARD_RULES if rule != "segments")


@dataclass(frozen=True)
class Give:
    """How much one constraint must give: ``amount`` dwellings (exact).

    ``excess`` is True if the constraint's left side must go above its bound (a capacity or a
    maximum raised, an exact total raised), False if below (a minimum, a share or an exact total
    lowered).
    """

    constraint: str
    rule: str
    amount: Fraction
    excess: bool
    text: str


@dataclass(frozen=True)
class Relaxation:
    """The smallest relaxation: the constraints that give, and the total in dwellings.

    ``feasible`` is False if no relaxation within the flexibility bounds restores feasibility.
    """

    feasible: bool
    gives: tuple[Give, ...] = ()

    @property
    def total(self) -> Fraction:
        """Dwellings given in total."""
        return sum((g.amount for g in self.gives), Fraction(0))

    def apply(self, region: Region) -> Region:
        """The region with the relaxation applied to its input, where a rule maps onto one input
        figure: plan capacity raised, minimum lowered, regional total moved. Other rules (the
        mixes) are reported in words only and left as they are."""
        municipalities = {m.code: m for m in region.municipalities}
        low, high = region.targets.new_homes_min, region.targets.new_homes_max
        for give in self.gives:
            amount = int(give.amount) + (give.amount.denominator != 1)
            name, code = _split(give.constraint)
            if name == "plan_capacity":
                m = municipalities[code]
                municipalities[code] = replace(m, plan_capacity=m.plan_capacity + amount)
            elif name == "plan_minimum":
                m = municipalities[code]
                municipalities[code] = replace(m, min_new_homes=(m.min_new_homes or 0) - amount)
            elif name in ("new_build_total", "new_build_total_min", "new_build_total_max"):
                step = amount if give.excess else -amount
                low += step if name != "new_build_total_max" else 0
                high += step if name != "new_build_total_min" else 0
        return replace(
            region,
            municipalities=tuple(municipalities[c] for c in sorted(municipalities)),
            targets=Targets(low, high),
        )


@dataclass(frozen=True)
class Explanation:
    """A conflict and a relaxation, with the lines a planner reads."""

    conflict: tuple[str, ...]
    conflict_text: tuple[str, ...]
    relaxation: Relaxation
    flexibility: Mapping[str, int | None] = field(default_factory=dict)

    def text(self) -> str:
        """The explanation as printed by ``fairshare explain`` and ``fairshare solve``."""
        lines = ["These rules cannot all hold (dropping any one of them resolves the conflict):"]
        lines += [f"  - {line}" for line in self.conflict_text]
        if not self.relaxation.feasible:
            lines.append(
                "No relaxation within the flexibility allowed (--flex) restores feasibility."
            )
            return "\n".join(lines)
        lines.append(
            "Smallest relaxation that restores feasibility "
            f"({_dwellings(self.relaxation.total)} in total):"
        )
        lines += [f"  - {give.text}" for give in self.relaxation.gives]
        return "\n".join(lines)


def explain(
    region: Region,
    backend: str = "ortools",
    options: SolverOptions | None = None,
    flexibility: Mapping[str, int | None] | None = None,
) -> Explanation | None:
    """The conflict and the smallest relaxation of an infeasible region; ``None`` if feasible."""
    options = options or SolverOptions(time_limit=60)
    flexibility = dict(flexibility or {})
    model = formulate(region).model
    candidates = [c for c in model.constraints if c.rule in HARD_RULES]
    others = [c for c in model.constraints if c.rule not in HARD_RULES]
    if _feasible(model, others, candidates, backend, options):
        return None
    conflict = find_conflict(model, others, candidates, backend, options)
    relaxation = smallest_relaxation(
        region, model, others, candidates, backend, options, flexibility
    )
    return Explanation(
        conflict=tuple(c.name for c in conflict),
        conflict_text=tuple(describe(region, c) for c in conflict),
        relaxation=relaxation,
        flexibility=flexibility,
    )


def _feasible(
    model: LinearModel,
    others: list[Constraint],
    hard: list[Constraint],
    backend: str,
    options: SolverOptions,
) -> bool:
    trial = model.with_constraints([*others, *hard])
    outcome = backend_class(backend)(trial, options).minimize({}, options.time_limit)
    if outcome.status == Status.INFEASIBLE:
        return False
    if outcome.values is None:
        raise _unfinished("the explanation", outcome.stop_reason)
    return True


def _unfinished(what: str, stop_reason: str) -> NoSolutionError:
    """The error for a solve of the explanation that stopped at a limit."""
    return NoSolutionError(f"{what} did not finish: {stop_reason}; {raise_limit(stop_reason)}")


def _elastic(
    model: LinearModel,
    others: list[Constraint],
    soft: list[Constraint],
    hard: list[Constraint],
    upper: Mapping[str, int | None] | None = None,
) -> tuple[LinearModel, dict[str, list[tuple[int, bool]]]]:
    """The model with violation variables on each of ``soft`` (bounded by ``upper`` per
    constraint name, in the constraint's own units) and ``hard`` as they are; per constraint
    name, each violation variable with True if it lets the left side exceed the bound."""
    elastic = model.with_constraints([*others, *hard])
    violation: dict[str, list[tuple[int, bool]]] = {}
    for c in soft:
        limit = (upper or {}).get(c.name)
        terms: Terms = dict(c.terms)
        violation[c.name] = []
        for excess in _directions(c):
            label = "over" if excess else "under"
            index = elastic.add_variable(f"violation_{label}[{c.name}]", 0, limit)
            terms[index] = -1 if excess else 1
            violation[c.name].append((index, excess))
        elastic.add_constraint(c.name, c.rule, terms, c.sense, c.rhs)
    return elastic, violation


def _directions(c: Constraint) -> list[bool]:
    """Which way a constraint may be violated: ``<=`` above its bound (True), ``>=`` below,
    ``==`` both."""
    if c.sense == "<=":
        return [True]
    if c.sense == ">=":
        return [False]
    return [True, False]


def find_conflict(
    model: LinearModel,
    others: list[Constraint],
    candidates: list[Constraint],
    backend: str,
    options: SolverOptions,
) -> list[Constraint]:
    """An irreducible infeasible subset of ``candidates`` (see the module docstring)."""
    hard: list[Constraint] = []
    soft = list(candidates)
    while True:
        elastic, violation = _elastic(model, others, soft, hard)
        objective = {i: 1 for pairs in violation.values() for i, _ in pairs}
        outcome = backend_class(backend)(elastic, options).minimize(objective, options.time_limit)
        if outcome.status == Status.INFEASIBLE:
            break
        if outcome.values is None:
            raise NoSolutionError(f"the explanation did not finish: {outcome.stop_reason}")
        values = outcome.values
        violated = {name for name, pairs in violation.items() if any(values[i] for i, _ in pairs)}
        if not violated:
            break
        hard += [c for c in soft if c.name in violated]
        soft = [c for c in soft if c.name not in violated]
    order = {c.name: position for position, c in enumerate(candidates)}
    members = sorted(hard, key=lambda c: order[c.name])
    for c in list(members):
        rest = [m for m in members if m is not c]
        if not _feasible(model, others, rest, backend, options):
            members = rest
    return members


def dwelling_scale(region: Region, c: Constraint) -> int:
    """Units of a constraint per dwelling: the denominator of the share a mix row is scaled by
    (``10 s - 3 y >= 0`` counts tenths of a dwelling), 1 for rows in dwellings."""
    policy = region.policy
    name, _ = _split(c.name)
    shares = {
        "regional_mix_affordable": policy.affordable_new_build_min,
        "regional_mix_social": policy.social_new_build_min,
        "new_build_social": policy.low_social_min_social,
        "new_build_middle": policy.high_social_min_middle,
    }
    return shares[name].denominator if name in shares else 1


def smallest_relaxation(
    region: Region,
    model: LinearModel,
    others: list[Constraint],
    candidates: list[Constraint],
    backend: str,
    options: SolverOptions,
    flexibility: Mapping[str, int | None],
) -> Relaxation:
    """The least total violation of the candidates in dwellings, each constraint of rule r
    violated by at most ``flexibility[r]`` dwellings (unlimited where not given)."""
    relaxable = [c for c in candidates if c.rule in RELAXABLE_RULES]
    fixed = [c for c in candidates if c.rule not in RELAXABLE_RULES]
    scales = {c.name: dwelling_scale(region, c) for c in relaxable}
    common = lcm(*scales.values()) if scales else 1
    upper: dict[str, int | None] = {}
    for c in relaxable:
        allowed = flexibility.get(c.rule)
        upper[c.name] = None if allowed is None else allowed * scales[c.name]
    elastic, violation = _elastic(model, others, relaxable, fixed, upper)
    objective = {i: common // scales[name] for name, pairs in violation.items() for i, _ in pairs}
    solver = backend_class(backend)(elastic, options)
    outcome = solver.minimize(objective, options.time_limit)
    if outcome.status == Status.INFEASIBLE:
        return Relaxation(feasible=False)
    if outcome.values is None or outcome.status != Status.OPTIMAL:
        raise _unfinished("the relaxation", outcome.stop_reason)
    # Among the smallest relaxations, the one of least tie-break weight: the same on every
    # backend and every run.
    least = evaluate(objective, outcome.values)
    solver.add_constraint(
        Constraint("relaxation_total", "stage", tuple(sorted(objective.items())), "<=", least)
    )
    names = elastic.variables
    tie_break = {i: tie_break_weight(names[i].name) for i in objective}
    outcome = solver.minimize(tie_break, options.time_limit, hint=outcome.values)
    if outcome.values is None or outcome.status != Status.OPTIMAL:
        raise _unfinished("the relaxation", outcome.stop_reason)
    by_name = {c.name: c for c in relaxable}
    gives = []
    for name, pairs in violation.items():
        for index, excess in pairs:
            units = outcome.values[index]
            if units:
                amount = Fraction(units, scales[name])
                text = _give_text(region, name, amount, excess)
                gives.append(Give(name, by_name[name].rule, amount, excess, text))
    return Relaxation(feasible=True, gives=tuple(gives))


def _split(name: str) -> tuple[str, str]:
    """``rule[GM0518]`` -> ``("rule", "GM0518")``; ``new_build_total`` -> ``(name, "")``."""
    if "[" not in name:
        return name, ""
    head, tail = name.split("[", 1)
    return head, tail.rstrip("]")


def _municipality(region: Region, code: str) -> str:
    return f"{region.municipality(code).name} ({code})"


def _pct(share: Fraction) -> str:
    return f"{float(share) * 100:.1f}%".replace(".0%", "%")


def _number(value: Fraction | int) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def describe(region: Region, c: Constraint) -> str:
    """One constraint in the planner's words, with the figures of the input."""
    name, code = _split(c.name)
    policy, targets = region.policy, region.targets
    if name == "new_build_total":
        return f"the regional total (woondeal): exactly {targets.new_homes_min:,} new homes"
    if name == "new_build_total_min":
        return f"the regional total (woondeal): at least {targets.new_homes_min:,} new homes"
    if name == "new_build_total_max":
        return f"the regional total (woondeal): at most {targets.new_homes_max:,} new homes"
    if name == "regional_mix_affordable":
        return (
            f"the regional mix: at least {_pct(policy.affordable_new_build_min)} of the new homes "
            "social rent or middle segment"
        )
    if name == "regional_mix_social":
        return (
            f"the regional mix: at least {_pct(policy.social_new_build_min)} of the new homes "
            "social rent"
        )
    m = region.municipality(code)
    where = _municipality(region, code)
    if name == "plan_capacity":
        homes = "home" if m.plan_capacity == 1 else "homes"
        return f"{where}: plan capacity {m.plan_capacity:,} {homes}"
    if name == "plan_minimum":
        return f"{where}: builds at least {m.min_new_homes or 0:,} homes"
    if name == "segments":
        return f"{where}: social rent plus middle segment at most its new homes"
    share = _pct(social_share_now(m))
    if name == "new_build_social":
        return (
            f"{where} (social share now {share}, below {_pct(policy.low_social_threshold)}): "
            f"at least {_pct(policy.low_social_min_social)} of its new homes social rent"
        )
    if name == "new_build_middle":
        return (
            f"{where} (social share now {share}, above {_pct(policy.high_social_threshold)}): "
            f"at least {_pct(policy.high_social_min_middle)} of its new homes middle segment"
        )
    return c.name


def _dwellings(amount: Fraction | int) -> str:
    """``1 dwelling``, ``2/5`` -> ``0.4 dwelling``, ``3 dwellings``."""
    return f"{_number(amount)} dwelling" + ("" if Fraction(amount) <= 1 else "s")


def _give_text(region: Region, constraint: str, amount: Fraction, excess: bool) -> str:
    """What a relaxation of ``amount`` dwellings on one constraint means for the input."""
    name, code = _split(constraint)
    targets = region.targets
    whole = int(amount) + (amount.denominator != 1)
    if name == "plan_capacity":
        m = region.municipality(code)
        return (
            f"{_municipality(region, code)}: raise the plan capacity from {m.plan_capacity:,} to "
            f"{m.plan_capacity + whole:,} (+{whole:,})"
        )
    if name == "plan_minimum":
        m = region.municipality(code)
        low = m.min_new_homes or 0
        return (
            f"{_municipality(region, code)}: lower the minimum from {low:,} to "
            f"{low - whole:,} (-{whole:,})"
        )
    if name in ("new_build_total", "new_build_total_min", "new_build_total_max"):
        bound = targets.new_homes_max if name == "new_build_total_max" else targets.new_homes_min
        kind = {"new_build_total_min": "at least ", "new_build_total_max": "at most "}
        step = whole if excess else -whole
        return (
            f"the regional total: {kind.get(name, '')}{bound + step:,} instead of {bound:,} new "
            f"homes ({step:+,})"
        )
    if name.startswith("regional_mix"):
        return f"the regional mix: {_dwellings(amount)} fewer in the segment than the share asks"
    segment = "social rent" if name == "new_build_social" else "middle segment"
    return (
        f"{_municipality(region, code)}: {_dwellings(amount)} fewer {segment} than the new-build "
        "rule asks"
    )
