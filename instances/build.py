"""Build the bundled real instances from the CBS tables in ``instances/sources``.

    python -m instances.build [--data instances/sources] [--out instances]

``instances/sources`` holds the public source tables (CBS figures for all 342 municipalities of
2024, the pilot regions with plan capacity, land adjacency, published figures) with ``SOURCES.md``.

Writes ``haaglanden``, ``mra``, ``parkstad-limburg``, ``groningen`` and ``nl``, each with
``region.toml``, ``municipalities.csv``, ``adjacency.csv`` and a ``README.md`` that gives every
figure's source and year and every assumption. The output is deterministic: running it again on the
same tables gives byte-identical files (a test checks the committed files against a rebuild).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import ceil
from pathlib import Path

from models.cells import format_fraction, round_half_up
from models.policy import Policy
from models.region import Edge, Municipality, Region, TargetGroup, Targets, Unit
from models.writer import write_instance_dir
from solver.apportionment import largest_remainder

DEFAULT_DATA = Path(__file__).resolve().parent / "sources"
DEFAULT_OUT = Path(__file__).resolve().parent

BASE_YEAR = 2024
HORIZON_YEARS = 7  # 1 January 2024 to 1 January 2031: the norm year 2030 included
HALF_YEARS = 2 * HORIZON_YEARS
NATIONAL_POPULATION = 17_942_942  # CBS, 1 January 2024 (sum of nl_municipalities_2024.csv)

#: Haaglanden: about 8,159 corporation lettings a year on a stock of about 142,000 (docs/DOMAIN.md).
HAAGLANDEN_TURNOVER = Fraction(8159, 142000)
#: National half-yearly permit-holder task, 2nd half of 2022 (published_figures.csv, gemeente.nu).
PERMIT_HOLDERS_PER_HALF_YEAR = 13_500
#: Centre municipalities for sheltered housing named in docs/DOMAIN.md.
CARE_CENTRES = {
    "GM0014": "Groningen",
    "GM0518": "'s-Gravenhage",
    "GM0363": "Amsterdam",
    "GM0917": "Heerlen",
}
#: The national plan-capacity ambition: 130% of the building task (assumption for `nl`).
PLAN_CAPACITY_FACTOR = Fraction(13, 10)


@dataclass(frozen=True)
class GroupSpec:
    """A target group of the bundled instances and how its demand is estimated."""

    id: str
    name: str
    unit: Unit
    household_size: Fraction
    per_10000_per_year: Fraction | None  # None: the statutory permit-holder key
    basis: str


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "permit_holders",
        "Statushouders (vergunninghouders)",
        "persons",
        Fraction(2),
        None,
        "statutory key (Huisvestingswet art. 29): 13,500 persons per half-year nationally "
        "(task of the 2nd half of 2022) x 14 half-years x the region's share of the national "
        "population, rounded up; household size 2 is an assumption",
    ),
    GroupSpec(
        "sheltered_housing_outflow",
        "Uitstroom beschermd wonen en maatschappelijke opvang",
        "households",
        Fraction(1),
        Fraction(4),
        "ILLUSTRATIVE: 4 households per 10,000 inhabitants per year (no published figure in "
        "the data)",
    ),
    GroupSpec(
        "homeless",
        "Dak- en thuislozen",
        "households",
        Fraction(1),
        Fraction(5),
        "ILLUSTRATIVE: 5 households per 10,000 inhabitants per year",
    ),
    GroupSpec(
        "youth_care_leavers",
        "Jongeren uit jeugdzorg",
        "households",
        Fraction(1),
        Fraction(2),
        "ILLUSTRATIVE: 2 households per 10,000 inhabitants per year",
    ),
    GroupSpec(
        "labour_migrants",
        "Arbeidsmigranten",
        "persons",
        Fraction(3, 2),
        Fraction(10),
        "ILLUSTRATIVE: 10 persons per 10,000 inhabitants per year, 1.5 persons per household",
    ),
)


@dataclass(frozen=True)
class RegionSpec:
    """How one bundled instance is made."""

    directory: str
    name: str
    members: str  # region name in koploper_regions.csv, or "" for all municipalities
    woondeal_total: int
    woondeal_source: str
    woondeal_scope: str  # "region", or a province whose total is shared by dwellings
    capacity: str  # "koploper", "regional:<total>", or "national"
    capacity_source: str


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(
        "haaglanden",
        "Haaglanden",
        "Haaglanden",
        75_000,
        "woondeal Haaglanden, 'ongeveer 75.000' homes to 2030 (wbv-willibrordus.nl, "
        "published_figures.csv)",
        "region",
        "regional:97300",
        "no per-municipality plan capacity is published; Zuid-Holland reports 97,300 for the "
        "Den Haag region 2021-2030 (instances/sources/SOURCES.md). ASSUMPTION: that total is "
        "shared over the municipalities in proportion to their dwellings (largest remainder)",
    ),
    RegionSpec(
        "mra",
        "Metropoolregio Amsterdam",
        "MRA",
        171_200,
        "woondeal MRA, 171,200 homes 2022-2030, signed 15 March 2023 (rijksoverheid.nl)",
        "region",
        "koploper",
        "Data Bewijst, about 2021: hard + soft plan capacity (koploper_regions.csv); Amsterdam "
        "excludes Weesp (3,417) and Purmerend excludes Beemster (1,567), merged since",
    ),
    RegionSpec(
        "parkstad-limburg",
        "Parkstad Limburg",
        "Parkstad Limburg",
        29_550,
        "woondeal Limburg, 29,550 homes to 2030 province-wide (limburg.begrotingsapp.nl); "
        "ASSUMPTION: Parkstad's part is the province total times Parkstad's share of the "
        "province's dwellings",
        "Limburg",
        "koploper",
        "Data Bewijst, about 2021: plan_capacity_total (koploper_regions.csv)",
    ),
    RegionSpec(
        "groningen",
        "Provincie Groningen",
        "Provincie Groningen",
        28_500,
        "three woondeals of the province of Groningen, 28,500 homes to 2030 "
        "(volkshuisvestingnederland.nl); the Groningen-Assen deal also covers Drenthe "
        "municipalities, so this overstates the province's own part",
        "region",
        "koploper",
        "Data Bewijst, about 2021: plan_capacity_total (koploper_regions.csv); for three "
        "municipalities hard + soft differs from the total in the source, the total is used",
    ),
    RegionSpec(
        "nl",
        "Nederland",
        "",
        900_000,
        "national housing agreements, 900,000 homes to 2030 (October 2022)",
        "region",
        "national",
        "no national per-municipality plan capacity in the data. ASSUMPTION: 130% of the "
        "900,000 (the national plan-capacity ambition) shared in proportion to dwellings "
        "(largest remainder)",
    ),
)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a source CSV file (UTF-8, comma-separated)."""
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def group_demand(spec: GroupSpec, population: int) -> int:
    """Regional demand over the horizon for one group (see `GroupSpec.basis`)."""
    if spec.per_10000_per_year is None:
        return ceil(
            Fraction(PERMIT_HOLDERS_PER_HALF_YEAR * HALF_YEARS * population, NATIONAL_POPULATION)
        )
    return ceil(spec.per_10000_per_year * population * HORIZON_YEARS / 10_000)


