"""Seeded synthetic regions shaped like the Dutch municipalities, for scale tests and benchmarks.

`generate_region` builds a valid `Region` of any size up to 9,999 municipalities from a seed alone.
The same arguments always give an equal region (and byte-identical files through
`models.writer.write_instance_dir`): every draw comes from a private `random.Random` seeded with a
text that names the seed, in a fixed order, and nothing depends on set or dict iteration order. A
text seed is used because `random.Random` seeds an int by its absolute value, which would make
seeds ``5`` and ``-5`` give the same region. Municipalities and target groups have separate
streams, so the same seed gives the same municipalities for any number of groups.

The figures are random but shaped like the 342 Dutch municipalities of 2024 (CBS 85984NED, as in
``instances/nl``):

* Population: a two-piece lognormal, ``31,000 * exp(s * z)`` with ``z`` standard normal and
  ``s = 0.6`` below the median and ``0.9`` above it, clipped to 900..950,000. The Dutch sizes are
  right-skewed even on a log scale; with N = 342 this reproduces their quantiles (5%: 11,600,
  25%: 21,000, median 31,000, 90%: 97,000, 99%: 230,000; about 11 below 10,000 and 33 above
  100,000, against 12 and 32). The very largest cities (Amsterdam 931,000) are rarer than in
  reality.
* Dwellings: population over a household size of ``2.2 * exp(N(0, 0.075))`` persons per dwelling
  (clipped to 1.6..3.1), so about population / 2.2.
* Social stock (corporation-owned): a Beta share with mean ``0.245 + 0.035 * z`` (larger
  municipalities have more social housing; the Dutch correlation with log population is about 0.5)
  and concentration 50 (sd about 0.06): mostly 10%-45%, mean near 25%, a few above 45%.
* Plan capacity over the 7-year horizon: a triangular share (3%, 7%, 12%) of the stock.
* Yearly turnover of the social stock: normal around 5.7% with sd 1.2 points, clipped to 3%-9%,
  written with 4 decimals.
* Location: the municipalities fill a grid over the Netherlands' bounding box (latitude
  50.75-53.55, longitude 3.35-7.22) with cells about square in kilometres, filled row by row; the
  cells are shuffled over the codes so that code order says nothing about location. Each centroid
  lies in the middle 40% of its cell (4 decimals). Sizes do not depend on location.
* Adjacency: grid neighbours (the 4-neighbourhood), plus in 60% of the 2x2 blocks one of the two
  diagonals. A centroid moves at most 0.2 cell from its cell centre, so every block is a convex
  quadrilateral and its diagonal lies inside it: the graph is planar as drawn, and connected because
  the grid is filled row by row. Mean degree is 4.8-5.2 (5.1 in the Netherlands). A shared
  border is a triangular share (0.2, 0.6, 1.3) of the cell side in kilometres, a diagonal border
  3%-30% of it (2 decimals); the contact is always ``edge``.
* Subregions: the grid is cut into about sqrt(N) rectangular blocks, numbered in block order.
* Centre municipalities: the 10% largest by population (at least one) have ``care_facilities``
  1, the others 0; the outflow from sheltered housing may only be housed there.
* Target groups: the first ``groups`` of `GROUP_SPECS`, a fixed list of Dutch target groups, each
  with a yearly rate per 10,000 inhabitants (the first five as in ``instances/nl``) times a group
  factor of 0.8-1.25. All demands are then scaled together so that the demand in dwellings is
  45%-65% of the letting capacity: ``letting_priority_max`` times the lettings of the social stock
  over the horizon (turnover times stock times years) plus the social share of the new build. The
  instances are so feasible but not trivial.
* Regional new-build target: a fixed total of 65%-75% of the summed plan capacity.

Codes are ``GM0001``, ``GM0002``, ... up to 9,999 areas; beyond that the areas are neighbourhoods,
coded ``BU00000001``, ``BU00000002``, ... (the CBS neighbourhood code format), for national runs at
neighbourhood scale.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

from models.policy import Policy
from models.region import Edge, Municipality, Region, TargetGroup, Targets, Unit

#: Most areas with municipality codes (``GM`` plus 4 digits); more are coded as neighbourhoods.
MAX_MUNICIPALITY_CODES = 9999
#: Most areas a generated region can have.
MAX_MUNICIPALITIES = 100_000
BASE_YEAR = 2024
HORIZON_YEARS = 7
#: Haaglanden's corporation lettings per year over its corporation stock (as the bundled instances).
DEFAULT_TURNOVER_RATE = Fraction(8159, 142000)

#: Bounding box of the Netherlands in units of 1/10,000 degree.
LAT_MIN, LAT_MAX = 507_500, 535_500
LON_MIN, LON_MAX = 33_500, 72_200
#: Size of the bounding box in kilometres (north-south; east-west at latitude 52.15).
HEIGHT_KM = 311.3
WIDTH_KM = 264.0

POPULATION_MEDIAN = 31_000
POPULATION_SIGMA_BELOW = 0.6
POPULATION_SIGMA_ABOVE = 0.9
POPULATION_MIN, POPULATION_MAX = 900, 950_000
PERSONS_PER_DWELLING = 2.2
SOCIAL_SHARE_MEAN = 0.245
SOCIAL_SHARE_SLOPE = 0.035
SOCIAL_SHARE_CONCENTRATION = 50.0
PLAN_SHARE_LOW, PLAN_SHARE_MODE, PLAN_SHARE_HIGH = 0.03, 0.07, 0.12
TURNOVER_MEAN, TURNOVER_SD, TURNOVER_LOW, TURNOVER_HIGH = 0.057, 0.012, 0.03, 0.09
JITTER = 0.2
DIAGONAL_PROBABILITY = 0.6
CENTRE_SHARE = 0.1


@dataclass(frozen=True)
class GroupSpec:
    """A target group the generator can use, with its demand rate.

    Attributes:
        rate: demand in ``unit`` per 10,000 inhabitants per year, before scaling.
    """

    id: str
    name: str
    unit: Unit
    household_size: Fraction
    rate: float


#: The target groups in the order `generate_region` takes them.
GROUP_SPECS: tuple[GroupSpec, ...] = (
    GroupSpec("permit_holders", "Statushouders (vergunninghouders)", "persons", Fraction(2), 15.0),
    GroupSpec(
        "sheltered_housing_outflow",
        "Uitstroom beschermd wonen en maatschappelijke opvang",
        "households",
        Fraction(1),
        4.0,
    ),
    GroupSpec("homeless", "Dak- en thuislozen", "households", Fraction(1), 5.0),
    GroupSpec("youth_care_leavers", "Jongeren uit jeugdzorg", "households", Fraction(1), 2.0),
    GroupSpec("labour_migrants", "Arbeidsmigranten", "persons", Fraction(3, 2), 10.0),
    GroupSpec("medical_urgency", "Medische urgentie", "households", Fraction(1), 3.0),
    GroupSpec("social_urgency", "Sociale urgentie", "households", Fraction(1), 2.0),
    GroupSpec("detention_leavers", "Uitstroom detentie", "households", Fraction(1), 1.0),
    GroupSpec("caravan_dwellers", "Woonwagenbewoners", "households", Fraction(1), 0.5),
    GroupSpec("students", "Studenten", "persons", Fraction(6, 5), 6.0),
    GroupSpec("domestic_violence", "Slachtoffers huiselijk geweld", "households", Fraction(1), 1.5),
    GroupSpec("elderly_care", "Ouderen met een zorgvraag", "households", Fraction(1), 3.0),
)
SHELTERED = "sheltered_housing_outflow"


@dataclass(frozen=True)
class _Grid:
    """The layout grid: ``rows * cols >= n`` cells filled row by row from cell 0."""

    n: int
    rows: int
    cols: int

    @classmethod
    def for_size(cls, n: int) -> _Grid:
        """A grid for ``n`` cells whose cells are about square in kilometres."""
        cols = max(1, min(n, round(math.sqrt(n * WIDTH_KM / HEIGHT_KM))))
        return cls(n, -(-n // cols), cols)

    @property
    def cell_height_km(self) -> float:
        """North-south side of a cell in kilometres."""
        return HEIGHT_KM / self.rows

    @property
    def cell_width_km(self) -> float:
        """East-west side of a cell in kilometres."""
        return WIDTH_KM / self.cols


def generate_region(municipalities: int, groups: int, seed: int) -> Region:
    """A synthetic region of ``municipalities`` municipalities and the first ``groups`` groups.

    See the module docstring for the distributions. The result is valid: written with
    `models.writer.write_instance_dir` and loaded back it gives an equal region, with no warnings.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``municipalities`` is not in 1..9999 or ``groups`` not in 1..12.

    Examples:
        >>> region = generate_region(20, 3, seed=1)
        >>> region.codes[:2], [g.id for g in region.groups]
        (('GM0001', 'GM0002'), ['permit_holders', 'sheltered_housing_outflow', 'homeless'])
    """
    _check_arguments(municipalities, groups, seed)
    rng = random.Random(f"fairshare.generate municipalities {seed}")
    grid = _Grid.for_size(municipalities)
    cells = list(range(municipalities))
    rng.shuffle(cells)  # cells[i]: the grid cell of municipality i
    owner = [0] * municipalities
    for index, cell in enumerate(cells):
        owner[cell] = index
    populations, zs = _populations(rng, municipalities)
    centres = _centres(populations)
    subregions = _subregions(grid, cells)
    pattern = "GM{:04d}" if municipalities <= MAX_MUNICIPALITY_CODES else "BU{:08d}"
    codes = [pattern.format(number) for number in range(1, municipalities + 1)]
    lat_step = (LAT_MAX - LAT_MIN) / grid.rows
    lon_step = (LON_MAX - LON_MIN) / grid.cols
    members = []
    lettings = 0  # lettings of the social stock over the horizon, in 1/10,000 dwelling
    for index in range(municipalities):
        population, z = populations[index], zs[index]
        persons = PERSONS_PER_DWELLING * math.exp(rng.gauss(0.0, 0.075))
        dwellings = max(1, round(population / min(3.1, max(1.6, persons))))
        mean = SOCIAL_SHARE_MEAN + SOCIAL_SHARE_SLOPE * min(2.5, max(-2.5, z))
        share = rng.betavariate(
            SOCIAL_SHARE_CONCENTRATION * mean, SOCIAL_SHARE_CONCENTRATION * (1 - mean)
        )
        plan = rng.triangular(PLAN_SHARE_LOW, PLAN_SHARE_HIGH, PLAN_SHARE_MODE)
        turnover = min(TURNOVER_HIGH, max(TURNOVER_LOW, rng.gauss(TURNOVER_MEAN, TURNOVER_SD)))
        turnover_e4 = round(turnover * 10_000)
        social_stock = round(share * dwellings)
        lettings += turnover_e4 * social_stock * HORIZON_YEARS
        row, col = divmod(cells[index], grid.cols)
        latitude = LAT_MIN + (row + 0.5 + rng.uniform(-JITTER, JITTER)) * lat_step
        longitude = LON_MIN + (col + 0.5 + rng.uniform(-JITTER, JITTER)) * lon_step
        members.append(
            Municipality(
                code=codes[index],
                name=f"Synthetic {codes[index][2:]}",
                population=population,
                dwellings=dwellings,
                social_stock=social_stock,
                plan_capacity=round(plan * dwellings),
                turnover_rate=Fraction(turnover_e4, 10_000),
                latitude=Fraction(round(latitude), 10_000),
                longitude=Fraction(round(longitude), 10_000),
                care_facilities=1 if index in centres else 0,
                subregion=subregions[index],
            )
        )
    edges = _edges(rng, grid, owner, codes)
    capacity = sum(m.plan_capacity for m in members)
    new_homes = capacity * rng.randint(65, 75) // 100
    policy = Policy()
    letting_capacity = policy.letting_priority_max * (
        Fraction(lettings, 10_000) + new_homes * policy.social_new_build_min
    )
    target_groups = _groups(
        groups, seed, sum(populations), letting_capacity, frozenset(codes[i] for i in centres)
    )
    return Region(
        name=f"Synthetic region ({municipalities} municipalities, seed {seed})",
        base_year=BASE_YEAR,
        horizon_years=HORIZON_YEARS,
        default_turnover_rate=DEFAULT_TURNOVER_RATE,
        targets=Targets(new_homes, new_homes),
        policy=policy,
        groups=target_groups,
        municipalities=tuple(members),
        edges=edges,
        source=(
            f"Synthetic: models.generate.generate_region(municipalities={municipalities}, "
            f"groups={groups}, seed={seed}); random figures shaped like the Dutch "
            "municipalities of 2024, not real data"
        ),
    )


def _check_arguments(municipalities: int, groups: int, seed: int) -> None:
    """Raise `TypeError` or `ValueError` for arguments `generate_region` cannot use."""
    for name, value in (("municipalities", municipalities), ("groups", groups), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if municipalities > MAX_MUNICIPALITIES:
        raise ValueError(
            f"municipalities must be at most {MAX_MUNICIPALITIES:,}, not {municipalities}"
        )
    if municipalities < 1:
        raise ValueError(f"municipalities must be at least 1, not {municipalities}")
    if not 1 <= groups <= len(GROUP_SPECS):
        raise ValueError(
            f"groups must be between 1 and {len(GROUP_SPECS)} (the known target groups: "
            f"{', '.join(g.id for g in GROUP_SPECS)}), not {groups}"
        )


def _populations(rng: random.Random, n: int) -> tuple[list[int], list[float]]:
    """Populations from the two-piece lognormal, and the standard normal draw behind each."""
    populations, zs = [], []
    for _ in range(n):
        z = rng.gauss(0.0, 1.0)
        sigma = POPULATION_SIGMA_BELOW if z < 0 else POPULATION_SIGMA_ABOVE
        population = round(POPULATION_MEDIAN * math.exp(sigma * z))
        populations.append(min(POPULATION_MAX, max(POPULATION_MIN, population)))
        zs.append(z)
    return populations, zs


def _centres(populations: list[int]) -> set[int]:
    """Indices of the centre municipalities: the 10% largest (ties by index), at least one."""
    count = max(1, round(CENTRE_SHARE * len(populations)))
    ranked = sorted(range(len(populations)), key=lambda index: (-populations[index], index))
    return set(ranked[:count])


def _subregions(grid: _Grid, cells: list[int]) -> list[str]:
    """Each municipality's subregion: about sqrt(N) rectangular blocks of the grid."""
    wanted = max(1, round(math.sqrt(grid.n)))
    block_cols = max(1, min(grid.cols, round(math.sqrt(wanted * grid.cols / grid.rows))))
    block_rows = max(1, min(grid.rows, -(-wanted // block_cols)))

    def block(cell: int) -> int:
        row, col = divmod(cell, grid.cols)
        return (row * block_rows // grid.rows) * block_cols + col * block_cols // grid.cols

    blocks = [block(cell) for cell in cells]
    used = sorted(set(blocks))
    width = max(2, len(str(len(used))))
    number = {b: position + 1 for position, b in enumerate(used)}
    return [f"Subregion {number[b]:0{width}d}" for b in blocks]


def _edges(rng: random.Random, grid: _Grid, owner: list[int], codes: list[str]) -> tuple[Edge, ...]:
    """Borders between grid neighbours and one diagonal in some 2x2 blocks, sorted by code.

    ``owner[cell]`` is the index of the municipality in that cell, ``codes[index]`` its code.
    """
    pairs: list[tuple[int, int, Fraction]] = []

    def add(cell_a: int, cell_b: int, km: float) -> None:
        a, b = sorted((owner[cell_a], owner[cell_b]))
        pairs.append((a, b, Fraction(max(1, round(km * 100)), 100)))

    side = min(grid.cell_width_km, grid.cell_height_km)
    for cell in range(grid.n):
        col = cell % grid.cols
        east, north = cell + 1, cell + grid.cols
        has_east = col + 1 < grid.cols and east < grid.n
        if has_east:
            add(cell, east, grid.cell_height_km * rng.triangular(0.2, 1.3, 0.6))
        if north < grid.n:
            add(cell, north, grid.cell_width_km * rng.triangular(0.2, 1.3, 0.6))
        if has_east and north + 1 < grid.n and rng.random() < DIAGONAL_PROBABILITY:
            km = side * rng.uniform(0.03, 0.3)
            if rng.random() < 0.5:
                add(cell, north + 1, km)
            else:
                add(east, north, km)
    pairs.sort()
    return tuple(Edge(codes[a], codes[b], km, "edge") for a, b, km in pairs)


def _groups(
    count: int,
    seed: int,
    population: int,
    letting_capacity: Fraction,
    centres: frozenset[str],
) -> tuple[TargetGroup, ...]:
    """The first ``count`` groups with demands scaled to 45%-65% of the letting capacity."""
    rng = random.Random(f"fairshare.generate groups {seed}")
    load = rng.uniform(0.45, 0.65)
    factors = [rng.uniform(0.8, 1.25) for _ in GROUP_SPECS]
    specs = GROUP_SPECS[:count]
    raw = [
        spec.rate * factor * population * HORIZON_YEARS / 10_000
        for spec, factor in zip(specs, factors, strict=False)
    ]
    raw_dwellings = sum(
        amount / float(spec.household_size) for spec, amount in zip(specs, raw, strict=True)
    )
    scale = load * float(letting_capacity) / raw_dwellings
    return tuple(
        TargetGroup(
            spec.id,
            spec.name,
            spec.unit,
            round(amount * scale),
            spec.household_size,
            only_in=centres if spec.id == SHELTERED else None,
        )
        for spec, amount in zip(specs, raw, strict=True)
    )
