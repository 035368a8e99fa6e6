"""The needs and fairness stages by decomposition: placements as a min-cost flow, building apart.

Once the building is fixed, placing households is a transportation problem: group g supplies its
task ``D_g`` (`solver.formulation.define_group_demand`), municipality m takes at most what its
letting pool and its other caps allow, a cell (m, g) at most its own caps, and what is not placed
is unmet. The fairness cost ``|p_mg - q_mg|`` is convex in ``p_mg``, so that it is written exactly
as three arcs of increasing unit cost (the units below the floor of the quota, the step to its
ceiling, the units above; `solver.model.Split`). Min-cost flow solves this in integers, exactly.

The building reaches the placements only through caps that grow with new social homes (the
letting pool ``d sum_g p_mg - k s_m <= r``, a group's share of it). Hence two bounds:

- a lower bound: the network with every such cap at the most that new social homes ``s_m`` can
  give within the municipality's own building rows (every allocation's placements fit in it),
  and the unmet demand only as large as the needs stage allows once the building does its best
  (small MIPs over the building alone);
- an allocation: the building from a MIP over the building variables alone (four per
  municipality), asked to give every cap the lower bound's placements use.

Where the allocation reaches the lower bound the stage is proven optimal without the full MIP;
otherwise the full MIP solves it (the fairness stage started from the cheaper of two flows, over
the current building and over the building nearest to what the bound wants;
`solver.decomposition`). The decomposition only runs on a model whose every row it recognises;
any other row (exchanges, stability, quota rows, a rule it does not know) leaves the stage to the
full MIP. Whatever it finds is checked against every row of the model in integers.

The reduced costs of the lower bound's flow price every other flow (`flow_rows`): once the stage
is fixed, every allocation's placements are a flow within the stage's distance from the bound,
which fixes or narrows most placements for the stages after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from solver.backends.base import LastBasis, Outcome
from solver.backends.flow import Arc, ArcColumns, cheapest_flow
from solver.formulation import Formulation
from solver.model import Constraint, LinearModel, Sense, Split, Terms, Variable
from solver.point_check import RowMatrix, SplitTable
from solver.reduction import narrowed_bounds

#: Bounds ``(least, most)`` on a municipality's placements in all; ``None``: no bound.
Totals = tuple[int | None, int | None]


class BuildingSolver(Protocol):
    """Solves a MIP over the building variables alone: minimise ``terms``. Where ``terms`` is
    empty (any building within the rows will do), ``guide`` is what the search may steer by;
    ``last``: the basis its relaxation may start from and leaves its own in
    (`solver.relaxation_first.solve_by_relaxation`)."""

    def __call__(
        self,
        model: LinearModel,
        terms: Terms,
        guide: Terms | None = None,
        last: LastBasis | None = None,
    ) -> Outcome: ...


@dataclass(frozen=True)
class Cap:
    """A cap on the placements of some cells: ``d * sum(cells) - k * social <= rhs``, i.e. the
    cells take at most ``floor((rhs + k * social) / d)`` households (``social``: the new social
    homes of the municipality, ``None`` where the cap does not depend on them)."""

    cells: tuple[int, ...]
    d: int
    k: int
    social: int | None
    rhs: int

    def most(self, social: int) -> int:
        """The households the cells may take with ``social`` new social homes."""
        return (self.rhs + self.k * social) // self.d

    def social_needed(self, used: int) -> int | None:
        """The fewest new social homes with which the cells may take ``used`` households;
        ``None`` if no number does."""
        short = self.d * used - self.rhs
        if short <= 0:
            return 0
        if self.k == 0 or self.social is None:
            return None
        return -(-short // self.k)


#: What a row over placements or unmet demand bounds (`PlacementNetwork.bounded`).
#: The kind is ``cell``, ``total``, ``unmet`` or ``all_unmet``; the key a variable or a name.
Bounded = tuple[str, int | str]


@dataclass
class PlacementNetwork:
    """The placement side of a model: groups with their tasks, cells, caps, and the building."""

    f: Formulation
    supply: dict[str, int]
    municipality_caps: dict[str, list[Cap]]
    cell_caps: dict[int, list[Cap]]
    building: frozenset[int]
    building_rows: list[Constraint]
    social_most: dict[int, int]
    #: Whether `social_most` allows for every row of each municipality's own building
    #: (`solver.decomposition`); until then it allows for bounds and plan capacity only.
    social_most_local: bool = False
    #: The least building cost per objective, with a building reaching it (`solver.decomposition`).
    least_building: dict[tuple[tuple[int, int], ...], tuple[int, dict[int, int]]] = field(
        default_factory=dict
    )
    #: The basis of the last building search of a min-max stage's probes, from which the next
    #: one's relaxation starts (`solver.decomposition.feasibility_by_network`).
    probe_basis: LastBasis = field(default_factory=LastBasis)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.f.region.groups)

    @cached_property
    def cells_of(self) -> dict[str, frozenset[int]]:
        """Each municipality's placement variables."""
        cells: dict[str, set[int]] = {}
        for (code, _), index in self.f.placements.items():
            cells.setdefault(code, set()).add(index)
        return {code: frozenset(indices) for code, indices in cells.items()}

    @cached_property
    def checker(self) -> PointChecker:
        """Checks whole points against the model (`PointChecker`)."""
        return PointChecker(self.f.model)

    @cached_property
    def cell_table(self) -> CellTable:
        """The placement variables as arrays (`CellTable`), read once the network is complete."""
        return CellTable.of(self)

    @cached_property
    def building_alone(self) -> tuple[LinearModel, dict[int, int]]:
        """The building variables and every building row as a model of their own, with the
        map from the model's variable indices to its, written once: `building_model` copies
        it for each search (read after `read_network` has added every building row)."""
        return _building_rows_model(self, self.building_rows)

    def split_table(self) -> SplitTable:
        """The model's splits as arrays (`solver.point_check.SplitTable`), read again when the
        model has more: `complete` fills a whole point's splits with it, 11,000 nationally for
        every allocation a level search tries."""
        table = self._split_tables.get("model")
        if table is None or table.size != len(self.f.model.splits):
            table = self._split_tables["model"] = SplitTable(self.f.model.splits)
        return table

    @cached_property
    def _split_tables(self) -> dict[str, SplitTable]:
        return {}

    def bounded(self, terms: tuple[tuple[int, int], ...]) -> Bounded | None:
        """What a row over ``terms`` (every coefficient 1) bounds: ``("cell", variable)`` one
        placement, ``("total", code)`` every placement of one municipality, ``("unmet",
        group)`` one group's unmet demand, ``("all_unmet", "")`` all unmet demand; ``None``
        for anything else.

        Read once per terms tuple: the rows of a min-max stage share their member's tuple, and
        a leximin stage reads every row in force for each probe (about 1,400 rows 24 times in
        one national solve)."""
        known = self._bounded_read.get(id(terms))
        if known is None or known[0] is not terms:
            known = self._bounded_read[id(terms)] = (terms, self._bounded(terms))
        return known[1]

    def _bounded(self, terms: tuple[tuple[int, int], ...]) -> Bounded | None:
        indices = frozenset(i for i, _ in terms)
        if not indices or any(c != 1 for _, c in terms) or len(indices) != len(terms):
            return None
        if len(indices) == 1:
            (single,) = indices
            if single in self._placement_code:
                return ("cell", single)
            if single in self._unmet_group:
                return ("unmet", self._unmet_group[single])
        if indices in self._municipality_of_cells:
            return ("total", self._municipality_of_cells[indices])
        if indices == frozenset(self._unmet_group):
            return ("all_unmet", "")
        return None

    @cached_property
    def _bounded_read(
        self,
    ) -> dict[int, tuple[tuple[tuple[int, int], ...], Bounded | None]]:
        return {}

    @cached_property
    def _placement_code(self) -> dict[int, str]:
        return {index: code for (code, _), index in self.f.placements.items()}

    @cached_property
    def _unmet_group(self) -> dict[int, str]:
        return {index: group for group, index in self.f.unmet.items()}

    @cached_property
    def _municipality_of_cells(self) -> dict[frozenset[int], str]:
        return {indices: code for code, indices in self.cells_of.items()}

    @cached_property
    def pool_table(self) -> PoolTable:
        """The municipalities' caps as `place` reads them (`PoolTable`)."""
        codes = self.f.region.codes
        caps = [
            (place, cap)
            for place, code in enumerate(codes)
            for cap in self.municipality_caps.get(code, [])
        ]
        owners = np.array([place for place, _ in caps], dtype=np.int64)
        capped = np.zeros(len(codes), dtype=bool)
        capped[owners] = True
        return PoolTable(
            tuple(cap for _, cap in caps),
            owners,
            capped,
            {code: place for place, code in enumerate(codes)},
        )

    def caps(self) -> list[Cap]:
        """Every cap, those of municipalities first."""
        return [
            *(cap for caps in self.municipality_caps.values() for cap in caps),
            *(cap for caps in self.cell_caps.values() for cap in caps),
        ]


