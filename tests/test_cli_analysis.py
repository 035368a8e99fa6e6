"""The analysis commands end to end (apportion, measure, audit, explain) and the policy options of
``solve``: happy paths on the bundled instances, exit codes, files written or refused, and bad
options that exit 2 with a message and no traceback."""

from __future__ import annotations

import csv
import re
import time
from dataclasses import replace
from fractions import Fraction
from math import ceil, floor
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from tiny_regions import OPTIONS, A, B, group, muni, region

from cli import main
from instances import bundled_instance
from models.cells import decimal
from models.loader import load_region
from models.region import Region
from models.writer import write_instance_dir
from reports.analysis import MEASURE_COLUMNS
from solver.check import Violation
from solver.quotas import compute_quotas
from solver.solve import solve

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

HAAGLANDEN = str(bundled_instance("haaglanden"))
PARKSTAD = str(bundled_instance("parkstad-limburg"))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_bad_option(result: Result, message: str) -> None:
    """Exit 2, the message on stderr, and no traceback."""
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Fix: " in result.stderr
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.stdout == ""


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def sheet(path: Path, name: str) -> list[list[object]]:
    workbook = openpyxl.load_workbook(path)
    return [[cell.value for cell in row] for row in workbook[name].iter_rows()]


# --- apportion ---------------------------------------------------------------------------------


def test_apportion_statutory_prints_the_overshoot_note() -> None:
    result = run("apportion", "--method", "statutory", "--total", "100")  # default: Haaglanden
    assert result.exit_code == 0, result.output
    populations = {m.code: m.population for m in load_region(HAAGLANDEN).municipalities}
    whole = sum(populations.values())
    shares = {c: ceil(Fraction(100 * p, whole)) for c, p in populations.items()}
    over = sum(shares.values()) - 100
    assert over == 4  # 10 + 49 + 6 + 3 + 12 + 10 + 2 + 7 + 5 = 104
    assert (
        f"statutory: {100 + over} of 100 by the key 'population'; Huisvestingswet art. 29 rounds "
        f"every share up, so the shares add up to {over} more than the total"
    ) in result.stdout
    for code, share in shares.items():
        line = next(line for line in result.stdout.splitlines() if code in line)
        assert line.split()[-1] == str(share), line


