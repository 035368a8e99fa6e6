"""The domain model: a region, its municipalities, its target groups, targets and adjacency.

Objects here are validated, immutable and keyed by CBS municipality code (``GMxxxx``);
municipalities are kept sorted by code so that nothing downstream depends on the row order of the
input. Counts are `int`, shares and rates exact `Fraction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from math import ceil
from typing import TYPE_CHECKING, Literal

from models.policy import Policy
from models.proximity import exchange_pairs, within_reach

if TYPE_CHECKING:
    import networkx as nx

Unit = Literal["persons", "households"]


@dataclass(frozen=True)
class Municipality:
    """One municipality with its stock, plans and optional figures.

    Attributes:
        code: CBS code ``GMxxxx``.
        social_stock: social rent dwellings now (corporation-owned in the bundled instances).
        social_share_pct_given: the percentage the input gave instead of (or beside) a
            count; kept so that nothing the user wrote is lost when the instance is written back.
        social_stock_from_pct: True if ``social_stock`` was computed from that percentage.
        plan_capacity: new homes that can be built by the horizon (firm plus other plans).
        min_new_homes: new homes the municipality builds at least, if given.
        turnover_rate: yearly share of the social stock that becomes vacant; ``None`` means the
            region's default.
        prior_placements / arrears: per target group id, placements already made and the number
            still owed from earlier periods (negative: a surplus).
        factors: user-defined numeric columns ``factor_<name>`` for distribution keys.
    """

    code: str
    name: str
    population: int
    dwellings: int
    social_stock: int
    plan_capacity: int
    social_share_pct_given: Fraction | None = None
    social_stock_from_pct: bool = False
    households: int | None = None
    min_new_homes: int | None = None
    turnover_rate: Fraction | None = None
    ses_score: Fraction | None = None
    latitude: Fraction | None = None
    longitude: Fraction | None = None
    care_facilities: int | None = None
    subregion: str | None = None
    prior_placements: Mapping[str, int] = field(default_factory=dict)
    arrears: Mapping[str, int] = field(default_factory=dict)
    factors: Mapping[str, Fraction] = field(default_factory=dict)

    @property
    def social_share(self) -> Fraction:
        """Social stock as an exact share of all dwellings (0 for a municipality without any)."""
        return Fraction(self.social_stock, self.dwellings) if self.dwellings else Fraction(0)


@dataclass(frozen=True)
class TargetGroup:
    """A target group (aandachtsgroep) with its regional demand over the horizon.

    Attributes:
        demand: regional demand in ``unit`` over the horizon.
        household_size: average persons per household, to convert persons to dwellings.
        only_in: if set, the group may only be housed in these municipalities.
        not_in: the group may not be housed in these municipalities.
        care_within_hops / care_within_km: if set, the group needs care nearby and may only be
            housed within this many borders, or kilometres along borders, of a care location
            (`models.proximity`).
        care_at: the care locations; ``None``: every municipality with care facilities.
    """

    id: str
    name: str
    unit: Unit
    demand: int
    household_size: Fraction = Fraction(1)
    only_in: frozenset[str] | None = None
    not_in: frozenset[str] = frozenset()
    care_within_hops: int | None = None
    care_within_km: Fraction | None = None
    care_at: frozenset[str] | None = None

    @property
    def needs_care(self) -> bool:
        """True if the group may only be housed near care."""
        return self.care_within_hops is not None or self.care_within_km is not None

    @property
    def demand_dwellings(self) -> int:
        """Demand in dwellings: ``ceil(demand / household_size)`` for persons, else the demand.

        Rounding up leaves nobody without a home.

        Examples:
            >>> TargetGroup("x", "X", "persons", 7, Fraction(2)).demand_dwellings
            4
        """
        if self.unit == "households":
            return self.demand
        return ceil(Fraction(self.demand) / self.household_size)

    def may_house(self, code: str) -> bool:
        """True if the group may be housed in the municipality with this code."""
        if code in self.not_in:
            return False
        return self.only_in is None or code in self.only_in


@dataclass(frozen=True)
class Targets:
    """Regional new-build target as a range (``new_homes_min == new_homes_max``: a fixed total)."""

    new_homes_min: int
    new_homes_max: int


@dataclass(frozen=True)
class Edge:
    """Two municipalities sharing a border; ``code_a < code_b``."""

    code_a: str
    code_b: str
    shared_border_km: Fraction | None = None
    contact: str | None = None


@dataclass(frozen=True)
class Region:
    """A validated region instance.

    Attributes:
        base_year: the stock figures hold on 1 January of this year.
        horizon_years: years from the base date to the horizon of the plan.
        default_turnover_rate: yearly turnover of the social stock where a municipality has none.
        source: free text naming where the figures come from.
    """

    name: str
    base_year: int
    horizon_years: int
    default_turnover_rate: Fraction
    targets: Targets
    policy: Policy
    groups: tuple[TargetGroup, ...]
    municipalities: tuple[Municipality, ...]
    edges: tuple[Edge, ...] = ()
    source: str = ""

    @property
    def horizon_year(self) -> int:
        """Calendar year of the horizon date (1 January)."""
        return self.base_year + self.horizon_years

    def __post_init__(self) -> None:
        # Sorted by code however the region was made, so nothing depends on the input's row order.
        ordered = tuple(sorted(self.municipalities, key=lambda m: m.code))
        object.__setattr__(self, "municipalities", ordered)

    @cached_property
    def _municipalities_by_code(self) -> dict[str, Municipality]:
        return {m.code: m for m in self.municipalities}

    @cached_property
    def _groups_by_id(self) -> dict[str, TargetGroup]:
        return {g.id: g for g in self.groups}

    @cached_property
    def codes(self) -> tuple[str, ...]:
        """Municipality codes in sorted order."""
        return tuple(m.code for m in self.municipalities)

    def municipality(self, code: str) -> Municipality:
        """The municipality with this code.

        Raises:
            KeyError: if the region has no such municipality.
        """
        return self._municipalities_by_code[code]

    def group(self, group_id: str) -> TargetGroup:
        """The target group with this id.

        Raises:
            KeyError: if the region has no such group.
        """
        return self._groups_by_id[group_id]

    def care_locations(self, group: TargetGroup) -> frozenset[str]:
        """The group's care locations: its ``care_at``, else every municipality with care
        facilities."""
        if group.care_at is not None:
            return group.care_at
        return frozenset(m.code for m in self.municipalities if (m.care_facilities or 0) > 0)

    def care_reach(self, group: TargetGroup) -> str:
        """``within 1 border(s) of GM0518`` / ``within 8 km of GM0518``: where a group that needs
        care may be housed, in words."""
        limit = (
            f"{group.care_within_hops} border(s)"
            if group.care_within_hops is not None
            else f"{group.care_within_km} km"
        )
        return f"within {limit} of {', '.join(sorted(self.care_locations(group)))}"

    @cached_property
    def near_care(self) -> dict[str, dict[str, float]]:
        """Per group that needs care: each municipality within reach and its distance (hops or
        km) to the nearest care location (`models.proximity.within_reach`)."""
        reach: dict[str, dict[str, float]] = {}
        positions = {
            m.code: (m.latitude, m.longitude)
            for m in self.municipalities
            if m.latitude is not None and m.longitude is not None
        }
        for g in self.groups:
            if g.needs_care:
                reach[g.id] = within_reach(
                    self.graph(),
                    self.care_locations(g),
                    hops=g.care_within_hops,
                    km=g.care_within_km,
                    positions=positions,
                )
        return reach

    @cached_property
    def exchange_pairs(self) -> list[tuple[str, str]]:
        """The unordered pairs that may exchange tasks under the policy (`models.proximity`);
        empty without exchanges."""
        if self.policy.exchanges is None:
            return []
        return exchange_pairs(
            self.policy.exchanges,
            list(self.codes),
            [(e.code_a, e.code_b) for e in self.edges],
            {
                m.code: (m.latitude, m.longitude)
                for m in self.municipalities
                if m.latitude is not None and m.longitude is not None
            },
            {m.code: m.subregion for m in self.municipalities},
            self.policy.exchange_max_km,
        )

    def may_house(self, code: str, group_id: str) -> bool:
        """True if the group may be housed in the municipality: allowed by ``only_in`` and
        ``not_in`` and, for a group that needs care, within reach of care."""
        group = self.group(group_id)
        if not group.may_house(code):
            return False
        return not group.needs_care or code in self.near_care[group_id]

    def turnover_rate(self, m: Municipality) -> Fraction:
        """Yearly turnover of the municipality's social stock (its own, else the region default)."""
        return self.default_turnover_rate if m.turnover_rate is None else m.turnover_rate

    def graph(self) -> nx.Graph:
        """The adjacency graph: one node per municipality (with its name), one edge per border."""
        import networkx as nx  # imported here: it takes a sixth of a second, and few runs need it

        graph = nx.Graph()
        for m in self.municipalities:
            graph.add_node(m.code, name=m.name)
        for e in self.edges:
            graph.add_edge(
                e.code_a, e.code_b, shared_border_km=e.shared_border_km, contact=e.contact
            )
        return graph
