"""The later stages on a smaller model: the variables that the rows in force fix are taken out.

Once the needs and fairness stages are fixed, the flow rows (`solver.network.flow_rows`) fix
nearly every placement: 35,472 of 35,500 on a region of 5,000 municipalities. The programme and
tie-break stages then choose the building, yet a solver handed the whole model would read,
presolve and hold every placement with its deviation variables (SCIP took 20.7 s to presolve
the programme stage of that region and 0.8 GB; on the reduced model 1.2 s and 0.4 GB).

`reduce_model` fixes, exactly and in integers:

- each variable whose bounds, tightened by the rows of a single variable, meet;
- the one variable left in an equality row whose other variables are fixed (unmet demand once a
  group's placements are), if the division is exact;
- the auxiliary variables of a split whose expression is fixed, at the split's cheapest values
  (`solver.model.Split.values`): the only rows besides its own that hold them are the objective
  of the stage that made the split and that stage's fixed row, where the cheapest values can
  only help, so no allocation of the decisions is lost.

It also leaves out, without fixing them, the auxiliary variables of a split that no later
objective prices and no row in force holds but its own row and rows that hold at the split's
cheapest values (``implied``: a fairness stage's fixed row that the placement network's flow
rows imply, `solver.run.Run.implied`). Their values follow from the split's expression
(`Reduction.derived`, `Reduction.point`), and the split's row goes with them. After
``max_abs_deviation`` nationally that takes 858 of the programme stage's 4,565 variables and
287 of its rows out; and a row of one variable that its bounds imply is not written either.
Together SCIP then proves the programme and tie-break stages 0.01-0.03 s faster each
(benchmarks/RESULTS.md, run 26).

The reduced model keeps the free variables, renumbered and counted from a centre (the answer of
the stage before), and every row with a free variable, with the fixed part and the centre moved to
the right-hand side. Counted from a point that meets them, the equality rows have right-hand side
0: SCIP's feasibility tolerance is relative to a row's size, and the regional total of 5.9
million homes of that region came back one home off (its programme stage proven optimal in 343 s,
then solved again at a tight tolerance that did not finish); from the centre the same row asks
for an exact 0. `Reduction` maps rows, objectives, starts and answers between the two models, and
`Reduction.point` gives the whole point, which the caller checks against the whole model before it
is used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from solver.model import Constraint, LinearModel, Sense, Split, Terms, Variable

#: The fewest splits worth deriving (`_derived_splits`): finding them reads every row, 5-6 ms
#: nationally, where each derived split saves SCIP about 0.07 ms per stage after
#: ``max_abs_deviation`` (286 splits); after the sum of absolute deviations one split is left
#: to derive (benchmarks/RESULTS.md, run 26).
DERIVED_FROM = 50


@dataclass(frozen=True)
class Reduction:
    """A model with the fixed variables substituted out and the others counted from a centre.

    A variable ``x_i`` of the whole model is ``offset_i + z_i``: ``offset_i`` is its value if it
    is fixed (and ``z_i`` is 0), otherwise its value at the centre, and ``z_i`` a variable of the
    reduced model.

    Attributes:
        model: the variables ``z`` (renumbered) and every row of the whole model with one.
        fixed: the value of every fixed variable, by its index in the whole model.
        free: the index in the whole model of each variable of ``model``.
        centre: the value each free variable is counted from, by its index in the whole model.
        derived: the splits whose free auxiliary variables are left out of ``model``; each
            takes its cheapest values at the split's expression (`point`).
        implied: names of the rows in force left out with the derived variables: every
            unfixed variable they read is derived, and they hold at the derived values given
            the other rows in force (the caller's word; its checker of whole points checks
            them).
    """

    model: LinearModel
    fixed: dict[int, int]
    free: tuple[int, ...]
    centre: dict[int, int]
    derived: tuple[Split, ...] = ()
    implied: frozenset[str] = frozenset()

    @cached_property
    def position(self) -> dict[int, int]:
        """The index in ``model`` of each free variable, by its index in the whole model."""
        return {index: place for place, index in enumerate(self.free)}

    @cached_property
    def derived_variables(self) -> frozenset[int]:
        """The whole model's indices of the variables left out of ``model`` unfixed."""
        fixed = self.fixed
        return frozenset(
            index
            for split in self.derived
            for index in (split.under, split.step, split.over)
            if index not in fixed
        )

    @cached_property
    def offset(self) -> list[int]:
        """``offset_i`` of every variable, by its index in the whole model (a list: at 5,000
        municipalities a dict of every variable held 10 MiB more while the later stages ran);
        0 for a derived variable, which no row or objective of the reduced model reads."""
        offset = [0] * (len(self.fixed) + len(self.free) + len(self.derived_variables))
        for values in (self.centre, self.fixed):
            for index, value in values.items():
                offset[index] = value
        return offset

    def row(self, constraint: Constraint) -> Constraint | bool:
        """The row over the reduced model's variables; whether it holds if it has none (an
        ``implied`` row holds). Only for a row of the model, one in force when the model was
        reduced, or one that reads no derived variable (`reads_derived`): those the reduction
        read."""
        if constraint.name in self.implied:
            return True
        return _substitute(constraint, self.offset, self.position)

    def objective(self, terms: Terms) -> tuple[Terms, int]:
        """The objective over the reduced model's variables and its constant.

        Raises:
            ValueError: if the objective prices a derived variable.
        """
        if self.reads_derived(terms.items()):
            raise ValueError("an objective reads a variable the reduced model derives")
        offset, position = self.offset, self.position
        constant = sum(c * offset[i] for i, c in terms.items())
        return {position[i]: c for i, c in terms.items() if i in position}, constant

    def reads_derived(self, terms: Iterable[tuple[int, int]]) -> bool:
        """Whether ``terms`` read a derived variable."""
        derived = self.derived_variables
        return bool(derived) and any(index in derived for index, _ in terms)

    def start(self, values: Mapping[int, int]) -> dict[int, int]:
        """A whole point's values of the free variables, as a start for the reduced model."""
        offset, position = self.offset, self.position
        return {position[i]: v - offset[i] for i, v in values.items() if i in position}

    def point(self, values: Mapping[int, int]) -> dict[int, int]:
        """The whole point of an answer of the reduced model."""
        point = dict(self.fixed)
        offset = self.offset
        for place, value in values.items():
            index = self.free[place]
            point[index] = offset[index] + value
        for split in self.derived:
            x = split.expression_at(point)
            if x is not None:
                point.update(split.values(x))
        return point


