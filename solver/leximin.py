"""A leximin stage: iterated min-max until every member is fixed (`leximin`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from fractions import Fraction

from solver.backends.base import Outcome, Status
from solver.levels import feasibility, fix_level, least_level, level_probe, whole_point
from solver.minmax import MinMaxStage
from solver.objectives import Values
from solver.run import Run


def leximin(run: Run, stage: MinMaxStage) -> Outcome:
    """Leximin: iterated min-max until every member is fixed.

    Each round finds the least level ``w`` of the members still free (`least_level`) and keeps
    them all at or below ``w`` from then on. A member at ``w`` in the answer is *blocked* if no
    allocation puts it strictly below ``w`` while the others stay at or below ``w``; blocked
    members are fixed and leave the free set. A member seen below ``w`` in any answer of the round
    is not blocked and is not tested. When no member is blocked (possible with whole households:
    of two municipalities one must take the extra household, either one), the member with the
    lowest code that some allocation puts at ``w`` is fixed exactly at ``w`` (`_lowest_at_level`),
    a documented choice that does not depend on the answer a backend happens to return. With such
    ties the result is the iterated min-max of this rule, which can be lexicographically worse
    than the best sorted vector of deviations (fixing another municipality at the level could let
    a later level fall lower); without ties it is the leximin optimum. The stage value is the
    first (largest) level; the note of the result gives the number of rounds and of tie rounds.

    Most rounds end at the floor that rounding alone sets; runs of such rounds are settled
    together, with about as many probes as the bits of their number (`floor_rounds`).
    """
    free = stage.members
    level_rows: dict[str, list[int]] = {}
    first: Fraction | None = None
    seconds, rounds, chosen = 0.0, 0, 0
    # Rounds without probes before the next probes: doubled each time probes settle nothing
    # more, so that a region whose rounds seldom end at the floor pays few probes in vain.
    wait, since = 0, 0
    while free:
        probe = since >= wait
        settled = floor_rounds(run, stage, free, level_rows, probe=probe)
        seconds += settled.seconds
        free = settled.free
        if settled.levels:
            first = first if first is not None else settled.levels[0]
            rounds += len(settled.levels)
        if settled.probed:
            since, wait = 0, 0 if settled.by_probes else max(1, 2 * wait)
        elif not probe:
            since += 1
        found = least_level(run, stage, free)
        seconds += found.seconds
        first = first if first is not None else found.level
        if found.values is not None:
            run.values = found.values
        if found.status != Status.OPTIMAL or found.values is None or found.level is None:
            outcome = replace(found.outcome(), seconds=seconds)
            run.record(stage.name, outcome, first, None, stage.unit)
            return outcome
        rounds += 1
        level = found.level
        fix_level(run, stage, free, level, level_rows)
        candidates = [c for c in free if stage.measure(found.values, c) == level]
        blocked, stopped = _blocked(run, stage, candidates, level)
        seconds += stopped.seconds
        if stopped.status != Status.OPTIMAL:
            outcome = replace(stopped, seconds=seconds, values=found.values)
            run.record(stage.name, outcome, first, None, stage.unit)
            return outcome
        if not blocked:
            lowest, stopped = _lowest_at_level(run, stage, free, candidates, found.values, level)
            seconds += stopped.seconds
            if stopped.status != Status.OPTIMAL:
                outcome = replace(stopped, seconds=seconds, values=found.values)
                run.record(stage.name, outcome, first, None, stage.unit)
                return outcome
            blocked, chosen = [lowest], chosen + 1
        free = tuple(c for c in free if c not in blocked)
    level = first if first is not None else Fraction(0)
    values = dict(run.values) if run.values is not None else None
    outcome = Outcome(Status.OPTIMAL, "optimal", values, float(level), float(level), seconds)
    run.record(stage.name, outcome, level, level, stage.unit)
    run.notes.append(
        f"{stage.name}: {rounds} rounds of min-max; in {chosen} of them no municipality was "
        "blocked and the lowest code that can be at the level was fixed there"
    )
    return outcome


@dataclass(frozen=True)
class FloorRounds:
    """What `floor_rounds` settled: the levels of the rounds, the members still free after them,
    whether it probed, whether its probes settled more than the current allocation showed, and
    the seconds spent."""

    levels: list[Fraction]
    free: tuple[str, ...]
    probed: bool
    by_probes: bool
    seconds: float


def floor_rounds(
    run: Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    level_rows: dict[str, list[int]],
    *,
    probe: bool,
) -> FloorRounds:
    """The leading rounds of `leximin` that end at the floor rounding alone sets, settled
    together.

    Let ``F_0 > F_1 > ...`` be the distinct least measures (`MinMaxStage.least`) of the free
    members, and ``holds(t)``: some allocation keeps every free member ``m`` at or below
    ``max(least_m, F_t)``. If one does, for each ``i < t`` round ``i`` (members with a least
    measure above ``F_i`` fixed at it, the others at or below ``F_{i-1}``) has level ``F_i``, which
    that allocation reaches and no member with least measure ``F_i`` can go below; it blocks
    exactly those members, since the same allocation puts every other member strictly below
    ``F_i``; so the tie rule never applies. These rounds are therefore fixed as `leximin` would
    fix them, one after the other: each blocked member at its least measure, the rest at or below
    ``F_{t-1}``; round ``t`` is left to `leximin`, starting from the allocation found (whose
    largest measure is its level).

    The current allocation shows ``holds(t)`` for some ``t`` without a probe. With ``probe``,
    feasibility probes look further: ``holds(t)`` fails for every ``t`` above one that fails (the
    bounds only tighten), so the largest ``t`` that holds is found by bisection, after a probe of
    the last (every member at its least measure) and of the next after what is known (if it
    fails, nothing more is settled). A probe that does not finish counts as failed: fewer rounds
    are settled together, none wrongly. Only the allocation of the largest ``t`` shown to hold
    is made whole and checked (`solver.levels.whole_point`), with every free member within its
    level: nationally 4 of the first call's 5 allocations were made whole in vain. Should it
    fail its check, only what the current allocation shows is settled.
    """
    started = time.perf_counter()
    floors = stage.least_levels(free)

    def levels(t: int) -> dict[str, Fraction]:
        return {code: max(stage.least(code), floors[t]) for code in free}

    values = run.values
    # holds(holds) is shown by `found` (0: nothing to settle), holds(fails) fails (none such).
    holds, fails, found = 0, len(floors), values
    if values is not None:
        # The current allocation meets holds(t) where F_t is at least every measure above its
        # member's least measure.
        measures = ((stage.measure(values, code), stage.least(code)) for code in free)
        above = max((measure for measure, least in measures if measure > least), default=None)
        reached = len(floors) if above is None else sum(1 for f in floors if f >= above)
        holds = max(min(reached, len(floors)) - 1, 0)
    shown = holds
    asked: set[int] = set()
    while probe and fails - holds > 1 and run.remaining() > 0:
        if len(floors) - 1 not in asked:
            t = len(floors) - 1
        elif shown + 1 not in asked:
            t = shown + 1
        else:
            t = (holds + fails) // 2
        asked.add(t)
        # Unchecked: only the allocation kept is made whole and checked, below.
        check = feasibility(run, level_probe(run, stage, levels(t)), checked=False)
        if check.values is not None:
            holds, found = t, check.values
        else:
            fails = t
    if holds > shown and found is not None:
        point = whole_point(run, found) if run.network is not None else dict(found)
        within = point is not None and all(
            stage.measure(point, code) <= level for code, level in levels(holds).items()
        )
        holds, found = (holds, point) if within else (shown, values)
    if holds == 0 or found is None:
        return FloorRounds([], free, bool(asked), False, time.perf_counter() - started)
    settled = floors[:holds]
    at_least: dict[Fraction, list[str]] = {}
    for code in free:
        at_least.setdefault(stage.least(code), []).append(code)
    for level in settled:
        fix_level(run, stage, tuple(at_least[level]), level, level_rows)
    rest = tuple(code for code in free if stage.least(code) < settled[-1])
    fix_level(run, stage, rest, settled[-1], level_rows)
    run.values = found
    return FloorRounds(settled, rest, bool(asked), holds > shown, time.perf_counter() - started)


def _lowest_at_level(
    run: Run,
    stage: MinMaxStage,
    free: tuple[str, ...],
    candidates: list[str],
    values: Values,
    level: Fraction,
) -> tuple[str, Outcome]:
    """The free member with the lowest code that some allocation puts exactly at ``level``, and
    fix it there (``e_m`` equal to the first of its values at the level, in the order of
    `MinMaxStage.points_at`, that some allocation reaches; kept from now on). The run's values
    become an allocation that meets the fixed row.

    Members with a code below the lowest candidate of the current answer (``values``) are tried
    in code order (each value of ``e_m`` at the level is a feasibility problem); if none can reach
    the level, the lowest candidate's values are tried in the same order up to its value in the
    answer, which needs no probe. So the choice does not depend on the answer a backend returned.
    """
    seconds = 0.0
    lowest = min(candidates)
    known = stage.whole_value(values, lowest)
    for code in sorted(c for c in free if c <= lowest):
        for point in stage.points_at(code, level):
            if code == lowest and point == known:
                break
            handle = run.add_row(stage.fixed_at(code, point))
            check = feasibility(run)
            seconds += check.seconds
            if check.status == Status.INFEASIBLE:
                run.remove_row(handle)
                continue
            if check.values is None:
                run.remove_row(handle)
                return code, Outcome(check.status, check.stop_reason, None, None, None, seconds)
            run.values = check.values
            return code, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)
    run.add_row(stage.fixed_at(lowest, known))
    run.values = dict(values)
    return lowest, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)


def _blocked(
    run: Run, stage: MinMaxStage, candidates: list[str], level: Fraction
) -> tuple[list[str], Outcome]:
    """The candidates that cannot go strictly below ``level`` while every free member stays at or
    below it (a candidate whose linear relaxation cannot is blocked without an integer test); the
    outcome says whether every test finished (status optimal) and how long it took.
    """
    blocked: list[str] = []
    lowered: set[str] = set()
    seconds = 0.0
    for code in candidates:
        if code in lowered:
            continue
        lower = stage.below(code, level)
        if lower is None:
            blocked.append(code)
            continue
        check = feasibility(run, level_probe(run, stage, {code: lower}))
        seconds += check.seconds
        if check.status == Status.INFEASIBLE:
            blocked.append(code)
        elif check.values is None:
            return blocked, Outcome(check.status, check.stop_reason, None, None, None, seconds)
        else:
            lowered.update(c for c in candidates if stage.measure(check.values, c) < level)
    return blocked, Outcome(Status.OPTIMAL, "optimal", None, None, None, seconds)
