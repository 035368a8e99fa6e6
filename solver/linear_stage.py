"""A linear stage: minimise its objective (on the placement network where that proves it, else on
the backend), record it, and fix it at its exact value."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from fractions import Fraction

from solver.backends.base import GAP_LIMIT, Outcome, Status
from solver.backends.flow import FlowError
from solver.decomposition import Found, fairness_by_network, needs_by_network
from solver.formulation import Formulation
from solver.model import Terms, evaluate
from solver.objectives import Stage
from solver.run import Run

#: The stages that start from HiGHS's answer on a large reduced model. Not the tie-break stage:
#: there HiGHS found nothing better than the programme stage's answer in 450 s (and overran that
#: limit by 74 s) from one start, while from another its answer was better but SCIP did not prove
#: it either (run 10).
FIRST_ANSWER_STAGES = frozenset({"programme"})

#: The largest gap between column generation's answer and its bound, as a share of the answer,
#: at which the whole MIP after it starts from that answer without HiGHS's first answer
#: (`_first_answer_wanted`).
FIRST_ANSWER_SKIPPED_WITHIN = Fraction(1, 1000)

#: The stages tried block by block (`solver.columns`): after the needs and fairness stages
#: every municipality's building and its few free placements form one block, joined only by a
#: few regional rows. On a large reduced model first (`Run.by_columns`); on a smaller one where
#: SCIP stops without proof after its nodes, before CP-SAT (`Run.minimize` with
#: ``by_blocks``), which then gets the exact Lagrangian bound as a row. On syn-1000-g8 that
#: proves the programme stage after ``equal_burden`` in 4.7 s, where CP-SAT took 70 s; after
#: ``leximin`` the bound's ceiling is the programme stage's optimum, and with it CP-SAT proves
#: that stage in 12.5 s instead of 21 s and the tie-break stage, whose bound stays 25,784 below
#: its optimum, in 31-32 s instead of 51-52 s (benchmarks/RESULTS.md, run 27).
COLUMN_STAGES = frozenset({"programme", "tie_break"})


def linear_stage(run: Run, stage: Stage) -> Outcome:
    """Solve one linear stage, record it, and fix it at its exact value if proven optimal.

    The previous stage's answer is handed to the solver as a start: it is feasible in this stage
    (the earlier stages are fixed at its own values), and with it SCIP proved the programme and
    tie-break stages of the national instance 4-5x faster and CBC its tie-break 2x faster
    (benchmarks/RESULTS.md, run 4). The optimum does not depend on the start: the tie-break makes
    it unique.

    The needs and fairness stages are tried on the placement network first (`by_network`); a
    stage it proves is not handed to the backend, and a fairness stage it does not prove starts
    from the network's flow instead of the previous answer, with the rows of
    `solver.decomposition.FlowBound.rows` for allocations no worse than that start. Once a stage
    the network bounds is fixed, those rows at its exact value stay for the later stages: on the
    national instance they fix 1,707 of 1,710 placements."""
    found = by_network(run, stage)
    method = "mip"
    if found is not None and found.proven:
        method = "network"
        reached = float(evaluate(stage.terms, found.values))
        outcome = Outcome(Status.OPTIMAL, "optimal", found.values, reached, reached, found.seconds)
    else:
        hint = found.values if found is not None else run.values
        run.start_narrowing(stage)
        with _flow_rows(run, found, stage.terms):
            by_columns = run.by_columns(stage.terms, hint) if stage.name in COLUMN_STAGES else None
            if by_columns is not None and by_columns.status == Status.OPTIMAL:
                outcome, method = by_columns, "columns"
            else:
                start = hint if by_columns is None else by_columns.values
                outcome = run.minimize(
                    stage.terms,
                    start,
                    first_answer=_first_answer_wanted(stage, by_columns),
                    by_blocks=stage.name in COLUMN_STAGES,
                )
                if by_columns is not None:
                    outcome = with_columns(outcome, by_columns, stage.terms)
        if found is not None:
            # The network's lower bound holds whatever the MIP reaches; keep the better one.
            lower = outcome.bound
            if found.bound is not None:
                lower = float(found.bound) if lower is None else max(lower, float(found.bound))
            outcome = replace(outcome, seconds=outcome.seconds + found.seconds, bound=lower)
    if outcome.note:
        run.notes.append(f"{stage.name}: {outcome.note}")
    if outcome.values is None:
        run.record(stage.name, outcome, None, None, _unit(stage))
        return outcome
    run.values = outcome.values
    exact = stage.exact(outcome.values)
    value, bound = _scaled(run.f, stage, exact, outcome.bound)
    run.record(stage.name, outcome, value, bound, _unit(stage), method)
    if outcome.status == Status.OPTIMAL or within_gap(outcome):
        # Within the gap the stage is fixed at its answer's own value: the later stages keep
        # what it reached, and the answer shows that every one of them can.
        run.fix(stage.name, stage.terms, exact - stage.constant)
        if found is not None and found.flow_bound is not None:
            for row in found.flow_bound.rows(exact - stage.constant):
                run.add_row(row)
            if found.flow_bound.at_bound(exact - stage.constant):
                run.implied.add(f"stage[{stage.name}]")
    return outcome


def _first_answer_wanted(stage: Stage, by_columns: Outcome | None) -> bool:
    """Whether the whole MIP of ``stage`` starts from HiGHS's answer (`FIRST_ANSWER_STAGES`,
    on a large reduced model): not where column generation left an answer within
    `FIRST_ANSWER_SKIPPED_WITHIN` of its bound, which no first answer can better by more than
    that gap. After ``leximin`` at 5,000 municipalities column generation ends one dwelling
    above its bound (5,610,455 against 5,610,454); HiGHS's first answer then ran for over ten
    minutes and grew to 4.3 GiB, while SCIP from column generation's answer peaked at 942 MiB
    in 240 s. After ``equal_burden``, on a path where column generation stopped 161 dwellings
    short (2.9 * 10**-5 of the answer), the whole MIP without HiGHS's answer ended with the
    same answer and bound (benchmarks/RESULTS.md, runs 24 and 25)."""
    if stage.name not in FIRST_ANSWER_STAGES:
        return False
    if by_columns is None or by_columns.objective is None or by_columns.bound is None:
        return True
    gap = Fraction(by_columns.objective) - Fraction(by_columns.bound)
    return gap > FIRST_ANSWER_SKIPPED_WITHIN * abs(Fraction(by_columns.objective))


def with_columns(whole: Outcome, by_columns: Outcome, terms: Terms) -> Outcome:
    """The whole MIP's outcome after column generation left the stage unproven with an
    answer and an exact bound (`Run.by_columns`): the better of the two answers (the MIP's
    started from column generation's), the higher of the two bounds, and optimal where the
    answer kept reaches column generation's bound (the ceiling of an exact Lagrangian bound:
    every answer of the stage is at least that). An error or a claim of infeasibility by the
    MIP stays as it is.

    After ``equal_burden`` at 5,000 municipalities, on a path where column generation ended
    5.66 dwellings short of the optimum, the MIP alone ended 200 s later with 8,722,706
    dwellings against the optimum's 5,594,021 and a bound of -3,716,126; column generation's
    own answer was 5,594,177 (benchmarks/RESULTS.md, run 24)."""
    if whole.status in (Status.ERROR, Status.INFEASIBLE):
        return whole
    answer = by_columns.values
    assert answer is not None and by_columns.bound is not None
    value = evaluate(terms, answer)
    if whole.values is not None and (reached := evaluate(terms, whole.values)) <= value:
        answer, value = whole.values, reached
    bound = by_columns.bound if whole.bound is None else max(whole.bound, by_columns.bound)
    if whole.status == Status.OPTIMAL or value <= by_columns.bound:
        status, stop, bound = Status.OPTIMAL, "optimal", float(value)
    else:
        status, stop = Status.FEASIBLE, whole.stop_reason
    return replace(
        whole,
        status=status,
        stop_reason=stop,
        values=answer,
        objective=float(value),
        bound=bound,
        seconds=whole.seconds + by_columns.seconds,
        note="; ".join(note for note in (by_columns.note, whole.note) if note),
    )


def within_gap(outcome: Outcome) -> bool:
    """True if a solve stopped within the relative gap of the options (`SolverOptions.gap`)
    with an answer: not proven optimal, but good enough by the user's word to go on from."""
    return (
        outcome.status == Status.FEASIBLE
        and outcome.stop_reason == GAP_LIMIT
        and outcome.values is not None
    )


