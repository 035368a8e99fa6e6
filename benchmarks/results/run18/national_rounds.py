"""The national instance in one process under each fairness objective, with the narrowing of
the later stages' bounds (`solver.run.Run.tighten`) off and on in turns, ROUNDS times; each
solve's wall-clock seconds and its stages' seconds, then the medians (benchmarks/RESULTS.md,
run 18). ``off`` replaces `Run.tighten` by a step that does nothing: the solve of run 17.

    PYTHONPATH=. python benchmarks/results/run18/national_rounds.py ROUNDS [OBJECTIVE,...]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace

import solver.run as run_module
from instances import bundled_instance
from models.loader import load_instance
from solver.backends import backend_class
from solver.solve import solve

OBJECTIVES = (
    "sum_abs_deviation,max_abs_deviation,max_rel_deviation,leximin,quota_respecting,equal_burden"
)


def main(rounds: int, objectives: list[str]) -> None:
    tighten = run_module.Run.tighten
    backend_class("ortools")
    national = load_instance(bundled_instance("nl")).region
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    stage_seconds: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for round_number in range(rounds):
        for objective in objectives:
            region = replace(national, policy=replace(national.policy, objective=objective))
            for mode in ("off", "on"):
                step = tighten if mode == "on" else (lambda self: None)
                run_module.Run.tighten = step  # type: ignore[method-assign]
                started = time.perf_counter()
                result = solve(region, hard_limit=False)
                took = time.perf_counter() - started
                seconds[(objective, mode)].append(took)
                for stage in result.stages:
                    stage_seconds[(objective, mode, stage.name)].append(stage.seconds)
                stages = " ".join(f"{s.name}={s.seconds:.3f}" for s in result.stages)
                print(f"{round_number} {objective} {mode} {result.status} {took:.3f} s {stages}")
    run_module.Run.tighten = tighten  # type: ignore[method-assign]
    print("\nmedians (s)")
    for objective in objectives:
        for mode in ("off", "on"):
            stages = " ".join(
                f"{name}={statistics.median(values):.3f}"
                for (o, m, name), values in stage_seconds.items()
                if (o, m) == (objective, mode)
            )
            whole = statistics.median(seconds[(objective, mode)])
            print(f"{objective} {mode}: {whole:.3f} ({stages})")


if __name__ == "__main__":
    main(int(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else OBJECTIVES).split(","))