# Parkstad Limburg by population (256,180 in all), 50 units, quotas 50 * p / 256,180:
# Landgraaf 7.2433, Brunssum 5.4200, Heerlen 17.0702, Kerkrade 8.8436, Simpelveld 2.0015,
# Voerendaal 2.4153, Beekdaelen 7.0060. Floors add up to 48; the two largest remainders go to
# Kerkrade (0.8436) and Brunssum (0.4200).
HAMILTON_50 = [
    ["GM0882", "Landgraaf", "37112", "7.2433", "7"],
    ["GM0899", "Brunssum", "27770", "5.4200", "6"],
    ["GM0917", "Heerlen", "87461", "17.0702", "17"],
    ["GM0928", "Kerkrade", "45311", "8.8436", "9"],
    ["GM0965", "Simpelveld", "10255", "2.0015", "2"],
    ["GM0986", "Voerendaal", "12375", "2.4153", "2"],
    ["GM1954", "Beekdaelen", "35896", "7.0060", "7"],
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_apportion_writes_the_table_and_refuses_to_overwrite(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"split{suffix}"
    args = ["apportion", PARKSTAD, "--method", "hamilton", "--total", "50", "--out", str(out)]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "hamilton: 50 of 50 by the key 'population'" in result.stdout
    assert f"wrote {out}" in result.stdout
    header = ["code", "name", "weight", "quota", "hamilton"]
    if suffix == ".csv":
        assert read_csv(out) == [header, *HAMILTON_50]
    else:
        rows = sheet(out, "hamilton")
        assert rows[0] == header
        assert [[str(v) for v in row] for row in rows[1:]] == [
            [r[0], r[1], r[2], str(float(r[3])), r[4]] for r in HAMILTON_50
        ]

    written = out.read_bytes()
    refused = run(*args[:-2], "--total", "60", "--out", str(out))
    assert_bad_option(refused, "the output exists already")
    assert "--force" in refused.stderr
    assert out.read_bytes() == written
    forced = run(*args[:-2], "--total", "60", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes() != written


# --- measure -----------------------------------------------------------------------------------


def test_measure_a_directory_written_by_solve(tmp_path: Path) -> None:
    solution = tmp_path / "solution"
    solved = run("solve", PARKSTAD, "--out", str(solution))
    assert solved.exit_code == 0, solved.output
    municipalities = read_csv(solution / "municipalities.csv")
    explanation = municipalities[0].index("explanation")
    assert all(row[explanation].startswith("quota ") for row in municipalities[1:])
    header, *cells = read_csv(solution / "placements.csv")
    placed = sum(int(row[header.index("placed")]) for row in cells)

    out = tmp_path / "measures.xlsx"
    result = run("measure", PARKSTAD, str(solution), "--out", str(out))
    assert result.exit_code == 0, result.output
    for name in ("placements", "max relative deviation", "Gini", "Loosemore-Hanby"):
        assert name in result.stdout
    assert re.search(rf"^\s+placements\s+{placed}\s", result.stdout, re.MULTILINE)
    assert f"wrote {out}" in result.stdout

    summary = sheet(out, "measures")
    assert summary[0] == ["measure", "value", "meaning"]
    assert ["placements", placed] == summary[1][:2]
    rows = sheet(out, "municipalities")
    assert rows[0] == list(MEASURE_COLUMNS)
    assert [row[0] for row in rows[1:]] == [row[0] for row in municipalities[1:]]

    again = run("measure", PARKSTAD, str(solution), "--out", str(out))
    assert_bad_option(again, "the output exists already")


# --- audit -------------------------------------------------------------------------------------


def largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Hamilton's method written out: floors, then the largest remainders (ties to the lower
    code)."""
    whole = sum(weights.values())
    quotas = {c: Fraction(total * w, whole) for c, w in weights.items()}
    shares = {c: floor(q) for c, q in quotas.items()}
    left = total - sum(shares.values())
    for c in sorted(quotas, key=lambda c: (-(quotas[c] - shares[c]), c))[:left]:
        shares[c] += 1
    return shares


def test_audit_hamilton_finds_the_alabama_paradoxes_of_haaglanden() -> None:
    result = run("audit", HAAGLANDEN, "--method", "hamilton", "--from", "1", "--to", "200")
    assert result.exit_code == 0, result.output
    weights = {m.code: m.population for m in load_region(HAAGLANDEN).municipalities}
    expected = []
    for total in range(2, 201):
        before, after = largest_remainder(total - 1, weights), largest_remainder(total, weights)
        expected += [
            f"  total {total - 1} -> {total}: {c} falls from {before[c]} to {after[c]} "
            "(Alabama paradox)"
            for c in sorted(weights)
            if after[c] < before[c]
        ]
    assert expected  # at least one, e.g. total 85 -> 86: GM1842 falls from 2 to 1
    assert "  total 85 -> 86: GM1842 falls from 2 to 1 (Alabama paradox)" in expected
    lines = result.stdout.splitlines()
    assert lines[0] == f"audit of hamilton, totals 1..200: {len(expected)} violation(s)"
    assert lines[1:] == expected


def test_audit_webster_finds_no_paradox() -> None:
    result = run("audit", HAAGLANDEN, "--method", "webster", "--from", "1", "--to", "200")
    assert result.exit_code == 0, result.output
    assert result.stdout == "audit of webster, totals 1..200: 0 violation(s)\n"


def test_audit_optimiser_checks_every_allocation_it_compares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer that breaks a rule is an internal error (exit 1), not a point of the audit."""
    import reports.analysis as analysis

    broken = Violation("plan_capacity", "GM0899", "12 new homes, plan capacity 10", Fraction(2))
    monkeypatch.setattr(analysis, "check_allocation", lambda *_: [broken])
    monkeypatch.delenv("FAIRSHARE_DEBUG", raising=False)
    args = ["--optimiser", "--group", "homeless", "--from", "10", "--to", "10"]
    result = run("audit", PARKSTAD, *args)
    assert result.exit_code == 1, result.output
    assert "breaks the rules: plan_capacity[GM0899]" in result.stderr


# Each reported violation is checked against two solves of our own.
def test_audit_optimiser_sweeps_a_group_demand() -> None:
    args = ["--optimiser", "--group", "homeless", "--from", "10", "--to", "12"]
    result = run("audit", PARKSTAD, *args)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("  solving: demand ") == 3
    lines = result.stdout.splitlines()
    head = re.fullmatch(
        r"audit of the optimiser \(sum_abs_deviation\), demand of homeless 10\.\.12: "
        r"(\d+) violation\(s\)",
        lines[0],
    )
    assert head, lines[0]
    assert int(head.group(1)) == len(lines) - 1
    parkstad = load_region(PARKSTAD)

    def placed(total: int, code: str) -> int:
        groups = tuple(
            replace(g, demand=total) if g.id == "homeless" else g for g in parkstad.groups
        )
        allocation = solve(replace(parkstad, groups=groups), "ortools", OPTIONS).allocation
        assert allocation is not None
        return allocation.placed.get((code, "homeless"), 0)

    for line in lines[1:]:
        found = re.fullmatch(
            r"  total (\d+) -> (\d+): (GM\d{4}) falls from (\d+) to (\d+) \(Alabama paradox\)", line
        )
        assert found, line
        before, after, code, was, becomes = found.groups()
        assert placed(int(before), code) == int(was) > int(becomes) == placed(int(after), code)


# --- explain -----------------------------------------------------------------------------------


def test_explain_a_feasible_bundled_instance_exits_0() -> None:
    result = run("explain", PARKSTAD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "the instance is feasible: every hard rule can hold\n"


def infeasible_region() -> Region:
    """min_new_homes 6 + 6 above a regional maximum of 10 (capacities 10 each, so the total
    capacity 20 is enough and validation accepts it)."""
    return region([muni(A, min_new=6), muni(B, min_new=6)], [group("g", 2)], total=(0, 10))


@pytest.fixture
def infeasible(tmp_path: Path) -> str:
    directory = tmp_path / "infeasible"
    write_instance_dir(infeasible_region(), directory)
    checked = run("validate", str(directory))
    assert checked.exit_code == 0, checked.output
    assert "Region tiny: valid" in checked.stdout
    return str(directory)


CONFLICT = """These rules cannot all hold (dropping any one of them resolves the conflict):
  - the regional total (woondeal): at most 10 new homes
  - Municipality 1 (GM0001): builds at least 6 homes
  - Municipality 2 (GM0002): builds at least 6 homes
"""


@pytest.mark.parametrize("backend", ["ortools", "cbc"])
def test_explain_an_infeasible_instance_exits_3(infeasible: str, backend: str) -> None:
    result = run("explain", infeasible, "--backend", backend)
    assert result.exit_code == 3, result.output
    assert result.stdout.startswith(CONFLICT)
    assert "Smallest relaxation that restores feasibility (2 dwellings in total):" in result.stdout
    assert "error: the policy rules cannot all hold for this instance" in result.stderr
    assert "Traceback" not in result.output


def test_explain_with_flexibility(infeasible: str) -> None:
    fixed_minimums = run("explain", infeasible, "--flex", "plan_capacity=0")
    assert fixed_minimums.exit_code == 3, fixed_minimums.output
    assert fixed_minimums.stdout == (
        CONFLICT + "Smallest relaxation that restores feasibility (2 dwellings in total):\n"
        "  - the regional total: at most 12 instead of 10 new homes (+2)\n"
    )
    nothing = run("explain", infeasible, "--flex", "plan_capacity=0", "--flex", "new_build_total=1")
    assert nothing.exit_code == 3, nothing.output
    assert nothing.stdout == (
        CONFLICT + "No relaxation within the flexibility allowed (--flex) restores feasibility.\n"
    )


def test_solve_an_infeasible_instance_prints_the_explanation(infeasible: str) -> None:
    result = run("solve", infeasible)
    assert result.exit_code == 3, result.output
    assert "tiny: infeasible" in result.stdout
    assert CONFLICT in result.stdout
    assert "Smallest relaxation that restores feasibility" in result.stdout


def test_an_explanation_past_the_hard_limit_is_left_out_and_the_exit_code_stays_3(
    infeasible: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explanation after an infeasible solve runs under the solve's hard limit."""
    import commands.solve as solve_command

    def hang(*_: object) -> None:
        time.sleep(60)

    monkeypatch.setattr(solve_command, "explain_region", hang)
    monkeypatch.setattr(solve_command, "HARD_LIMIT_GRACE", 0.5)
    started = time.perf_counter()
    result = run("solve", infeasible, "--time-limit", "1")
    assert time.perf_counter() - started < 30
    assert result.exit_code == 3, result.output
    assert "no explanation of the conflict: no answer within the hard limit" in result.stderr
    assert "Traceback" not in result.output


# --- solve with policy options -----------------------------------------------------------------


def test_solve_with_the_leximin_objective() -> None:
    result = run("solve", PARKSTAD, "--objective", "leximin")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Parkstad Limburg: optimal")
    assert re.search(r"stage fairness_leximin\s+optimal", result.stdout)
    assert re.search(r"stage fairness_sum\s+optimal", result.stdout)


def test_solve_with_the_equalised_norm_objective() -> None:
    result = run("solve", PARKSTAD, "--norm-objective", "equalise")
    assert result.exit_code == 0, result.output
    stages = re.findall(r"^  stage (\S+)\s+(\S+)", result.stdout, re.MULTILINE)
    assert stages == [
        ("norm_max_shortfall", "optimal"),
        ("needs", "optimal"),
        ("fairness_sum", "optimal"),
        ("programme", "optimal"),
        ("tie_break", "optimal"),
    ]


def quota_column(output: str, name: str) -> str:
    """The last cell (quota) of a municipality's line in the printed allocation."""
    line = next(line for line in output.splitlines() if line.startswith(f"  {name} "))
    return line.split()[-1]


def test_solve_with_another_key_uses_its_quotas() -> None:
    # Parkstad has no households column; the dwellings key gives other quotas than population.
    parkstad = load_region(PARKSTAD)
    by_dwellings = compute_quotas(parkstad, "dwellings").municipality_total("GM0882")
    by_population = compute_quotas(parkstad).municipality_total("GM0882")
    assert decimal(by_dwellings, 1) != decimal(by_population, 1)
    result = run("solve", PARKSTAD, "--key", "dwellings")
    assert result.exit_code == 0, result.output
    assert quota_column(result.stdout, "Landgraaf") == decimal(by_dwellings, 1)


def test_solve_with_the_households_key(tmp_path: Path) -> None:
    # Parkstad with a households column (dwellings - 1,000, made up so that it differs from both
    # the population and the dwellings key).
    parkstad = load_region(PARKSTAD)
    municipalities = tuple(
        replace(m, households=m.dwellings - 1000) for m in parkstad.municipalities
    )
    with_households = replace(parkstad, municipalities=municipalities)
    directory = tmp_path / "parkstad"
    write_instance_dir(with_households, directory)
    expected = compute_quotas(with_households, "households").municipality_total("GM0882")
    result = run("solve", str(directory), "--key", "households")
    assert result.exit_code == 0, result.output
    assert quota_column(result.stdout, "Landgraaf") == decimal(expected, 1)


def test_solve_with_a_key_the_instance_cannot_give_is_bad_input() -> None:
    result = run("solve", PARKSTAD, "--key", "households")
    assert_bad_option(result, "needs households for every municipality")


# --- bad options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", PARKSTAD, "--flex", "nonsense"], "--flex: expected RULE=DWELLINGS"),
        (["explain", PARKSTAD, "--flex", "social_norm=5"], "--flex: expected RULE=DWELLINGS"),
        (
            ["audit", PARKSTAD, "--method", "hamilton", "--municipality", "GM9999"],
            "--municipality: unknown municipality code (value 'GM9999')",
        ),
        (
            ["audit", PARKSTAD, "--method", "hamilton", "--optimiser"],
            "audit a method or the optimiser",
        ),
        (["audit", PARKSTAD], "audit a method or the optimiser"),
        (["audit", PARKSTAD, "--optimiser", "--group", "nobody"], "--group: unknown target group"),
        (["apportion", PARKSTAD, "--method", "adams", "--total", "3"], "at least 7"),
    ],
    ids=["flex", "flex-soft-rule", "municipality", "both", "neither", "group", "adams-total"],
)
def test_bad_options_exit_2_with_a_message(args: list[str], message: str) -> None:
    assert_bad_option(run(*args), message)


# An empty range of totals with a municipality to sweep: the population sweep reads the last
# total of the range.
def test_audit_with_an_empty_range_of_totals_is_bad_input() -> None:
    args = ["--method", "hamilton", "--from", "10", "--to", "5", "--municipality", "GM0882"]
    result = run("audit", PARKSTAD, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