def by_network(run: Run, stage: Stage) -> Found | None:
    """The needs or fairness stage by the placement network (`solver.decomposition`), where the
    run has a network and the stage is one it solves: needs as the first stage, or the quota
    stage or the sum of absolute deviations after it, with no rows in force but those the
    network reads (`solver.decomposition._rows_in_force`: a min-max stage's bounds on each
    municipality's placements, the flow rows of a quota stage fixed at its bound)."""
    if run.network is None:
        return None
    before = [r.name for r in run.records]
    try:
        if stage.name == "needs" and not before:
            # Two building MIPs side by side, unless a memory limit bounds each solve by the
            # memory in use as it starts (as for `Run.start_narrowing`).
            beside = run.options.memory_limit is None
            return needs_by_network(run.network, stage.terms, run.solve_building, beside=beside)
        fairness = stage.name in ("fairness_quota", "fairness_sum")
        if fairness and before[:1] == ["needs"] and run.values is not None:
            return fairness_by_network(
                run.network, stage.terms, run.network_rows(), run.values, run.solve_building
            )
    except FlowError:
        return None
    return None


@contextmanager
def _flow_rows(run: Run, found: Found | None, terms: Terms) -> Iterator[None]:
    """While the MIP solves a stage that the network bounds, the rows of `FlowBound.rows` for
    allocations no worse than the network's start: they fix most placements."""
    rows = []
    if found is not None and found.flow_bound is not None:
        rows = found.flow_bound.rows(evaluate(terms, found.values))
    handles = [run.add_row(row) for row in rows]
    try:
        yield
    finally:
        for handle in handles:
            run.remove_row(handle)


def _unit(stage: Stage) -> str:
    units = {
        "needs": "households + dwellings (weighted)",
        "fairness_sum": "households",
        "fairness_quota": "households",
        "exchanges": "households transferred",
        "stability": "households placed differently",
        "programme": "dwellings",
    }
    return units.get(stage.name, "weighted sum")


def _scaled(
    f: Formulation, stage: Stage, exact: int, bound: float | None
) -> tuple[Fraction, Fraction | None]:
    """Stage value and bound in the stage's reporting unit (households for fairness)."""
    scale = stage.scale
    value = Fraction(exact, scale)
    if bound is None:
        return value, None
    return value, Fraction(round(bound) + stage.constant, scale)