@dataclass(frozen=True)
class PoolTable:
    """The caps on each municipality's placements in all, in the order of the region's codes:
    each cap, the position of its municipality (``owners``), whether each municipality has a
    cap, and each code's position."""

    caps: tuple[Cap, ...]
    owners: np.ndarray
    #: Whether each municipality has a cap.
    capped: np.ndarray
    position: dict[str, int]

    @cached_property
    def _arrays(self) -> CapArrays | None:
        """The caps as arrays; ``None`` where a right-hand side or a coefficient is too large
        for them."""
        caps = self.caps
        largest_rhs = max((abs(cap.rhs) for cap in caps), default=0)
        largest_k = max((cap.k for cap in caps), default=0)
        if max(largest_rhs, largest_k, *(cap.d for cap in caps)) > LARGEST_CAPACITY:
            return None
        with_social = [place for place, cap in enumerate(caps) if cap.social is not None]
        return CapArrays(
            np.array([cap.rhs for cap in caps], dtype=np.int64),
            np.array([cap.k for cap in caps], dtype=np.int64),
            np.array([cap.d for cap in caps], dtype=np.int64),
            [caps[place].social or 0 for place in with_social],
            np.array(with_social, dtype=np.int64),
            largest_rhs,
            largest_k,
        )

    def most(self, social: Mapping[int, int]) -> np.ndarray:
        """`Cap.most` of every cap with ``social`` new social homes, at most
        `LARGEST_CAPACITY`: in 64-bit integers where ``rhs + k * social`` cannot pass it, else
        cap by cap in Python integers."""
        arrays = self._arrays
        if arrays is not None:
            homes = [social[index] for index in arrays.social]
            largest = max(map(abs, homes), default=0)
            if (
                largest <= LARGEST_CAPACITY
                and arrays.largest_rhs + arrays.largest_k * largest <= LARGEST_CAPACITY
            ):
                given = np.zeros(len(self.caps), dtype=np.int64)
                given[arrays.with_social] = homes
                most: np.ndarray = np.minimum(
                    (arrays.rhs + arrays.k * given) // arrays.d, LARGEST_CAPACITY
                )
                return most
        return np.fromiter(
            (min(_most(cap, social), LARGEST_CAPACITY) for cap in self.caps),
            dtype=np.int64,
            count=len(self.caps),
        )


