"""Whether an instance's optimal allocation is shown not to be unique: after every stage is
solved and fixed (the tie-break stage too), a second weighted sum of the decisions, with weights
from another hash of each variable's name, is minimised and maximised over the allocations that
are still optimal. Where the two differ, two optimal allocations differ; where they are equal,
no such pair was found, which does not prove the allocation unique (benchmarks/RESULTS.md,
run 27, E).

    PYTHONPATH=. python benchmarks/results/run27/second_weights.py INSTANCE OBJECTIVE[,...]

``INSTANCE`` is a bundled instance (``nl``, ``haaglanden``, ...) or a benchmark id
(``syn-342-g8``). Prints per objective the tie-break's value, the second sum's least and
largest values, and the placements that differ between the two allocations that reach them.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import replace

from benchmarks.suite import get_instance
from instances import bundled_instance
from models.loader import load_instance
from models.region import Region
from solver.backends.base import SolverOptions, Status
from solver.run import Run
from solver.solve import _prepare, _solve_stage


def _second_weight(name: str) -> int:
    """1..4096 from the SHA-256 of the name with a prefix: independent of the tie-break's."""
    digest = hashlib.sha256(f"second:{name}".encode("ascii")).digest()
    return int.from_bytes(digest[:2], "big") % 4096 + 1


def _region(name: str, objective: str) -> Region:
    try:
        region = load_instance(bundled_instance(name)).region
    except KeyError:
        region = get_instance(name).load()
    return replace(region, policy=replace(region.policy, objective=objective))


def check(name: str, objective: str) -> None:
    run = Run(_region(name, objective), "ortools", SolverOptions(time_limit=1800))
    started = time.perf_counter()
    try:
        for stage in run.stages:
            _prepare(run, stage)
            if _solve_stage(run, stage).status != Status.OPTIMAL:
                print(f"{name} {objective}: stage {stage.name} not proven; nothing to compare")
                return
    finally:
        run.finish_narrowing()
    names = run.f.model.variables
    weights = {i: _second_weight(names[i].name) for i in run.f.decision_variables()}
    ends = []
    for sign in (1, -1):
        outcome = run.minimize({i: sign * w for i, w in weights.items()}, run.values)
        if outcome.status != Status.OPTIMAL or outcome.values is None:
            print(f"{name} {objective}: the second sum was not proven ({outcome.stop_reason})")
            return
        ends.append(outcome.values)
    least, largest = (sum(w * point[i] for i, w in weights.items()) for point in ends)
    placed = run.f.placements.values()
    differ = sum(1 for i in placed if ends[0][i] != ends[1][i])
    tie_break = run.records[-1].value
    print(
        f"{name} {objective}: tie-break {tie_break}, second sum {least} .. {largest}, "
        f"{differ} placements differ, {time.perf_counter() - started:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    for objective in sys.argv[2].split(","):
        check(sys.argv[1], objective)
