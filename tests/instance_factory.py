"""Small valid instances written into a temporary directory, with knobs to break them.

`write_instance` writes the four-municipality region of `small_region` as an instance directory
(``region.toml``, ``municipalities.csv``, ``adjacency.csv``) in the canonical form of
`models.writer`, then applies the overrides it is given: single cells, whole columns, extra rows
and settings keys. Rows are addressed by the number a spreadsheet shows (header = row 1), so a test
can state exactly where the loader must report a problem.

Rows of ``municipalities.csv`` (sorted by code)::

    2 GM0518 's-Gravenhage
    3 GM0603 Rijswijk (ZH.)   (social stock given as social_share_pct = 30)
    4 GM0629 Wassenaar
    5 GM1916 Leidschendam-Voorburg

Rows of ``adjacency.csv``::

    2 GM0518-GM0603   3 GM0518-GM0629   4 GM0518-GM1916   5 GM0603-GM1916   6 GM0629-GM1916
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from models.errors import InputError, Problem
from models.loader import load_instance
from models.region import Edge, Municipality, Region
from models.serialize import adjacency_table, municipality_table, settings_dict
from models.template import example_region
from models.writer import write_instance_dir

#: Value for a settings override that removes the key.
DELETE = object()

MUNICIPALITIES = "municipalities.csv"
ADJACENCY = "adjacency.csv"
REGION = "region.toml"

#: Spreadsheet row of each municipality in the canonical municipalities.csv.
ROW = {"GM0518": 2, "GM0603": 3, "GM0629": 4, "GM1916": 5}


def small_region() -> Region:
    """The template's example region plus two neighbours: four municipalities, connected."""
    base = example_region()
    extra = (
        Municipality(
            code="GM0629",
            name="Wassenaar",
            population=27000,
            dwellings=11800,
            social_stock=2400,
            plan_capacity=1200,
            subregion="Haaglanden",
        ),
        Municipality(
            code="GM1916",
            name="Leidschendam-Voorburg",
            population=78000,
            dwellings=36500,
            social_stock=11000,
            plan_capacity=3000,
            turnover_rate=Fraction(6, 100),
            subregion="Haaglanden",
        ),
    )
    edges = (
        *base.edges,
        Edge("GM0518", "GM0629"),
        Edge("GM0518", "GM1916"),
        Edge("GM0603", "GM1916"),
        Edge("GM0629", "GM1916"),
    )
    return replace(
        base,
        municipalities=tuple(sorted((*base.municipalities, *extra), key=lambda m: m.code)),
        edges=tuple(sorted(edges, key=lambda e: (e.code_a, e.code_b))),
    )


# --- tables -----------------------------------------------------------------------------------


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a plain comma-separated UTF-8 file."""
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return records[0], records[1:]


def table_text(
    header: list[str], rows: Iterable[list[str]], *, delimiter: str = ",", newline: str = "\n"
) -> str:
    """A CSV text with the given separator and line ending."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_table(
    path: Path,
    header: list[str],
    rows: Iterable[list[str]],
    *,
    delimiter: str = ",",
    newline: str = "\n",
    encoding: str = "utf-8",
) -> Path:
    """Write a CSV file byte for byte as given (``encoding="utf-8-sig"`` adds a BOM)."""
    path.write_bytes(
        table_text(header, rows, delimiter=delimiter, newline=newline).encode(encoding)
    )
    return path


def edit_table(
    path: Path,
    *,
    cells: Mapping[tuple[int, str], str | None] = {},
    drop_columns: Iterable[str] = (),
    rename_columns: Mapping[str, str] = {},
    extra_rows: Iterable[Mapping[str, str]] = (),
    rows: Iterable[Mapping[str, str]] | None = None,
) -> None:
    """Change a canonical CSV file in place.

    ``cells`` maps (spreadsheet row, column) to a new value (``None``: blank); a column not in the
    header is appended to it. ``rows`` replaces all data rows; ``extra_rows`` are appended.
    """
    header, records = read_table(path)
    if rows is not None:
        records = [[row.get(c, "") for c in header] for row in rows]
    for row in extra_rows:
        records.append([row.get(c, "") for c in header])
    for (_, column), _value in cells.items():
        if column not in header:
            header.append(column)
            records = [[*r, ""] for r in records]
    for (number, column), value in cells.items():
        records[number - 2][header.index(column)] = "" if value is None else value
    for column in drop_columns:
        index = header.index(column)
        header.pop(index)
        records = [r[:index] + r[index + 1 :] for r in records]
    header = [rename_columns.get(c, c) for c in header]
    write_table(path, header, records)