@dataclass(frozen=True)
class CapArrays:
    """`PoolTable`'s caps as columns: ``rhs``, ``k`` and ``d`` of each cap, the social variable
    of each cap that has one (``social``) with those caps' positions (``with_social``), and the
    largest ``|rhs|`` and ``k``."""

    rhs: np.ndarray
    k: np.ndarray
    d: np.ndarray
    social: list[int]
    with_social: np.ndarray
    largest_rhs: int
    largest_k: int


@dataclass(frozen=True)
class CellTable:
    """The placement variables in the order of the formulation's placements, as `place` reads
    them for every probe of a level search: each one's index, the nodes of its group and of its
    municipality, its upper bound (-1 for none), and the caps on it alone where it has any."""

    indices: np.ndarray
    tails: np.ndarray
    heads: np.ndarray
    upper: np.ndarray
    position: dict[int, int]
    capped: tuple[tuple[int, tuple[Cap, ...]], ...]

    @classmethod
    def of(cls, network: PlacementNetwork) -> CellTable:
        f = network.f
        groups = {g: i for i, g in enumerate(network.groups)}
        codes = {c: len(groups) + i for i, c in enumerate(f.region.codes)}
        cells = list(f.placements.items())
        variables = f.model.variables
        indices = [index for _, index in cells]
        return cls(
            np.array(indices, dtype=np.int64),
            np.array([groups[group] for (_, group), _ in cells], dtype=np.int64),
            np.array([codes[code] for (code, _), _ in cells], dtype=np.int64),
            np.array(
                [-1 if variables[i].upper is None else variables[i].upper for i in indices],
                dtype=np.int64,
            ),
            {index: place for place, index in enumerate(indices)},
            tuple(
                (place, tuple(network.cell_caps[index]))
                for place, index in enumerate(indices)
                if network.cell_caps.get(index)
            ),
        )


def read_network(f: Formulation) -> PlacementNetwork | None:
    """The placement network of the model, or ``None`` if some row is not one it recognises:
    a building row (only new homes, social, middle, norm shortfall), a group's task
    (``sum_m p_mg + unmet_g = D_g``), a cap of the form of `Cap` on one cell or on all cells of
    one municipality, or the row of an absolute-deviation split."""
    if f.transfers or f.stability is not None:
        return None
    model = f.model
    building = frozenset(
        (*f.new_homes.values(), *f.new_social.values(), *f.new_middle.values())
    ) | frozenset(f.norm_shortfall.values())
    placements = {index: cell for cell, index in f.placements.items()}
    if any(model.variables[i].lower != 0 for i in placements):
        return None
    unmet = {index: group for group, index in f.unmet.items()}
    social = frozenset(f.new_social.values())
    tasks_of: dict[str, set[int]] = {g: {i} for i, g in unmet.items()}
    for (_, group), index in f.placements.items():
        tasks_of.setdefault(group, set()).add(index)
    split_rows = {s.row for s in model.splits}
    network = PlacementNetwork(f, {}, {}, {}, building, [], {})
    cells_of = network.cells_of
    for row in model.constraints:
        indices = {i for i, _ in row.terms}
        if indices <= building:
            network.building_rows.append(row)
        elif row.name in split_rows:
            continue
        elif row.sense == "==" and indices & unmet.keys():
            task = _task_group(row, placements, unmet)
            # A placement left out of its group's task would be free in the model, not here.
            if task is None or task in network.supply or indices != tasks_of[task]:
                return None
            network.supply[task] = row.rhs
        elif row.sense == "<=":
            cap = _cap(row, placements, social)
            if cap is None:
                return None
            codes = {placements[i][0] for i in cap.cells}
            if len(cap.cells) == 1:
                network.cell_caps.setdefault(cap.cells[0], []).append(cap)
            elif len(codes) == 1 and set(cap.cells) == cells_of[next(iter(codes))]:
                network.municipality_caps.setdefault(next(iter(codes)), []).append(cap)
            else:
                return None
        else:
            return None
    if set(network.supply) != set(network.groups):
        return None
    rows = {row.name: row.rhs for row in network.building_rows}
    network.social_most = {
        index: _social_most(f, code, rows) for code, index in f.new_social.items()
    }
    return network


