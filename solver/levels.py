"""The level search of a min-max stage: the least level ``w`` such that every member's measure
is at most ``w``, proven exactly (`least_level`), and the bounds that keep members within a level.

The search probes levels with feasibility problems on whole-number bounds (`solver.minmax`):
first on the placement network, then on the linear relaxation, and last as integer problems on
the backend. `min_max` solves a min-max stage with it; `solver.leximin` iterates it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction

from solver.backends.base import Outcome, Status
from solver.backends.flow import FlowError
from solver.decomposition import feasibility_by_network, ruled_out_by_totals
from solver.minmax import MinMaxStage
from solver.model import Constraint
from solver.network import PlacementNetwork, Totals, complete
from solver.run import Run


@dataclass(frozen=True)
class Level:
    """The outcome of `least_level`: ``level`` is the exact largest measure of ``values``;
    ``bound`` a level no allocation can stay within (the level itself once proven)."""

    status: Status
    stop_reason: str
    values: dict[int, int] | None
    level: Fraction | None
    bound: Fraction | None
    seconds: float

    def outcome(self) -> Outcome:
        level = None if self.level is None else float(self.level)
        bound = None if self.bound is None else float(self.bound)
        return Outcome(self.status, self.stop_reason, self.values, level, bound, self.seconds)


def least_level(
    run: Run, stage: MinMaxStage, members: tuple[str, ...], *, by_totals: bool = False
) -> Level:
    """The least level ``w`` such that every member's measure is at most ``w``, proven exactly.

    Starts from the current allocation (or any feasible one), whose largest measure is an upper
    level ``u``. The largest measure any allocation can have strictly below ``u`` is
    ``c = max_m below_m(u)`` (`MinMaxStage.below`); if no allocation keeps every measure at or
    below ``c`` (an integer feasibility problem on whole-number bounds), ``u`` is optimal.
    Otherwise the answer found has a smaller largest measure, which becomes ``u``. Probes at
    ``c`` alternate with probes between ``u`` and the highest level known to be infeasible
    (`_midpoint`; on the placement network only once the two are close, `_close`), so that the
    search takes about as many steps as the bits it must settle.

    The search runs first on the placement network (`_network_level`), whose probes decide
    whole-number feasibility without the MIP where they can; from where that stops, on the
    linear relaxation (`relaxed_level`), whose probes are several times cheaper than integer
    ones: a level it rules out is infeasible for whole numbers too, and the least level it leaves
    is usually the answer, so that one integer probe settles it.

    With ``by_totals`` the network's search starts from the levels that the bounds on
    municipalities' totals alone rule out (`_search_by_totals`): a min-max stage's single
    search. A leximin stage's rounds search without it: there the rounds' flow searches took
    few probes, and the rows of the members already fixed, read again for every probe, made
    the stage 30-40 ms slower nationally (benchmarks/RESULTS.md, run 28).
    """
    seconds = 0.0
    values = dict(run.values) if run.values is not None else None
    if values is None:
        start = run.minimize({}, None)
        seconds += start.seconds
        if start.values is None:
            return Level(start.status, start.stop_reason, None, None, None, seconds)
        values = start.values
    upper = stage.worst(values, members)
    lower, first = floor_level(stage, members)
    searched = _network_level(run, stage, members, values, upper, lower, first, by_totals)
    if searched is not None:
        values, upper, lower, settled, network_seconds = searched
        seconds += network_seconds
        if settled:
            return Level(Status.OPTIMAL, "optimal", values, upper, upper, seconds)
    lower, candidate, relaxed_seconds = relaxed_level(run, stage, members, upper, lower, first)
    seconds += relaxed_seconds
    at_ceiling = True
    while upper > 0:
        ceiling = _next_level_below(stage, members, upper, lower)
        if ceiling is None:
            break
        if candidate < upper:
            probe, candidate = candidate, upper
        else:
            probe = ceiling if at_ceiling else min(ceiling, _midpoint(lower, upper))
            at_ceiling = not at_ceiling
        check = _integer_probe(run, level_probe(run, stage, dict.fromkeys(members, probe)))
        seconds += check.seconds
        if check.status == Status.INFEASIBLE:
            lower = probe if lower is None else max(lower, probe)
        elif check.values is None:
            status = Status.FEASIBLE if check.status == Status.NO_SOLUTION else check.status
            return Level(status, check.stop_reason, values, upper, lower, seconds)
        else:
            values = check.values
            upper = stage.worst(values, members)
    return Level(Status.OPTIMAL, "optimal", values, upper, upper, seconds)


def _network_level(
    run: Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    values: dict[int, int],
    upper: Fraction,
    lower: Fraction | None,
    first: Fraction,
    by_totals: bool,
) -> tuple[dict[int, int], Fraction, Fraction | None, bool, float] | None:
    """The level search of `least_level` with every probe decided on the placement network
    (`solver.decomposition.feasibility_by_network`: no flow within the level proves it
    infeasible, a building that houses a flow gives an allocation at or below it), without
    adding the probe's rows to the backend. Probes ``first`` (the floor of `floor_level`); then,
    with ``by_totals``, searches the levels that the bounds on municipalities' totals alone rule
    out, without a flow (`_search_by_totals`), and probes the least level they leave; then the
    next level below the best allocation (the ceiling, which proves that allocation optimal
    where it is infeasible) once, then midpoints (`_midpoint`), alternating with the ceiling
    only once the two levels are close (`_close`).

    It solves no linear program. After four probes it used to probe just above the highest
    level shown infeasible and, where those failed, to solve the relaxation's least level
    (`_guides`) and probe just above that. At 5,000 municipalities that program took 6.6-9.3 s,
    where the whole search now takes 3.1-8.4 s; nationally 0.07 s under ``equal_burden``, whose
    search now takes 22 probes against 26 with it. With the ceiling probed only when close,
    those probes saved none on most instances measured (benchmarks/RESULTS.md, run 25).

    Returns ``(values, upper, lower, settled, seconds)``: the best allocation found and its
    largest measure, the highest level shown infeasible, and whether the search is settled (no
    measure lies between them); the search stops unsettled at the first probe the network does
    not decide. ``None`` without a network."""
    network = run.network
    if network is None:
        return None
    started = time.perf_counter()
    start = values, upper
    floor_probe: Fraction | None = first if first > 0 else None
    totals_due = by_totals and len(members) <= TOTALS_SEARCH_UP_TO
    at_ceiling, ceiling_probed = True, False
    settled = False
    while upper > 0 and run.remaining() > 0:
        ceiling = _next_level_below(stage, members, upper, lower)
        if ceiling is None:
            settled = True
            break
        if totals_due and not _between(floor_probe, lower, upper):
            # After the floor's probe: where that settles the search, as it does for most
            # relative deviations, there is nothing to search.
            totals_due = False
            lower, floor_probe = _search_by_totals(run, network, stage, members, upper, lower)
            continue
        if floor_probe is not None and _between(floor_probe, lower, upper):
            probe = min(ceiling, floor_probe)
        else:
            turn = at_ceiling and (not ceiling_probed or _close(lower, upper))
            probe = ceiling if turn else min(ceiling, _midpoint(lower, upper))
            ceiling_probed, at_ceiling = ceiling_probed or turn, not turn
        floor_probe = None
        bounds = level_probe(run, stage, dict.fromkeys(members, probe))
        try:
            shown = feasibility_by_network(
                network,
                [*run.network_rows(), *bounds.network_rows()],
                values,
                run.solve_building,
                checked=False,
                totals=bounds.totals,
            )
        except FlowError:
            shown = None
        if shown is None:
            break
        if shown.values is None:
            lower = probe if lower is None else max(lower, probe)
        else:
            values = shown.values
            upper = stage.worst(values, members)
    if values is start[0]:
        return values, upper, lower, settled or upper == 0, time.perf_counter() - started
    # Only the allocation kept is completed and checked; an infeasible probe stands alone.
    point = whole_point(run, values)
    if point is None:
        values, upper = start
        return values, upper, lower, False, time.perf_counter() - started
    return point, upper, lower, settled or upper == 0, time.perf_counter() - started


def _between(level: Fraction | None, lower: Fraction | None, upper: Fraction) -> bool:
    """Whether ``level`` lies above ``lower`` (a level shown infeasible) and below ``upper``."""
    return level is not None and (lower is None or level > lower) and level < upper


#: The most probes `_search_by_totals` makes.
TOTALS_PROBES = 64
#: The most members of a min-max stage whose level search uses `_search_by_totals`. With 342
#: municipalities it pays: nationally and on syn-342-g8 the stages under
#: ``max_abs_deviation`` and ``equal_burden`` took 0.04-0.13 s less. On syn-1000-g8 it did not
#: pay: 0.66 s against 0.65 s under ``max_abs_deviation``, 0.63 s against 0.45 s under
#: ``equal_burden``. On syn-5000-g8, where the totals rule out only levels far below the
#: answer (0.5 against 345 households under ``max_abs_deviation``) or close to it in many
#: small steps (``equal_burden``), it cost 1.6-3.9 s: the flow search from there met more
#: probes that need a building MIP (benchmarks/RESULTS.md, run 28).
TOTALS_SEARCH_UP_TO = 500


def _search_by_totals(
    run: Run,
    network: PlacementNetwork,
    stage: MinMaxStage,
    members: tuple[str, ...],
    upper: Fraction,
    lower: Fraction | None,
) -> tuple[Fraction | None, Fraction | None]:
    """The level search of `_network_level` with probes that only the bounds on
    municipalities' placements in all decide (`solver.decomposition.ruled_out_by_totals`: no
    flow, one pass over the municipalities): ``(lower, passing)``, the highest level they rule
    out (``lower`` as given where none higher) and the least level above it that they leave,
    with no measure strictly between the two; ``passing`` is ``None`` where the search stops
    before (the network cannot read the rows, `TOTALS_PROBES` probes, or time).

    Ruling out only tightens as the level falls, so the two are found by bisection from
    ``upper`` (a level some allocation reaches): halving (`_midpoint`), then ceilings below
    ``passing`` once the two are close (`_close`); without ``lower`` the first probe is level
    0. Nationally every infeasible probe of the flow search was ruled out so, and the least
    level they leave was the stage's answer: under ``max_abs_deviation`` and ``equal_burden``
    the flow search then takes one probe (after the floor's) instead of 16 and 22
    (benchmarks/RESULTS.md, run 28)."""
    passing = upper
    for _ in range(TOTALS_PROBES):
        if run.remaining() <= 0:
            break
        if lower is None:
            probe = Fraction(0)
        elif _close(lower, passing):
            ceiling = _next_level_below(stage, members, passing, lower)
            if ceiling is None:
                return lower, passing
            probe = ceiling
        else:
            probe = _midpoint(lower, passing)
        bounds = level_probe(run, stage, dict.fromkeys(members, probe))
        ruled_out = ruled_out_by_totals(
            network,
            [*run.network_rows(), *bounds.network_rows()],
            run.solve_building,
            bounds.totals,
        )
        if ruled_out is None:
            break
        if ruled_out:
            lower = probe if lower is None else max(lower, probe)
        elif lower is None:
            break  # not even level 0 is ruled out: nothing is
        else:
            passing = probe
    return lower, None


def whole_point(run: Run, values: Mapping[int, int]) -> dict[int, int] | None:
    """``values`` with unmet demand and the splits recomputed from its building and placements
    on the run's network, if it meets every row of the model and every row in force; ``None``
    otherwise (or without a network)."""
    network = run.network
    if network is None:
        return None
    placed = {index: values[index] for index in network.f.placements.values()}
    point = complete(network.f.model, values, {}, placed, network)
    return point if network.checker.holds(run.fixed, point) else None


def _next_level_below(
    stage: MinMaxStage, members: tuple[str, ...], level: Fraction, lower: Fraction | None
) -> Fraction | None:
    """The largest measure any allocation can have strictly below ``level``: the largest of the
    members' `MinMaxStage.below`. ``None`` when the search is settled: some member cannot go
    below ``level`` at all, or that measure is not above ``lower`` (a level known infeasible)."""
    below = stage.below_each(members, level)
    if any(value is None for value in below):
        return None
    ceiling = max(value for value in below if value is not None)
    return None if lower is not None and ceiling <= lower else ceiling


def floor_level(stage: MinMaxStage, members: tuple[str, ...]) -> tuple[Fraction | None, Fraction]:
    """The least level not ruled out by rounding alone, ``F = max_m least_m``
    (`MinMaxStage.least`): the member with the largest least measure is at ``F`` or above in
    every allocation. Returns the largest measure any member can take below ``F`` (a level no
    allocation stays within; ``None`` if no member can go below ``F``) and ``F``."""
    floor_level = max((stage.least(code) for code in members), default=Fraction(0))
    below = stage.below_each(members, floor_level)
    return max((level for level in below if level is not None), default=None), floor_level


#: How close the best level must come to the highest level shown infeasible, as a share of the
#: best level, before the network's level search probes its ceiling again (`_close`).
CEILING_WITHIN = Fraction(1, 10_000)


def _close(lower: Fraction | None, upper: Fraction) -> bool:
    """Whether the best level ``upper`` is within `CEILING_WITHIN` of ``lower``, a level shown
    infeasible. Far from it, a probe of the ceiling just below ``upper`` is nearly always
    feasible, and then lowers ``upper`` by a hair, so that about half the probes of a search
    that alternates the ceiling with midpoints all along settle nothing. Probing the ceiling
    only once the levels are close, the national ``equal_burden`` stage takes 22 network
    probes instead of 37, and at 1,000 municipalities ``max_abs_deviation`` 30 instead of 44
    and ``equal_burden`` 29 instead of 43 (benchmarks/RESULTS.md, run 25)."""
    return lower is not None and upper - lower <= CEILING_WITHIN * upper


def _midpoint(lower: Fraction | None, upper: Fraction) -> Fraction:
    """The next probe between a level known infeasible and a feasible one: halfway, or, where
    ``upper`` is more than four times ``lower``, about their geometric mean, so that a search
    that starts far above the answer (the needs stage's answer may miss a quota by thousands of
    households) takes as many steps as the bits of the ratio's exponent, not of the ratio."""
    base = lower if lower is not None and lower > 0 else Fraction(0)
    if base and upper > 4 * base:
        return Fraction(math.sqrt(float(base) * float(upper)))
    return (base + upper) / 2


def relaxed_level(
    run: Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    upper: Fraction,
    lower: Fraction | None,
    first: Fraction,
) -> tuple[Fraction | None, Fraction, float]:
    """The level search of `least_level` on the linear relaxation of the model, between the
    feasible level ``upper`` and the infeasible level ``lower`` (``None``: none known): returns
    ``(lower, candidate, seconds)``, where every level up to ``lower`` is infeasible even for the
    relaxation (``None``: none shown) and the relaxation is feasible at ``candidate``, with no
    measure possible between the two (unless the backend stopped telling). Each probe bounds every
    member's whole-number expression as the integer probe does, so its relaxation is at least as
    tight as that of the integer model.

    The first probe is ``first`` (the floor of `floor_level`, often the answer when some
    municipality's quota is small) unless it is 0; if that fails, the probes of `_guides` come
    next; then the search halves the interval.
    """
    candidate = upper
    started = time.perf_counter()
    pending = [first] if first > 0 else []
    guided = False
    while candidate > 0 and run.remaining() > 0:
        ceiling = _next_level_below(stage, members, candidate, lower)
        if ceiling is None:
            break
        if not pending and not guided:
            guided, pending = True, _guides(run, stage, members, lower)
        pending = [p for p in pending if (lower is None or p > lower) and p < candidate]
        probe = min(ceiling, pending.pop(0) if pending else _midpoint(lower, candidate))
        within = [stage.at_most(code, probe) for code in members]
        if any(level is None for level in within):
            feasible: bool | None = False  # a member has no whole value at or below the probe
        else:
            with bounded(run, stage, members, probe):
                feasible = run.backend.relaxation_feasible(run.remaining())
        if feasible is None:
            break
        if feasible:
            candidate = max(level for level in within if level is not None)
        else:
            lower = probe if lower is None else max(lower, probe)
    return lower, candidate, time.perf_counter() - started


#: Where `_guides` probes around its base level: just below it (the least real level of the
#: relaxation, expected infeasible), then ever further above it until a probe is feasible.
GUIDE_FACTORS = tuple(
    Fraction(1) + Fraction(sign, 10**digits)
    for sign, digits in ((-1, 9), (1, 6), (1, 4), (1, 3), (1, 2), (1, 1))
)


#: A least real level below this is read as 0 (floating-point noise of the linear program).
RELAXED_LEVEL_NOISE = 1e-9


def _guides(
    run: Run, stage: MinMaxStage, members: tuple[str, ...], lower: Fraction | None
) -> list[Fraction]:
    """Probes just above the larger of ``lower`` (a level known infeasible) and the least real
    level ``t`` at which the relaxation keeps every member's measure within ``t``
    (`Backend.relaxation_least_level`, one linear program; every level feasible for whole
    numbers is at least ``t``). The answer is usually just above that base: for equal burden on
    the national instance 0.05% above ``t``, for the largest absolute deviation 2% above the
    floor, where halving from the needs stage's answer far above took 15 to 20 probes. The
    probes only guide the search: each is settled by `relaxation_feasible` like any other."""
    rows = [row for code in members for row in stage.level_rows(code)]
    least = run.backend.relaxation_least_level(rows, run.remaining())
    relaxed = Fraction(least) if least is not None and least > RELAXED_LEVEL_NOISE else Fraction(0)
    base = max(relaxed, lower or Fraction(0))
    return [base * factor for factor in GUIDE_FACTORS] if base > 0 else []


@dataclass(frozen=True)
class LevelProbe:
    """Each member of a min-max stage at most its own level, for one probe (`feasibility`).

    Where the placement network reads every member's rows as bounds on its placements in all,
    ``totals`` holds those bounds (`level_totals`) and the network gets them without rows; the
    rows are written only where the backend must decide the probe. Nationally a leximin stage
    added and removed about 7,400 rows for its probes, and the network parsed them back into
    the same bounds (benchmarks/RESULTS.md, run 28)."""

    stage: MinMaxStage
    levels: Mapping[str, Fraction]
    totals: dict[str, Totals] | None

    def rows(self) -> list[Constraint]:
        """Each member's rows at its level (`MinMaxStage.bound_constraints`)."""
        stage = self.stage
        return [
            row
            for code, level in self.levels.items()
            for row in stage.bound_constraints(code, level)
        ]

    def network_rows(self) -> list[Constraint]:
        """The rows the network must read besides ``totals``: none where it has them."""
        return [] if self.totals is not None else self.rows()


def level_probe(run: Run, stage: MinMaxStage, levels: Mapping[str, Fraction]) -> LevelProbe:
    """The probe of ``levels``, with its bounds on placements in all where the run's network
    reads them so."""
    totals = None if run.network is None else level_totals(run.network, stage, levels)
    return LevelProbe(stage, levels, totals)


def level_totals(
    network: PlacementNetwork, stage: MinMaxStage, levels: Mapping[str, Fraction]
) -> dict[str, Totals] | None:
    """Each member's whole-number bounds at its level (`MinMaxStage.bounds`) as bounds on its
    placements in all, as the placement network reads the member's rows
    (`solver.decomposition._limits`); a member whose bounds leave every value is left out.
    ``None`` where a member's expression is not its placements in all, or where a member
    without placements cannot meet its bounds (the network reads no such row)."""
    totals: dict[str, Totals] = {}
    for code, level in levels.items():
        low, high = stage.bounds(code, level, False)
        terms = stage.terms(code)
        if not terms:
            if (low is not None and low > 0) or (high is not None and high < 0):
                return None
            continue
        if network.bounded(terms) != ("total", code):
            return None
        if low is not None or high is not None:
            totals[code] = (low, high)
    return totals


def feasibility(run: Run, probe: LevelProbe | None = None, *, checked: bool = True) -> Outcome:
    """Whether the model as it stands, within ``probe``'s bounds, has a whole-number solution:
    as the placement network shows it (`_by_network_probe`), else infeasible at once if its
    linear relaxation is, otherwise an integer feasibility problem; ``seconds`` counts all.
    Unless ``checked``, an allocation the network finds is neither completed nor checked
    (`solver.decomposition.feasibility_by_network`): the caller makes a whole point of the one
    it keeps (`whole_point`)."""
    started = time.perf_counter()
    shown = _by_network_probe(run, probe, checked=checked)
    if shown is not None:
        return shown
    with _written(run, probe):
        if run.backend.relaxation_feasible(run.remaining()) is False:
            seconds = time.perf_counter() - started
            return Outcome(Status.INFEASIBLE, "infeasible", None, None, None, seconds)
        check = run.minimize({}, None)
    return replace(check, seconds=time.perf_counter() - started)


def _integer_probe(run: Run, probe: LevelProbe) -> Outcome:
    """Whether the model within ``probe``'s bounds has a whole-number solution: on the placement
    network where it shows it (`_by_network_probe`), otherwise an integer feasibility problem."""
    shown = _by_network_probe(run, probe)
    if shown is not None:
        return shown
    with _written(run, probe):
        return run.minimize({}, None)


@contextmanager
def _written(run: Run, probe: LevelProbe | None) -> Iterator[None]:
    """``probe``'s rows added to the run while the block runs."""
    handles = [] if probe is None else [run.add_row(row) for row in probe.rows()]
    try:
        yield
    finally:
        for handle in handles:
            run.remove_row(handle)


def _by_network_probe(
    run: Run, probe: LevelProbe | None, *, checked: bool = True
) -> Outcome | None:
    """A feasibility probe decided on the placement network
    (`solver.decomposition.feasibility_by_network`), or ``None`` if the network does not decide
    it."""
    if run.network is None or run.values is None:
        return None
    fixed, totals = run.network_rows(), None
    if probe is not None:
        fixed, totals = [*fixed, *probe.network_rows()], probe.totals
    try:
        shown = feasibility_by_network(
            run.network, fixed, run.values, run.solve_building, checked=checked, totals=totals
        )
    except FlowError:
        return None
    if shown is None:
        return None
    if shown.values is None:
        return Outcome(Status.INFEASIBLE, "infeasible", None, None, None, shown.seconds)
    return Outcome(Status.OPTIMAL, "optimal", shown.values, 0.0, 0.0, shown.seconds)


@contextmanager
def bounded(
    run: Run, stage: MinMaxStage, members: tuple[str, ...], level: Fraction
) -> Iterator[None]:
    """Every member's measure at most ``level`` while the block runs, as rows of the run (for
    the backend's own solves; a probe of `feasibility` takes a `LevelProbe` instead)."""
    with _written(run, LevelProbe(stage, dict.fromkeys(members, level), None)):
        yield


def fix_level(
    run: Run,
    stage: MinMaxStage,
    members: tuple[str, ...],
    level: Fraction,
    rows: dict[str, list[int]] | None = None,
) -> None:
    """Keep every member's measure at most ``level`` from now on. With ``rows`` (the handles of
    each member's bounds so far, updated here) a member's earlier, looser bounds are replaced, so
    that the model does not grow by a row per member in every round of a leximin stage; bounds
    that the new level leaves as they were stay in place."""
    for code in members:
        constraints = stage.bound_constraints(code, level)
        if rows is None:
            for constraint in constraints:
                run.add_row(constraint)
            continue
        earlier = rows.get(code, [])
        if [run.rows[handle][1] for handle in earlier] == constraints:
            continue
        handles = [run.add_row(constraint) for constraint in constraints]
        for handle in earlier:
            run.remove_row(handle)
        rows[code] = handles


def min_max(run: Run, stage: MinMaxStage) -> Outcome:
    """Solve a min-max stage and fix it at its exact level (a leximin stage:
    `solver.leximin.leximin`)."""
    found = least_level(run, stage, stage.members, by_totals=True)
    if found.values is not None:
        run.values = found.values
    if found.status == Status.OPTIMAL and found.level is not None:
        fix_level(run, stage, stage.members, found.level)
    run.record(stage.name, found.outcome(), found.level, found.bound, stage.unit)
    return found.outcome()
