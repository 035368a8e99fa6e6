"""The synthetic region generator: deterministic, valid by construction, connected, Dutch-like."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import networkx as nx
import pytest

from models.generate import (
    GROUP_SPECS,
    MAX_MUNICIPALITIES,
    MAX_MUNICIPALITY_CODES,
    generate_region,
)
from models.loader import load_instance
from models.region import Region
from models.schema import CODE_PATTERN
from models.writer import write_instance_dir

ROOT = Path(__file__).resolve().parent.parent


def written_files(region: Region, directory: Path) -> dict[str, bytes]:
    """Write the region as an instance directory and return its files by name."""
    write_instance_dir(region, directory)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def letting_capacity(region: Region) -> Fraction:
    """The share of lettings over the horizon that may go to priority groups."""
    lettings = sum(
        region.turnover_rate(m) * m.social_stock * region.horizon_years
        for m in region.municipalities
    )
    new_social = region.targets.new_homes_min * region.policy.social_new_build_min
    return region.policy.letting_priority_max * (lettings + new_social)


@pytest.fixture(scope="module")
def region_1000() -> Region:
    return generate_region(1000, 12, seed=2024)


def test_same_seed_gives_equal_regions_and_identical_files(tmp_path: Path) -> None:
    first = generate_region(300, 12, seed=11)
    second = generate_region(300, 12, seed=11)
    assert first == second
    files = written_files(first, tmp_path / "a")
    assert sorted(files) == ["adjacency.csv", "municipalities.csv", "region.toml"]
    assert files == written_files(second, tmp_path / "b")


def test_output_does_not_depend_on_string_hashing(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from models.generate import generate_region; "
        "from models.writer import write_instance_dir; "
        "write_instance_dir(generate_region(200, 12, seed=5), Path(sys.argv[1]))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        directory = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", script, str(directory)], check=True, cwd=ROOT, env=env
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(directory.iterdir())})
    assert outputs[0] == outputs[1]
    assert outputs[0] == written_files(generate_region(200, 12, seed=5), tmp_path / "here")


def test_different_seeds_differ() -> None:
    one = generate_region(200, 5, seed=1)
    two = generate_region(200, 5, seed=2)
    assert [m.population for m in one.municipalities] != [m.population for m in two.municipalities]
    assert [(e.code_a, e.code_b) for e in one.edges] != [(e.code_a, e.code_b) for e in two.edges]
    assert [g.demand for g in one.groups] != [g.demand for g in two.groups]


def test_negative_seed_differs_from_its_absolute_value() -> None:
    positive = generate_region(50, 2, seed=5)
    negative = generate_region(50, 2, seed=-5)
    assert positive.municipalities != negative.municipalities


def test_number_of_groups_leaves_the_municipalities_unchanged() -> None:
    few = generate_region(100, 1, seed=3)
    many = generate_region(100, 12, seed=3)
    assert few.municipalities == many.municipalities
    assert few.edges == many.edges
    assert few.targets == many.targets


@pytest.mark.parametrize(
    ("municipalities", "groups"), [(1, 1), (2, 2), (3, 12), (10, 7), (342, 12), (1000, 5)]
)
def test_written_instance_validates_and_round_trips(
    municipalities: int, groups: int, tmp_path: Path
) -> None:
    region = generate_region(municipalities, groups, seed=municipalities)
    write_instance_dir(region, tmp_path)
    loaded = load_instance(tmp_path)
    assert loaded.warnings == ()
    assert loaded.region == region


@pytest.mark.parametrize("municipalities", [1, 2, 3, 5, 17, 342, 1000])
def test_graph_is_connected_and_planar(municipalities: int) -> None:
    graph = generate_region(municipalities, 3, seed=8).graph()
    assert graph.number_of_nodes() == municipalities
    assert nx.is_connected(graph)
    assert nx.check_planarity(graph)[0]


@pytest.mark.parametrize(("municipalities", "groups"), [(1, 12), (7, 1), (342, 5), (1000, 12)])
def test_sizes_are_as_asked(municipalities: int, groups: int) -> None:
    region = generate_region(municipalities, groups, seed=1)
    assert len(region.municipalities) == municipalities
    assert region.codes == tuple(f"GM{i:04d}" for i in range(1, municipalities + 1))
    assert [g.id for g in region.groups] == [s.id for s in GROUP_SPECS[:groups]]
    assert region.horizon_years == 7
    assert region.base_year == 2024
    assert region.default_turnover_rate == Fraction(8159, 142000)
    assert "seed 1" in region.name
    assert "synthetic" in region.source.lower()


def test_group_units_and_household_sizes() -> None:
    groups = {g.id: g for g in generate_region(20, 12, seed=1).groups}
    assert groups["permit_holders"].unit == "persons"
    assert groups["permit_holders"].household_size == 2
    assert groups["labour_migrants"].household_size == Fraction(3, 2)
    assert groups["students"].household_size == Fraction(6, 5)
    persons = {g for g, group in groups.items() if group.unit == "persons"}
    assert persons == {"permit_holders", "labour_migrants", "students"}


def test_population_is_dutch_like(region_1000: Region) -> None:
    populations = [m.population for m in region_1000.municipalities]
    assert 10_000 <= statistics.median(populations) <= 60_000
    assert min(populations) >= 900
    assert max(populations) <= 950_000
    assert max(populations) > 10 * statistics.median(populations)  # heavy right tail
    assert statistics.mean(populations) > statistics.median(populations)


def test_stock_is_dutch_like(region_1000: Region) -> None:
    ms = region_1000.municipalities
    assert all(0 <= m.social_stock <= m.dwellings for m in ms)
    shares = [m.social_share for m in ms]
    assert Fraction(18, 100) <= statistics.mean(shares) <= Fraction(32, 100)
    within = sum(Fraction(1, 10) <= s <= Fraction(45, 100) for s in shares)
    assert within >= 0.9 * len(ms)
    persons = sum(m.population for m in ms) / sum(m.dwellings for m in ms)
    assert 2.0 <= persons <= 2.4
    assert all(1.5 <= m.population / m.dwellings <= 3.2 for m in ms)
    plan = [m.plan_capacity / m.dwellings for m in ms]
    assert all(0.025 <= p <= 0.125 for p in plan)
    turnover = [m.turnover_rate for m in ms]
    assert all(t is not None and Fraction(3, 100) <= t <= Fraction(9, 100) for t in turnover)
    assert 0.05 <= statistics.mean(float(t or 0) for t in turnover) <= 0.065


def test_locations_lie_in_the_netherlands(region_1000: Region) -> None:
    for m in region_1000.municipalities:
        assert m.latitude is not None and m.longitude is not None
        assert Fraction("50.75") <= m.latitude <= Fraction("53.55")
        assert Fraction("3.35") <= m.longitude <= Fraction("7.22")
        assert (m.latitude * 10_000).denominator == 1
        assert (m.longitude * 10_000).denominator == 1


def test_edges_are_sorted_unique_and_plausible(region_1000: Region) -> None:
    edges = region_1000.edges
    pairs = [(e.code_a, e.code_b) for e in edges]
    assert pairs == sorted(set(pairs))
    assert all(a < b for a, b in pairs)
    assert all(e.contact == "edge" for e in edges)
    assert all(
        e.shared_border_km is not None
        and 0 < e.shared_border_km < 100
        and (e.shared_border_km * 100).denominator == 1
        for e in edges
    )
    mean_degree = 2 * len(edges) / len(region_1000.municipalities)
    assert 4 <= mean_degree <= 6


def test_subregions_group_neighbours(region_1000: Region) -> None:
    ms = region_1000.municipalities
    subregions = {m.subregion for m in ms}
    assert None not in subregions
    assert math.sqrt(len(ms)) / 2 <= len(subregions) <= 2 * math.sqrt(len(ms))
    for name in subregions:
        members = [m.code for m in ms if m.subregion == name]
        assert nx.is_connected(region_1000.graph().subgraph(members)), name


def test_centres_are_the_largest_and_house_sheltered_outflow(region_1000: Region) -> None:
    ms = region_1000.municipalities
    centres = {m.code for m in ms if m.care_facilities == 1}
    assert all(m.care_facilities in (0, 1) for m in ms)
    assert len(centres) == 100
    smallest_centre = min(m.population for m in ms if m.code in centres)
    assert all(m.population <= smallest_centre for m in ms if m.code not in centres)
    sheltered = region_1000.group("sheltered_housing_outflow")
    assert sheltered.only_in == frozenset(centres)
    others = [g for g in region_1000.groups if g.id != "sheltered_housing_outflow"]
    assert all(g.only_in is None and not g.not_in for g in others)


@pytest.mark.parametrize("seed", range(5))
def test_demand_is_a_feasible_share_of_lettings_and_target_of_capacity(seed: int) -> None:
    region = generate_region(342, 12, seed=seed)
    demand = sum(g.demand_dwellings for g in region.groups)
    assert all(g.demand > 0 for g in region.groups)
    assert 0.4 <= demand / letting_capacity(region) <= 0.7
    capacity = sum(m.plan_capacity for m in region.municipalities)
    assert region.targets.new_homes_min == region.targets.new_homes_max
    assert 0.64 <= region.targets.new_homes_min / capacity <= 0.76


def test_large_regions_generate() -> None:
    region = generate_region(5000, 12, seed=9)
    assert len(region.municipalities) == 5000
    assert len(region.groups) == 12
    largest_gm = generate_region(MAX_MUNICIPALITY_CODES, 1, seed=9)
    assert largest_gm.codes[-1] == "GM9999"
    neighbourhoods = generate_region(MAX_MUNICIPALITY_CODES + 1, 1, seed=9)
    assert neighbourhoods.codes[0] == "BU00000001"
    assert neighbourhoods.codes[-1] == "BU00010000"
    for region in (largest_gm, neighbourhoods):
        assert all(CODE_PATTERN.fullmatch(code) for code in region.codes)


@pytest.mark.parametrize("groups", [0, -1, 13, 100])
def test_groups_outside_the_list_are_refused(groups: int) -> None:
    with pytest.raises(ValueError, match="groups must be between 1 and 12"):
        generate_region(10, groups, seed=1)


@pytest.mark.parametrize("municipalities", [0, -5])
def test_too_few_municipalities_are_refused(municipalities: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_region(municipalities, 3, seed=1)


def test_more_areas_than_the_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 100,000"):
        generate_region(MAX_MUNICIPALITIES + 1, 3, seed=1)


@pytest.mark.parametrize(
    ("municipalities", "groups", "seed"), [(10.0, 3, 1), (10, "3", 1), (True, 3, 1), (10, 3, 1.5)]
)
def test_arguments_that_are_not_ints_are_refused(
    municipalities: object, groups: object, seed: object
) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        generate_region(municipalities, groups, seed)  # type: ignore[arg-type]


def test_generate_command_writes_identical_valid_instances(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = runner.invoke(main, ["generate", "-m", "40", "-g", "3", "-s", "7", str(out)])
        assert result.exit_code == 0, result.output
    for name in ("region.toml", "municipalities.csv", "adjacency.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert runner.invoke(main, ["validate", str(first)]).exit_code == 0
    refused = runner.invoke(main, ["generate", "-m", "40", str(first)])
    assert refused.exit_code == 2
