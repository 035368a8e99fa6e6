"""A whole solve of a suite instance in one process, with the narrowing of the later stages'
bounds (`solver.run.Run.tighten`) on or off, printing each stage as it begins and ends
(benchmarks/RESULTS.md, run 18).

    PYTHONPATH=. python benchmarks/results/run18/whole_run.py on|off INSTANCE SECONDS

``off`` replaces `Run.tighten` by a step that does nothing: the solve of run 17.
"""

from __future__ import annotations

import sys
import time

import solver.run as run_module
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.solve import solve


def main(mode: str, name: str, seconds: float) -> None:
    if mode == "off":
        run_module.Run.tighten = lambda self: None  # type: ignore[method-assign]
    backend_class("ortools")
    region = get_instance(name).load()
    started = time.perf_counter()

    def tell(line: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {line}", flush=True)

    result = solve(
        region, "ortools", SolverOptions(time_limit=seconds), hard_limit=False, progress=tell
    )
    print(result.status, result.stop_reason, f"peak {result.peak_memory_mib} MiB")
    for stage in result.stages:
        took = f"{stage.seconds:.2f} s"
        print(f"  {stage.name}: {stage.status}, {took}, {stage.value} >= {stage.bound}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