def _task_group(
    row: Constraint, placements: Mapping[int, tuple[str, str]], unmet: Mapping[int, str]
) -> str | None:
    """The group of a task row ``sum_m p_mg + unmet_g = D_g``, or ``None`` for another row."""
    groups = {unmet[i] for i, _ in row.terms if i in unmet}
    groups |= {placements[i][1] for i, _ in row.terms if i in placements}
    known = all(i in unmet or i in placements for i, _ in row.terms)
    if len(groups) != 1 or not known or any(c != 1 for _, c in row.terms):
        return None
    return groups.pop()


def _cap(
    row: Constraint, placements: Mapping[int, tuple[str, str]], social: frozenset[int]
) -> Cap | None:
    """The row as a `Cap`, or ``None`` if it is not of that form."""
    cells = tuple(i for i, _ in row.terms if i in placements)
    coefficients = {c for i, c in row.terms if i in placements}
    others = [(i, c) for i, c in row.terms if i not in placements]
    if len(coefficients) != 1 or min(coefficients) <= 0 or len(others) > 1:
        return None
    if others and (others[0][0] not in social or others[0][1] > 0):
        return None
    d = coefficients.pop()
    if not others:
        return Cap(cells, d, 0, None, row.rhs)
    return Cap(cells, d, -others[0][1], others[0][0], row.rhs)


def _social_most(f: Formulation, code: str, rows: Mapping[str, int]) -> int:
    """The most new social homes municipality ``code`` can have: its bound, and with the
    ``segments`` row (``s + a <= y``) at most its new homes, which are at most their bound and
    plan capacity (``rows``: the right-hand sides of the building rows by name)."""
    variables = f.model.variables
    most = variables[f.new_social[code]].upper
    if most is None:
        raise ValueError(f"unbounded new social homes in {code}")
    if f"segments[{code}]" not in rows:
        return most
    homes = variables[f.new_homes[code]].upper
    homes = most if homes is None else homes
    return min(most, homes, rows.get(f"plan_capacity[{code}]", homes))


@dataclass(frozen=True)
class FlowPlacements:
    """Placements from a flow: per placement variable, and the stage cost of the flow; with the
    network it came from: ``arcs`` and their ``flows`` as the solver saw them, after each arc
    was ``given`` its least flow (`place`); ``pieces``: the arcs of each placement variable,
    cheapest first; ``pools``: each municipality's arc to the sink; ``unmet``: each group's arc
    to the hub of unmet demand; ``hub``: that hub's arc to the sink, which caps the unmet
    demand)."""

    placed: dict[int, int]
    cost: int
    nodes: int
    arcs: ArcColumns
    flows: tuple[int, ...]
    given: tuple[int, ...]
    pieces: tuple[tuple[int, int], ...]
    pools: dict[str, int]
    unmet: dict[str, int]
    hub: int


@dataclass(frozen=True)
class Limits:
    """Bounds ``(least, most)`` that rows in force put on the flow (`solver.decomposition`):
    on a municipality's placements in all (``totals``, a fixed min-max stage), on one placement
    (``cells``), on a group's unmet demand (``unmet``) and on all unmet demand (``all_unmet``)."""

    totals: Mapping[str, Totals] = field(default_factory=dict)
    cells: Mapping[int, Totals] = field(default_factory=dict)
    unmet: Mapping[str, Totals] = field(default_factory=dict)
    all_unmet: Totals = (None, None)


