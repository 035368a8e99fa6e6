"""The benchmark instances, by stable id, in the manner of MIPLIB.

Real instances are the bundled regions of `instances`; synthetic ones are generated on the fly by
`models.generate.generate_region` from a fixed seed, so every id always names the same region.
Each entry records its size; `BenchmarkInstance.load` checks that the loaded region has it, so a
changed instance or generator cannot silently change what a benchmark measures.

Ids:

* ``haaglanden``, ``mra``, ``parkstad-limburg``, ``groningen``: the four pilot regions;
  ``nl-342``: the Netherlands, its 342 municipalities of 2024 (the national instance);
* ``syn-N-gG``: ``generate_region(N, G, seed=2024)``. The suite holds N = 50, 342, 1,000, 5,000
  and 15,000 (the number of CBS neighbourhoods, the scale of a national run at neighbourhood
  level) and G = 4 to 12; `get_instance` also accepts any other ``syn-N-gG`` (no reference then);
* ``<base>-tight``, ``<base>-loose``, ``<base>-infeasible``: a variant of a base instance, made
  from the loaded base region with `dataclasses.replace` (`VARIANTS`), so as deterministic as
  the base.

The reference stage objectives, the difficulty tag and the expected status of each instance are
measured, not declared: they live in ``benchmarks/references.json`` (`benchmarks.references`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from instances import bundled_instance
from models.generate import generate_region
from models.loader import load_region
from models.region import Region, Targets

#: The seed of every synthetic instance.
SYNTHETIC_SEED = 2024
#: ``tight``: plan capacity kept, as a fraction of the base instance's.
TIGHT_CAPACITY = Fraction(9, 10)
#: ``tight``: the groups' demand in dwellings over the largest possible letting pool.
TIGHT_DEMAND_OVER_POOL = Fraction(11, 10)
#: ``loose``: plan capacity, and the groups' demand, as a fraction of the base instance's.
LOOSE_CAPACITY = Fraction(3, 2)
LOOSE_DEMAND = Fraction(1, 2)


def tighten(region: Region) -> Region:
    """The ``tight`` variant: less room to build and more demand than the letting pool can take.

    Every municipality's plan capacity becomes ``floor(9/10 * capacity)`` (its minimum at most
    that, the regional total at most their sum), and every group's demand is scaled by one factor
    so that the demand in dwellings is 11/10 of the largest possible letting pool,
    ``letting_priority_max * (lettings over the horizon + the regional new-build maximum)``. Some
    demand is then unmet in every allocation, so the needs stage has a real shortfall to share.
    """
    members = []
    for m in region.municipalities:
        capacity = math.floor(m.plan_capacity * TIGHT_CAPACITY)
        minimum = None if m.min_new_homes is None else min(m.min_new_homes, capacity)
        members.append(replace(m, plan_capacity=capacity, min_new_homes=minimum))
    total = sum(m.plan_capacity for m in members)
    targets = Targets(
        min(region.targets.new_homes_min, total), min(region.targets.new_homes_max, total)
    )
    lettings = sum(
        (region.turnover_rate(m) * m.social_stock * region.horizon_years for m in members),
        Fraction(0),
    )
    pool = region.policy.letting_priority_max * (lettings + targets.new_homes_max)
    demand = sum(g.demand_dwellings for g in region.groups)
    factor = TIGHT_DEMAND_OVER_POOL * pool / demand if demand else Fraction(1)
    groups = tuple(replace(g, demand=math.ceil(g.demand * factor)) for g in region.groups)
    return replace(
        region,
        name=f"{region.name} (tight)",
        municipalities=tuple(members),
        targets=targets,
        groups=groups,
    )


def loosen(region: Region) -> Region:
    """The ``loose`` variant: every plan capacity ``floor(3/2 * capacity)`` and every group's
    demand ``floor(demand / 2)``; the regional total is unchanged. More freedom where to build, and
    the letting pool is far from binding."""
    members = tuple(
        replace(m, plan_capacity=math.floor(m.plan_capacity * LOOSE_CAPACITY))
        for m in region.municipalities
    )
    groups = tuple(replace(g, demand=math.floor(g.demand * LOOSE_DEMAND)) for g in region.groups)
    return replace(region, name=f"{region.name} (loose)", municipalities=members, groups=groups)


def make_infeasible(region: Region) -> Region:
    """The ``infeasible`` variant, by design: the regional new-build total (minimum and maximum)
    is one home more than the summed plan capacity, so ``new_build_total`` and ``plan_capacity``
    cannot both hold and every solver must answer ``infeasible``.

    Raises:
        ValueError: if the region switches either rule off (the variant would not be infeasible).
    """
    for rule in ("new_build_total", "plan_capacity"):
        if not region.policy.rule_enabled(rule):
            raise ValueError(f"the infeasible variant needs the rule {rule!r}, which is off")
    total = sum(m.plan_capacity for m in region.municipalities) + 1
    return replace(region, name=f"{region.name} (infeasible)", targets=Targets(total, total))


#: The variants by suffix.
VARIANTS: dict[str, Callable[[Region], Region]] = {
    "tight": tighten,
    "loose": loosen,
    "infeasible": make_infeasible,
}


@dataclass(frozen=True)
class BenchmarkInstance:
    """One instance of the suite.

    Attributes:
        id: the stable id used on the command line and in the results.
        bundled: the name of the bundled instance (`instances.bundled_instance`), or ``None`` for a
            synthetic one.
        seed: the seed of `generate_region` for a synthetic instance, ``None`` for a bundled one.
        municipalities: number of municipalities.
        groups: number of target groups.
        variant: ``None`` for a base instance, else a key of `VARIANTS`.
    """

    id: str
    bundled: str | None
    seed: int | None
    municipalities: int
    groups: int
    variant: str | None = None

    @property
    def synthetic(self) -> bool:
        """True for an instance generated by `generate_region`."""
        return self.bundled is None

    @property
    def base_id(self) -> str:
        """The id of the base instance (the id itself for a base instance)."""
        return self.id.removesuffix(f"-{self.variant}") if self.variant else self.id

    @property
    def how_to_load(self) -> str:
        """How the instance is obtained, as one line of text."""
        if self.bundled is not None:
            text = f"load_region(bundled_instance({self.bundled!r}))"
        else:
            text = f"generate_region({self.municipalities}, {self.groups}, seed={self.seed})"
        if self.variant is not None:
            text = f"{VARIANTS[self.variant].__name__}({text})"
        return text

    def load(self) -> Region:
        """Load or generate the region (and apply the variant).

        Raises:
            ValueError: if the region does not have the recorded size.
        """
        if self.bundled is not None:
            region = load_region(bundled_instance(self.bundled))
        else:
            if self.seed is None:
                raise ValueError(f"synthetic instance {self.id} has no seed")
            region = generate_region(self.municipalities, self.groups, self.seed)
        size = (len(region.municipalities), len(region.groups))
        if size != (self.municipalities, self.groups):
            raise ValueError(
                f"instance {self.id}: expected {self.municipalities} municipalities and "
                f"{self.groups} groups, loaded {size[0]} and {size[1]}"
            )
        if self.variant is not None:
            region = VARIANTS[self.variant](region)
        return region


def _bundled(instance_id: str, name: str, municipalities: int, groups: int) -> BenchmarkInstance:
    return BenchmarkInstance(instance_id, name, None, municipalities, groups)


def _synthetic(municipalities: int, groups: int) -> BenchmarkInstance:
    instance_id = f"syn-{municipalities}-g{groups}"
    return BenchmarkInstance(instance_id, None, SYNTHETIC_SEED, municipalities, groups)


def _variant(base: BenchmarkInstance, variant: str) -> BenchmarkInstance:
    return replace(base, id=f"{base.id}-{variant}", variant=variant)


_BASES: tuple[BenchmarkInstance, ...] = (
    _bundled("haaglanden", "haaglanden", 9, 5),
    _bundled("mra", "mra", 30, 5),
    _bundled("parkstad-limburg", "parkstad-limburg", 7, 5),
    _bundled("groningen", "groningen", 10, 5),
    _bundled("nl-342", "nl", 342, 5),
    _synthetic(50, 4),
    _synthetic(50, 8),
    _synthetic(342, 4),
    _synthetic(342, 8),
    _synthetic(342, 12),
    _synthetic(1000, 8),
    _synthetic(5000, 8),
    _synthetic(15000, 8),
)
#: The base instances that have the three variants.
VARIANT_BASES: tuple[str, ...] = ("syn-50-g4", "nl-342", "syn-342-g8")

#: The suite: the base instances (real ones first, then the synthetic ones by size), then the
#: variants by base.
SUITE: tuple[BenchmarkInstance, ...] = (
    *_BASES,
    *(
        _variant(base, variant)
        for base in _BASES
        if base.id in VARIANT_BASES
        for variant in VARIANTS
    ),
)

INSTANCE_IDS: tuple[str, ...] = tuple(entry.id for entry in SUITE)
_SYNTHETIC_ID = re.compile(r"syn-(\d+)-g(\d+)(?:-(tight|loose|infeasible))?")


def get_instance(instance_id: str) -> BenchmarkInstance:
    """The suite entry with this id; any other ``syn-N-gG[-variant]`` is made on the fly.

    Raises:
        KeyError: for an unknown id.
    """
    for entry in SUITE:
        if entry.id == instance_id:
            return entry
    match = _SYNTHETIC_ID.fullmatch(instance_id)
    if match is not None:
        base = _synthetic(int(match[1]), int(match[2]))
        return base if match[3] is None else _variant(base, match[3])
    raise KeyError(
        f"unknown benchmark instance {instance_id!r}; known: {', '.join(INSTANCE_IDS)} "
        "(or any syn-N-gG[-tight|-loose|-infeasible])"
    )