# --- settings ---------------------------------------------------------------------------------


def settings_text(settings: Mapping[str, Any]) -> str:
    """region.toml text in the layout of `models.writer.region_toml` (groups before policy)."""
    settings = dict(settings)
    groups = settings.pop("groups", [])
    policy = settings.pop("policy", None)
    parts = [tomli_w.dumps(settings)]
    parts += [f"[[groups]]\n{tomli_w.dumps(group)}" for group in groups]
    if policy is not None:
        parts.append(tomli_w.dumps({"policy": policy}))
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def _apply(settings: dict[str, Any], dotted: str, value: Any) -> None:
    """Set (or with `DELETE` remove) a key given as ``"targets.demand.x"`` or ``"groups.0.id"``."""
    *parents, last = dotted.split(".")
    node: Any = settings
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def toml_line(directory: Path, pattern: str, occurrence: int = 1) -> int:
    """Line number (1-based) of the ``occurrence``-th line of region.toml matching ``pattern``."""
    found = 0
    text = (directory / REGION).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line.strip()):
            found += 1
            if found == occurrence:
                return number
    raise AssertionError(f"no line {pattern!r} in {directory / REGION}")


# --- instances --------------------------------------------------------------------------------


def write_instance(
    directory: Path,
    *,
    region: Region | None = None,
    cells: Mapping[tuple[int, str], str | None] = {},
    drop_columns: Iterable[str] = (),
    rename_columns: Mapping[str, str] = {},
    extra_rows: Iterable[Mapping[str, str]] = (),
    adjacency_cells: Mapping[tuple[int, str], str | None] = {},
    adjacency_rows: Iterable[Mapping[str, str]] | None = None,
    settings: Mapping[str, Any] = {},
) -> Path:
    """Write a valid instance into ``directory`` (created), then apply the overrides.

    ``settings`` maps dotted keys (``"region.horizon_years"``, ``"groups.0.household_size"``) to
    new values, or to `DELETE`. Returns ``directory``.
    """
    region = small_region() if region is None else region
    write_instance_dir(region, directory)
    municipalities = directory / MUNICIPALITIES
    if cells or drop_columns or rename_columns or extra_rows:
        edit_table(
            municipalities,
            cells=cells,
            drop_columns=drop_columns,
            rename_columns=rename_columns,
            extra_rows=extra_rows,
        )
    if adjacency_cells or adjacency_rows is not None:
        edit_table(directory / ADJACENCY, cells=adjacency_cells, rows=adjacency_rows)
    if settings:
        data = settings_dict(region)
        for dotted, value in settings.items():
            _apply(data, dotted, value)
        (directory / REGION).write_text(settings_text(data), encoding="utf-8")
    return directory


def canonical_tables(region: Region | None = None) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Header and rows of both tables as the writer would write them."""
    region = small_region() if region is None else region
    return {MUNICIPALITIES: municipality_table(region), ADJACENCY: adjacency_table(region)}


# --- looking at problems ----------------------------------------------------------------------


def load_problems(path: Path) -> tuple[Problem, ...]:
    """The problems of an instance that must not load (fails the test if it loads)."""
    with pytest.raises(InputError) as info:
        load_instance(path)
    return info.value.problems


def locations(problems: Iterable[Problem]) -> set[tuple[str, int | None, str | None]]:
    """(file, row, column) of every error (warnings left out)."""
    return {(p.file, p.row, p.column) for p in problems if p.severity == "error"}


def the_problem(
    problems: Iterable[Problem], file: str, row: int | None, column: str | None
) -> Problem:
    """The one error at this location (fails the test if there is none or more than one)."""
    found = [
        p
        for p in problems
        if p.severity == "error" and (p.file, p.row, p.column) == (file, row, column)
    ]
    assert len(found) == 1, f"expected one problem at {file}, {row}, {column}; got {problems}"
    return found[0]