def reduction_row(reduction: Reduction, row: Constraint) -> Constraint | None:
    """A row in force over the reduced model's variables: ``None`` if it holds whatever they
    are (or wherever their bounds hold, `_bounds_imply`), a row nothing meets if it cannot
    hold."""
    reduced = reduction.row(row)
    if reduced is True:
        return None
    if reduced is False:
        return Constraint(row.name, row.rule, (), ">=", 1)
    if _bounds_imply(reduced, reduction.model.variables):
        return None
    return reduced


def with_rows(reduction: Reduction, rows: Iterable[Constraint]) -> LinearModel:
    """The reduced model with ``rows`` (over the whole model's variables) added as
    `reduction_row` gives them; a row that holds whatever the reduced variables are is left
    out. A copy (`LinearModel.copied_from`): a backend writes the reduced model's rows from
    what it wrote for them once."""
    model = reduction.model.copied_from()
    reduced = (reduction_row(reduction, row) for row in rows)
    model.constraints.extend(row for row in reduced if row is not None)
    return model


def reduce_model(
    model: LinearModel,
    rows: Sequence[Constraint],
    centre: Mapping[int, int] | None = None,
    fixings: Mapping[int, int] | None = None,
    *,
    priced: Collection[int] | None = None,
    implied: Collection[str] = (),
) -> Reduction | None:
    """The model with every variable that ``rows`` (the rows in force), ``fixings`` (values by
    variable, as rows ``x == value`` would) and the model fix taken out (see the module
    docstring) and the others counted from ``centre`` (0 where it gives no value); ``None``
    where the rows contradict each other (left to the solver to report), or where a variable is
    continuous (the bounds are rounded to whole numbers).

    With ``priced`` (the variables of every objective still to be minimised), the splits that
    `_derived_splits` finds are left out too; ``implied`` names the rows in force that hold at
    their cheapest values."""
    if not all(v.integer for v in model.variables):
        return None
    lower = [v.lower for v in model.variables]
    upper = [v.upper for v in model.variables]
    every_row = [*model.constraints, *rows]
    for row in every_row:
        if len(row.terms) == 1 and not _tighten(row, lower, upper):
            return None
    for index, value in (fixings or {}).items():
        top = upper[index]
        if value < lower[index] or (top is not None and value > top):
            return None
        lower[index] = upper[index] = value
    fixed = {i: low for i, low in enumerate(lower) if low == upper[i]}
    if not _fix_equalities(every_row, fixed, lower, upper):
        return None
    held = _fix_splits(model, fixed, lower, upper)
    if held is None:
        return None
    derived: tuple[Split, ...] = ()
    left_out: frozenset[str] = frozenset()
    if priced is not None:
        derived, left_out = _derived_splits(model, rows, fixed, priced, frozenset(implied))
    carriers = {i for s in derived for i in (s.under, s.step, s.over)}
    free = tuple(i for i in range(len(model.variables)) if i not in fixed and i not in carriers)
    centre = {i: (centre or {}).get(i, 0) for i in free}
    reduced = LinearModel()
    for place, index in enumerate(free):
        variable = model.variables[index]
        top = upper[index]
        reduced.variables.append(
            Variable(
                place,
                variable.name,
                lower[index] - centre[index],
                None if top is None else top - centre[index],
                variable.integer,
            )
        )
    reduction = Reduction(reduced, fixed, free, centre, derived, left_out)
    # A derived split's row goes with its variables; a fixed split's holds at its values.
    left = {split.row for split in derived} | held
    for constraint in model.constraints:
        if constraint.name in left:
            continue
        substituted = reduction.row(constraint)
        if substituted is False:
            return None
        if isinstance(substituted, Constraint) and not _bounds_imply(
            substituted, reduced.variables
        ):
            reduced.constraints.append(substituted)
    return reduction