def build_region(
    spec: RegionSpec,
    cbs: list[dict[str, str]],
    koploper: list[dict[str, str]],
    adjacency: list[dict[str, str]],
) -> Region:
    """The region of one spec from the source tables."""
    members = {r["code"]: r for r in koploper if r["region"] == spec.members}
    rows = [r for r in cbs if not spec.members or r["code"] in members]
    if spec.members and len(rows) != len(members):
        missing = sorted(set(members) - {r["code"] for r in rows})
        raise SystemExit(f"koploper codes missing from the CBS table: {missing}")
    dwellings = {r["code"]: int(r["dwellings"]) for r in rows}
    if spec.capacity == "koploper":
        capacity = {code: int(members[code]["plan_capacity_total"]) for code in dwellings}
    elif spec.capacity == "national":
        capacity = largest_remainder(int(spec.woondeal_total * PLAN_CAPACITY_FACTOR), dwellings)
    else:
        capacity = largest_remainder(int(spec.capacity.split(":")[1]), dwellings)
    municipalities = []
    for r in rows:
        code = r["code"]
        subregion = (members[code]["mra_subregion"] or None) if spec.members else r["province"]
        municipalities.append(
            Municipality(
                code=code,
                name=r["name"],
                population=int(r["population"]),
                dwellings=int(r["dwellings"]),
                social_stock=round_half_up(
                    Fraction(int(r["corporation_share_pct"]) * int(r["dwellings"]), 100)
                ),
                plan_capacity=capacity[code],
                social_share_pct_given=Fraction(int(r["corporation_share_pct"])),
                social_stock_from_pct=True,
                latitude=Fraction(r["centroid_lat"]),
                longitude=Fraction(r["centroid_lon"]),
                care_facilities=1 if code in CARE_CENTRES and spec.members else None,
                subregion=subregion,
            )
        )
    municipalities.sort(key=lambda m: m.code)
    population = sum(m.population for m in municipalities)
    groups = tuple(
        TargetGroup(
            g.id,
            g.name,
            g.unit,
            group_demand(g, population),
            g.household_size,
        )
        for g in GROUPS
    )
    codes = set(dwellings)
    edges = sorted(
        (
            Edge(
                min(e["code_a"], e["code_b"]),
                max(e["code_a"], e["code_b"]),
                Fraction(e["shared_border_km"]) if e["shared_border_km"] else None,
                e["contact"] or None,
            )
            for e in adjacency
            if e["code_a"] in codes and e["code_b"] in codes
        ),
        key=lambda e: (e.code_a, e.code_b),
    )
    return Region(
        name=spec.name,
        base_year=BASE_YEAR,
        horizon_years=HORIZON_YEARS,
        default_turnover_rate=HAAGLANDEN_TURNOVER,
        targets=_targets(spec, cbs, sum(capacity.values()), sum(dwellings.values())),
        policy=Policy(),
        groups=groups,
        municipalities=tuple(municipalities),
        edges=tuple(edges),
        source=f"CBS 2024 (StatLine 85984NED, Wijk- en buurtkaart 2022); new-build target: "
        f"{spec.woondeal_source}; see README.md of this instance",
    )


