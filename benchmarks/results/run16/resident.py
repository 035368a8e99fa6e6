"""The process's resident memory around every MathOpt solve of one solve of syn-5000-g8
(`generate_region(5000, 8, seed=2024)`, the suite's instance), sampled every 0.05 s during each
solve, with SCIP's memory limit where it has one, then the peak (``ru_maxrss``) and the
stages' values and stop reasons.

    python benchmarks/results/run16/resident.py --time-limit 1200
    python benchmarks/results/run16/resident.py --time-limit 1200 --memory-limit 1000

``--memory-limit MIB`` is ``SolverOptions.memory_limit`` (``fairshare solve --memory-limit``).
Run 13's script with that option; it imports nothing of the benchmarks.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from models.generate import generate_region
from solver.backends.base import Outcome, SolverOptions
from solver.solve import solve


def _resident_mib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def _sample_every_solve(started: float) -> None:
    original = backend_module.MathOptBackend._solve

    def sampled(self: Any, terms: Any, time_limit: float, hint: Any, **options: Any) -> Outcome:
        before = _resident_mib()
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _resident_mib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        solve_started = time.perf_counter()
        try:
            return original(self, terms, time_limit, hint, **options)
        finally:
            done.set()
            sampler.join()
            after = _resident_mib()
            engine = options.get("engine") or self.engine
            limit = self._memory_mb(engine)
            print(
                f"  t={time.perf_counter() - started:7.1f} {engine:6s} "
                f"vars={len(self._proto.variables.ids):<7d}"
                f"{time.perf_counter() - solve_started:7.1f}s rss before {before} "
                f"peak during {max(peak[0], after)} after {after} MiB"
                + ("" if limit is None else f", SCIP limit {limit:.0f} MB at its end"),
                flush=True,
            )

    backend_module.MathOptBackend._solve = sampled  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=1200.0)
    parser.add_argument("--memory-limit", type=int, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    _sample_every_solve(started)
    region = generate_region(5000, 8, seed=2024)
    options = SolverOptions(time_limit=args.time_limit, memory_limit=args.memory_limit)
    result = solve(region, "ortools", options, hard_limit=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"solve {time.perf_counter() - started:.1f} {result.status} ({result.stop_reason}) "
        f"rss {_resident_mib()} "
        f"maxrss MiB {peak}"
    )
    for stage in result.stages:
        print(stage.name, stage.status, stage.stop_reason, f"{stage.seconds:.1f}", stage.value)


if __name__ == "__main__":
    main()
