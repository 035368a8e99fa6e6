"""Where a whole solve's processor time goes: the process's CPU seconds (user and system) against
the CPU seconds of the engines' solves (each MathOpt solve, by engine: HiGHS, SCIP, CP-SAT, read
by `time.thread_time` on the thread that ran it) and of the placement network's min-cost flows
(`solver.backends.flow.cheapest_flow`, its arcs written in Python included); the rest is Python
(benchmarks/RESULTS.md, run 32). On a machine of two cores no run can take less wall time than
half its CPU seconds.

    PYTHONPATH=. python benchmarks/results/run32/cpu_split.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import collections
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solver.backends.flow as flow_module
import solver.backends.mathopt_proto as proto_module
import solver.backends.ortools_mathopt as mathopt_module
import solver.network as network_module

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")

SECONDS: dict[str, float] = collections.defaultdict(float)
LOCK = threading.Lock()


def _counted(inner: Callable[..., Any], label: Callable[..., str]) -> Callable[..., Any]:
    """``inner`` with the CPU seconds of each call's own thread added to ``label(*args)``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent = time.thread_time() - started
            with LOCK:
                SECONDS[label(*args)] += spent

    return wrapper


def _engine(_: Any, solver: Any, *__: Any) -> str:
    return f"{solver.name} (MathOpt)"


def main(instance: str, objective: str) -> None:
    core = _counted(proto_module.core_solve, _engine)
    proto_module.core_solve = core
    setattr(mathopt_module, "core_solve", core)  # noqa: B010 - imported there by name
    flows = _counted(flow_module.cheapest_flow, lambda *_: "min-cost flow and its arcs")
    setattr(network_module, "cheapest_flow", flows)  # noqa: B010 - imported there by name
    before, started = os.times(), time.perf_counter()
    whole_digest.main(instance, 1800.0, objective)
    after, wall = os.times(), time.perf_counter() - started
    process = (after.user - before.user) + (after.system - before.system)
    engines = sum(SECONDS.values())
    print(
        f"wall {wall:.2f} s; CPU {process:.2f} s: engines {engines:.2f} s, "
        f"the rest (Python) {process - engines:.2f} s; half the CPU {process / 2:.2f} s"
    )
    for label, spent in sorted(SECONDS.items()):
        print(f"  {label}: {spent:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
