"""Writing a `Region` as an instance directory: ``region.toml``, ``municipalities.csv`` and
``adjacency.csv`` (if the region has borders), in a canonical form (comma-separated UTF-8, decimal
points, rows sorted by code) so that equal regions give byte-identical files."""

from __future__ import annotations

from pathlib import Path

import tomli_w

from models.fileio import atomic_write_text
from models.loader import REGION_FILE
from models.region import Region
from models.serialize import (
    ADJACENCY_FILE,
    MUNICIPALITIES_FILE,
    adjacency_table,
    csv_text,
    municipality_table,
    settings_dict,
)


def region_toml(region: Region, header: str = "") -> str:
    """The text of ``region.toml``; ``header`` lines are written first as comments."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    settings = settings_dict(region)
    groups = settings.pop("groups")
    policy = settings.pop("policy")
    parts = [tomli_w.dumps(settings)]
    parts += [f"[[groups]]\n{tomli_w.dumps(group)}" for group in groups]
    parts += [tomli_w.dumps({"policy": policy})]
    return comments + "\n".join(part.rstrip("\n") + "\n" for part in parts)


def write_instance_dir(region: Region, directory: Path, header: str = "") -> None:
    """Write the region as an instance directory (each file atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / MUNICIPALITIES_FILE, csv_text(*municipality_table(region)))
    if region.edges:
        atomic_write_text(directory / ADJACENCY_FILE, csv_text(*adjacency_table(region)))
    atomic_write_text(directory / REGION_FILE, region_toml(region, header))
