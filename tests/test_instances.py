"""The bundled real instances: they validate, match the CBS totals, rebuild byte-identically from
the committed source tables, and survive the CSV <-> XLSX round trip unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from instances import BUNDLED, bundled_instance
from instances.build import DEFAULT_DATA, build
from models.loader import load_instance
from models.workbook import workbook_bytes, write_workbook
from models.writer import write_instance_dir

MEMBERS = {"haaglanden": 9, "mra": 30, "parkstad-limburg": 7, "groningen": 10, "nl": 342}


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_instance_validates_with_expected_size(name: str) -> None:
    loaded = load_instance(bundled_instance(name))
    assert len(loaded.region.municipalities) == MEMBERS[name]
    assert all(p.severity == "warning" for p in loaded.warnings)


def test_national_instance_matches_the_cbs_totals() -> None:
    region = load_instance(bundled_instance("nl")).region
    assert sum(m.population for m in region.municipalities) == 17_942_942
    assert sum(m.dwellings for m in region.municipalities) == 8_204_049
    assert len(region.edges) == 880


def test_only_the_national_graph_is_disconnected() -> None:
    for name in BUNDLED:
        warnings = load_instance(bundled_instance(name)).warnings
        disconnected = any("not connected" in w.message for w in warnings)
        assert disconnected == (name == "nl"), name


#: Files kept beside a bundled instance that the build does not write (written by hand).
HAND_WRITTEN = {"batch.toml"}


def test_rebuild_from_sources_is_byte_identical(tmp_path: Path) -> None:
    written = build(DEFAULT_DATA, tmp_path)
    assert [d.name for d in written] == list(BUNDLED)
    for directory in written:
        committed = bundled_instance(directory.name)
        names = sorted(p.name for p in directory.iterdir())
        kept = sorted(p.name for p in committed.iterdir() if p.is_file())
        assert names == [name for name in kept if name not in HAND_WRITTEN]
        for name in names:
            assert (directory / name).read_bytes() == (committed / name).read_bytes(), name


@pytest.mark.parametrize("name", BUNDLED)
def test_csv_xlsx_round_trip_is_lossless(name: str, tmp_path: Path) -> None:
    original = load_instance(bundled_instance(name)).region
    workbook = tmp_path / f"{name}.xlsx"
    write_workbook(original, workbook)
    from_workbook = load_instance(workbook).region
    assert from_workbook == original
    back = tmp_path / name
    write_instance_dir(from_workbook, back)
    assert load_instance(back).region == original
    for table in ("municipalities.csv", "adjacency.csv"):
        assert (back / table).read_bytes() == (bundled_instance(name) / table).read_bytes()


def test_workbook_bytes_are_deterministic() -> None:
    region = load_instance(bundled_instance("haaglanden")).region
    assert workbook_bytes(region) == workbook_bytes(region)
