"""Models and solves in MathOpt's protocol buffers: a `LinearModel` written into a ``ModelProto``
with bulk appends (`model_proto`, `append_row`), a start as model parameters
(`hint_parameters`), and one solve through MathOpt's solver core (`core_solve`)."""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from datetime import timedelta

from ortools.math_opt import (
    model_parameters_pb2,
    model_pb2,
    parameters_pb2,
    result_pb2,
    solution_pb2,
)
from ortools.math_opt.core.python import solver as mathopt_core
from ortools.math_opt.python import mathopt

from solver.model import Constraint, LinearModel

#: Largest coefficient of a row handed to a solver as it is (`append_row`).
LARGE_COEFFICIENT = 10**5


def solve_relaxation(
    proto: model_pb2.ModelProto,
    time_limit: float,
    solver: mathopt.SolverType = mathopt.SolverType.GLOP,
    algorithm: mathopt.LPAlgorithm | None = None,
    basis: solution_pb2.BasisProto | None = None,
    iteration_limit: int | None = None,
) -> result_pb2.SolveResultProto | None:
    """Solve a continuous model with ``solver`` (GLOP by default) and ``algorithm`` (the
    solver's choice by default), from ``basis`` if given (GLOP reads it; HiGHS, through
    MathOpt, does not), within ``iteration_limit`` simplex iterations if given; ``None`` if
    it fails."""
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(time_limit, 0.001)),
        lp_algorithm=algorithm,
        iteration_limit=iteration_limit,
    )
    model_parameters = model_parameters_pb2.ModelSolveParametersProto()
    if basis is not None:
        model_parameters.initial_basis.CopyFrom(basis)
    try:
        return core_solve(proto, solver, params.to_proto(), model_parameters)
    except Exception:  # noqa: BLE001 - a failed relaxation tells nothing
        return None


def core_solve(
    proto: model_pb2.ModelProto,
    solver: mathopt.SolverType,
    parameters: parameters_pb2.SolveParametersProto,
    model_parameters: model_parameters_pb2.ModelSolveParametersProto,
) -> result_pb2.SolveResultProto:
    """One solve through MathOpt's solver core, without callbacks or interruption."""
    return mathopt_core.solve(
        proto,
        solver.value,
        mathopt.StreamableSolverInitArguments().to_proto(),
        parameters,
        model_parameters,
        None,
        mathopt.CallbackRegistration().to_proto(),
        None,
        None,
    )


def hint_parameters(
    hint: Mapping[int, int] | None,
) -> model_parameters_pb2.ModelSolveParametersProto:
    """Model parameters carrying a solution hint (a known feasible point speeds up the search)."""
    parameters = model_parameters_pb2.ModelSolveParametersProto()
    if hint:
        values = parameters.solution_hints.add().variable_values
        ordered = sorted(hint.items())
        values.ids.extend(i for i, _ in ordered)
        values.values.extend(float(v) for _, v in ordered)
    return parameters


def model_proto(model: LinearModel, *, with_names: bool) -> model_pb2.ModelProto:
    """The model as a MathOpt ``ModelProto``, written with bulk appends (its rows as they are:
    only added rows can have large coefficients, `append_row`).

    A model copied from a `LinearModel.base` (without names) takes the rows it shares with
    that base from the proto written for the base (`_base_rows`): only its variables and the
    rows added since are written. At 5,000 municipalities a building search's model (20,000
    variables, 15,000 rows shared) took 0.029 s written whole (benchmarks/RESULTS.md, run 33)."""
    proto = model_pb2.ModelProto(name="fairshare")
    variables = proto.variables
    variables.ids.extend(range(len(model.variables)))
    variables.lower_bounds.extend(float(v.lower) for v in model.variables)
    variables.upper_bounds.extend(
        math.inf if v.upper is None else float(v.upper) for v in model.variables
    )
    variables.integers.extend(v.integer for v in model.variables)
    if with_names:
        variables.names.extend(v.name for v in model.variables)
    shared = 0
    base_rows = None if with_names else _base_rows(model)
    if base_rows is not None:
        shared, written = base_rows
        proto.linear_constraints.CopyFrom(written.linear_constraints)
        proto.linear_constraint_matrix.CopyFrom(written.linear_constraint_matrix)
    _write_rows(proto, model.constraints, shared, with_names=with_names)
    return proto


