"""Loading an instance (a directory with ``region.toml`` or one ``.xlsx`` workbook) into a
validated `Region`, or one precise list of everything that is wrong with it.

Examples:
    >>> from instances import bundled_instance
    >>> region = load_region(bundled_instance("haaglanden"))
    >>> region.name
    'Haaglanden'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from models.cells import is_blank
from models.errors import InputError, Problem, raise_if_errors
from models.municipalities import read_adjacency, read_municipalities
from models.region import Edge, Municipality, Region, TargetGroup
from models.settings import Settings, SettingsDocument, read_settings, toml_key_lines
from models.tables import RawTable, read_csv_table
from models.workbook import ADJACENCY_SHEET, MUNICIPALITIES_SHEET, WorkbookInstance

REGION_FILE = "region.toml"


@dataclass(frozen=True)
class LoadedInstance:
    """A valid region and the warnings found while loading it."""

    region: Region
    warnings: tuple[Problem, ...]


def load_region(path: Path | str) -> Region:
    """Load and validate an instance; warnings are dropped (see `load_instance`).

    Raises:
        InputError: with every problem found, if the instance is invalid.
    """
    return load_instance(path).region


def load_instance(path: Path | str) -> LoadedInstance:
    """Load and validate an instance directory, ``region.toml`` file or ``.xlsx`` workbook.

    Raises:
        InputError: with every problem found (errors and warnings), if there is any error.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _load_workbook(path)
    if path.is_file() and path.name.endswith(".toml"):
        return _load_directory(path.parent, path.name)
    if path.is_dir():
        return _load_directory(path, REGION_FILE)
    missing = Problem(
        file=str(path),
        message="no such instance: neither a directory with region.toml nor an .xlsx workbook",
        fix="give the path of an instance directory, its region.toml, or a workbook",
    )
    raise InputError([missing])


def _load_directory(directory: Path, settings_name: str) -> LoadedInstance:
    settings_path = directory / settings_name
    if not settings_path.is_file():
        raise InputError(
            [
                Problem(
                    file=str(settings_path),
                    message="the instance has no settings file",
                    fix=f"create {settings_name} (example: instances/haaglanden/region.toml)",
                )
            ]
        )
    try:
        text = settings_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            [
                Problem(
                    file=settings_name,
                    message=f"not UTF-8 text (byte {error.start + 1} of the file)",
                    fix="save the file with the encoding UTF-8",
                )
            ]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise InputError(
            [
                Problem(
                    file=settings_name,
                    row=int(line.group(1)) if line else None,
                    message=f"not valid TOML: {error}",
                    fix='correct the syntax; text needs double quotes, e.g. name = "Haaglanden"',
                )
            ]
        ) from None
    lines = toml_key_lines(text)

    def locate(key_path: tuple[str | int, ...]) -> tuple[str | None, int | None]:
        for end in range(len(key_path), 0, -1):
            if key_path[:end] in lines:
                return None, lines[key_path[:end]]
        return None, None

    doc = SettingsDocument(data=data, file=settings_name, locate=locate)
    settings = read_settings(doc)
    municipalities_table = _table_file(
        directory, settings.municipalities_file, ("files", "municipalities"), doc, required=True
    )
    adjacency_table = None
    if settings.adjacency_file is not None:
        adjacency_table = _table_file(
            directory, settings.adjacency_file, ("files", "adjacency"), doc, required=True
        )
    return _assemble(settings, municipalities_table, adjacency_table, doc, [])


def _table_file(
    directory: Path, name: str, key: tuple[str, ...], doc: SettingsDocument, *, required: bool
) -> RawTable | None:
    """Read a table named in the settings; refuse a path that leaves the instance directory."""
    candidate = Path(name)
    root = directory.resolve()
    resolved = (directory / candidate).resolve()
    if candidate.is_absolute() or not resolved.is_relative_to(root):
        doc.report(
            key,
            "the path leads outside the instance directory",
            "put the file inside the instance directory and give its relative name",
            name,
        )
        return None
    if not resolved.is_file():
        if required:
            doc.report(
                key,
                f"the file {name} does not exist in {directory}",
                "create the file or correct its name",
                name,
            )
        return None
    return read_csv_table(resolved, display_name=candidate.as_posix())


def _load_workbook(path: Path) -> LoadedInstance:
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    file=str(path),
                    message="the workbook does not exist",
                    fix="give the path of an .xlsx instance workbook",
                )
            ]
        )
    workbook = WorkbookInstance(path)
    doc = workbook.settings()
    settings = read_settings(doc)
    return _assemble(
        settings,
        workbook.table(MUNICIPALITIES_SHEET),
        workbook.table(ADJACENCY_SHEET),
        doc,
        workbook.problems,
    )


