"""Run the benchmark suite: every (instance, solver) in a fresh subprocess under a timeout.

Solvers (`SOLVERS`):

* ``ortools-default`` (alias ``ortools-scip``), ``ortools-highs``: `solver.solve.solve` on the
  OR-Tools backend with SCIP (fairshare's default) or HiGHS, one thread, all stages;
* ``cpsat-1``, ``cpsat-2``: the same on OR-Tools' CP-SAT with 1 and 2 workers;
* ``cbc``: `solver.solve.solve` on the PuLP/CBC backend, all stages;
* ``straightforward-cbc``: `benchmarks.straightforward`, stages 1-2 only;
* ``lp-relaxation``: `benchmarks.lp_relaxation`, fairshare's model with every variable
  continuous.

Each run is a child process (``python -m benchmarks child``) so that its peak memory
(``ru_maxrss`` of the child itself) belongs to that run alone; the child writes a JSON record and
the parent kills its process group if it overruns the timeout. Times are wall-clock seconds:
``build_s`` formulating and handing the model to the solver, ``solve_s`` the sum of the stage
solves, ``total_s`` the whole solve call (build, stages and assembling the answer; not loading or
generating the instance, importing the solver packages, nor checking the answer). Every
allocation is checked with `solver.check.check_allocation`, and every run is compared with the
instance's reference (`benchmarks.references`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from benchmarks.lp_relaxation import solve_lp_relaxation
from benchmarks.output import table_header, table_line, write_csv
from benchmarks.record import (
    LP_RELAXATION,
    STRAIGHTFORWARD,
    Row,
    fraction_text,
    parse_fraction,
    write_json,
)
from benchmarks.references import (
    Reference,
    build_references,
    compare,
    design_reference,
    load_references,
)
from benchmarks.straightforward import solve_straightforward
from benchmarks.suite import INSTANCE_IDS, get_instance
from models.region import Region
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.check import check_allocation
from solver.result import OPTIMAL, Result
from solver.solve import solve

ROOT = Path(__file__).resolve().parent.parent

#: fairshare's own solves: name -> (backend, engine, threads). ``ortools-mip`` is the default
#: without the placement network (`SolverOptions.network`): every stage on the whole MIP.
FAIRSHARE_SOLVERS: dict[str, tuple[str, str | None, int]] = {
    "ortools-default": ("ortools", "scip", 1),
    "ortools-mip": ("ortools", "scip", 1),
    "ortools-highs": ("ortools", "highs", 1),
    "cpsat-1": ("ortools", "cpsat", 1),
    "cpsat-2": ("ortools", "cpsat", 2),
    "cbc": ("cbc", None, 1),
}
#: The solvers, in the order they run; the first is fairshare's default.
SOLVERS: tuple[str, ...] = (*FAIRSHARE_SOLVERS, STRAIGHTFORWARD, LP_RELAXATION)
#: Other names accepted on the command line.
ALIASES: dict[str, str] = {"ortools-scip": "ortools-default"}
REFERENCE = "ortools-default"


def canonical(solver: str) -> str:
    """The solver's name in `SOLVERS` (an alias resolved).

    Raises:
        KeyError: for an unknown solver.
    """
    name = ALIASES.get(solver, solver)
    if name not in SOLVERS:
        known = ", ".join([*SOLVERS, *ALIASES])
        raise KeyError(f"unknown solver {solver!r}; known: {known}")
    return name


def default_timeout(time_limit: float) -> float:
    """The runner's wall-clock limit on one child: 1.5 times the time limit plus 60 s (imports,
    generating the instance, solvers overrunning their own limit)."""
    return 1.5 * time_limit + 60.0


# --- the child: one measured run --------------------------------------------------------------


def _stage_names(region: Region) -> list[str]:
    """The stages fairshare solves for this region, in order (as
    `solver.run.lexicographic_stages`)."""
    names = ["needs"]
    if region.policy.rule_enabled("fair_split"):
        if region.policy.objective == "max_rel_deviation":
            names.append("fairness_max_rel")
        names.append("fairness_sum")
    return [*names, "programme", "tie_break"]


def _fairshare_run(
    region: Region, solver: str, time_limit: float, memory_limit: int | None
) -> dict[str, Any]:
    backend, engine, threads = FAIRSHARE_SOLVERS[solver]
    options = SolverOptions(
        time_limit=time_limit,
        engine=engine,
        threads=threads,
        network=solver != "ortools-mip",
        memory_limit=memory_limit,
    )
    started = time.perf_counter()
    result = solve(region, backend, options, hard_limit=False)
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
        "needs": fraction_text(needs.value if needs else None),
        "fairness": fraction_text(fairness.value if fairness else None),
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
                "value": fraction_text(r.value),
                "bound": fraction_text(r.bound),
                "seconds": r.seconds,
                "method": r.method,
            }
            for r in result.stages
        ],
        "versions": dict(result.versions),
    }


def _gap_note(result: Result, expected: list[str]) -> str:
    """The stages that were not proven optimal, with value and bound where known."""
    notes = []
    for record in result.stages:
        if record.status in (OPTIMAL, "infeasible"):
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
    if missing and result.status != "infeasible":
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
    notes = [
        f"{s.name} {s.status} ({s.stop_reason}), no bound"
        for s in result.stages
        if s.status not in ("optimal", "infeasible")
    ]
    solved = {s.name for s in result.stages}
    missing = [n for n in ("needs", "fairness_sum") if n not in solved]
    if missing and region.policy.rule_enabled("fair_split") and result.status != "infeasible":
        notes.append("not reached: " + ", ".join(missing))
    return {
        "status": result.status,
        "stop_reason": result.stop_reason,
        "build_s": result.build_seconds,
        "solve_s": result.solve_seconds,
        "total_s": total,
        "needs": fraction_text(result.needs),
        "fairness": fraction_text(result.fairness),
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


def measure(
    instance_id: str, solver: str, time_limit: float, memory_limit: int | None = None
) -> dict[str, Any]:
    """One run in this process: load the instance, solve, check; a JSON-ready record.
    ``memory_limit`` is handed to fairshare's own solvers only.

    Raises:
        KeyError: for an unknown instance or solver.
    """
    solver = canonical(solver)
    region = get_instance(instance_id).load()
    if solver in FAIRSHARE_SOLVERS:
        record = _fairshare_run(region, solver, time_limit, memory_limit)
    elif solver == STRAIGHTFORWARD:
        record = _straightforward_run(region, time_limit)
    else:
        record = solve_lp_relaxation(region, time_limit)
    record["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return record


def child_main(
    instance_id: str,
    solver: str,
    time_limit: float,
    result_path: Path,
    memory_limit: int | None = None,
) -> None:
    """The child process: `measure` and write its record as JSON to ``result_path``. Both
    backends are imported first, outside every clock, as the straightforward formulation imports
    PuLP with this module (importing OR-Tools' MathOpt takes about 0.25 s)."""
    for name in ("ortools", "cbc"):
        backend_class(name)
    record = measure(instance_id, solver, time_limit, memory_limit)
    result_path.write_text(json.dumps(record, indent=1), encoding="utf-8")


# --- the parent: subprocesses, reference, output ----------------------------------------------


def run_one(
    instance_id: str,
    solver: str,
    time_limit: float,
    timeout: float,
    memory_limit: int | None = None,
) -> Row:
    """Run one (instance, solver) in a fresh subprocess, killed after ``timeout`` seconds.

    Raises:
        KeyError: for an unknown instance or solver.
    """
    entry = get_instance(instance_id)
    solver = canonical(solver)
    row = Row(
        instance_id,
        solver,
        entry.municipalities,
        entry.groups,
        time_limit=time_limit,
        memory_limit=memory_limit if solver in FAIRSHARE_SOLVERS else None,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="fairshare-bench-") as folder:
        # The child's temporary files (PuLP's for CBC) go here too, so a killed child leaves none.
        env["TMPDIR"] = env["TMP"] = env["TEMP"] = folder
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
        if row.memory_limit is not None:
            command += ["--memory-limit", str(row.memory_limit)]
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
    row.needs, row.fairness = parse_fraction(record["needs"]), parse_fraction(record["fairness"])
    row.gap_note, row.check, row.proven = record["gap_note"], record["check"], record["proven"]
    row.stages, row.versions = record["stages"], record["versions"]
    return row


def _kill_group(pid: int) -> None:
    """Kill the process group of a child started with ``start_new_session`` (by its id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def judge(row: Row, references: dict[str, Reference], in_run: list[Row]) -> None:
    """Set ``matches_reference`` and ``reference_note``: against the instance's entry in
    ``references``, or, for an instance without one, against the reference made from this run's
    own rows of the instance so far (``in_run``, which holds ``row``; its first row, normally the
    default solver's, is then the reference itself and is not judged); an ``-infeasible`` variant
    is always judged against its status by design."""
    reference = references.get(row.instance) or design_reference(row.instance)
    if reference is None:
        if not in_run or in_run[0] is row:
            row.matches_reference, row.reference_note = None, "no reference"
            return
        reference = build_references([r for r in in_run if r is not row]).get(row.instance)
    row.matches_reference, row.reference_note = compare(row, reference)


def run_benchmarks(
    instances: Sequence[str] = INSTANCE_IDS,
    solvers: Sequence[str] = SOLVERS,
    time_limit: float = 120.0,
    *,
    timeout: float | None = None,
    out: Path | None = None,
    json_out: Path | None = None,
    echo: Callable[[str], None] | None = None,
    references: dict[str, Reference] | None = None,
    memory_limit: int | None = None,
    repeat: int = 1,
) -> list[Row]:
    """Run every instance with every solver ``repeat`` times, each run in a fresh subprocess;
    the rows in run order.

    The default solver runs first on each instance. With ``repeat`` the solvers of an instance
    take turns (every solver once, then every solver again), so that a slower spell of a shared
    machine falls on all of them; each row says which repetition it is. Every row is compared
    with ``references`` (default: ``benchmarks/references.json``). With ``out`` (CSV) and
    ``json_out`` (every field, stage by stage) the files are rewritten after every run, so an
    interrupted run keeps what it measured. ``echo`` receives the table line by line as runs
    finish. ``memory_limit`` (MiB, `solver.backends.base.SolverOptions.memory_limit`) applies to
    fairshare's own solvers.

    Raises:
        KeyError: for an unknown instance or solver (before anything runs).
        ValueError: for ``repeat`` below 1.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}")
    for instance_id in instances:
        get_instance(instance_id)
    names = [canonical(s) for s in solvers]
    known = load_references() if references is None else references
    ordered = sorted(dict.fromkeys(names), key=lambda s: s != REFERENCE)
    limit = default_timeout(time_limit) if timeout is None else timeout
    rows: list[Row] = []
    count = len(instances) * len(ordered) * repeat
    if echo:
        echo(table_header())
    for instance_id in instances:
        in_run: list[Row] = []
        for repetition, solver in itertools.product(range(1, repeat + 1), ordered):
            if echo:
                print(f"[{len(rows) + 1}/{count}] {instance_id} {solver} ...", file=sys.stderr)
            row = run_one(instance_id, solver, time_limit, limit, memory_limit)
            row.repetition = repetition
            in_run.append(row)
            judge(row, known, in_run)
            rows.append(row)
            if echo:
                echo(table_line(row))
            if out is not None:
                write_csv(rows, out)
            if json_out is not None:
                write_json(rows, json_out)
    return rows
