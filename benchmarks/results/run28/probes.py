"""The probes of the min-max and leximin stages of one solve, counted: the placement network's
flow probes (`solver.decomposition.feasibility_by_network`) by answer (feasible, infeasible,
undecided) and by the flows each solved (`solver.network.place`), and the probes decided by the
bounds on municipalities' totals alone (`solver.decomposition.ruled_out_by_totals`, from this
run on) (benchmarks/RESULTS.md, run 28). Runs in any tree from run 27 on.

    PYTHONPATH=TREE python benchmarks/results/run28/probes.py INSTANCE OBJECTIVE[,...]

``INSTANCE`` is a benchmark instance (`benchmarks.suite.get_instance`): ``nl-342`` is the
national instance (named ``nl`` in the logs of run 28), ``syn-342-g8`` a synthetic one.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import solver.decomposition as decomposition
import solver.levels as levels
from benchmarks.suite import get_instance
from solver.solve import solve

counts: Counter[str] = Counter()
flows = {"now": 0}


def _counted_place(place: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        flows["now"] += 1
        return place(*args, **kwargs)

    return counted


def _counted_probe(probe: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        flows["now"] = 0
        shown = probe(*args, **kwargs)
        answer = "undecided" if shown is None else "infeasible"
        if shown is not None and shown.values is not None:
            answer = "feasible"
        counts[f"flow probes, {answer}"] += 1
        counts[f"flows solved, {answer} probes"] += flows["now"]
        return shown

    return counted


def _counted_totals(check: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        counts["probes by totals"] += 1
        return check(*args, **kwargs)

    return counted


if __name__ == "__main__":
    name, objectives = sys.argv[1], sys.argv[2].split(",")
    decomposition.place = _counted_place(decomposition.place)  # type: ignore[attr-defined]
    levels.feasibility_by_network = _counted_probe(levels.feasibility_by_network)  # type: ignore[attr-defined]
    if hasattr(levels, "ruled_out_by_totals"):
        levels.ruled_out_by_totals = _counted_totals(levels.ruled_out_by_totals)
    base = get_instance(name).load()
    for objective in objectives:
        counts.clear()
        region = replace(base, policy=replace(base.policy, objective=objective))
        started = time.perf_counter()
        result = solve(region, hard_limit=False)
        seconds = time.perf_counter() - started
        stage = next((s for s in result.stages if s.name.startswith("fairness_")), None)
        print(
            f"{name} {objective}: {result.status}, {seconds:.2f} s, fairness stage "
            f"{stage.seconds if stage else 0:.3f} s; "
            + ", ".join(f"{key} {value}" for key, value in sorted(counts.items())),
            flush=True,
        )
