"""One whole solve of a benchmark instance with its stage lines, the later stages block by block
from the usual threshold (``usual``) or always (``always``) or never (``never``)
(benchmarks/RESULTS.md, run 21).

    PYTHONPATH=. python benchmarks/results/run21/whole_run.py usual|always|never INSTANCE SECONDS \
        [OBJECTIVE]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import solver.run as run_module
from benchmarks.suite import get_instance
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.result import Result
from solver.solve import solve


def main(mode: str, name: str, seconds: float, objective: str | None) -> None:
    if mode == "always":
        run_module.COLUMNS_FROM = 0
    elif mode == "never":
        run_module.COLUMNS_FROM = 10**12
    result = solved(name, objective, SolverOptions(time_limit=seconds))
    report(result, mode, name, objective or "")


def solved(name: str, objective: str | None, options: SolverOptions) -> Result:
    """The whole solve of instance ``name`` (under ``objective`` if given) with ``options``,
    each progress line printed with the seconds since it began."""
    backend_class("ortools")
    region = get_instance(name).load()
    if objective is not None:
        region = replace(region, policy=replace(region.policy, objective=objective))
    started = time.perf_counter()

    def tell(line: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {line}", flush=True)

    return solve(region, "ortools", options, hard_limit=False, progress=tell)


def report(result: Result, *labels: str) -> None:
    """The ``labels``, the result's status, stop reason and peak, and a line per stage and
    note."""
    print(*labels, result.status, result.stop_reason, f"peak {result.peak_memory_mib} MiB")
    for stage in result.stages:
        print(
            f"  {stage.name}: {stage.status} ({stage.method}), {stage.seconds:.2f} s, "
            f"{stage.value} >= {stage.bound}"
        )
    for note in result.notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
