"""A proof engine (`SolverOptions.proof_engine`): where the OR-Tools backend's own engine stops
without proof after `PROOF_AFTER_NODES` nodes, the proof engine runs from the best answer on the
model with every row exact; its proof ends the solve, its answer is used only where it meets every
row, and failing a proof the own engine goes on from the better answer; it gets the model without
the bounds the later stages narrowed, as CP-SAT as the engine does. On syn-342-g8 under
``max_abs_deviation`` this proves the programme stage that SCIP alone left unproven. A prover the
caller offers (column generation on the programme and tie-break stages) comes before the proof
engine, which gets its exact bound as a row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from tiny_regions import assert_solved

from models.generate import generate_region
from solver.backends.base import PROOF_AFTER_NODES, Outcome, SolverOptions, Status
from solver.backends.ortools_mathopt import NODE_LIMIT, MathOptBackend
from solver.model import Constraint, LinearModel
from solver.run import Run
from solver.solve import _prepare, _solve_stage, solve

#: The own engine's first answer: stopped by its node limit at x = 7, bound 2.
STOPPED = Outcome(Status.FEASIBLE, NODE_LIMIT, {0: 7}, 7.0, 2.0, 0.5)


@dataclass
class _Engines:
    """Stands in for the engines: the own engine answers ``own`` in turn, the proof engine
    ``proof``; every call is recorded."""

    own: list[Outcome]
    proof: Outcome | None = None
    calls: list[tuple[str | None, Mapping[int, int] | None, int | None]] = field(
        default_factory=list
    )
    #: The model handed to each solve (a MathOpt ``ModelProto``; ``None``: the backend's own).
    protos: list[Any] = field(default_factory=list)

    def solve(
        self,
        terms: object,
        time_limit: float,
        hint: Mapping[int, int] | None,
        *,
        tight: bool,
        engine: str | None = None,
        node_limit: int | None = None,
        proto: Any = None,
        first_answer: bool = False,
    ) -> Outcome:
        self.calls.append((engine, None if hint is None else dict(hint), node_limit))
        self.protos.append(proto)
        if engine == "cpsat":
            assert self.proof is not None
            return self.proof
        return self.own.pop(0)


def _backend(engines: _Engines, proof_engine: str | None = "cpsat") -> MathOptBackend:
    """``x`` in 0..100 with ``x >= 1``, minimised."""
    model = LinearModel()
    model.add_variable("x", 0, 100)
    model.add_constraint("x_at_least_1", "test", {0: 1}, ">=", 1)
    backend = MathOptBackend(model, SolverOptions(time_limit=10, proof_engine=proof_engine))
    backend._solve = engines.solve  # type: ignore[method-assign]
    return backend


def test_a_stop_at_the_node_limit_hands_over_and_the_proof_ends_the_solve() -> None:
    engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.25))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls == [(None, {0: 9}, PROOF_AFTER_NODES), ("cpsat", {0: 7}, None)]
    assert outcome.status == Status.OPTIMAL and outcome.values == {0: 1}
    assert "cpsat proved the optimum" in outcome.note


def test_without_a_proof_the_own_engine_goes_on_from_the_better_answer() -> None:
    rest = Outcome(Status.FEASIBLE, "time_limit", {0: 3}, 3.0, 1.5, 4.0)
    engines = _Engines(
        [STOPPED, rest], proof=Outcome(Status.FEASIBLE, "time_limit", {0: 4}, 4.0, 0.0, 2.0)
    )
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls[-1] == (None, {0: 4}, None)
    assert outcome.status == Status.FEASIBLE and outcome.values == {0: 3}
    assert outcome.bound == 2.0  # the own engine's better bound, of the first run
    assert "did not prove it" in outcome.note


def test_the_better_answer_stands_when_the_own_engine_then_finds_none() -> None:
    rest = Outcome(Status.NO_SOLUTION, "time_limit", None, None, 0.5, 4.0)
    engines = _Engines(
        [STOPPED, rest], proof=Outcome(Status.FEASIBLE, "time_limit", {0: 4}, 4.0, 0.0, 2.0)
    )
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9})
    assert outcome.status == Status.FEASIBLE and outcome.stop_reason == "time_limit"
    assert outcome.values == {0: 4} and outcome.objective == 4.0
    assert outcome.bound == 2.0


@dataclass
class _Prover:
    """Stands in for a prover (`solver.backends.base.Prover`): answers ``outcome``; every
    start it gets is recorded."""

    outcome: Outcome | None
    starts: list[dict[int, int]] = field(default_factory=list)

    def __call__(self, best: Mapping[int, int], seconds: float) -> Outcome | None:
        assert seconds > 0
        self.starts.append(dict(best))
        return self.outcome


def test_a_prover_gets_the_best_answer_and_its_proof_ends_the_solve() -> None:
    engines = _Engines([STOPPED])
    prover = _Prover(Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.2, "proven by it"))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
    assert prover.starts == [{0: 7}]
    assert engines.calls == [(None, {0: 9}, PROOF_AFTER_NODES)]
    assert outcome.status == Status.OPTIMAL and outcome.values == {0: 1}
    assert (
        outcome.note == f"scip stopped without proof after {PROOF_AFTER_NODES} nodes; proven by it"
    )


def test_an_unproven_answer_of_the_prover_starts_the_proof_engine() -> None:
    engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.25))
    prover = _Prover(Outcome(Status.FEASIBLE, "unproven", {0: 4}, 4.0, 3.0, 0.2, "not proven"))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
    assert engines.calls[-1] == ("cpsat", {0: 4}, None)
    assert outcome.status == Status.OPTIMAL and outcome.values == {0: 1}
    assert outcome.note.endswith("not proven; cpsat proved the optimum")


def test_the_proof_engine_gets_the_provers_bound_as_a_row() -> None:
    """Every answer is at least the prover's exact bound; as a row it ends CP-SAT's search at
    an answer that reaches it. Without a prover the model has no such row."""
    for prover, rows in ((None, 1), (_Prover(Outcome(Status.FEASIBLE, "u", {0: 4}, 4, 2.0, 0)), 2)):
        engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 2}, 2, 2, 0))
        _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
        proved = engines.protos[1]
        assert len(proved.linear_constraints.ids) == rows
    assert list(proved.linear_constraints.lower_bounds)[-1] == 2.0
    assert list(proved.linear_constraints.upper_bounds)[-1] == math.inf
    assert list(proved.linear_constraint_matrix.coefficients)[-1] == 1.0


def test_the_provers_bound_stays_where_nothing_proves() -> None:
    rest = Outcome(Status.FEASIBLE, "time_limit", {0: 4}, 4.0, 1.5, 4.0)
    engines = _Engines(
        [STOPPED, rest], proof=Outcome(Status.FEASIBLE, "time_limit", {0: 5}, 5.0, 0.0, 2.0)
    )
    prover = _Prover(Outcome(Status.FEASIBLE, "unproven", {0: 4}, 4.0, 3.0, 0.2, "not proven"))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
    assert engines.calls[-1] == (None, {0: 4}, None)
    assert outcome.status == Status.FEASIBLE and outcome.bound == 3.0


def test_a_provers_answer_that_breaks_a_row_is_not_used() -> None:
    """Not even its claim of a proof: the proof engine starts from the own engine's answer."""
    engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.25))
    prover = _Prover(Outcome(Status.OPTIMAL, "optimal", {0: 0}, 0.0, 0.0, 0.2, "proven by it"))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
    assert engines.calls[-1] == ("cpsat", {0: 7}, None)
    assert outcome.values == {0: 1} and "proven by it" not in outcome.note