def place(
    network: PlacementNetwork,
    social: Mapping[int, int],
    unmet_cost: Mapping[str, int],
    unmet_most: int,
    cell_costs: Mapping[int, tuple[int, int, int, int, int]] | None = None,
    limits: Limits | None = None,
) -> FlowPlacements | None:
    """The cheapest placements with ``social`` new social homes per municipality (by variable).

    An unmet household of group g costs ``unmet_cost[g]``, and at most ``unmet_most`` stay unmet
    in all. ``cell_costs`` maps a placement variable to ``(low, high, below, step, above)``: the
    unit cost of each household up to ``low`` (``-below``), from ``low`` to ``high`` (``step``),
    and beyond (``above``); without it placing costs nothing. ``limits`` bounds arcs from both
    sides: an arc that must carry at least ``l`` is given ``l`` at once (its tail supplies ``l``
    less, its head ``l`` more, the cost counts them) and the rest of its room; a placement's
    least goes to its cheapest pieces first. ``None`` if the placements cannot meet the tasks.
    """
    f = network.f
    limits = limits or Limits()
    groups = network.groups
    codes = f.region.codes
    group_node = {g: i for i, g in enumerate(groups)}
    municipality_node = {c: len(groups) + i for i, c in enumerate(codes)}
    hub, sink = len(groups) + len(codes), len(groups) + len(codes) + 1
    total = sum(network.supply.values())
    supplies = [network.supply[g] for g in groups] + [0] * (len(codes) + 1) + [-total]
    cells = _cell_arcs(network.cell_table, social, total, cell_costs, limits, len(supplies))
    if cells is None:
        return None
    cell_arcs, given, pieces, moved = cells
    supplies = [supply + change for supply, change in zip(supplies, moved, strict=True)]
    pool_arcs = _pool_arcs(network, social, total, limits, municipality_node, sink)
    if pool_arcs is None:
        return None
    for tail, least in zip(pool_arcs.columns.tails.tolist(), pool_arcs.given, strict=True):
        if least:
            supplies[tail] -= least
            supplies[sink] += least
    given.extend(pool_arcs.given)
    pools = {code: len(cell_arcs) + place for place, code in enumerate(codes)}
    arcs: list[Arc] = []

    def add(tail: int, head: int, least: int, room: int, cost: int) -> int:
        supplies[tail] -= least
        supplies[head] += least
        given.append(least)
        arcs.append(Arc(tail, head, room - least, cost))
        return len(cell_arcs) + len(codes) + len(arcs) - 1

    unmet: dict[str, int] = {}
    for group in groups:
        least, most = _within(limits.unmet.get(group), 0, network.supply[group])
        if least > most:
            return None
        unmet[group] = add(group_node[group], hub, least, most, unmet_cost[group])
    least, most = _within(limits.all_unmet, 0, unmet_most)
    if least > most:
        return None
    all_unmet = add(hub, sink, least, most, 0)
    columns = cell_arcs.joined(pool_arcs.columns).joined(ArcColumns.of(arcs))
    answer = cheapest_flow(supplies, columns)
    if answer is None:
        return None
    flows = tuple(g + x for g, x in zip(given, answer.flows, strict=True))
    placed = dict.fromkeys(f.placements.values(), 0)
    for index, arc in pieces:
        placed[index] += flows[arc]
    return FlowPlacements(
        placed,
        columns.cost_of(flows),
        sink + 1,
        columns,
        answer.flows,
        tuple(given),
        tuple(pieces),
        pools,
        unmet,
        all_unmet,
    )


#: The largest capacity of a pool arc: a cap above it is no cap in 64-bit integers.
LARGEST_CAPACITY = 2**62


@dataclass(frozen=True)
class PoolArcs:
    """Each municipality's arc to the sink, in the order of the region's codes (`_pool_arcs`):
    the columns, with each arc's least flow taken out of its capacity, and that least flow."""

    columns: ArcColumns
    given: list[int]


def _pool_arcs(
    network: PlacementNetwork,
    social: Mapping[int, int],
    total: int,
    limits: Limits,
    municipality_node: Mapping[str, int],
    sink: int,
) -> PoolArcs | None:
    """The pool arcs of `place`: each municipality takes at most the least of its caps with
    ``social`` new social homes (``total`` without caps), within its bounds in ``limits``;
    ``None`` where a municipality must take more than its caps allow.

    The caps' values are whole numbers computed in Python; the least per municipality is taken
    in 64-bit integers, which hold every value up to `LARGEST_CAPACITY` exactly (the flow
    solver's capacities are 64-bit integers too). The national network is made 65 times in one
    leximin solve, and a loop over its 342 municipalities was three quarters of the time
    `place` took."""
    codes = network.f.region.codes
    table = network.pool_table
    most = np.where(table.capped, LARGEST_CAPACITY, total).astype(np.int64)
    if table.owners.size:
        np.minimum.at(most, table.owners, table.most(social))
    least = np.zeros(len(codes), dtype=np.int64)
    if limits.totals:
        places, lows, highs = [], [], []
        for code, (low, high) in limits.totals.items():
            places.append(table.position[code])
            lows.append(max(0, low or 0))
            highs.append(LARGEST_CAPACITY if high is None else min(high, LARGEST_CAPACITY))
        bounded = np.array(places, dtype=np.int64)
        least[bounded] = lows
        most[bounded] = np.minimum(most[bounded], np.array(highs, dtype=np.int64))
    if np.any(least > most):
        return None
    tails = np.fromiter(
        (municipality_node[code] for code in codes), dtype=np.int64, count=len(codes)
    )
    columns = ArcColumns(
        tails,
        np.full(len(codes), sink, dtype=np.int64),
        most - least,
        np.zeros(len(codes), dtype=np.int64),
    )
    return PoolArcs(columns, least.tolist())


