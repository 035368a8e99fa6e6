"""Two trees timed in pairs: one worker process per tree, each loading the instance once and
solving it (in its own process, without the hard limit) whenever asked; the driver asks the
two in turns, A then B in even rounds and B then A in odd ones, so that each pair of solves is
measured within a second or two of each other and a machine that is slower for a while slows
both (benchmarks/RESULTS.md, run 20).

    python benchmarks/results/run20/paired.py TREE_A,TREE_B INSTANCE OBJECTIVE[,...] ROUNDS

prints, per objective, each tree's median and the median and quartiles of the paired
differences B - A, after two solves of each objective per tree to warm up. ``INSTANCE`` is a
bundled instance (``nl``); each worker runs this file with ``--worker`` in its tree.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path


def worker() -> None:
    """Answer ``INSTANCE OBJECTIVE`` lines with the seconds of one solve and its status."""
    from instances import bundled_instance
    from models.loader import load_instance
    from models.region import Region
    from solver.backends import backend_class
    from solver.solve import solve

    backend_class("ortools")
    regions: dict[str, Region] = {}
    for line in sys.stdin:
        name, objective = line.split()
        if name not in regions:
            regions[name] = load_instance(bundled_instance(name)).region
        base = regions[name]
        region = replace(base, policy=replace(base.policy, objective=objective))
        started = time.perf_counter()
        result = solve(region, hard_limit=False)
        print(f"{time.perf_counter() - started:.6f} {result.status}", flush=True)


def main(trees: list[str], name: str, objectives: list[str], rounds: int) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": tree},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for tree in trees
    ]

    def timed(which: int, objective: str) -> float:
        process = workers[which]
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{name} {objective}\n")
        process.stdin.flush()
        seconds, status = process.stdout.readline().split()
        if status != "optimal":
            raise SystemExit(f"{trees[which]} {objective}: {status}")
        return float(seconds)

    for objective in objectives:
        for which in (0, 1, 0, 1):
            timed(which, objective)
    seconds: dict[str, tuple[list[float], list[float]]] = {o: ([], []) for o in objectives}
    for number in range(rounds):
        for objective in objectives:
            for which in (0, 1) if number % 2 == 0 else (1, 0):
                seconds[objective][which].append(timed(which, objective))
    print(f"A = {trees[0]}, B = {trees[1]}, {name}, {rounds} rounds")
    for objective in objectives:
        a, b = seconds[objective]
        differences = sorted(y - x for x, y in zip(a, b, strict=True))
        quarter = len(differences) // 4
        print(
            f"{objective:18s} A {statistics.median(a):.3f}  B {statistics.median(b):.3f}  "
            f"B - A median {statistics.median(differences):+.3f} "
            f"(quartiles {differences[quarter]:+.3f} .. {differences[-1 - quarter]:+.3f})"
        )
    for process in workers:
        assert process.stdin is not None
        process.stdin.close()
        process.wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main(sys.argv[1].split(","), sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]))