def test_a_prover_is_not_asked_where_the_own_engine_proves() -> None:
    engines = _Engines([Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.1)])
    prover = _Prover(None)
    _backend(engines).minimize({0: 1}, 10, hint={0: 9}, prover=prover)
    assert prover.starts == []


def test_a_model_cpsat_would_not_read_exactly_is_not_handed_over() -> None:
    """CP-SAT clamps variable bounds above 10^7: such a model stays with the own engine, which
    then runs without a node limit."""
    engines = _Engines([replace(STOPPED, stop_reason="time_limit")])
    model = LinearModel()
    model.add_variable("x", 0, 50_000_000)
    model.add_constraint("x_at_least_1", "test", {0: 1}, ">=", 1)
    backend = MathOptBackend(model, SolverOptions(time_limit=10, proof_engine="cpsat"))
    backend._solve = engines.solve  # type: ignore[method-assign]
    backend.minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls == [(None, {0: 9}, None)]


def test_a_proof_whose_answer_breaks_a_row_is_not_used() -> None:
    rest = Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 1.0)
    engines = _Engines([STOPPED, rest], proof=Outcome(Status.OPTIMAL, "optimal", {0: 0}, 0, 0, 1))
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls[-1] == (None, {0: 7}, None)
    assert outcome.values == {0: 1}


def test_an_own_proof_needs_no_other_engine() -> None:
    engines = _Engines([Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.1)])
    outcome = _backend(engines).minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls == [(None, {0: 9}, PROOF_AFTER_NODES)]
    assert outcome.status == Status.OPTIMAL and outcome.note == ""


def test_without_the_option_there_is_no_node_limit() -> None:
    engines = _Engines([replace(STOPPED, stop_reason="time_limit")])
    _backend(engines, proof_engine=None).minimize({0: 1}, 10, hint={0: 9})
    assert engines.calls == [(None, {0: 9}, None)]


def test_the_proof_engine_gets_large_coefficients_exact() -> None:
    """A row with a coefficient above `LARGE_COEFFICIENT` reaches SCIP divided by it, and the
    proof engine as it is."""
    engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.1))
    backend = _backend(engines)
    backend.add_constraint(Constraint("large", "test", ((0, 3_000_000),), "<=", 300_000_000))
    backend.minimize({0: 1}, 10, hint={0: 9})
    own, proved = backend._proto, engines.protos[1]
    assert proved is not None
    assert max(own.linear_constraint_matrix.coefficients) == 1.0
    assert max(proved.linear_constraint_matrix.coefficients) == 3_000_000.0
    assert list(proved.linear_constraints.upper_bounds)[-1] == 300_000_000.0