def _cell_arcs(
    table: CellTable,
    social: Mapping[int, int],
    total: int,
    cell_costs: Mapping[int, tuple[int, int, int, int, int]] | None,
    limits: Limits,
    nodes: int,
) -> tuple[ArcColumns, list[int], list[tuple[int, int]], list[int]] | None:
    """The arcs of the placement variables for `place`, in the order of ``table`` and within a
    variable cheapest piece first, each given its share of the variable's least flow: the arcs,
    what each is given, ``(variable, arc)`` per arc, and the change the givens make to each
    node's supply; ``None`` where a variable must carry more than its room.

    Worked on arrays, a column per piece: the national network has 2,736 variables and is made
    for every probe of a level search (benchmarks/RESULTS.md, run 15)."""
    least = np.zeros(len(table.indices), dtype=np.int64)
    most = np.where(table.upper < 0, total, table.upper)
    for index, bounds in limits.cells.items():
        place = table.position[index]
        least[place], most[place] = _within(bounds, 0, int(most[place]))
    room = most
    for place, caps in table.capped:
        room[place] = min(int(room[place]), *(_most(cap, social) for cap in caps))
    if np.any(least > room):
        return None
    if cell_costs is None:
        sizes, costs = room[:, None], np.zeros((len(room), 1), dtype=np.int64)
    else:
        split = np.array([cell_costs[i] for i in table.indices.tolist()], dtype=np.int64)
        low, high, below, step, above = split.reshape(len(room), 5).T
        sizes = np.stack([low, high - low, room], axis=1)
        costs = np.stack([-below, step, above], axis=1)
    pieces = np.empty_like(sizes)
    forced = np.zeros_like(sizes)
    room_left, least_left = room.copy(), least.copy()
    for piece in range(sizes.shape[1]):
        size = np.minimum(sizes[:, piece], room_left)
        room_left -= size
        force = np.where(size > 0, np.minimum(size, least_left), 0)
        least_left -= force
        pieces[:, piece], forced[:, piece] = size, force
    kept = np.flatnonzero(pieces.ravel() > 0)
    cell = kept // sizes.shape[1]
    arcs = ArcColumns(
        table.tails[cell].astype(np.int64),
        table.heads[cell].astype(np.int64),
        (pieces - forced).ravel()[kept].astype(np.int64),
        costs.ravel()[kept].astype(np.int64),
    )
    moved = np.zeros(nodes, dtype=np.int64)
    carried = forced.sum(axis=1)
    np.subtract.at(moved, table.tails, carried)
    np.add.at(moved, table.heads, carried)
    variables = table.indices[cell].tolist()
    return (
        arcs,
        forced.ravel()[kept].tolist(),
        list(zip(variables, range(len(kept)), strict=True)),
        moved.tolist(),
    )


def _within(bounds: Totals | None, least: int, most: int) -> tuple[int, int]:
    """``least..most`` narrowed by ``bounds`` (``None`` sides leave it)."""
    low, high = bounds or (None, None)
    return max(least, low or 0), most if high is None else min(most, high)


def flow_rows(
    network: PlacementNetwork, flow: FlowPlacements, reduced: Sequence[int], slack: int
) -> list[Constraint]:
    """Rows that every flow of ``flow``'s network costing at most ``slack`` more than ``flow``
    obeys; ``flow`` is optimal and ``reduced`` holds its reduced costs
    (`solver.backends.flow.reduced_costs`).

    With node potentials that prove ``flow`` optimal, any flow ``x`` of the network costs
    ``cost(flow) + sum_a r_a (x_a - flow_a)``, and every term is at least 0 (an arc of positive
    reduced cost ``r_a`` carries nothing in ``flow``, one of negative reduced cost is full). So
    within ``slack`` an arc of positive reduced cost carries at most ``floor(slack / r_a)`` and
    one of negative reduced cost lacks at most ``floor(slack / -r_a)`` of its capacity
    (Ahuja, Magnanti and Orlin, Network Flows, 1993, ch. 9: reduced-cost optimality). A
    placement's arcs are its pieces, filled cheapest first; its rows bound ``p_mg``. The arcs of
    a pool, of a group's unmet demand and of all unmet demand bound the sums they carry.

    Once a stage is at most ``slack`` above the cost of the cheapest flow of a network in which
    every allocation's placements are a flow of the same cost (`solver.decomposition.
    fairness_by_network`), these rows cut off no allocation that keeps the stage: they only tell
    the MIP what the flow knows.
    """
    f = network.f
    variables = f.model.variables

    def within(arc: int) -> int | None:
        """The most that ``arc`` may differ from its flow in ``flow``, if less than its room."""
        r = abs(reduced[arc])
        most = slack // r if r else None
        return most if most is not None and most < flow.arcs.capacity(arc) else None

    least: dict[int, int] = {}
    most: dict[int, int] = {}
    start: dict[int, int] = {}
    for index, arc in flow.pieces:
        begins = start.get(index, 0)
        given = flow.given[arc]
        size = given + flow.arcs.capacity(arc)
        start[index] = begins + size
        differ = within(arc)
        if differ is None:
            continue
        if reduced[arc] > 0:
            limit = begins + given + differ
            most[index] = min(most.get(index, limit), limit)
        else:
            least[index] = max(least.get(index, 0), begins + size - differ)
    rows: list[Constraint] = []
    for (code, group), index in f.placements.items():
        variable = variables[index]
        limit = most.get(index, start.get(index, 0))
        # One term each, written as `_row` would write it (70,984 rows under the sum at 5,000
        # municipalities).
        if least.get(index, 0) > variable.lower:
            name = f"flow_least[{code},{group}]"
            rows.append(Constraint(name, "stage", ((index, 1),), ">=", least[index]))
        if variable.upper is None or limit < variable.upper:
            name = f"flow_most[{code},{group}]"
            rows.append(Constraint(name, "stage", ((index, 1),), "<=", limit))
    cells_of = network.cells_of
    ends = [
        *(
            (f"pool[{code}]", sorted(cells_of.get(code, ())), arc)
            for code, arc in flow.pools.items()
        ),
        *((f"unmet[{group}]", [f.unmet[group]], arc) for group, arc in flow.unmet.items()),
        ("unmet", sorted(f.unmet.values()), flow.hub),
    ]
    for name, indices, arc in ends:
        differ = within(arc)
        if differ is None or not indices:
            continue
        given = flow.given[arc]
        if reduced[arc] > 0:
            rows.append(_row(f"flow_most[{name}]", indices, "<=", given + differ))
        else:
            full = given + flow.arcs.capacity(arc)
            rows.append(_row(f"flow_least[{name}]", indices, ">=", full - differ))
    return rows


