"""A later stage proven block by block: Dantzig-Wolfe decomposition by municipality.

Once the needs and fairness stages are fixed, the reduced model of the programme and tie-break
stages falls apart into blocks (one per municipality: its new homes by segment, its shortfall,
its few free placements and their splits) joined by a handful of rows: the regional totals, the
mix, the group demands and the caps of the stages before. Each block alone is a tiny integer
program. The linear relaxation of the whole model is weak (nationally 111 dwellings below the
programme stage's optimum), but the relaxation over the convex hull of each block's whole points
is not: there the gap closes (benchmarks/RESULTS.md, run 21).

`solve_by_columns` finds that bound by column generation: a master LP chooses a convex
combination of known whole points (columns) of every block subject to the coupling rows; its
duals ``pi`` price the blocks, and one MIP over the blocks' own rows (`Blocks.kept`, whose
blocks SCIP solves as separate components) returns each block's cheapest point under the
prices, a new column where it beats the master. The same MIP gives, for any ``pi`` of the right
signs, the Lagrangian bound

    L(pi) = pi . b_D + min { (c - pi A_D) x : x whole, within its bounds and the kept rows }

which is computed exactly in rationals from the whole point returned (``pi`` is rounded to
rationals first; any ``pi`` gives a valid bound). A whole answer whose value is the ceiling of
``L`` is optimal. The answer is found by fixing every block that the master's vertex takes
whole and solving the stage for the few blocks left; where that does not reach the bound the
caller solves the stage as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from solver.backends.base import Backend, Basis, Outcome, Relaxation, Status
from solver.beside import Beside
from solver.model import Constraint, LinearModel, Terms, Variable, linked_blocks

#: Makes a backend for a model (the stage's engine and options).
BackendFor = Callable[[LinearModel], Backend]

#: Waits for a relaxation of a stage's terms over a model with some of the stage's rows (the
#: narrowing relaxation begun beside it) and gives it with that model; ``None`` where it failed.
FirstRelaxation = Callable[[], tuple[LinearModel, Relaxation] | None]

#: The duals of the coupling rows and the half-widths of the boxes around them.
Duals = tuple[list[float], list[float]]

#: Rows with at least this many terms join blocks (the rows of one municipality have at most
#: one term per group and segment); shorter rows join their variables into one block.
COUPLING_FROM = 48

#: The largest denominator of a dual kept exactly; the master's duals are ratios of small
#: integers (nationally tenths and fifths), so this recovers them.
DUAL_DENOMINATOR = 10_000

#: The largest coefficient of a pricing objective in integers; beyond it floating-point engines
#: no longer read every price exactly, and the decomposition is not tried.
LARGEST_PRICE = 2**40

#: The grids on which duals are rounded, finest first, where their exact common denominator
#: passes the first or their prices pass `LARGEST_PRICE` (`priced_duals`): the finest whose
#: prices stay within it. With only 10**6 and then 10**3, the tie-break stage after
#: ``equal_burden`` at 5,000 municipalities, replayed alone, ended 216 short of the optimum (a
#: fairness cap's dual of -0.019784, on a row with coefficients up to 10**6, became -0.020);
#: with these grids it ends 2.6 short, still unproven, and the whole run proves the stage in
#: 16 rounds instead of 17 (benchmarks/RESULTS.md, run 23).
GRIDS = (10**6, 10**5, 10**4, 10**3)

#: The half-width of the box that keeps the master's duals near the best so far, relative to
#: the duals of the linear relaxation (at least 1). On the tie-break stage of syn-5000-g8, 10
#: took 2 rounds where 1 took 7 (21.7 s, the bound creeping up by a box a round); the programme
#: stage and the national stages took as many rounds with 1, 10 or 100 (benchmarks/RESULTS.md,
#: run 21).
BOX = 10.0

#: A row whose dual in the master sits on the edge of its box, where those duals raised the
#: bound, gets a box this many times wider for the next round (at most `WIDEST` times the
#: widest first box, so that the master's costs stay within what a floating-point LP reads
#: well). After ``equal_burden`` at 5,000 municipalities the group demands' duals had to travel
#: from 0 to about 10**7 in steps of 40,960: with fixed boxes the bound of the tie-break stage
#: crept up by 0.1-0.3 million a round and the stage was not proven in 258 s; with boxes
#: widened it was proven in 15 rounds, 110 s (benchmarks/RESULTS.md, run 22). Boxes widened
#: after every round, also those that did not raise the bound, let the national programme
#: stage's duals reach prices whose pricing MIP had no optimum.
GROWTH = 4.0

#: The widest box, in multiples of the widest first one (`_first_duals`).
WIDEST = 1000.0

#: Variables from which column generation starts from zero duals rather than from those of
#: the stage's linear relaxation (unless that relaxation is at hand, `solve_by_columns`): on
#: the programme stage of syn-5000-g8 after ``equal_burden`` (189,909 variables) the
#: relaxation took about 150 s, and from zero duals the whole stage took 129 s in 17 rounds;
#: at 50,120 variables it takes 3 s and saves rounds (2 instead of 6 on the tie-break stage)
#: (benchmarks/RESULTS.md, run 21).
RELAXATION_UP_TO = 100_000

#: The most variables of one pricing MIP: the blocks are priced in parts of consecutive
#: blocks (within their group, `BlockPricer`) up to this size. After ``equal_burden`` at 5,000
#: municipalities the first pricing of the tie-break stage peaked at 983 MiB as one SCIP solve
#: over all 189,909 variables, and at 526, 438 and 400 MiB in parts of 50,000, 20,000 and
#: 10,000, in the same time (the stage's model alone: 240 MiB; benchmarks/RESULTS.md, run 22).
PRICING_PART = 10_000

#: The parts of a pricing MIP where SCIP prices with the settings of a started solve
#: (`solver.run.pricing_settings`): there smaller parts are faster. One pricing at 5,000
#: municipalities took 0.27 s in parts of 2,500 variables against 0.27, 0.31, 0.36 and 0.37 s in
#: parts of 5,000, 1,000, 10,000 and 500 (programme stage after ``max_abs_deviation``), and
#: 0.54 s against 0.61, 0.59, 0.74 and 0.71 s (tie-break stage after ``equal_burden``; medians
#: of 5 in turns, benchmarks/RESULTS.md, run 30). With SCIP's default settings the size did not
#: matter (run 29).
FAST_PRICING_PART = 2_500

#: At most this many rounds of column generation.
MOST_ROUNDS = 60

#: A column enters the master if its reduced cost is below minus this, relative to its block's
#: convexity dual (at least 1).
ENTERING = 1e-9


@dataclass(frozen=True)
class Blocks:
    """The variables of a model grouped into blocks, and its rows split into those within one
    block (``kept``) and those that join blocks (``coupling``, with their positions among the
    model's rows)."""

    members: tuple[tuple[int, ...], ...]
    kept: tuple[Constraint, ...]
    coupling: tuple[Constraint, ...]
    positions: tuple[int, ...]


def split_blocks(model: LinearModel) -> Blocks | None:
    """The blocks of ``model``: the connected parts of its variables under the rows with fewer
    than `COUPLING_FROM` terms. ``None`` where there is nothing to decompose: no coupling row,
    or one block with more than half of the variables."""
    count = len(model.variables)
    short = (row for row in model.constraints if len(row.terms) < COUPLING_FROM)
    block_of = linked_blocks(short, count)
    by_root: dict[int, list[int]] = {}
    for index in range(count):
        by_root.setdefault(block_of[index], []).append(index)
    members = tuple(tuple(indices) for indices in by_root.values())
    if not members or max(len(m) for m in members) * 2 > count:
        return None
    kept: list[Constraint] = []
    coupling: list[Constraint] = []
    positions: list[int] = []
    for position, row in enumerate(model.constraints):
        if len({block_of[index] for index, _ in row.terms}) <= 1:
            kept.append(row)
        else:
            coupling.append(row)
            positions.append(position)
    if not coupling:
        return None
    return Blocks(members, tuple(kept), tuple(coupling), tuple(positions))


class Column(NamedTuple):
    """A whole point of one block: its values, its cost and its activity in each coupling row
    (by the row's position among the coupling rows, zeros left out)."""

    block: int
    values: tuple[int, ...]
    cost: int
    activity: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ByColumns:
    """A stage by its blocks: the answer (every variable of the model), its value, the exact
    Lagrangian bound (``bound``), the number of blocks, the rounds of column generation and the
    seconds spent. ``proven``: the value is the bound's ceiling, so the answer is optimal;
    otherwise it is the best whole point found (the start, or the completion where that is
    better) and the bound still holds."""

    values: dict[int, int]
    value: int
    bound: Fraction
    blocks: int
    rounds: int
    seconds: float
    proven: bool = True
    #: The pricer, for a later stage over the same blocks (`solve_by_columns`'s ``pricer``).
    pricer: BlockPricer | None = field(default=None, repr=False, compare=False)


class _Columns:
    """Makes columns: each block's members, and per block the stage's costs and the terms in
    the coupling rows (by the row's position among them) of its members, by the member's place
    in the block. Column generation at 5,000 municipalities makes about 30,000 columns
    (benchmarks/RESULTS.md, run 34)."""

    def __init__(self, blocks: Blocks, terms: Terms) -> None:
        self.blocks = blocks
        rows: dict[int, list[tuple[int, int]]] = {}
        for position, row in enumerate(blocks.coupling):
            for index, coefficient in row.terms:
                rows.setdefault(index, []).append((position, coefficient))
        #: Per block: (place, cost) of each member with a cost.
        self.costs = [
            tuple((place, terms[i]) for place, i in enumerate(members) if terms.get(i))
            for members in blocks.members
        ]
        #: Per block: (place, position, coefficient) of each member's coupling terms.
        self.coupled = [
            tuple(
                (place, position, coefficient)
                for place, i in enumerate(members)
                for position, coefficient in rows.get(i, ())
            )
            for members in blocks.members
        ]

    def values(self, block: int, point: Mapping[int, int]) -> tuple[int, ...]:
        """The values of ``block``'s members at ``point``."""
        return tuple(point[i] for i in self.blocks.members[block])

    def column(self, block: int, values: tuple[int, ...]) -> Column:
        """The column of ``block`` whose members take ``values``."""
        cost = sum(c * values[place] for place, c in self.costs[block])
        activity: dict[int, int] = {}
        for place, position, coefficient in self.coupled[block]:
            value = values[place]
            if value:
                activity[position] = activity.get(position, 0) + coefficient * value
        return Column(block, values, cost, tuple(sorted((p, a) for p, a in activity.items() if a)))


def exact_duals(
    duals: Sequence[float], rows: Sequence[Constraint], grid: int | None = None
) -> tuple[list[int], int]:
    """The duals of the coupling rows as integers over a common denominator ``(Pi, Q)``, each
    of the sign that keeps the Lagrangian bound valid: at most 0 on a ``<=`` row, at least 0 on
    a ``>=`` row, either on ``==``. Each is the nearest ratio with a denominator up to
    `DUAL_DENOMINATOR`, or, where their common denominator passes ``grid`` (the first of
    `GRIDS` if not given), rounded to multiples of ``1/grid``: any duals give a valid bound,
    only a weaker one."""
    limit = GRIDS[0] if grid is None else grid
    fractions = []
    for dual, row in zip(duals, rows, strict=True):
        value = Fraction(dual).limit_denominator(DUAL_DENOMINATOR)
        if row.sense == "<=":
            value = min(value, Fraction(0))
        elif row.sense == ">=":
            value = max(value, Fraction(0))
        fractions.append(value)
    common = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    if common > limit:
        return [round(f * limit) for f in fractions], limit
    return [int(f * common) for f in fractions], common


def lagrangian_terms(
    terms: Terms, rows: Sequence[Constraint], duals: Sequence[int], common: int
) -> Terms:
    """The pricing objective ``Q (c - pi A_D)`` in integers, for duals ``Pi = Q pi``."""
    prices = {index: common * c for index, c in terms.items()}
    for row, dual in zip(rows, duals, strict=True):
        if dual:
            for index, coefficient in row.terms:
                prices[index] = prices.get(index, 0) - dual * coefficient
    return {index: price for index, price in prices.items() if price}


def lagrangian_bound(
    rows: Sequence[Constraint],
    duals: Sequence[int],
    common: int,
    prices: Terms,
    point: Mapping[int, int],
) -> Fraction:
    """``L(pi) = pi . b_D + (c - pi A_D) . x`` for the whole point ``x`` that minimises the
    pricing objective over the kept rows: a lower bound on the stage's objective over every
    point of the model (weak duality), exact."""
    total = sum(dual * row.rhs for row, dual in zip(rows, duals, strict=True))
    total += sum(price * point[index] for index, price in prices.items())
    return Fraction(total, common)


@dataclass(frozen=True)
class Priced:
    """One pricing: the common denominator ``Q`` of the duals, the prices ``Q (c - pi A_D)``, the
    cheapest whole point over the kept rows and the exact Lagrangian bound it gives."""

    common: int
    prices: Terms
    point: dict[int, int]
    bound: Fraction


class BlockPricer:
    """The pricing MIP in parts: blocks, together at most ``part`` variables (`PRICING_PART`
    if not given; one block may pass it alone), each part a model of its own variables and
    kept rows solved by its own backend, up to ``workers`` parts at once on threads of their
    own (the engines release Python's lock while they solve). The blocks share no row, so the
    cheapest point of the whole is the union of the parts' cheapest points, whatever the
    order in which they are found.

    A part holds blocks whose unfixed variables meet the same coupling rows (`_coupled_by`),
    consecutive within that group, so that a coupling row's dual reaches only the parts that
    meet it; a group starts a part of its own unless the part before holds less than a quarter
    of ``part`` (where blocks meet many different sets of rows, the parts stay large). A part
    whose prices on its unfixed variables are those of its last proven pricing times a
    positive factor (`_direction`) keeps that pricing's point: the two MIPs differ only in
    scale and in a constant (fixed variables' prices), so the point is still the cheapest.
    On the programme stage of syn-5000-g8 under the sum, 2,692 of 4,993 blocks meet only the
    needs stage's cap and the regional mix rows, whose duals did not move in its last two
    pricings (benchmarks/RESULTS.md, run 33)."""

    def __init__(
        self,
        model: LinearModel,
        blocks: Blocks,
        backend_for: BackendFor,
        workers: int = 1,
        part: int | None = None,
    ) -> None:
        most = PRICING_PART if part is None else part
        unfixed = _unfixed(model)
        groups: dict[frozenset[int], list[int]] = {}
        for block, row_positions in enumerate(_coupled_by(blocks, unfixed)):
            groups.setdefault(row_positions, []).append(block)
        parts: list[list[int]] = [[]]
        for group in groups.values():
            if 4 * len(parts[-1]) >= most:
                parts.append([])
            for block in group:
                members = blocks.members[block]
                if parts[-1] and len(parts[-1]) + len(members) > most:
                    parts.append([])
                parts[-1].extend(members)
        part_of = {index: number for number, indices in enumerate(parts) for index in indices}
        rows: list[list[Constraint]] = [[] for _ in parts]
        for row in blocks.kept:
            if row.terms:
                rows[part_of[row.terms[0][0]]].append(row)
        self.workers = workers
        self.local: dict[int, int] = {}
        self.parts: list[tuple[list[int], Backend]] = []
        #: Per part, its unfixed variables (whose prices decide its point).
        self.unfixed: list[list[int]] = [[i for i in indices if unfixed[i]] for indices in parts]
        #: Per part, the direction of its prices and its point at its last proven pricing.
        self.last: list[tuple[tuple[int, ...], dict[int, int]] | None] = [None] * len(parts)
        #: Parts priced by the engine and parts that kept their point, over every pricing.
        self.solved = self.kept = 0
        for indices, part_rows in zip(parts, rows, strict=True):
            restricted = _restricted(model, indices, part_rows, {})
            assert restricted is not None  # no fixed variables: every row keeps its terms
            sub, local = restricted
            self.local.update(local)
            self.parts.append((indices, backend_for(sub)))
        #: The blocks priced, for `fits`.
        self.blocks = blocks

    def fits(self, blocks: Blocks) -> bool:
        """Whether ``blocks`` are the blocks this pricer prices, over the same kept rows (a
        later stage's model with the same rows within blocks, whatever its coupling rows)."""
        return blocks.members == self.blocks.members and blocks.kept == self.blocks.kept

    def narrowed_to(self, model: LinearModel) -> bool:
        """Price from now on within the bounds of ``model``, a model over the same variables
        whose bounds are as narrow as the pricer's or narrower (once the stage before has
        narrowed them, `solver.run.Run.tighten`): each part's model takes them
        (`Backend.tighten_bounds`), and no part keeps its last point. False where a bound of
        ``model`` is wider (changing nothing), or where a part's backend keeps a model of its
        own bounds (CP-SAT's): the pricer is then not to be used again.

        The tie-break stage after the programme stage at 5,000 municipalities prices the same
        4,993 blocks, and writing its 20 parts' models again took 0.19-0.21 s of its start
        (benchmarks/RESULTS.md, run 34)."""
        changes: list[dict[int, tuple[int, int | None]]] = []
        for indices, backend in self.parts:
            own = backend.model.variables
            changed: dict[int, tuple[int, int | None]] = {}
            for index in indices:
                new, old = model.variables[index], own[self.local[index]]
                if new.lower == old.lower and new.upper == old.upper:
                    continue
                if new.lower < old.lower or (
                    old.upper is not None and (new.upper is None or new.upper > old.upper)
                ):
                    return False
                changed[self.local[index]] = (new.lower, new.upper)
            changes.append(changed)
        for (_, backend), changed in zip(self.parts, changes, strict=True):
            if changed:
                backend.tighten_bounds(changed)
                own = backend.model.variables
                if any((own[i].lower, own[i].upper) != bounds for i, bounds in changed.items()):
                    return False
        unfixed = _unfixed(model)
        self.unfixed = [[i for i in indices if unfixed[i]] for indices, _ in self.parts]
        self.forget()
        return True

    def forget(self) -> None:
        """Keep no part's point: the next pricing solves every part (to time one pricing
        again at the same prices)."""
        self.last = [None] * len(self.parts)

    def cheapest(
        self, prices: Terms, time_limit: float, workers: int | None = None
    ) -> dict[int, int] | None:
        """The cheapest whole point of every block under ``prices``, part by part (a part
        whose prices only changed in scale keeps its last point), up to ``workers`` parts at
        once if given (else the pricer's own); ``None`` unless every part is proven optimal
        within ``time_limit`` (the parts not yet begun are not solved once one is not)."""
        workers = self.workers if workers is None else workers
        started = time.perf_counter()
        directions = [_direction([prices.get(i, 0) for i in free]) for free in self.unfixed]
        to_solve = [
            number
            for number, direction in enumerate(directions)
            if (last := self.last[number]) is None or last[0] != direction
        ]

        def solved(number: int) -> Outcome:
            indices, backend = self.parts[number]
            local = {self.local[i]: prices[i] for i in indices if i in prices}
            return backend.minimize(local, time_limit - (time.perf_counter() - started))

        outcomes: dict[int, Outcome] = {}
        if workers > 1 and len(to_solve) > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="fairshare-pricing") as pool:
                futures = {number: pool.submit(solved, number) for number in to_solve}
                for future in as_completed(futures.values()):
                    if future.result().status != Status.OPTIMAL:
                        # The parts not begun yet are dropped; the bound needs every part.
                        pool.shutdown(cancel_futures=True)
                        return None
                outcomes = {number: future.result() for number, future in futures.items()}
        else:
            for number in to_solve:
                outcomes[number] = solved(number)
                if outcomes[number].status != Status.OPTIMAL:
                    return None
        for number, outcome in outcomes.items():
            if outcome.status != Status.OPTIMAL or outcome.values is None:
                return None
            indices = self.parts[number][0]
            values = outcome.values
            self.last[number] = (
                directions[number],
                {index: values[self.local[index]] for index in indices},
            )
        self.solved += len(to_solve)
        self.kept += len(self.parts) - len(to_solve)
        point: dict[int, int] = {}
        for last in self.last:
            assert last is not None  # every part has now been priced once
            point.update(last[1])
        return point