def _derived_splits(
    model: LinearModel,
    rows: Sequence[Constraint],
    fixed: Mapping[int, int],
    priced: Collection[int],
    implied: frozenset[str],
) -> tuple[tuple[Split, ...], frozenset[str]]:
    """The splits whose auxiliary variables are not all fixed and none in ``priced``, and which
    no row of the model or of ``rows`` reads but the split's own row and the rows named in
    ``implied`` whose unfixed variables are all such splits' (those rows are left out too, and
    returned by name). At any value of its expression the cheapest split
    (`solver.model.Split.values`) meets the split's row and bounds, and the ``implied`` rows
    hold there by the caller's word; an implied row that reads another unfixed variable stays,
    and the splits it reads with it. None below `DERIVED_FROM` splits that are neither fixed
    nor priced."""
    owner: dict[int, Split] = {}
    candidates = 0
    for split in model.splits:
        variables = (split.under, split.step, split.over)
        if all(i in fixed for i in variables) or any(i in priced for i in variables):
            continue
        candidates += 1
        for index in variables:
            owner[index] = split
    if candidates < DERIVED_FROM:
        return (), frozenset()
    carriers = owner.keys()
    readers = [
        row for row in (*model.constraints, *rows) if not carriers.isdisjoint(dict(row.terms))
    ]
    while True:
        left_out = {
            row.name
            for row in readers
            if row.name in implied and all(i in owner or i in fixed for i, _ in row.terms)
        }
        held = {
            carried.row
            for row in readers
            if row.name not in left_out
            for index, _ in row.terms
            if (carried := owner.get(index)) is not None and carried.row != row.name
        }
        if not held:
            break
        owner = {index: split for index, split in owner.items() if split.row not in held}
    return tuple(dict.fromkeys(owner.values())), frozenset(left_out)


def _bounds_imply(row: Constraint, variables: Sequence[Variable]) -> bool:
    """Whether a row of one variable holds wherever that variable's bounds hold."""
    if len(row.terms) != 1:
        return False
    ((index, coefficient),) = row.terms
    variable = variables[index]
    # The least and the largest value of the row's left side (None: unbounded).
    ends = (
        coefficient * variable.lower,
        None if variable.upper is None else coefficient * variable.upper,
    )
    low, high = ends if coefficient > 0 else ends[::-1]
    if row.sense == "<=":
        return high is not None and high <= row.rhs
    if row.sense == ">=":
        return low is not None and low >= row.rhs
    return low == high == row.rhs


