"""The tie-break stage of syn-5000-g8 (`generate_region(5000, 8, seed=2024)`) replayed on SCIP
with other settings: its problem (the reduced model with the rows in force, the objective and the
start, `solver.solve.stage_problem`) is written once to a pickle, then solved from the start with
SCIP's own parameters added to those the backend sets, printing the answer's value, the bound and
the peak resident memory (sampled every second).

    python benchmarks/results/run14/tie_break_settings.py dump /tmp/tie5000.pkl
    python benchmarks/results/run14/tie_break_settings.py replay /tmp/tie5000.pkl 300
    python benchmarks/results/run14/tie_break_settings.py replay /tmp/tie5000.pkl 300 \\
        separating/maxroundsroot=3

A parameter ``name=value`` is SCIP's integer parameter unless the value has a decimal point; the
emphasis settings ``heuristics=off`` and ``separating=aggressive`` are gSCIP's. The script imports
nothing of the benchmarks, so that it runs against an older tree too (``PYTHONPATH=/tmp/old``).
"""

from __future__ import annotations

import argparse
import os
import pickle
import threading
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from models.generate import generate_region
from solver.backends.base import SolverOptions
from solver.backends.mathopt_parameters import solve_parameters
from solver.model import evaluate
from solver.solve import stage_problem


def _resident_mib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def dump(path: str) -> None:
    region = generate_region(5000, 8, seed=2024)
    problem = stage_problem(region, "tie_break", SolverOptions(time_limit=1200))
    if problem is None:
        raise SystemExit("a stage before the tie-break stage was not proven")
    with open(path, "wb") as out:
        pickle.dump((problem.model, problem.terms, problem.start), out)


def _with_settings(settings: list[str]) -> None:
    def parameters(*args: Any, **options: Any) -> Any:
        proto = solve_parameters(*args, **options)
        gscip = type(proto.gscip)  # GScipParameters, whose enum values it carries
        for setting in settings:
            name, value = setting.split("=")
            if name == "heuristics" and value == "off":
                proto.gscip.heuristics = gscip.OFF
            elif name == "separating" and value == "aggressive":
                proto.gscip.separating = gscip.AGGRESSIVE
            elif "." in value:
                proto.gscip.real_params[name] = float(value)
            else:
                proto.gscip.int_params[name] = int(value)
        return proto

    backend_module.solve_parameters = parameters  # type: ignore[attr-defined]


def replay(path: str, seconds: float, settings: list[str]) -> None:
    _with_settings(settings)
    with open(path, "rb") as saved:
        model, terms, start = pickle.load(saved)
    backend = backend_module.MathOptBackend(model, SolverOptions(time_limit=seconds))
    backend._set_objective(backend._proto, terms)
    peak = [_resident_mib()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            peak[0] = max(peak[0], _resident_mib())

    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()
    outcome = backend._solve(terms, seconds, start, tight=False)
    done.set()
    value = None if outcome.values is None else evaluate(terms, outcome.values)
    print(
        f"settings {' '.join(settings) or '(the backend own)'}: {outcome.status.value} "
        f"({outcome.stop_reason}) in {time.perf_counter() - started:.0f} s, value {value}, "
        f"start {evaluate(terms, start)}, bound {outcome.bound}, peak {peak[0]} MiB resident"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("path")
    replaying = commands.add_parser("replay")
    replaying.add_argument("path")
    replaying.add_argument("seconds", type=float)
    replaying.add_argument("settings", nargs="*")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.path)
    else:
        replay(args.path, args.seconds, args.settings)


if __name__ == "__main__":
    main()