def test_the_proof_engine_gets_the_model_without_the_narrowed_bounds() -> None:
    """SCIP solves within the bounds `tighten_bounds` narrowed, CP-SAT the model as given."""
    engines = _Engines([STOPPED], proof=Outcome(Status.OPTIMAL, "optimal", {0: 1}, 1.0, 1.0, 0.1))
    backend = _backend(engines)
    backend.tighten_bounds({0: (0, 40)})
    backend.minimize({0: 1}, 10, hint={0: 9})
    own, proved = backend._proto, engines.protos[1]
    assert proved is not None
    assert list(own.variables.upper_bounds) == [40.0]
    assert list(proved.variables.upper_bounds) == [100.0]


def test_cpsat_as_the_engine_keeps_the_model_as_given() -> None:
    model = LinearModel()
    model.add_variable("x", 0, 100)
    backend = MathOptBackend(model, SolverOptions(time_limit=10, engine="cpsat"))
    backend.tighten_bounds({0: (0, 40)})
    assert backend.model.variables[0].upper == 100
    assert backend.minimize({0: -1}, 10).values == {0: 100}


def test_an_unknown_proof_engine_is_refused() -> None:
    with pytest.raises(KeyError, match="gurobi"):
        MathOptBackend(LinearModel(), SolverOptions(proof_engine="gurobi"))


def test_the_programme_stage_after_max_abs_deviation_on_syn_342_g8_is_proven() -> None:
    """SCIP alone left it one dwelling above its bound after 120 s; CP-SAT proves it, and a
    second run gives the same allocation and notes (they go into the output files)."""
    region = generate_region(342, 8, seed=2024)
    region = replace(region, policy=replace(region.policy, objective="max_abs_deviation"))
    options = SolverOptions(time_limit=120)
    result = assert_solved(region, solve(region, "ortools", options))
    assert any(n.startswith("programme:") and "cpsat proved" in n for n in result.notes)
    again = solve(region, "ortools", options)
    assert again.allocation == result.allocation
    assert again.notes == result.notes


def test_the_programme_stage_after_equal_burden_on_syn_1000_g8_is_proven_by_its_blocks() -> None:
    """SCIP stops without proof after its nodes; column generation from its answer reaches the
    Lagrangian bound's ceiling, so CP-SAT (70 s here) is not needed. The value is the one
    CP-SAT proved before (benchmarks/RESULTS.md, run 26)."""
    region = generate_region(1000, 8, seed=2024)
    region = replace(region, policy=replace(region.policy, objective="equal_burden"))
    run = Run(region, "ortools", SolverOptions(time_limit=300))
    try:
        for stage in run.stages:
            _prepare(run, stage)
            assert _solve_stage(run, stage).status == Status.OPTIMAL
            if stage.name == "programme":
                break
    finally:
        run.finish_narrowing()
    record = run.records[-1]
    assert record.name == "programme" and record.value == record.bound == 1_205_191
    assert run.notes[-1].startswith(
        f"programme: scip stopped without proof after {PROOF_AFTER_NODES} nodes; proven block "
        "by block"
    )


def test_cpsat_takes_over_only_a_model_it_reads_exactly() -> None:
    """CP-SAT clamps bounds above 10^7 and scales a row whose activity can reach 2^53: the
    proof engine is CP-SAT only where neither happens, for the model's rows (read once per
    backend), the rows added and in force, and the objective."""
    model = LinearModel()
    x = model.add_variable("x", 0, 10**7)
    y = model.add_variable("y", -5, 5)
    model.add_constraint("small", "test", {x: 3, y: 1}, "<=", 100)
    options = SolverOptions(proof_engine="cpsat")
    backend = MathOptBackend(model, options)
    assert backend._exact_for_cpsat({x: 1})
    # An objective or an added row that can reach 2^53 is scaled by CP-SAT.
    assert not backend._exact_for_cpsat({x: 2**30})
    handle = backend.add_constraint(Constraint("large", "test", ((x, 2**30),), "<=", 5))
    assert not backend._exact_for_cpsat({x: 1})
    backend.remove_constraint(handle)
    assert backend._exact_for_cpsat({x: 1})
    # Narrowed bounds do not count: CP-SAT gets the model as given.
    backend.tighten_bounds({x: (0, 3)})
    assert not backend._exact_for_cpsat({x: 2**30})

    large_row = LinearModel()
    z = large_row.add_variable("z", 0, 10**7)
    large_row.add_constraint("large", "test", {z: 2**30}, "<=", 5)
    assert not MathOptBackend(large_row, options)._exact_for_cpsat({z: 1})

    for upper in (None, 10**7 + 1):
        unbounded = LinearModel()
        w = unbounded.add_variable("w", 0, upper)
        assert not MathOptBackend(unbounded, options)._exact_for_cpsat({w: 1})