def _assemble(
    settings: Settings,
    municipalities_table: RawTable | None,
    adjacency_table: RawTable | None,
    doc: SettingsDocument,
    source_problems: list[Problem],
) -> LoadedInstance:
    """Validate the tables against the settings and cross-check everything; raise or return.

    ``source_problems`` are those found before the settings were read (e.g. a missing sheet).
    """
    group_ids = tuple(g.id for g in settings.groups)
    municipalities: list[Municipality] = []
    listed: set[str] = set()
    if municipalities_table is not None:
        municipalities = read_municipalities(municipalities_table, group_ids)
        # Codes as listed, valid rows or not: a bad cell in a row is reported once, and does not
        # make every reference to that municipality "unknown" as well.
        listed = {
            str(code).strip()
            for r in municipalities_table.rows
            if not is_blank(code := r.cells.get("code"))
        }
    edges: list[Edge] = []
    if adjacency_table is not None:
        edges = read_adjacency(adjacency_table, listed)
    _cross_check(settings, municipalities, listed, municipalities_table, doc)
    tables = [t for t in (municipalities_table, adjacency_table) if t is not None]
    problems = _unique([*source_problems, *doc.problems, *(p for t in tables for p in t.problems)])
    region = Region(
        name=settings.name,
        base_year=settings.base_year,
        horizon_years=settings.horizon_years,
        default_turnover_rate=settings.default_turnover_rate or Fraction(0),
        targets=settings.targets,
        policy=settings.policy,
        groups=settings.groups,
        municipalities=tuple(municipalities),
        edges=tuple(edges),
        source=settings.source,
    )
    if municipalities and not any(p.severity == "error" for p in problems):
        problems.extend(_graph_warnings(region, adjacency_table))
    raise_if_errors(problems)
    return LoadedInstance(region, tuple(sorted(problems, key=Problem.sort_key)))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _cross_check(
    settings: Settings,
    municipalities: list[Municipality],
    codes: set[str],
    table: RawTable | None,
    doc: SettingsDocument,
) -> None:
    """Checks that need both the settings and the municipality table.

    ``codes`` are the codes the municipality table lists (in valid rows or not).
    """
    if table is not None and not table.rows and not table.problems:
        table.problems.append(
            table.problem("the table has no municipalities", "add one row per municipality", row=2)
        )
    if settings.policy.exchanges == "distance":
        lacking = [m.code for m in municipalities if m.latitude is None or m.longitude is None]
        if lacking:
            doc.report(
                ("policy", "exchanges"),
                f"exchanges by distance need latitude and longitude of every municipality; "
                f"missing for {', '.join(lacking[:10])}{' ...' if len(lacking) > 10 else ''}",
                'give the centroids, or use exchanges = "adjacent"',
                "distance",
            )
    for index, group in enumerate(settings.groups):
        _check_care(index, group, municipalities, doc)
        for key, listed in (
            ("only_in", group.only_in or frozenset()),
            ("not_in", group.not_in),
            ("care_at", group.care_at or frozenset()),
        ):
            for code in sorted(listed - codes):
                if codes:
                    doc.report(
                        ("groups", index, key),
                        "the code is not in the municipality table",
                        "use a code of the municipality table",
                        code,
                    )
    if settings.default_turnover_rate is None:
        lacking = [m.code for m in municipalities if m.turnover_rate is None]
        if lacking:
            doc.report(
                ("region", "default_turnover_rate"),
                f"{len(lacking)} municipalities have no turnover_rate and the region gives "
                "no default",
                "give default_turnover_rate under [region], e.g. 0.057",
            )
    capacity = sum(m.plan_capacity for m in municipalities)
    if municipalities and settings.targets.new_homes_min > capacity:
        doc.report(
            (
                "targets",
                "new_homes_min"
                if settings.targets.new_homes_min != settings.targets.new_homes_max
                else "new_homes",
            ),
            f"the regional minimum of {settings.targets.new_homes_min} new homes exceeds "
            f"the total plan capacity of {capacity}: no allocation can meet it",
            "lower the target or raise plan capacities",
            settings.targets.new_homes_min,
            severity="warning",
        )


def _check_care(
    index: int, group: TargetGroup, municipalities: list[Municipality], doc: SettingsDocument
) -> None:
    """A group that needs care must have a care location, and km need every centroid."""
    if not group.needs_care:
        return
    if group.care_at is None and not any((m.care_facilities or 0) > 0 for m in municipalities):
        doc.report(
            ("groups", index, "care_at"),
            "the group needs care nearby, but no municipality has care_facilities",
            "name the care locations with care_at, or give care_facilities in the table",
        )
    if group.care_within_km is not None:
        lacking = [m.code for m in municipalities if m.latitude is None or m.longitude is None]
        if lacking:
            doc.report(
                ("groups", index, "care_within_km"),
                f"distances in km need latitude and longitude of every municipality; missing "
                f"for {', '.join(lacking[:10])}{' ...' if len(lacking) > 10 else ''}",
                "give the centroids, or use care_within_hops",
                group.care_within_km,
            )


def _graph_warnings(region: Region, adjacency_table: RawTable | None) -> list[Problem]:
    """A warning if the region's adjacency graph is not connected (exchanges stay within parts)."""
    if adjacency_table is None:
        return []
    import networkx as nx

    graph = region.graph()
    if nx.is_connected(graph):
        return []
    parts = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    names = {m.code: m.name for m in region.municipalities}
    small = "; ".join(", ".join(f"{code} {names[code]}" for code in part) for part in parts[1:6])
    more = "" if len(parts) <= 6 else f" and {len(parts) - 6} more"
    return [
        adjacency_table.problem(
            f"the region's graph is not connected: {len(parts)} parts; outside the largest: "
            f"{small}{more}",
            "add the missing borders (e.g. across water) if exchanges between these "
            "parts should be possible",
            severity="warning",
        )
    ]
