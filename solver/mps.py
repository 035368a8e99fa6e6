"""The allocation model in free MPS format, every number written exactly.

Every coefficient, right-hand side and bound of a `LinearModel` is an integer, and is written as
one. (A general-purpose MPS writer prints six significant digits: the fairness stage's objective
coefficients, in units of ``1/L`` household for the quotas' common denominator ``L``, are eight
digits long nationally, and such a file held a different objective.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from solver.model import Constraint, LinearModel, Terms

#: The name of the objective row.
OBJECTIVE_ROW = "COST"
_ROW_TYPE = {"<=": "L", ">=": "G", "==": "E"}


def mps_text(
    model: LinearModel,
    objective: Terms,
    rows: Iterable[Constraint] = (),
    *,
    constant: int = 0,
    comments: Sequence[str] = (),
) -> str:
    """The model with the extra ``rows`` and the objective ``objective`` (minimised) as free MPS.

    The objective's ``constant`` goes into a comment, not into the file's numbers: readers
    disagree on the sign of a right-hand side on the objective row, and some refuse it. A row
    name that repeats gets a suffix ``~k``. Every variable gets an explicit lower bound (some
    readers give an integer variable without bounds the upper bound 1).
    """
    constraints = [*model.constraints, *rows]
    names = _unique_row_names(constraints)
    columns: list[list[tuple[str, int]]] = [[] for _ in model.variables]
    for index, coefficient in sorted(objective.items()):
        if coefficient:
            columns[index].append((OBJECTIVE_ROW, coefficient))
    for name, constraint in zip(names, constraints, strict=True):
        for index, coefficient in constraint.terms:
            if coefficient:
                columns[index].append((name, coefficient))
    lines = [f"* {comment}" for comment in comments]
    if constant:
        lines.append(f"* objective constant: {constant} (the stage value is the objective plus it)")
    lines += ["NAME fairshare", "ROWS", f" N {OBJECTIVE_ROW}"]
    lines += [f" {_ROW_TYPE[c.sense]} {n}" for n, c in zip(names, constraints, strict=True)]
    lines.append("COLUMNS")
    in_integers = False
    for variable, entries in zip(model.variables, columns, strict=True):
        if variable.integer != in_integers:
            marker = "'INTORG'" if variable.integer else "'INTEND'"
            lines.append(f" MARKER 'MARKER' {marker}")
            in_integers = variable.integer
        for row, coefficient in entries or [(OBJECTIVE_ROW, 0)]:
            lines.append(f" {variable.name} {row} {coefficient}")
    if in_integers:
        lines.append(" MARKER 'MARKER' 'INTEND'")
    lines.append("RHS")
    lines += [f" RHS {n} {c.rhs}" for n, c in zip(names, constraints, strict=True) if c.rhs != 0]
    lines.append("BOUNDS")
    for variable in model.variables:
        if variable.upper is not None and variable.upper == variable.lower:
            lines.append(f" FX BND {variable.name} {variable.lower}")
            continue
        lines.append(f" LO BND {variable.name} {variable.lower}")
        if variable.upper is not None:
            lines.append(f" UP BND {variable.name} {variable.upper}")
    lines.append("ENDATA")
    return "\n".join(lines) + "\n"


def _unique_row_names(constraints: Sequence[Constraint]) -> list[str]:
    seen: Counter[str] = Counter()
    names = []
    for constraint in constraints:
        seen[constraint.name] += 1
        count = seen[constraint.name]
        names.append(constraint.name if count == 1 else f"{constraint.name}~{count}")
    return names