def _tighten(row: Constraint, lower: list[int], upper: list[int | None]) -> bool:
    """Tighten the bounds of the row's one variable, exactly; False if they become empty."""
    ((index, coefficient),) = row.terms
    narrowed = narrowed_bounds(coefficient, row.sense, row.rhs, lower[index], upper[index])
    if narrowed is None:
        return False
    lower[index], upper[index] = narrowed
    return True


def narrowed_bounds(
    coefficient: int, sense: Sense, rhs: int, lower: int, upper: int | None
) -> tuple[int, int | None] | None:
    """The bounds ``lower..upper`` of an integer variable ``x`` narrowed to the whole values
    that ``coefficient * x (sense) rhs`` allows (``coefficient`` not 0); ``None`` if none is
    left, as where an equality does not divide."""
    low: int | None
    high: int | None
    if sense == "==":
        if rhs % coefficient:
            return None
        low = high = rhs // coefficient
    elif (sense == "<=") == (coefficient > 0):
        low, high = None, rhs // coefficient  # floor: c x <= r, or c x >= r with c < 0
    else:
        low, high = -(-rhs // coefficient), None  # ceiling
    if low is not None:
        lower = max(lower, low)
    if high is not None:
        upper = high if upper is None else min(upper, high)
    if upper is not None and upper < lower:
        return None
    return lower, upper


def _fix_equalities(
    rows: Sequence[Constraint], fixed: dict[int, int], lower: list[int], upper: list[int | None]
) -> bool:
    """Fix the one free variable of each equality row whose other variables are fixed, until
    none is left; False where its value is not whole or outside its bounds."""
    equalities = [row for row in rows if row.sense == "==" and len(row.terms) > 1]
    changed = True
    while changed:
        changed = False
        for row in equalities:
            open_terms = [(i, c) for i, c in row.terms if i not in fixed]
            if len(open_terms) != 1:
                continue
            ((index, coefficient),) = open_terms
            rest = row.rhs - sum(c * fixed[i] for i, c in row.terms if i in fixed)
            if rest % coefficient:
                return False
            value = rest // coefficient
            top = upper[index]
            if value < lower[index] or (top is not None and value > top):
                return False
            fixed[index] = lower[index] = value
            upper[index] = value
            changed = True
    return True


def _fix_splits(
    model: LinearModel, fixed: dict[int, int], lower: list[int], upper: list[int | None]
) -> set[str] | None:
    """Fix the variables of every split whose expression is fixed at its cheapest values, which
    meet the split's row (`solver.model.Split.values`), and give the names of those rows; None
    where a variable is already fixed at another value."""
    held: set[str] = set()
    for split in model.splits:
        x = split.expression_at(fixed)
        if x is None:
            continue
        for index, value in split.values(x).items():
            if fixed.get(index, value) != value:
                return None
            fixed[index] = lower[index] = value
            upper[index] = value
        held.add(split.row)
    return held


def _substitute(
    constraint: Constraint, offset: Sequence[int], position: Mapping[int, int]
) -> Constraint | bool:
    """The row in the reduced model's variables, ``sum c_i (offset_i + z_i)`` with the offsets
    moved to the right-hand side; whether it holds if no variable is left. One loop over the
    terms: the reduction at 5,000 municipalities substitutes about 150,000 rows, and two
    generator expressions took twice as long (benchmarks/RESULTS.md, run 34)."""
    rhs = constraint.rhs
    kept = []
    place_of = position.get
    for index, coefficient in constraint.terms:
        rhs -= coefficient * offset[index]
        place = place_of(index)
        if place is not None:
            kept.append((place, coefficient))
    if kept:
        return Constraint(constraint.name, constraint.rule, tuple(kept), constraint.sense, rhs)
    if constraint.sense == "<=":
        return rhs >= 0
    if constraint.sense == ">=":
        return rhs <= 0
    return rhs == 0