def _row(name: str, indices: Sequence[int], sense: Sense, rhs: int) -> Constraint:
    return Constraint(name, "stage", tuple((i, 1) for i in sorted(indices)), sense, rhs)


def _most(cap: Cap, social: Mapping[int, int]) -> int:
    return cap.most(0 if cap.social is None else social[cap.social])


def local_building_rows(network: PlacementNetwork) -> list[Constraint]:
    """The building rows over one municipality's building variables alone (plan capacity,
    segments, the norm, the new-build mix), without the regional ones."""
    f = network.f
    owner = {
        index: code
        for variables in (f.new_homes, f.new_social, f.new_middle, f.norm_shortfall)
        for code, index in variables.items()
    }
    return [
        row
        for row in network.building_rows
        if len({owner.get(i) for i, _ in row.terms}) == 1 and row.terms[0][0] in owner
    ]


def building_model(
    network: PlacementNetwork,
    extra: Sequence[Constraint],
    rows: Sequence[Constraint] | None = None,
) -> tuple[LinearModel, dict[int, int]]:
    """The building variables and rows alone (``rows``, by default all building rows, plus
    ``extra`` rows over them), with the map from the model's variable indices to the
    sub-model's. With all building rows, a copy of `PlacementNetwork.building_alone` with
    ``extra`` added: at 5,000 municipalities the 11 building models of a solve under
    ``max_rel_deviation`` took 0.29-0.30 s so, 0.81 s written anew each time
    (benchmarks/RESULTS.md, run 32)."""
    if rows is None:
        base, renumber = network.building_alone
        sub = base.copied_from()
    else:
        sub, renumber = _building_rows_model(network, rows)
    _add_renumbered(sub, renumber, extra)
    return sub, renumber


def _building_rows_model(
    network: PlacementNetwork, rows: Sequence[Constraint]
) -> tuple[LinearModel, dict[int, int]]:
    """The building variables and ``rows`` over them as a model of their own, with the map
    from the model's variable indices to its."""
    variables = network.f.model.variables
    renumber = {old: new for new, old in enumerate(sorted(network.building))}
    sub = LinearModel()
    for old in sorted(network.building):
        v = variables[old]
        sub.add_variable(v.name, v.lower, v.upper, integer=v.integer)
    _add_renumbered(sub, renumber, rows)
    return sub, renumber


def _add_renumbered(
    sub: LinearModel, renumber: Mapping[int, int], rows: Sequence[Constraint]
) -> None:
    """Add ``rows`` to ``sub`` in its own numbering. A row over one integer variable narrows
    that variable's bounds instead (`_narrowed`): the searches over every building row then
    share their rows, whatever new social homes each asks of which municipality, and each
    relaxation can start from the last one's basis (`solve_building`)."""
    for row in rows:
        if len(row.terms) == 1:
            ((index, coefficient),) = row.terms
            if _narrowed(sub, renumber[index], coefficient, row.sense, row.rhs):
                continue
        terms = {renumber[i]: c for i, c in row.terms}
        sub.add_constraint(row.name, row.rule, terms, row.sense, row.rhs)


def _narrowed(model: LinearModel, index: int, coefficient: int, sense: Sense, rhs: int) -> bool:
    """Narrow the bounds of integer variable ``index`` to the whole values that
    ``coefficient * x (sense) rhs`` allows (`solver.reduction.narrowed_bounds`), if that leaves
    any (else the row is kept, for the solver to find the model infeasible); whether it did."""
    variable = model.variables[index]
    if not variable.integer or coefficient == 0:
        return False
    narrowed = narrowed_bounds(coefficient, sense, rhs, variable.lower, variable.upper)
    if narrowed is None:
        return False
    lower, upper = narrowed
    model.variables[index] = Variable(index, variable.name, lower, upper, variable.integer)
    return True


