"""The half-yearly ledger: arrears of earlier periods raise the next period's quotas and demand,
surpluses lower them, and the ledger is written back with the period's rows replaced.

Region of every test: A, B, C (GM0001..GM0003), each H=1000, S=300 (exactly 3/10: no mix rule,
no norm shortfall), no plan capacity, exact total 0 (nothing is built, programme 0); populations
100, 100, 200 (W = 400). Letting pools floor(2/5 * 1/10 * 300) = 12 each, never binding here.
One group g of D = 8 households a period: shares D w / W = 2, 2, 4 exactly, so every period's own
task (the shares rounded by largest remainder, arrears left out) is (2, 2, 4).

Arrears before period P: ``a_m = sum over periods < P of (task - placed)``, positive what is still
owed, negative a surplus. The quota is ``q_m = D w_m / W + a_m`` (0 where a surplus exceeds the
share, the rest re-split over the others by weight) and the group's demand ``D + sum_m a_m``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from tiny_regions import (
    A,
    B,
    C,
    allocation_of,
    group,
    muni,
    placements,
    region,
    solved,
    stage_values,
)

from cli import main
from models.errors import InputError, Problem
from models.ledger import (
    LedgerRow,
    arrears_before,
    read_ledger,
    updated_ledger,
    with_arrears,
)
from models.region import Municipality, Region
from models.writer import write_instance_dir
from reports.ledger import ledger_file, period_tasks
from solver.quotas import compute_quotas, group_task

pytestmark = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")

both = pytest.mark.parametrize("backend", ["ortools", "cbc"])

HEADER = "period,code,group,task,planned,placed\n"
CODES = [A, B, C]


def big(code: str, population: int) -> Municipality:
    """H = 1000, S = 300, no plan capacity: letting pool 12."""
    return muni(code, dwellings=1000, social=300, cap=0, population=population)


def base_region() -> Region:
    return region([big(A, 100), big(B, 100), big(C, 200)], [group("g", 8)], total=0)


def ledger(*rows: str) -> str:
    """Ledger text: the header and the given rows."""
    return HEADER + "".join(f"{row}\n" for row in rows)


def realised(text: str, period: str, placed: Mapping[str, int]) -> str:
    """The ledger text with the realised placements of ``period`` filled in, by code."""
    records = list(csv.reader(io.StringIO(text)))
    for record in records[1:]:
        if record[0] == period:
            record[5] = str(placed[record[1]])
    return "".join(",".join(record) + "\n" for record in records)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def quotas_of(r: Region) -> list[Fraction]:
    quotas = compute_quotas(r)
    return [quotas.of(c, "g") for c in CODES]


def problems_of(path: Path, r: Region) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as info:
        read_ledger(path, r)
    return info.value.problems


# --- three periods ----------------------------------------------------------------------------


# 2025H1, the first period (the ledger has only its header): no arrears, quotas (2, 2, 4), demand
# 8; placements = quotas, fairness 0. The ledger gets the period's tasks (2, 2, 4) and the plan.
# Realised: (1, 2, 5): A one short, C one over.
#
# 2025H2: arrears A 2 - 1 = 1, B 2 - 2 = 0, C 4 - 5 = -1 (a surplus, credited).
# Demand 8 + 1 + 0 - 1 = 8; quotas (2 + 1, 2 + 0, 4 - 1) = (3, 2, 3): placements (3, 2, 3).
# The ledger keeps 2025H1 as realised and adds 2025H2: tasks (2, 2, 4), planned (3, 2, 3).
# Realised: (2, 0, 5).
#
# 2026H1: arrears A 1 + (2 - 2) = 1, B 0 + (2 - 0) = 2, C -1 + (4 - 5) = -2; sum 1.
# Demand 8 + 1 = 9; quotas (2 + 1, 2 + 2, 4 - 2) = (3, 4, 2), summing to 9: placements (3, 4, 2).
@both
def test_three_periods_carry_arrears_and_credit_surpluses(tmp_path: Path, backend: str) -> None:
    r = base_region()
    assert period_tasks(r) == {(A, "g"): 2, (B, "g"): 2, (C, "g"): 4}

    # 2025H1
    path = write(tmp_path / "ledger.csv", HEADER)
    rows = read_ledger(path, r)
    assert arrears_before(rows, "2025H1", path.name) == {}
    first = with_arrears(r, {})
    assert quotas_of(first) == [2, 2, 4]
    assert group_task(first, "g") == 8
    result = solved(first, backend)
    assert placements(result, "g", CODES) == [2, 2, 4]
    assert stage_values(result)["fairness_sum"] == 0
    text = ledger_file(first, rows, "2025H1", allocation_of(result)).decode()
    assert text == ledger("2025H1,GM0001,g,2,2,", "2025H1,GM0002,g,2,2,", "2025H1,GM0003,g,4,4,")

    # 2025H2
    path = write(tmp_path / "ledger.csv", realised(text, "2025H1", {A: 1, B: 2, C: 5}))
    rows = read_ledger(path, r)
    arrears = arrears_before(rows, "2025H2", path.name)
    assert arrears == {(A, "g"): 1, (B, "g"): 0, (C, "g"): -1}
    second = with_arrears(r, arrears)
    assert [second.municipality(c).arrears for c in CODES] == [{"g": 1}, {"g": 0}, {"g": -1}]
    assert quotas_of(second) == [3, 2, 3]
    assert group_task(second, "g") == 8
    result = solved(second, backend)
    assert placements(result, "g", CODES) == [3, 2, 3]
    assert stage_values(result)["needs"] == 0
    assert stage_values(result)["fairness_sum"] == 0
    text = ledger_file(second, rows, "2025H2", allocation_of(result)).decode()
    assert text == ledger(
        "2025H1,GM0001,g,2,2,1",
        "2025H1,GM0002,g,2,2,2",
        "2025H1,GM0003,g,4,4,5",
        "2025H2,GM0001,g,2,3,",
        "2025H2,GM0002,g,2,2,",
        "2025H2,GM0003,g,4,3,",
    )

    # 2026H1
    path = write(tmp_path / "ledger.csv", realised(text, "2025H2", {A: 2, B: 0, C: 5}))
    rows = read_ledger(path, r)
    arrears = arrears_before(rows, "2026H1", path.name)
    assert arrears == {(A, "g"): 1, (B, "g"): 2, (C, "g"): -2}
    third = with_arrears(r, arrears)
    assert quotas_of(third) == [3, 4, 2]
    assert group_task(third, "g") == 9
    result = solved(third, backend)
    assert placements(result, "g", CODES) == [3, 4, 2]
    assert stage_values(result)["needs"] == 0
    assert stage_values(result)["fairness_sum"] == 0
    text = ledger_file(third, rows, "2026H1", allocation_of(result)).decode()
    assert text == ledger(
        "2025H1,GM0001,g,2,2,1",
        "2025H1,GM0002,g,2,2,2",
        "2025H1,GM0003,g,4,4,5",
        "2025H2,GM0001,g,2,3,2",
        "2025H2,GM0002,g,2,2,0",
        "2025H2,GM0003,g,4,3,5",
        "2026H1,GM0001,g,2,3,",
        "2026H1,GM0002,g,2,4,",
        "2026H1,GM0003,g,4,2,",
    )


# Arrears from the ledger replace those the instance gives (arrears_g = 7 in A): with the ledger's
# A 1, B 2, C -2 the quotas are (3, 4, 2) as above, not 2 + 7 for A.
def test_ledger_arrears_replace_the_instances_arrears() -> None:
    r = base_region()
    given = with_arrears(r, {(A, "g"): 7})
    assert quotas_of(given) == [9, 2, 4]
    replaced = with_arrears(given, {(A, "g"): 1, (B, "g"): 2, (C, "g"): -2})
    assert quotas_of(replaced) == [3, 4, 2]


# A surplus larger than the share. 2025H1 tasks (2, 2, 4), realised (1, 0, 9): arrears before
# 2025H2: A 1, B 2, C 4 - 9 = -5. Demand 8 + 1 + 2 - 5 = 6.
# C's quota would be 4 - 5 = -1 < 0: it gets 0, and its surplus beyond its share (5 - 4 = 1) is
# credited to A and B by weight (1/2 each): A 2 + 1 - 1/2 = 5/2, B 2 + 2 - 1/2 = 7/2, summing to 6.
# (credited_split: T = 6 + (-1 - 2) = 3 over A, B: 3/2 + 1 and 3/2 + 2.)
# Solve: p_C = 0 (any placement there deviates from 0); p_A + p_B = 6 with pools 12: needs 0;
# (2, 4) and (3, 3) both cost 1/2 + 1/2 = 1 (the tie-break picks).
# The ledger's task for C in 2025H2 is still its share 4 (arrears left out), so C's surplus after
# 2025H2 with nothing placed there is -5 + 4 = -1.
@both
def test_surplus_larger_than_the_share_clamps_at_zero_and_re_splits(
    tmp_path: Path, backend: str
) -> None:
    r = base_region()
    path = write(
        tmp_path / "ledger.csv",
        ledger("2025H1,GM0001,g,2,2,1", "2025H1,GM0002,g,2,2,0", "2025H1,GM0003,g,4,4,9"),
    )
    rows = read_ledger(path, r)
    arrears = arrears_before(rows, "2025H2", path.name)
    assert arrears == {(A, "g"): 1, (B, "g"): 2, (C, "g"): -5}
    current = with_arrears(r, arrears)
    assert group_task(current, "g") == 6
    assert quotas_of(current) == [Fraction(5, 2), Fraction(7, 2), 0]

    result = solved(current, backend)
    p = placements(result, "g", CODES)
    assert p[2] == 0
    assert p[0] + p[1] == 6 and p[0] in (2, 3)
    assert stage_values(result)["needs"] == 0
    assert stage_values(result)["fairness_sum"] == 1

    text = ledger_file(current, rows, "2025H2", allocation_of(result)).decode()
    nxt = write(tmp_path / "next.csv", realised(text, "2025H2", {A: p[0], B: p[1], C: 0}))
    later = arrears_before(read_ledger(nxt, r), "2026H1", nxt.name)
    assert later == {(A, "g"): 1 + 2 - p[0], (B, "g"): 2 + 2 - p[1], (C, "g"): -1}
    # all of the period's demand was placed: -2 (arrears) + 8 (tasks) - 6 (placed) = 0
    assert sum(later.values()) == 0


# A surplus larger than the whole demand: the group's demand is max(0, 8 - 10) = 0, and every
# quota is 0.
def test_surplus_larger_than_the_demand_leaves_nothing_to_place() -> None:
    current = with_arrears(base_region(), {(C, "g"): -10})
    assert group_task(current, "g") == 0
    assert quotas_of(current) == [0, 0, 0]


# --- the updated ledger -----------------------------------------------------------------------


# Rows given out of order, a stale draft for 2026H1 (with a code the new plan also has) and a row
# of a later period. The rows of 2026H1 are replaced by the new tasks and plan (placed empty);
# every other row is kept as it was, blanks included; all sorted by period, code and group.
def test_updated_ledger_replaces_the_period_keeps_the_rest_and_sorts(tmp_path: Path) -> None:
    r = base_region()
    path = write(
        tmp_path / "ledger.csv",
        ledger(
            "2026H2,GM0001,g,5,,",
            "2025H2,GM0003,g,4,,5",
            "2026H1,GM0003,g,9,9,9",
            "2025H1,GM0002,g,2,2,2",
            "2025H2,GM0001,g,2,3,2",
            "2025H1,GM0003,g,4,4,5",
            "2025H2,GM0002,g,2,2,0",
            "2025H1,GM0001,g,2,2,1",
        ),
    )
    rows = read_ledger(path, r)
    # later and current rows do not count: the arrears are those of the three-period example
    assert arrears_before(rows, "2026H1", path.name) == {(A, "g"): 1, (B, "g"): 2, (C, "g"): -2}
    tasks = {(A, "g"): 2, (B, "g"): 2, (C, "g"): 4}
    text = updated_ledger(rows, "2026H1", tasks, {(A, "g"): 3, (B, "g"): 4, (C, "g"): 2})
    assert text == ledger(
        "2025H1,GM0001,g,2,2,1",
        "2025H1,GM0002,g,2,2,2",
        "2025H1,GM0003,g,4,4,5",
        "2025H2,GM0001,g,2,3,2",
        "2025H2,GM0002,g,2,2,0",
        "2025H2,GM0003,g,4,,5",
        "2026H1,GM0001,g,2,3,",
        "2026H1,GM0002,g,2,4,",
        "2026H1,GM0003,g,4,2,9",  # a re-run keeps the placements already realised
        "2026H2,GM0001,g,5,,",
    )
    assert rows[2] == LedgerRow("2026H1", C, "g", 9, 9, 9, row=4)  # the input is not changed


# --- problems in the ledger -------------------------------------------------------------------


# Row 3 (2025H1, B) has no realised placements; 2025H2 is the current period, so its empty
# `placed` is fine. Asking for 2026H1 reports both earlier rows without placements.
def test_missing_placed_for_an_earlier_period(tmp_path: Path) -> None:
    r = base_region()
    path = write(
        tmp_path / "ledger.csv",
        ledger("2025H1,GM0001,g,2,2,1", "2025H1,GM0002,g,2,2,", "2025H2,GM0001,g,2,3,"),
    )
    rows = read_ledger(path, r)
    with pytest.raises(InputError) as info:
        arrears_before(rows, "2025H2", path.name)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("ledger.csv", 3, "placed")
    assert "no realised placements for 2025H1, before 2025H2" in problem.message
    assert "fill in the placements" in problem.fix
    with pytest.raises(InputError) as info:
        arrears_before(rows, "2026H1", path.name)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "placed"), (4, "placed")]


# The same with a blank line before the row (blank lines are skipped but their row numbers still
# count, as in a spreadsheet): the row without `placed` is row 4 of the file.
def test_missing_placed_after_a_blank_line_names_the_spreadsheet_row(tmp_path: Path) -> None:
    r = base_region()
    path = write(
        tmp_path / "ledger.csv", HEADER + "2025H1,GM0001,g,2,2,1\n\n2025H1,GM0002,g,2,2,\n"
    )
    rows = read_ledger(path, r)
    with pytest.raises(InputError) as info:
        arrears_before(rows, "2025H2", path.name)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [("ledger.csv", 4, "placed")]


@pytest.mark.parametrize("period", ["2025-H1", "2025H3", "2025h1", "25H1", ""])
def test_bad_period_text(tmp_path: Path, period: str) -> None:
    path = write(tmp_path / "ledger.csv", ledger(f"{period},GM0001,g,2,2,1"))
    (problem,) = problems_of(path, base_region())
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "ledger.csv",
        2,
        "period",
        period,
    )
    assert "not a half-year" in problem.message
    assert "2026H1" in problem.fix


def test_unknown_code_and_group_every_problem_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ledger.csv",
        ledger("2025H1,GM0001,g,2,2,1", "2025H1,GM0009,g,2,2,1", "2025H1,GM0002,h,2,2,1"),
    )
    problems = problems_of(path, base_region())
    assert [(p.row, p.column, p.value) for p in problems] == [
        (3, "code", "GM0009"),
        (4, "group", "h"),
    ]
    assert "not a municipality of the instance" in problems[0].message
    assert "unknown target group" in problems[1].message
    assert "use one of g" in problems[1].fix


# Row 4 repeats row 2's period, code and group (with other numbers): the second row is reported.
def test_duplicate_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ledger.csv",
        ledger("2025H1,GM0001,g,2,2,1", "2025H1,GM0002,g,2,2,2", "2025H1,GM0001,g,3,,0"),
    )
    (problem,) = problems_of(path, base_region())
    assert (problem.row, problem.column, problem.value) == (4, "period", "2025H1")
    assert "a second row for this period, municipality and group" in problem.message
    assert "one row per period, code and group" in problem.fix


def test_negative_and_non_numeric_counts_and_a_missing_task(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ledger.csv",
        ledger("2025H1,GM0001,g,-1,2,1", "2025H1,GM0002,g,2,2,x", "2025H1,GM0003,g,,4,4"),
    )
    problems = problems_of(path, base_region())
    assert [(p.row, p.column) for p in problems] == [(2, "task"), (3, "placed"), (4, "task")]
    assert "must not be negative" in problems[0].message
    assert "expected a number" in problems[1].message
    assert "the task is missing" in problems[2].message


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path / "ledger.csv", "period,code,group,task\n2025H1,GM0001,g,2\n")
    (problem,) = problems_of(path, base_region())
    assert (problem.row, problem.column) == (1, None)
    assert "missing column(s): placed" in problem.message


# --- the command line -------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _solve_period(
    instance: Path, backend: str, period: str, ledger_path: Path, out: Path
) -> tuple[int, str, str]:
    """``fairshare solve INSTANCE --backend B --period P --ledger L --out DIR``."""
    options = ["--backend", backend, "--period", period, "--ledger", str(ledger_path)]
    return _run("solve", str(instance), *options, "--out", str(out))


def _quotas_written(out: Path) -> list[str]:
    """The exact quotas of g in placements.csv, in code order."""
    with (out / "placements.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["quota_exact"] for row in sorted(rows, key=lambda row: row["code"])]


def _placed_written(out: Path) -> list[int]:
    with (out / "placements.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [int(row["placed"]) for row in sorted(rows, key=lambda row: row["code"])]


# 2026H1 from the two realised periods of the three-period example: arrears (1, 2, -2): 3 owed,
# 2 credited; quotas (3, 4, 2), placements (3, 4, 2); DIR/ledger.csv as in that example, and the
# input ledger untouched.
# Realised in 2026H1: (4, 3, 1). Arrears before 2026H2: A 1 + (2 - 4) = -1, B 2 + (2 - 3) = 1,
# C -2 + (4 - 1) = 1: 2 owed, 1 credited; demand 8 + 1 = 9, quotas (2 - 1, 2 + 1, 4 + 1) =
# (1, 3, 5), placements (1, 3, 5).
@both
def test_cli_round_trip_over_two_periods(tmp_path: Path, backend: str) -> None:
    instance = tmp_path / "instance"
    write_instance_dir(base_region(), instance)
    given = ledger(
        "2025H1,GM0001,g,2,2,1",
        "2025H1,GM0002,g,2,2,2",
        "2025H1,GM0003,g,4,4,5",
        "2025H2,GM0001,g,2,3,2",
        "2025H2,GM0002,g,2,2,0",
        "2025H2,GM0003,g,4,3,5",
    )
    path = write(tmp_path / "ledger.csv", given)
    before = path.read_bytes()
    out = tmp_path / "out"
    code, stdout, stderr = _solve_period(instance, backend, "2026H1", path, out)
    assert code == 0, stdout + stderr
    assert "2026H1: arrears from ledger.csv: 3 households owed, 2 credited" in stdout
    assert path.read_bytes() == before
    assert _quotas_written(out) == ["3", "4", "2"]
    assert _placed_written(out) == [3, 4, 2]
    written = (out / "ledger.csv").read_text(encoding="utf-8")
    assert written == given + "".join(
        f"{row}\n"
        for row in ("2026H1,GM0001,g,2,3,", "2026H1,GM0002,g,2,4,", "2026H1,GM0003,g,4,2,")
    )

    filled = write(tmp_path / "ledger2.csv", realised(written, "2026H1", {A: 4, B: 3, C: 1}))
    out2 = tmp_path / "out2"
    code, stdout, stderr = _solve_period(instance, backend, "2026H2", filled, out2)
    assert code == 0, stdout + stderr
    assert "2026H2: arrears from ledger2.csv: 2 households owed, 1 credited" in stdout
    assert _quotas_written(out2) == ["1", "3", "5"]
    assert _placed_written(out2) == [1, 3, 5]
    rows = read_ledger(out2 / "ledger.csv", base_region())
    assert arrears_before(rows, "2026H2", "ledger.csv") == {(A, "g"): -1, (B, "g"): 1, (C, "g"): 1}
    assert [(row.period, row.task, row.planned, row.placed) for row in rows[-3:]] == [
        ("2026H2", 2, 1, None),
        ("2026H2", 2, 3, None),
        ("2026H2", 4, 5, None),
    ]


@pytest.mark.parametrize(
    "options",
    [["--period", "2026H1"], ["--out", "OUT"], []],
    ids=["without-out", "without-period", "without-both"],
)
def test_cli_ledger_needs_period_and_out(tmp_path: Path, options: list[str]) -> None:
    instance = tmp_path / "instance"
    write_instance_dir(base_region(), instance)
    path = write(tmp_path / "ledger.csv", HEADER)
    options = [str(tmp_path / "out") if o == "OUT" else o for o in options]
    code, stdout, stderr = _run("solve", str(instance), "--ledger", str(path), *options)
    assert code == 2, stdout + stderr
    assert "--ledger: a ledger needs the period and an output directory" in stderr
    assert "add --period 2026H1 --out DIR" in stderr
    assert "Traceback" not in stdout + stderr
    assert not (tmp_path / "out").exists()


def test_cli_bad_period_option(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    write_instance_dir(base_region(), instance)
    path = write(tmp_path / "ledger.csv", HEADER)
    out = tmp_path / "out"
    code, stdout, stderr = _run(
        "solve", str(instance), "--ledger", str(path), "--period", "2026H3", "--out", str(out)
    )
    assert code == 2, stdout + stderr
    assert "--period: not a half-year (value '2026H3')" in stderr
    assert "2026H1 or 2026H2" in stderr
    assert not out.exists()


# A problem in the ledger file is bad input (exit 2), named at its row and column.
def test_cli_missing_placed_is_bad_input(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    write_instance_dir(base_region(), instance)
    path = write(tmp_path / "ledger.csv", ledger("2025H1,GM0001,g,2,2,"))
    out = tmp_path / "out"
    code, stdout, stderr = _run(
        "solve", str(instance), "--ledger", str(path), "--period", "2025H2", "--out", str(out)
    )
    assert code == 2, stdout + stderr
    assert "ledger.csv, row 2, column 'placed': no realised placements for 2025H1" in stderr
    assert not out.exists()