def _targets(spec: RegionSpec, cbs: list[dict[str, str]], capacity: int, dwellings: int) -> Targets:
    """The woondeal total (or the region's part of a provincial one); if the known plan capacity
    falls short of it, the range from that capacity up to the woondeal total."""
    total = spec.woondeal_total
    if spec.woondeal_scope != "region":
        province = sum(int(r["dwellings"]) for r in cbs if r["province"] == spec.woondeal_scope)
        total = round_half_up(Fraction(total * dwellings, province))
    return Targets(min(total, capacity), total)


def readme(spec: RegionSpec, region: Region) -> str:
    """The instance README: figures, sources, years and assumptions."""
    ms = region.municipalities
    t = region.targets
    target = (
        f"{t.new_homes_min:,}"
        if t.new_homes_min == t.new_homes_max
        else f"from {t.new_homes_min:,} to {t.new_homes_max:,}"
    )
    capacity = sum(m.plan_capacity for m in ms)
    lines = [
        f"# {region.name}",
        "",
        f"{len(ms)} municipalities, stock on 1 January {region.base_year}, horizon "
        f"{region.horizon_years} years (to 1 January {region.horizon_year}, the norm year 2030 "
        "included). Built by `python -m instances.build` from `instances/sources` (see its "
        "`SOURCES.md`); do not edit by hand.",
        "",
        "| figure | value | source and year |",
        "| --- | --- | --- |",
        f"| population | {sum(m.population for m in ms):,} | CBS StatLine 85984NED, 1 Jan 2024 |",
        f"| dwellings | {sum(m.dwellings for m in ms):,} | CBS StatLine 85984NED, 1 Jan 2024 |",
        f"| social stock | {sum(m.social_stock for m in ms):,} | corporation-owned share of the "
        "stock (`social_share_pct`, whole percent: CBS 85984NED 2024, or CBS Wijk- en buurtkaart "
        "2022 where 2024 is missing) times dwellings, rounded half up. CBS warns that corporation "
        "ownership is not the same as rent below the liberalisation limit |",
        f"| plan capacity | {capacity:,} | {spec.capacity_source} |",
        f"| new-build target | {target} | {spec.woondeal_source}"
        + (
            ". The known plan capacity falls short of the woondeal: the target is the range from "
            "the plan capacity up to the woondeal total"
            if t.new_homes_min < t.new_homes_max
            else ""
        )
        + " |",
        f"| turnover of the social stock | {format_fraction(region.default_turnover_rate)} "
        "a year | Haaglanden: about 8,159 corporation lettings a year on about 142,000 homes "
        "(docs/DOMAIN.md); used for every region for want of a regional figure |",
        "| coordinates | centroids | area-weighted centroid of the CBS generalised boundaries "
        "2025 (about +-1 km) |",
        "| adjacency | "
        f"{len(region.edges)} borders | CBS generalised boundaries 2025; borders only across "
        "water are missing |",
        "",
        "Woondeal totals cover 2022-2030; homes completed in 2022-2023 are not deducted (no "
        "per-municipality completions in the data), so the remaining task is overstated.",
        "",
        "## Target groups (demand over the horizon)",
        "",
        "| group | demand | unit | basis |",
        "| --- | --- | --- | --- |",
    ]
    for g, gs in zip(region.groups, GROUPS, strict=True):
        lines.append(f"| {g.id} | {g.demand:,} | {g.unit} | {gs.basis} |")
    centres = [m.name for m in ms if m.care_facilities]
    lines += [
        "",
        "Groups may be housed in every municipality (no eligibility limits)."
        + (
            " `care_facilities = 1` marks the centre municipality for sheltered housing named "
            f"in docs/DOMAIN.md ({', '.join(centres)}); other centre municipalities are not marked."
            if centres
            else ""
        ),
        "",
        "Policy: the national defaults (30% norm; new build at least 2/3 affordable and 1/3 "
        "social; Wet versterking regie thresholds 30%; at most 40% of lettings to priority "
        "groups; population key).",
        "",
    ]
    return "\n".join(lines)


def build(data: Path, out: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Write the instances (all, or those named) under ``out``; returns their directories."""
    cbs = read_csv(data / "nl_municipalities_2024.csv")
    koploper = read_csv(data / "koploper_regions.csv")
    adjacency = read_csv(data / "adjacency_nl.csv")
    written = []
    for spec in REGIONS:
        if names is not None and spec.directory not in names:
            continue
        region = build_region(spec, cbs, koploper, adjacency)
        directory = out / spec.directory
        write_instance_dir(
            region,
            directory,
            header=f"{region.name}: built by `python -m instances.build`; "
            "see README.md for every source and assumption.",
        )
        (directory / "README.md").write_text(readme(spec, region), encoding="utf-8")
        written.append(directory)
    return written


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder of the source tables"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="instances folder")
    args = parser.parse_args()
    for directory in build(args.data, args.out):
        print(f"wrote {directory}")


if __name__ == "__main__":
    main()
