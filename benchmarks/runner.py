"""Run the benchmark suite: every (instance, solver) in a fresh subprocess under a timeout.

Solvers (`SOLVERS`):

* ``ortools-scip``, ``ortools-highs``: `solver.solve.solve` on the OR-Tools backend with that
  engine, all stages;
* ``cbc``: `solver.solve.solve` on the PuLP/CBC backend, all stages;
* ``straightforward-cbc``: `benchmarks.straightforward`, stages 1-2 only;
* ``lp-relaxation``: fairshare's own model (`solver.formulation.formulate` plus the stages of
  `solver.solve`) with every variable continuous, solved stage by stage on the OR-Tools backend
  with HiGHS, each stage fixed at its float optimum (plus ``1e-6`` relative) before the next.

Each run is a child process (``python -m benchmarks child``) so that its peak memory
(``ru_maxrss`` of the child itself) belongs to that run alone; the child writes a JSON record and
the parent kills its process group if it overruns the timeout. Times are wall-clock seconds:
``build_s`` formulating and handing the model to the solver, ``solve_s`` the sum of the stage
solves, ``total_s`` the whole solve call (build, stages and assembling the answer; not loading or
generating the instance, nor checking the answer). ``needs`` and ``fairness`` are the values of the
``needs`` and ``fairness_sum`` stages, computed exactly from the integer answer (for the LP
relaxation: its stage objectives, in the same units).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from benchmarks.straightforward import solve_straightforward
from benchmarks.suite import INSTANCE_IDS, get_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import SolverOptions, Status
from solver.check import check_allocation
from solver.formulation import formulate
from solver.model import Constraint, LinearModel
from solver.objectives import Stage
from solver.result import OPTIMAL, Result
from solver.solve import _stages, solve

ROOT = Path(__file__).resolve().parent.parent

#: The solvers, in the order they run; the first is the reference of ``matches_reference``.
SOLVERS: tuple[str, ...] = (
    "ortools-scip",
    "ortools-highs",
    "cbc",
    "straightforward-cbc",
    "lp-relaxation",
)
REFERENCE = "ortools-scip"
#: fairshare's own solves: (backend, engine).
FAIRSHARE_SOLVERS: dict[str, tuple[str, str | None]] = {
    "ortools-scip": ("ortools", "scip"),
    "ortools-highs": ("ortools", "highs"),
    "cbc": ("cbc", None),
}
#: Relative tolerance with which an LP stage is kept in the next stages.
LP_STAGE_TOLERANCE = 1e-6

#: The columns of the CSV, in order.
CSV_COLUMNS: tuple[str, ...] = (
    "instance",
    "solver",
    "municipalities",
    "groups",
    "build_s",
    "solve_s",
    "total_s",
    "peak_mb",
    "status",
    "stop_reason",
    "needs",
    "fairness",
    "gap_note",
    "check",
    "matches_reference",
)


def default_timeout(time_limit: float) -> float:
    """The runner's wall-clock limit on one child: 1.5 times the time limit plus 60 s (imports,
    generating the instance, solvers overrunning their own limit)."""
    return 1.5 * time_limit + 60.0


@dataclass
class Row:
    """One (instance, solver) run. The fields of `CSV_COLUMNS` go into the CSV; the others
    (``proven`` and after) into the JSON record only.

    Attributes:
        proven: the needs and fairness stages were both proven optimal (the condition for
            ``matches_reference``).
        children_peak_mb: peak memory of the child's own children (CBC runs as a separate
            process; ``peak_mb`` does not include it).
        stages: per stage: name, status, stop reason, value and seconds.
    """

    instance: str
    solver: str
    municipalities: int
    groups: int
    build_s: float | None = None
    solve_s: float | None = None
    total_s: float | None = None
    peak_mb: float | None = None
    status: str = ""
    stop_reason: str = ""
    needs: Fraction | None = None
    fairness: Fraction | None = None
    gap_note: str = ""
    check: int | None = None
    matches_reference: bool | None = None
    proven: bool = False
    children_peak_mb: float | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    def stage_seconds(self, *names: str) -> float | None:
        """Seconds spent in the named stages (``None`` if one of them did not run)."""
        by_name = {s["name"]: s["seconds"] for s in self.stages}
        if any(name not in by_name for name in names):
            return None
        return float(sum(by_name[name] for name in names))


# --- the child: one measured run --------------------------------------------------------------


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _stage_names(region: Region) -> list[str]:
    """The stages fairshare solves for this region, in order (as `solver.solve._stages`)."""
    names = ["needs"]
    if region.policy.rule_enabled("fair_split"):
        if region.policy.objective == "max_rel_deviation":
            names.append("fairness_max_rel")
        names.append("fairness_sum")
    return [*names, "programme", "tie_break"]


def _fairshare_run(region: Region, solver: str, time_limit: float) -> dict[str, Any]:
    backend, engine = FAIRSHARE_SOLVERS[solver]
    started = time.perf_counter()
    result = solve(
        region, backend, SolverOptions(time_limit=time_limit, engine=engine), hard_limit=False
    )
    total = time.perf_counter() - started
    records = {r.name: r for r in result.stages}
    needs, fairness = records.get("needs"), records.get("fairness_sum")
    check = None
    if result.allocation is not None:
        check = len(check_allocation(region, result.allocation))
    return {
        "status": result.status,
        "stop_reason": result.stop_reason,
        "build_s": result.build_seconds,
        "solve_s": result.solve_seconds,
        "total_s": total,
        "needs": _fraction_text(needs.value if needs else None),
        "fairness": _fraction_text(fairness.value if fairness else None),
        "proven": bool(
            needs and fairness and needs.status == OPTIMAL and fairness.status == OPTIMAL
        ),
        "gap_note": _gap_note(result, _stage_names(region)),
        "check": check,
        "stages": [
            {
                "name": r.name,
                "status": r.status,
                "stop_reason": r.stop_reason,
                "value": _fraction_text(r.value),
                "bound": _fraction_text(r.bound),
                "seconds": r.seconds,
            }
            for r in result.stages
        ],
        "versions": dict(result.versions),
    }


def _gap_note(result: Result, expected: list[str]) -> str:
    """The stages that were not proven optimal, with value and bound where known."""
    notes = []
    for record in result.stages:
        if record.status == OPTIMAL:
            continue
        note = f"{record.name} {record.status} ({record.stop_reason})"
        if record.value is not None and record.bound is not None:
            gap = abs(record.value - record.bound) / max(abs(record.value), Fraction(1))
            note += f" value {float(record.value):.6g} bound {float(record.bound):.6g}"
            note += f" gap {float(gap):.2%}"
        elif record.value is not None:
            note += f" value {float(record.value):.6g}, no bound"
        notes.append(note)
    solved = {r.name for r in result.stages}
    missing = [name for name in expected if name not in solved]
    if missing:
        notes.append("not reached: " + ", ".join(missing))
    if result.message:
        notes.append(result.message)
    return "; ".join(notes)


def _straightforward_run(region: Region, time_limit: float) -> dict[str, Any]:
    started = time.perf_counter()
    result = solve_straightforward(region, time_limit)
    total = time.perf_counter() - started
    check = None
    if result.allocation is not None:
        check = len(check_allocation(region, result.allocation))
    notes = [f"{s.name} {s.status} ({s.stop_reason}), no bound" for s in result.stages]
    notes = [n for n, s in zip(notes, result.stages, strict=True) if s.status != "optimal"]
    solved = {s.name for s in result.stages}
    missing = [n for n in ("needs", "fairness_sum") if n not in solved]
    if missing and region.policy.rule_enabled("fair_split"):
        notes.append("not reached: " + ", ".join(missing))
    return {
        "status": result.status,
        "stop_reason": result.stop_reason,
        "build_s": result.build_seconds,
        "solve_s": result.solve_seconds,
        "total_s": total,
        "needs": _fraction_text(result.needs),
        "fairness": _fraction_text(result.fairness),
        "proven": len(result.stages) == 2 and all(s.status == "optimal" for s in result.stages),
        "gap_note": "; ".join(notes),
        "check": check,
        "stages": [
            {
                "name": s.name,
                "status": s.status,
                "stop_reason": s.stop_reason,
                "value": None if s.objective is None else repr(s.objective),
                "bound": None,
                "seconds": s.seconds,
            }
            for s in result.stages
        ],
        "versions": result.versions,
    }


def solve_lp_relaxation(region: Region, time_limit: float) -> dict[str, Any]:
    """fairshare's model with every variable continuous, stage by stage on OR-Tools/HiGHS.

    Each stage is kept at its float optimum (``<= value + 1e-6 * max(1, |value|)``) in the later
    stages. Stage values are reported in the stages' units (dwellings, households).
    """
    started = time.perf_counter()
    f = formulate(region)
    stages = _stages(f)  # adds the stages' variables and constraints to f.model
    relaxed = LinearModel(
        variables=[replace(v, integer=False) for v in f.model.variables],
        constraints=list(f.model.constraints),
    )
    backend = backend_class("ortools")(
        relaxed, SolverOptions(time_limit=time_limit, engine="highs")
    )
    build = time.perf_counter() - started
    deadline = started + time_limit
    records: list[dict[str, Any]] = []
    status, stop = OPTIMAL, "optimal"
    for stage in stages:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status, stop = "feasible" if records else "no_solution", "time_limit"
            break
        if not isinstance(stage, Stage):
            # A min-max stage is a search over levels with integer feasibility problems: it has
            # no linear relaxation of its own.
            continue
        outcome = backend.minimize(stage.terms, remaining)
        value = None
        if outcome.objective is not None:
            value = (outcome.objective + stage.constant) / stage.scale
        records.append(
            {
                "name": stage.name,
                "status": outcome.status.value,
                "stop_reason": outcome.stop_reason,
                "value": None if value is None else repr(value),
                "bound": None,
                "seconds": outcome.seconds,
            }
        )
        if outcome.status != Status.OPTIMAL or outcome.objective is None:
            status, stop = outcome.status.value, outcome.stop_reason
            break
        keep = outcome.objective + LP_STAGE_TOLERANCE * max(1.0, abs(outcome.objective))
        # A float right-hand side: `Constraint` is typed for the exact integer model, and the
        # MathOpt backend passes the value through to the solver as a float bound.
        fixed = tuple(sorted(stage.terms.items()))
        backend.add_constraint(
            Constraint(f"stage[{stage.name}]", "stage", fixed, "<=", keep)  # type: ignore[arg-type]
        )
    total = time.perf_counter() - started
    values = {r["name"]: r["value"] for r in records if r["status"] == OPTIMAL}

    def exact_float(name: str) -> str | None:
        text = values.get(name)
        return None if text is None else _fraction_text(Fraction(float(text)))

    return {
        "status": status,
        "stop_reason": stop,
        "build_s": build,
        "solve_s": sum(r["seconds"] for r in records),
        "total_s": total,
        "needs": exact_float("needs"),
        "fairness": exact_float("fairness_sum"),
        "proven": False,
        "gap_note": "LP relaxation: stage objectives, not an allocation",
        "check": None,
        "stages": records,
        "versions": backend.versions(),
    }


def measure(instance_id: str, solver: str, time_limit: float) -> dict[str, Any]:
    """One run in this process: load the instance, solve, check; a JSON-ready record.

    Raises:
        KeyError: for an unknown instance or solver.
    """
    region = get_instance(instance_id).load()
    if solver in FAIRSHARE_SOLVERS:
        record = _fairshare_run(region, solver, time_limit)
    elif solver == "straightforward-cbc":
        record = _straightforward_run(region, time_limit)
    elif solver == "lp-relaxation":
        record = solve_lp_relaxation(region, time_limit)
    else:
        raise KeyError(f"unknown solver {solver!r}; known: {', '.join(SOLVERS)}")
    record["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return record


def child_main(instance_id: str, solver: str, time_limit: float, result_path: Path) -> None:
    """The child process: `measure` and write its record as JSON to ``result_path``."""
    record = measure(instance_id, solver, time_limit)
    result_path.write_text(json.dumps(record, indent=1), encoding="utf-8")


# --- the parent: subprocesses, reference, output ----------------------------------------------


def _parse_fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def run_one(instance_id: str, solver: str, time_limit: float, timeout: float) -> Row:
    """Run one (instance, solver) in a fresh subprocess, killed after ``timeout`` seconds.

    Raises:
        KeyError: for an unknown instance or solver.
    """
    entry = get_instance(instance_id)
    if solver not in SOLVERS:
        raise KeyError(f"unknown solver {solver!r}; known: {', '.join(SOLVERS)}")
    row = Row(instance_id, solver, entry.municipalities, entry.groups)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="fairshare-bench-") as folder:
        result_path = Path(folder) / "result.json"
        command = [
            sys.executable,
            "-m",
            "benchmarks",
            "child",
            "--instance",
            instance_id,
            "--solver",
            solver,
            "--time-limit",
            repr(time_limit),
            "--result",
            str(result_path),
        ]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The child is not reaped yet, so its id still names its own process group (CBC
            # included); after it is reaped the id could be reused, so only kill it here.
            _kill_group(process.pid)
            process.communicate()
            row.total_s = time.perf_counter() - started
            row.status, row.stop_reason = "timeout", f"killed by the runner after {timeout:.0f} s"
            return row
        if process.returncode != 0 or not result_path.exists():
            lines = [line for line in stderr.strip().splitlines() if line.strip()]
            row.status = "error"
            row.stop_reason = f"child exit {process.returncode}: " + (lines[-1] if lines else "")
            return row
        record = json.loads(result_path.read_text(encoding="utf-8"))
    row.build_s, row.solve_s, row.total_s = record["build_s"], record["solve_s"], record["total_s"]
    row.peak_mb, row.children_peak_mb = record["peak_mb"], record["children_peak_mb"]
    row.status, row.stop_reason = record["status"], record["stop_reason"]
    row.needs, row.fairness = _parse_fraction(record["needs"]), _parse_fraction(record["fairness"])
    row.gap_note, row.check, row.proven = record["gap_note"], record["check"], record["proven"]
    row.stages, row.versions = record["stages"], record["versions"]
    return row


def _kill_group(pid: int) -> None:
    """Kill the process group of a child started with ``start_new_session`` (by its id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def matches(row: Row, reference: Row | None) -> bool | None:
    """Whether the needs and fairness values equal the reference's, exactly; ``None`` unless both
    runs proved those stages optimal (and never for the LP relaxation or the reference itself)."""
    if reference is None or row is reference or row.solver == "lp-relaxation":
        return None
    if not (row.proven and reference.proven):
        return None
    return row.needs == reference.needs and row.fairness == reference.fairness


def run_benchmarks(
    instances: Sequence[str] = INSTANCE_IDS,
    solvers: Sequence[str] = SOLVERS,
    time_limit: float = 120.0,
    *,
    timeout: float | None = None,
    out: Path | None = None,
    json_out: Path | None = None,
    echo: Callable[[str], None] | None = None,
) -> list[Row]:
    """Run every instance with every solver, each in a fresh subprocess; the rows in run order.

    The reference solver runs first on each instance. With ``out`` (CSV) and ``json_out`` (every
    field, stage by stage) the files are rewritten after every run, so an interrupted run keeps
    what it measured. ``echo`` receives the table line by line as runs finish.

    Raises:
        KeyError: for an unknown instance or solver (before anything runs).
    """
    for instance_id in instances:
        get_instance(instance_id)
    unknown = [s for s in solvers if s not in SOLVERS]
    if unknown:
        raise KeyError(f"unknown solver(s) {', '.join(unknown)}; known: {', '.join(SOLVERS)}")
    ordered = sorted(dict.fromkeys(solvers), key=lambda s: s != REFERENCE)
    limit = default_timeout(time_limit) if timeout is None else timeout
    rows: list[Row] = []
    count = len(instances) * len(ordered)
    if echo:
        echo(table_header())
    for instance_id in instances:
        reference: Row | None = None
        for solver in ordered:
            if echo:
                print(f"[{len(rows) + 1}/{count}] {instance_id} {solver} ...", file=sys.stderr)
            row = run_one(instance_id, solver, time_limit, limit)
            if solver == REFERENCE:
                reference = row
            row.matches_reference = matches(row, reference)
            rows.append(row)
            if echo:
                echo(table_line(row))
            if out is not None:
                write_csv(rows, out)
            if json_out is not None:
                write_json(rows, json_out)
    return rows


# --- formatting -------------------------------------------------------------------------------


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _value(value: Fraction | None, digits: int = 6) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def _flag(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def csv_record(row: Row) -> dict[str, str]:
    """The CSV fields of a row as text (empty for unknown)."""
    return {
        "instance": row.instance,
        "solver": row.solver,
        "municipalities": str(row.municipalities),
        "groups": str(row.groups),
        "build_s": _number(row.build_s, 3),
        "solve_s": _number(row.solve_s, 3),
        "total_s": _number(row.total_s, 3),
        "peak_mb": _number(row.peak_mb, 1),
        "status": row.status,
        "stop_reason": row.stop_reason,
        "needs": _value(row.needs),
        "fairness": _value(row.fairness),
        "gap_note": row.gap_note,
        "check": "" if row.check is None else str(row.check),
        "matches_reference": _flag(row.matches_reference),
    }


def write_csv(rows: Iterable[Row], path: Path) -> None:
    """Write the rows as CSV with the columns of `CSV_COLUMNS`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(csv_record(row))


def row_to_json(row: Row) -> dict[str, Any]:
    """Every field of a row, fractions as ``"n/d"`` text."""
    data = asdict(row)
    data["needs"] = _fraction_text(row.needs)
    data["fairness"] = _fraction_text(row.fairness)
    return data


def row_from_json(data: dict[str, Any]) -> Row:
    """The inverse of `row_to_json`."""
    known = {f.name for f in fields(Row)}
    values = {k: v for k, v in data.items() if k in known}
    values["needs"] = _parse_fraction(values.get("needs"))
    values["fairness"] = _parse_fraction(values.get("fairness"))
    return Row(**values)


def write_json(rows: Iterable[Row], path: Path) -> None:
    """Write every field of every row as a JSON list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps([row_to_json(r) for r in rows], indent=1)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> list[Row]:
    """Rows written by `write_json`."""
    return [row_from_json(item) for item in json.loads(path.read_text(encoding="utf-8"))]


_TABLE = (
    ("instance", 16),
    ("solver", 19),
    ("mun", 5),
    ("g", 2),
    ("build_s", 8),
    ("solve_s", 8),
    ("total_s", 8),
    ("peak_mb", 8),
    ("status", 11),
    ("needs", 14),
    ("fairness", 14),
    ("check", 5),
    ("match", 5),
)


def table_header() -> str:
    """The header of the printed table."""
    return " ".join(f"{name:<{width}}" for name, width in _TABLE)


def _cells(row: Row) -> dict[str, str]:
    """The cells of one run as the tables show them (times rounded for reading)."""
    return {
        "instance": row.instance,
        "solver": row.solver,
        "mun": str(row.municipalities),
        "groups": str(row.groups),
        "build_s": _number(row.build_s, 2),
        "solve_s": _number(row.solve_s, 2),
        "total_s": _number(row.total_s, 2),
        "peak_mb": _number(row.peak_mb, 0),
        "status": row.status,
        "stop_reason": row.stop_reason,
        "needs": _value(row.needs, 3),
        "fairness": _value(row.fairness, 4),
        "check": "" if row.check is None else str(row.check),
        "matches_reference": _flag(row.matches_reference),
        "gap_note": row.gap_note.replace("|", "/"),
    }


_PRINTED = (
    "instance",
    "solver",
    "mun",
    "groups",
    "build_s",
    "solve_s",
    "total_s",
    "peak_mb",
    "status",
    "needs",
    "fairness",
    "check",
    "matches_reference",
)
_MARKDOWN = (
    "instance",
    "solver",
    "mun",
    "groups",
    "build_s",
    "solve_s",
    "total_s",
    "peak_mb",
    "status",
    "stop_reason",
    "needs",
    "fairness",
    "check",
    "matches_reference",
    "gap_note",
)


def table_line(row: Row) -> str:
    """One run in the printed table; the stop reason and gap note follow on a second line if the
    run was not proven optimal."""
    shown = _cells(row)
    cells = tuple(shown[name] for name in _PRINTED)
    line = " ".join(f"{cell:<{width}}" for cell, (_, width) in zip(cells, _TABLE, strict=True))
    detail = "; ".join(
        x for x in (row.stop_reason if row.stop_reason != "optimal" else "", row.gap_note) if x
    )
    return line.rstrip() + (f"\n    {detail}" if detail else "")


def markdown_table(rows: Iterable[Row]) -> str:
    """The rows as a Markdown table (the CSV columns, times rounded for reading)."""
    lines = ["| " + " | ".join(_MARKDOWN) + " |", "|" + " --- |" * len(_MARKDOWN)]
    for row in rows:
        shown = _cells(row)
        lines.append("| " + " | ".join(shown[name] for name in _MARKDOWN) + " |")
    return "\n".join(lines)


def _ratio(numerator: float | None, denominator: float | None, *, upper: bool = False) -> str:
    """``numerator / denominator`` to 2 decimals; ``< r`` if ``upper`` (the denominator is only a
    lower bound on the baseline's time, which did not finish)."""
    if numerator is None or not denominator:
        return ""
    return f"{'< ' if upper else ''}{numerator / denominator:.2f}"


def ratio_table(rows: Sequence[Row]) -> str:
    """fairshare's runs against the LP relaxation and the straightforward formulation (SF) of the
    same instance in the same run, as a Markdown table.

    ``x LP total`` and ``x LP solve``: total and solve time over the LP relaxation's (blank if the
    LP relaxation failed). ``x SF``: total time over SF's total time (SF solves stages 1-2 only);
    ``x SF (1-2)``: fairshare's build plus its needs and fairness stages over the same. Where SF did
    not finish within the limit its time is a lower bound, so the ratio is given as ``< r`` (if
    fairshare finished what is compared); blank where neither finished.
    """
    by_key = {(r.instance, r.solver): r for r in rows}
    lines = [
        "| instance | solver | status | total_s | x LP total | x LP solve | x SF | x SF (1-2) "
        "| peak_mb |",
        "|" + " --- |" * 9,
    ]
    for row in rows:
        if row.solver not in FAIRSHARE_SOLVERS:
            continue
        lp = by_key.get((row.instance, "lp-relaxation"))
        lp_ok = lp is not None and lp.status == OPTIMAL
        sf = by_key.get((row.instance, "straightforward-cbc"))
        sf_total = sf.total_s if sf is not None and sf.status != "error" else None
        sf_done = sf is not None and sf.status == OPTIMAL
        first_two = row.stage_seconds("needs", "fairness_sum")
        if first_two is not None and row.build_s is not None:
            first_two += row.build_s
        whole = _ratio(row.total_s, sf_total, upper=not sf_done)
        if not sf_done and row.status != OPTIMAL:
            whole = ""
        part = _ratio(first_two, sf_total, upper=not sf_done)
        if not sf_done and not row.proven:
            part = ""
        cells = (
            row.instance,
            row.solver,
            row.status,
            _number(row.total_s, 2),
            _ratio(row.total_s, lp.total_s) if lp is not None and lp_ok else "",
            _ratio(row.solve_s, lp.solve_s) if lp is not None and lp_ok else "",
            whole,
            part,
            _number(row.peak_mb, 0),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