def solve_building(
    network: PlacementNetwork,
    solver: BuildingSolver,
    objective: Terms,
    extra: Sequence[Constraint] = (),
    wanted: Mapping[int, int] | None = None,
    rows: Sequence[Constraint] | None = None,
    guide: Terms | None = None,
    last: LastBasis | None = None,
) -> tuple[Outcome, dict[int, int] | None]:
    """Solve the building alone (``rows``: the building rows to keep, by default all); the
    outcome and the building values by model index.

    ``wanted`` maps variables to values they should reach: each unit short of one adds 1 to the
    objective (a variable ``missing >= wanted - x`` per entry). ``guide``: what the solver may
    steer a search without an objective by; ``last``: the basis its relaxation may start from
    (`BuildingSolver`)."""
    sub, renumber = building_model(network, extra, rows)
    terms = {renumber[i]: c for i, c in objective.items()}
    steer = None if guide is None else {renumber[i]: c for i, c in guide.items()}
    for index, value in sorted((wanted or {}).items()):
        name = network.f.model.variables[index].name
        missing = sub.add_variable(f"missing[{name}]", 0, value)
        sub.add_constraint(
            f"wanted[{name}]", "stage", {renumber[index]: 1, missing: 1}, ">=", value
        )
        terms[missing] = terms.get(missing, 0) + 1
    outcome = solver(sub, terms, steer, last)
    if outcome.values is None:
        return outcome, None
    return outcome, {old: outcome.values[new] for old, new in renumber.items()}


def complete(
    model: LinearModel,
    base: Mapping[int, int],
    building: Mapping[int, int],
    placed: Mapping[int, int],
    network: PlacementNetwork,
) -> dict[int, int]:
    """A whole point: ``base`` overwritten with the building and the placements, unmet demand
    from the tasks, and every split's variables from its expression."""
    values = dict(base)
    values.update(building)
    values.update(placed)
    f = network.f
    for group, index in f.unmet.items():
        cells = (f.placements[(c, group)] for c in f.region.codes if (c, group) in f.placements)
        values[index] = network.supply[group] - sum(placed[i] for i in cells)
    parts = None
    if model is f.model:
        parts = network.split_table().split_values(values, len(model.variables))
    if parts is not None:
        values.update(parts)
        return values
    for split in model.splits:
        x = split.expression_at(values)
        if x is not None:
            values.update(split.values(x))
    return values


def holds(model: LinearModel, fixed: Sequence[Constraint], values: Mapping[int, int]) -> bool:
    """True if ``values`` gives every variable a value within its bounds and meets every row."""
    return all(_within_bounds(v, values.get(v.index)) for v in model.variables) and all(
        row.holds(values) for row in (*model.constraints, *fixed)
    )


def _within_bounds(variable: Variable, value: int | None) -> bool:
    return (
        value is not None
        and value >= variable.lower
        and (variable.upper is None or value <= variable.upper)
    )


class PointChecker:
    """`holds` for a run of whole points of one model (the allocations of a level search, the
    answers of the later stages): the model's bounds and rows are checked at once as integer
    arrays (`solver.point_check.RowMatrix`, read again when the model grows), row by row only
    where 64-bit integers cannot decide exactly; the rows in force (``fixed``) are read in
    full every time."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self._matrix: RowMatrix | None = None

    def holds(self, fixed: Sequence[Constraint], values: Mapping[int, int]) -> bool:
        """The same answer as `holds` on the model."""
        matrix = self._matrix
        if matrix is None or matrix.size != (
            len(self.model.variables),
            len(self.model.constraints),
        ):
            matrix = self._matrix = RowMatrix(self.model)
        verdict = matrix.holds(values)
        if verdict is None:
            verdict = holds(self.model, (), values)
        return verdict and all(row.holds(values) for row in fixed)


def split_costs(
    network: PlacementNetwork, terms: Terms
) -> dict[int, tuple[int, int, int, int, int]] | None:
    """The convex cost of every placement variable in a stage whose terms are the splits of the
    placements alone (`place`'s ``cell_costs``) and the cost of placing nothing; ``None`` if the
    terms are anything else."""
    splits: dict[int, Split] = {}
    for split in network.f.model.splits:
        if len(split.expression) == 1 and split.under in terms:
            ((index, coefficient),) = split.expression
            if coefficient != 1 or index in splits:
                return None
            splits[index] = split
    priced = {i for s in splits.values() for i in (s.under, s.step, s.over)}
    if set(terms) - priced or set(splits) != set(network.f.placements.values()):
        return None
    costs: dict[int, tuple[int, int, int, int, int]] = {}
    for index, s in splits.items():
        below, step, above = terms.get(s.under, 0), terms.get(s.step, 0), terms.get(s.over, 0)
        if not -below <= step <= above or s.low < 0:
            return None
        costs[index] = (s.low, s.high, below, step, above)
    return costs