def _unfixed(model: LinearModel) -> list[bool]:
    """Per variable of ``model``, whether its bounds leave it more than one value."""
    return [v.upper is None or v.upper > v.lower for v in model.variables]


def _coupled_by(blocks: Blocks, unfixed: Sequence[bool]) -> list[frozenset[int]]:
    """Per block, the positions among the coupling rows of the rows that one of its unfixed
    variables meets (`BlockPricer`'s groups)."""
    block_of = {index: block for block, members in enumerate(blocks.members) for index in members}
    met: list[set[int]] = [set() for _ in blocks.members]
    for position, row in enumerate(blocks.coupling):
        for index, _ in row.terms:
            if unfixed[index]:
                met[block_of[index]].add(position)
    return [frozenset(rows) for rows in met]


def _direction(prices: Sequence[int]) -> tuple[int, ...]:
    """``prices`` divided by the greatest common divisor of their absolute values: two lists
    of integers are positive multiples of each other exactly when their directions agree."""
    divisor = math.gcd(*prices)
    return tuple(prices) if divisor in (0, 1) else tuple(p // divisor for p in prices)


def priced_duals(
    terms: Terms, rows: Sequence[Constraint], duals: Sequence[float]
) -> tuple[list[int], int, Terms] | None:
    """``duals`` made exact by `exact_duals` on the finest of `GRIDS` whose prices stay within
    `LARGEST_PRICE`, with their common denominator and the prices (`lagrangian_terms`);
    ``None`` where even the coarsest passes it."""
    for grid in GRIDS:
        exact, common = exact_duals(duals, rows, grid)
        prices = lagrangian_terms(terms, rows, exact, common)
        if max((abs(p) for p in prices.values()), default=0) <= LARGEST_PRICE:
            return exact, common, prices
    return None


def price(
    pricer: BlockPricer,
    terms: Terms,
    rows: Sequence[Constraint],
    duals: Sequence[float],
    deadline: float,
    workers: int | None = None,
) -> Priced | None:
    """Price the blocks at ``duals`` (floats, made exact by `priced_duals`), up to ``workers``
    parts at once if given (`BlockPricer.cheapest`): ``None`` where their prices pass
    `LARGEST_PRICE` on every grid, or the pricing MIP is not proven."""
    made = priced_duals(terms, rows, duals)
    if made is None:
        return None
    exact, common, prices = made
    point = pricer.cheapest(prices, deadline - time.perf_counter(), workers)
    if point is None:
        return None
    bound = lagrangian_bound(rows, exact, common, prices, point)
    return Priced(common, prices, point, bound)


#: The master's objective is in units of ``1/MASTER_SCALE``, so that the costs of the
#: stabilising columns, rationals, are whole numbers.
MASTER_SCALE = 1000


def master_model(
    columns: Sequence[Column],
    rows: Sequence[Constraint],
    blocks: int,
    centre: Sequence[float],
    width: Sequence[float],
) -> tuple[LinearModel, Terms]:
    """The master LP: a weight in [0, 1] per column, the coupling rows over the columns'
    activities, one row ``sum of a block's weights == 1`` per block; its objective the columns'
    costs. Each coupling row has two stabilising columns (``+1`` and ``-1`` in that row alone)
    whose costs keep the row's dual within ``centre +- width`` (box-step stabilisation: the
    first masters of column generation have wild duals); at the optimum of the true master
    they are zero."""
    model = LinearModel()
    count = len(columns)
    for number in range(count + 2 * len(rows)):
        upper = 1 if number < count else None
        model.variables.append(Variable(number, f"column[{number}]", 0, upper, False))
    by_row: list[dict[int, int]] = [{} for _ in rows]
    for number, column in enumerate(columns):
        for position, activity in column.activity:
            by_row[position][number] = activity
    objective: Terms = {n: MASTER_SCALE * c.cost for n, c in enumerate(columns) if c.cost}
    for position, row in enumerate(rows):
        above, below = count + 2 * position, count + 2 * position + 1
        by_row[position][above] = 1
        by_row[position][below] = -1
        objective[above] = round(MASTER_SCALE * (centre[position] + width[position]))
        objective[below] = round(MASTER_SCALE * (width[position] - centre[position]))
        model.constraints.append(
            Constraint(
                row.name, row.rule, tuple(sorted(by_row[position].items())), row.sense, row.rhs
            )
        )
    by_block: list[list[int]] = [[] for _ in range(blocks)]
    for number, column in enumerate(columns):
        by_block[column.block].append(number)
    for block, numbers in enumerate(by_block):
        model.constraints.append(
            Constraint(f"convexity[{block}]", "columns", tuple((n, 1) for n in numbers), "==", 1)
        )
    return model, {n: c for n, c in objective.items() if c}


def solve_by_columns(
    model: LinearModel,
    terms: Terms,
    start: Mapping[int, int],
    backend_for: BackendFor,
    deadline: float,
    first: FirstRelaxation | None = None,
    workers: int = 1,
    pricing_for: BackendFor | None = None,
    part: int | None = None,
    basis: Basis | None = None,
    pricer: BlockPricer | None = None,
    price_alone: bool = False,
) -> ByColumns | None:
    """The stage ``min terms`` over ``model`` (its rows in force included) proven by its blocks,
    from the whole point ``start`` that meets every row, pricing up to ``workers`` parts of
    at most ``part`` variables (`PRICING_PART` if ``None``; one block may pass it) at once
    (`BlockPricer`) on the backends of ``pricing_for``
    (``backend_for``'s if not given; the first relaxation, the masters and the completion are
    ``backend_for``'s), or with ``pricer``, an earlier stage's, where it prices the same blocks
    and this model's bounds are as narrow (`BlockPricer.fits`, `BlockPricer.narrowed_to`; the
    answer carries the pricer used, `ByColumns.pricer`); ``None`` where the model has no
    blocks or no bound is known (the first relaxation or pricing fails, or the time runs out
    first). Where no answer reaches the bound's ceiling, the best whole point found comes back
    unproven (`ByColumns.proven`) with the best bound: the start where the rounds stopped early
    (a solve failed, the time ran out), else the better of the start and the completion.

    The first prices are the duals of the model's linear relaxation, or those of the relaxation
    that ``first`` waits for: one of the same terms over a model with some of these rows (the
    narrowing relaxation begun beside the stage, `solver.early_narrowing`: on the programme
    stage of syn-5000-g8 after ``equal_burden``, 189,909 variables, the relaxation took
    150 s); a row it lacks starts at 0, and any duals give a valid bound. Without ``first``,
    above `RELAXATION_UP_TO` variables, they start at 0 (`_first_duals`). The model's own
    relaxation starts from ``basis`` where one is given (`Backend.prepared_relaxation`: the
    basis of a relaxation over the same variables). Either relaxation is
    waited for only once the columns of ``start`` and the pricing's models are made, which the
    caller's thread does while the engine solves it (`_first_duals_begun`). With
    ``price_alone``, while the relaxation that ``first`` waits for solves on one core, the
    caller's thread prices the blocks at zero duals (each block's cheapest point under the
    stage's own costs) on the other, and those points enter as columns too: on the programme
    stage of syn-5000-g8 column generation then takes 3 rounds instead of 4, to the same
    answer (benchmarks/RESULTS.md, run 34). Each round then solves
    the master, prices the blocks at its duals, keeps the best bound and its duals as the
    centre of the next box, and adds every block's cheapest point that beats the master. It
    ends when the bound's ceiling reaches the start's value (the start is then optimal) or
    the master's value (the master without stabilising weight is an upper bound of the
    decomposition's bound), or when no column enters."""
    started = time.perf_counter()
    blocks = split_blocks(model)
    if blocks is None:
        return None
    first_duals_of = _first_duals_begun(model, terms, backend_for, deadline, first, basis)
    try:
        making = _Columns(blocks, terms)
        columns = [making.column(b, making.values(b, start)) for b in range(len(blocks.members))]
        known = {(c.block, c.values) for c in columns}
        if pricer is None or not pricer.fits(blocks) or not pricer.narrowed_to(model):
            pricer = BlockPricer(model, blocks, pricing_for or backend_for, workers, part)
        alone = None
        if price_alone and first is not None:
            # On one thread: the relaxation solves on the other core meanwhile.
            zero = [0.0] * len(blocks.coupling)
            alone = price(pricer, terms, blocks.coupling, zero, deadline, workers=1)
    finally:
        # Waited for also where the set-up fails, so that no solve outlives the call.
        first_duals = first_duals_of(blocks)
    if first_duals is None:
        return None
    if alone is not None:
        _enter(making, alone, [0.0] * len(blocks.members), columns, known, always=True)
    centre, width = first_duals
    widest = WIDEST * max(width, default=1.0)
    best = price(pricer, terms, blocks.coupling, centre, deadline)
    if best is None:
        return None
    _enter(making, best, [0.0] * len(blocks.members), columns, known, always=True)
    start_value = sum(c * start[i] for i, c in terms.items())
    weights: Mapping[int, float] = {}
    rounds, stopped = 0, False
    while rounds < MOST_ROUNDS and math.ceil(best.bound) < start_value:
        rounds += 1
        if time.perf_counter() >= deadline:
            stopped = True
            break
        master, objective = master_model(
            columns, blocks.coupling, len(blocks.members), centre, width
        )
        solved = backend_for(master).relaxation(objective, deadline - time.perf_counter())
        if solved is None:
            stopped = True
            break
        weights = solved.values
        stabilised = any(
            weights.get(len(columns) + n, 0.0) > 1e-9 for n in range(2 * len(blocks.coupling))
        )
        master_value = sum(c.cost * weights.get(n, 0.0) for n, c in enumerate(columns))
        if not stabilised and math.ceil(best.bound) >= master_value - 1e-6:
            break
        duals = [solved.duals.get(p, 0.0) / MASTER_SCALE for p in range(len(blocks.coupling))]
        convexity = [
            solved.duals.get(len(blocks.coupling) + b, 0.0) / MASTER_SCALE
            for b in range(len(blocks.members))
        ]
        priced = price(pricer, terms, blocks.coupling, duals, deadline)
        if priced is None:
            stopped = True
            break
        if priced.bound > best.bound:
            width = _widened(width, centre, duals, widest)
            best, centre = priced, duals
        entered = _enter(making, priced, convexity, columns, known, always=False)
        if not entered:
            if not stabilised:
                break
            width = [min(10 * w, widest) for w in width]
    target = math.ceil(best.bound)
    answer, value = dict(start), start_value
    if not stopped and start_value != target:
        completed = _completed(model, blocks, columns, weights, terms, backend_for, deadline)
        if completed is not None:
            completed_value = sum(c * completed[i] for i, c in terms.items())
            if completed_value < value:
                answer, value = completed, completed_value
    return ByColumns(
        answer,
        value,
        best.bound,
        len(blocks.members),
        rounds,
        time.perf_counter() - started,
        proven=value == target,
        pricer=pricer,
    )


def _widened(
    width: Sequence[float], centre: Sequence[float], duals: Sequence[float], widest: float
) -> list[float]:
    """The boxes for the next round, after ``duals`` raised the bound: `GROWTH` times wider
    (at most ``widest``) for each row whose dual sits on the edge of its box around
    ``centre``, the others as they are. A dual on the edge is held back by the box; one inside
    it is where the master wants it. Boxes do not grow where the bound did not rise: there
    the master's duals went too far already (nationally, widened after such rounds, the duals
    of the programme stage reached prices whose pricing MIP had no optimum)."""
    return [
        min(GROWTH * half, widest) if abs(dual - middle) >= (1 - 1e-6) * half else half
        for half, middle, dual in zip(width, centre, duals, strict=True)
    ]


def _first_duals_begun(
    model: LinearModel,
    terms: Terms,
    backend_for: BackendFor,
    deadline: float,
    first: FirstRelaxation | None,
    basis: Basis | None = None,
) -> Callable[[Blocks], Duals | None]:
    """`_first_duals` begun: where the linear relaxation of ``model`` is needed (no ``first``,
    at most `RELAXATION_UP_TO` variables) it is written now and solved on a thread of its own
    (`solver.beside`), from ``basis`` if given; the duals come once ``model``'s blocks are
    given. The engines release Python's lock while they solve, so the caller's thread makes
    the columns and the pricing's models meanwhile: on syn-5000-g8 about 0.4 s of each
    stage's start (benchmarks/RESULTS.md, run 31). The duals are those of the same relaxation
    as when solved after the set-up."""

    def written() -> Callable[[], Relaxation | None]:
        solve = backend_for(model).prepared_relaxation(terms, basis)
        return lambda: solve(deadline - time.perf_counter())

    def solved_now() -> Relaxation | None:
        return written()()

    own = solved_now
    if first is None and len(model.variables) <= RELAXATION_UP_TO:
        own = Beside(written(), "fairshare-first-duals").result
    return lambda blocks: _first_duals(model, terms, blocks, first, own)


def _first_duals(
    model: LinearModel,
    terms: Terms,
    blocks: Blocks,
    first: FirstRelaxation | None,
    own: Callable[[], Relaxation | None],
) -> Duals | None:
    """The first duals of the coupling rows and the half-widths of the box around them: the
    duals of the relaxation that ``first`` gives (a row it lacks: 0), or else, where it gives
    none, those of ``model``'s own linear relaxation (``own``: begun or solved now), each with
    a box of `BOX` times its size; above `RELAXATION_UP_TO` variables, without a relaxation
    from ``first``, zeros with a box of `BOX` times the largest cost. ``None`` if the
    relaxation fails."""
    count = len(blocks.coupling)
    at_hand = None if first is None else first()
    if at_hand is not None:
        first_model, relaxation = at_hand
        coupling = {row: number for number, row in enumerate(blocks.coupling)}
        duals = [0.0] * count
        for position, row in enumerate(first_model.constraints):
            number = coupling.get(row)
            if number is not None:
                duals[number] = relaxation.duals.get(position, 0.0)
    elif len(model.variables) > RELAXATION_UP_TO:
        largest = max((abs(c) for c in terms.values()), default=1)
        return [0.0] * count, [BOX * max(1.0, largest)] * count
    else:
        relaxed = own()
        if relaxed is None:
            return None
        duals = [relaxed.duals.get(p, 0.0) for p in blocks.positions]
    return duals, [BOX * max(1.0, abs(d)) for d in duals]


def _enter(
    making: _Columns,
    priced: Priced,
    convexity: Sequence[float],
    columns: list[Column],
    known: set[tuple[int, tuple[int, ...]]],
    *,
    always: bool,
) -> int:
    """Add each block's cheapest point as a column where its reduced cost is negative (every
    block's if ``always``) and it is new; the number added."""
    entered = 0
    prices, point = priced.prices, priced.point
    for block, members in enumerate(making.blocks.members):
        values = making.values(block, point)
        if not always:
            reduced = sum(prices.get(i, 0) * v for i, v in zip(members, values, strict=True))
            reduced_cost = reduced / priced.common - convexity[block]
            if reduced_cost >= -ENTERING * max(1.0, abs(convexity[block])):
                continue
        if (block, values) not in known:
            known.add((block, values))
            columns.append(making.column(block, values))
            entered += 1
    return entered


def _completed(
    model: LinearModel,
    blocks: Blocks,
    columns: Sequence[Column],
    weights: Mapping[int, float],
    terms: Terms,
    backend_for: BackendFor,
    deadline: float,
) -> dict[int, int] | None:
    """A whole answer from the master's vertex: every block it takes whole (one column of
    weight 1) fixed at that column, the others solved as the stage's MIP over their own
    variables, their kept rows and the coupling rows less the fixed blocks' share (a MIP over
    all variables needs as much memory as one pricing MIP over them, `PRICING_PART`); ``None``
    if that fails or the fixed blocks alone break a coupling row."""
    fixed: dict[int, int] = {}
    whole: set[int] = set()
    for number, column in enumerate(columns):
        if weights.get(number, 0.0) >= 1 - 1e-9 and column.block not in whole:
            whole.add(column.block)
            fixed.update(zip(blocks.members[column.block], column.values, strict=True))
    free = [i for b, members in enumerate(blocks.members) if b not in whole for i in members]
    rows: list[Constraint] = []
    for row in (*blocks.kept, *blocks.coupling):
        if any(i not in fixed for i, _ in row.terms):
            rows.append(row)
        elif not row.holds(fixed):
            return None
    if not free:
        return fixed
    restricted = _restricted(model, free, rows, fixed)
    if restricted is None:
        return None
    sub, local = restricted
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        return None
    sub_terms = {local[i]: c for i, c in terms.items() if i in local}
    outcome: Outcome = backend_for(sub).minimize(sub_terms, remaining)
    if outcome.status != Status.OPTIMAL or outcome.values is None:
        return None
    answer = dict(fixed)
    answer.update((index, outcome.values[local[index]]) for index in free)
    return answer


def _restricted(
    model: LinearModel,
    indices: Sequence[int],
    rows: Sequence[Constraint],
    fixed: Mapping[int, int],
) -> tuple[LinearModel, dict[int, int]] | None:
    """The model over the variables ``indices`` alone (numbered from 0 in that order, with
    their bounds) and the ``rows``, whose terms over the ``fixed`` variables move to the
    right-hand side at their fixed values; with the map from each index to its new number.
    ``None`` if a row left without terms does not hold."""
    local = {index: position for position, index in enumerate(indices)}
    sub = LinearModel()
    for position, index in enumerate(indices):
        variable = model.variables[index]
        sub.variables.append(
            Variable(position, variable.name, variable.lower, variable.upper, variable.integer)
        )
    for row in rows:
        terms = tuple(sorted((local[i], c) for i, c in row.terms if i in local))
        rhs = row.rhs - sum(c * fixed[i] for i, c in row.terms if i not in local)
        restricted = Constraint(row.name, row.rule, terms, row.sense, rhs)
        if not terms:
            if not restricted.holds({}):
                return None
            continue
        sub.constraints.append(restricted)
    return sub, local
