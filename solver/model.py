"""A solver-independent linear model with integer coefficients.

The formulation writes the policy rules once into a `LinearModel`; each backend translates it to
its own solver. Every coefficient and right-hand side is an `int` (shares are scaled to integers by
the rule that uses them), so that every backend sees exactly the same model and CP-SAT could take it
as it is. Constraints carry the id of the rule they come from and a name of the form
``rule[GM0518]`` or ``rule[GM0518,permit_holders]`` built from stable ASCII ids only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Sense = Literal["<=", ">=", "=="]
Terms = dict[int, int]
#: ``terms + slope * t (sense) rhs``: a row in the decisions and a real level ``t``, for the
#: relaxation that guides the level search of a min-max stage (floats: a guide, not a proof).
LevelRow = tuple[Terms, float, Literal["<=", ">="], float]


class Variable(NamedTuple):
    """A decision variable; ``upper`` is ``None`` for no upper bound.

    The model's records (`Variable`, `Constraint`, `Split`) are named tuples: immutable,
    compared and hashed by their fields, and made in a third of the time of a frozen
    dataclass (0.25 against 0.63 microseconds); a whole solve at 5,000 municipalities makes
    over 800,000 of them (benchmarks/RESULTS.md, run 34)."""

    # The field hides the tuple method ``index``, which no record needs.
    index: int  # type: ignore[assignment]
    name: str
    lower: int
    upper: int | None
    integer: bool


class Constraint(NamedTuple):
    """``sum(coef * var) <sense> rhs`` with the rule it implements."""

    name: str
    rule: str
    terms: tuple[tuple[int, int], ...]
    sense: Sense
    rhs: int

    def holds(self, values: Mapping[int, int]) -> bool:
        """True if integer ``values`` (by variable index) satisfy the constraint exactly."""
        left = sum(c * values[i] for i, c in self.terms)
        if self.sense == "<=":
            return left <= self.rhs
        if self.sense == ">=":
            return left >= self.rhs
        return left == self.rhs


class Split(NamedTuple):
    """An integer expression ``x`` written around ``low`` as ``x = low - under + step + over``
    (row ``row``), ``step`` at most ``high - low``: the auxiliary variables of an absolute
    deviation (`solver.objectives.add_absolute_deviation`). `values` gives the cheapest split of a
    value of ``x``, the one every stage that prices these variables reaches."""

    row: str
    #: ``x`` as (variable, coefficient) pairs by variable (a tuple: at 5,000 municipalities
    #: the 50,500 splits held 5.8 MiB more with a dict each).
    expression: tuple[tuple[int, int], ...]
    low: int
    high: int
    under: int
    step: int
    over: int

    def expression_at(self, values: Mapping[int, int]) -> int | None:
        """The value of ``x`` at ``values``; ``None`` if a variable of it has none there."""
        x = 0
        for index, coefficient in self.expression:
            value = values.get(index)
            if value is None:
                return None
            x += coefficient * value
        return x

    def values(self, x: int) -> dict[int, int]:
        """``under``, ``step`` and ``over`` for the value ``x``: units below ``low``, the part of
        the step to ``high`` that ``x`` covers, and units above ``high``."""
        return {
            self.under: max(0, self.low - x),
            self.step: min(max(0, x - self.low), self.high - self.low),
            self.over: max(0, x - self.high),
        }


@dataclass
class LinearModel:
    """Variables and named constraints; objectives are kept by the stages that use them.
    ``splits`` lists the absolute-deviation splits whose variables the rows define."""

    variables: list[Variable] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)
    splits: list[Split] = field(default_factory=list)
    #: The model this one was first copied from (`copied_from`, through any copies between):
    #: it has as many variables or more, and its constraints begin with the other's, the same
    #: objects; a backend may write it from what it wrote for that one.
    base: LinearModel | None = field(default=None, repr=False, compare=False)

    def add_variable(
        self, name: str, lower: int = 0, upper: int | None = None, *, integer: bool = True
    ) -> int:
        """Add a variable and return its index.

        Raises:
            ValueError: if the name is taken or the bounds are empty.
        """
        if name in self._names:
            raise ValueError(f"duplicate variable name {name}")
        if upper is not None and upper < lower:
            raise ValueError(f"empty bounds for {name}: {lower} > {upper}")
        self._names.add(name)
        self.variables.append(Variable(len(self.variables), name, lower, upper, integer))
        return len(self.variables) - 1

    def add_constraint(
        self, name: str, rule: str, terms: Mapping[int, int], sense: Sense, rhs: int
    ) -> Constraint:
        """Add ``terms <sense> rhs``; zero coefficients are dropped, terms sorted by variable."""
        cleaned = tuple(sorted((i, c) for i, c in terms.items() if c != 0))
        constraint = Constraint(name, rule, cleaned, sense, rhs)
        self.constraints.append(constraint)
        return constraint

    def with_constraints(self, constraints: Iterable[Constraint]) -> LinearModel:
        """A model with the same variables (more may be added) and the given constraints."""
        return LinearModel(
            variables=list(self.variables),
            constraints=list(constraints),
            _names=set(self._names),
            splits=list(self.splits),
        )

    def copied_from(self) -> LinearModel:
        """A copy to which rows, variables and other bounds may be added, that remembers this
        model's `base` as its own, or this model where it has none."""
        copy = self.with_constraints(self.constraints)
        copy.base = self.base or self
        return copy

    def with_bounds(
        self, bounds: Mapping[int, tuple[int, int | None]], *, copy: bool = False
    ) -> LinearModel:
        """A model with the same constraints and the given variables' bounds replaced (by
        variable index); with ``copy``, one `copied_from` this model. The reduced model,
        narrowed stage after stage (`solver.run.Run.tighten`), is so copied: the relaxations
        and column generation of its stages are written from the proto of the model as
        reduced (`solver.backends.mathopt_proto.model_proto`; benchmarks/RESULTS.md, run 34)."""
        model = self.copied_from() if copy else self.with_constraints(self.constraints)
        variables = model.variables
        for index, (lower, upper) in bounds.items():
            # A new Variable made directly rather than by `_replace`: the later stages' narrowing
            # replaces thousands of bounds (1,341 nationally for the tie-break stage).
            old = variables[index]
            variables[index] = Variable(old.index, old.name, lower, upper, old.integer)
        return model

    def rules(self) -> list[str]:
        """Rule ids present in the model, in the order their first constraint was added."""
        return list(dict.fromkeys(c.rule for c in self.constraints))


def add_terms(*parts: Iterable[tuple[int, int]]) -> Terms:
    """Sum several term lists into one ``{variable: coefficient}`` mapping."""
    total: Terms = {}
    for part in parts:
        for index, coefficient in part:
            total[index] = total.get(index, 0) + coefficient
    return total


def evaluate(terms: Mapping[int, int], values: Mapping[int, int]) -> int:
    """The exact value of a linear expression at integer values."""
    return sum(c * values[i] for i, c in terms.items())


def linked_blocks(rows: Iterable[Constraint], count: int) -> list[int]:
    """The block of each of ``count`` variables, named by one of its variables: variables that
    one of ``rows`` links share a block (a union-find; networkx takes 0.17 s to import, more
    than some of its callers save)."""
    parent = list(range(count))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for row in rows:
        if len(row.terms) > 1:
            first = root(row.terms[0][0])
            for index, _ in row.terms[1:]:
                parent[root(index)] = first
    return [root(index) for index in range(count)]