def _write_rows(
    proto: model_pb2.ModelProto,
    constraints: Sequence[Constraint],
    first: int,
    *,
    with_names: bool,
) -> None:
    """Append ``constraints[first:]`` as rows ``first`` on, as they are."""
    added = constraints[first:]
    rows = proto.linear_constraints
    rows.ids.extend(range(first, len(constraints)))
    rows.lower_bounds.extend(-math.inf if c.sense == "<=" else float(c.rhs) for c in added)
    rows.upper_bounds.extend(math.inf if c.sense == ">=" else float(c.rhs) for c in added)
    if with_names:
        rows.names.extend(c.name for c in added)
    matrix = proto.linear_constraint_matrix
    row_ids: list[int] = []
    column_ids: list[int] = []
    coefficients: list[float] = []
    for row, constraint in enumerate(added, start=first):
        row_ids.extend([row] * len(constraint.terms))
        column_ids.extend(i for i, _ in constraint.terms)
        coefficients.extend(float(c) for _, c in constraint.terms)
    matrix.row_ids.extend(row_ids)
    matrix.column_ids.extend(column_ids)
    matrix.coefficients.extend(coefficients)


#: The protos written for the bases of copied models, by the base's identity, each with a
#: weak reference that drops it once the base is gone and the number of the base's rows it
#: holds (`_base_rows`).
_BASE_PROTOS: dict[int, tuple[weakref.ref[LinearModel], model_pb2.ModelProto, int]] = {}


def _base_rows(model: LinearModel) -> tuple[int, model_pb2.ModelProto] | None:
    """The number of rows ``model`` shares with its `LinearModel.base` and the proto written
    for that base (written now if not yet), where the base has no base of its own, at most as
    many variables, and constraints that begin ``model``'s as the same objects; else
    ``None``."""
    base = model.base
    if base is None or base.base is not None or len(base.variables) > len(model.variables):
        return None
    shared = len(base.constraints)
    if shared > len(model.constraints) or any(
        old is not new for old, new in zip(base.constraints, model.constraints, strict=False)
    ):
        return None
    key = id(base)
    entry = _BASE_PROTOS.get(key)
    if entry is not None and entry[0]() is base and entry[2] == shared:
        return shared, entry[1]
    # Written now, or again where rows were added to the base since.
    written = model_proto(base, with_names=False)

    def forget(_: object) -> None:
        _BASE_PROTOS.pop(key, None)

    _BASE_PROTOS[key] = (weakref.ref(base, forget), written, shared)
    return shared, written


def append_row(
    proto: model_pb2.ModelProto,
    row: int,
    constraint: Constraint,
    *,
    with_name: bool,
    exact: bool = False,
) -> None:
    """Append one constraint as row ``row`` (rows must be appended in increasing order).

    For a solver (``with_name`` false) a row whose largest coefficient exceeds
    `LARGE_COEFFICIENT` is divided by that coefficient, unless ``exact`` (for CP-SAT, which
    reasons in integers and would have to scale the fractions back): the fixed row of the
    fairness stage, in units of ``1/L`` household for the quotas' common denominator ``L``, has
    coefficients up to ``2L`` (18 million nationally), which put SCIP's root LP of the programme
    stage after ``equal_burden`` into "unresolved numerical troubles" (run 5). The exact integer
    row is still what every answer is checked against
    (`solver.backends.ortools_mathopt.MathOptBackend._broken`); an MPS file keeps it."""
    largest = max((abs(c) for _, c in constraint.terms), default=1)
    scaled = not with_name and not exact and largest > LARGE_COEFFICIENT
    divisor = float(largest) if scaled else 1.0
    rhs = constraint.rhs / divisor
    rows = proto.linear_constraints
    rows.ids.append(row)
    rows.lower_bounds.append(-math.inf if constraint.sense == "<=" else rhs)
    rows.upper_bounds.append(math.inf if constraint.sense == ">=" else rhs)
    if with_name:
        rows.names.append(constraint.name)
    matrix = proto.linear_constraint_matrix
    matrix.row_ids.extend([row] * len(constraint.terms))
    matrix.column_ids.extend(i for i, _ in constraint.terms)
    matrix.coefficients.extend(c / divisor for _, c in constraint.terms)
