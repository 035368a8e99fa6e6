"""One pricing of column generation on two threads, as a whole run at 5,000 municipalities
prices (SCIP with the settings of `solver.run.pricing_settings`, parts of
`solver.columns.FAST_PRICING_PART`), with every answer checked row by row and with the
model's rows read as arrays from each backend's second check (`MATRIX_FROM_CHECK`), in turns,
after one pricing to warm up (benchmarks/RESULTS.md, run 31).

    git worktree add /tmp/arrays 62ad067
    PYTHONPATH=/tmp/arrays python benchmarks/results/run31/pricing_check.py PROBLEM.pickle ROUNDS

Only on commit 62ad067, whose backends had `MATRIX_FROM_CHECK`: d7061b3 took the array check
back, since this measurement showed no gain.

PROBLEM.pickle: a later stage's problem as `benchmarks/results/run22/columns_replay.py` caches
it; the prices are those at the duals of its linear relaxation.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path

import solver.backends.ortools_mathopt as mathopt_module
from solver.backends import backend_class
from solver.columns import FAST_PRICING_PART, BlockPricer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run30"))
pricing_parts = importlib.import_module("pricing_parts")

CHECKS = {"one by one": 10**9, "as arrays": 2}


def main(path: Path, rounds: int) -> None:
    model, blocks, prices = pricing_parts.relaxation_prices(path)
    options = pricing_parts.SETTINGS["fast"]
    backend = backend_class("ortools")
    pricers = {
        label: BlockPricer(model, blocks, lambda sub: backend(sub, options), 2, FAST_PRICING_PART)
        for label in CHECKS
    }
    times: dict[str, list[float]] = {label: [] for label in CHECKS}
    points: dict[str, dict[int, int]] = {}
    for number in range(rounds + 1):
        for label, first in CHECKS.items():
            setattr(mathopt_module, "MATRIX_FROM_CHECK", first)  # noqa: B010 - only 62ad067 has it
            getattr(pricers[label], "forget", lambda: None)()  # run 33 on: price every part
            started = time.perf_counter()
            point = pricers[label].cheapest(prices, 600)
            if number:
                times[label].append(time.perf_counter() - started)
            assert point is not None
            points.setdefault(label, point)
    for label, spent in times.items():
        print(
            f"{label:10s} median {statistics.median(spent):.3f} s  "
            + " ".join(f"{t:.3f}" for t in spent)
        )
    print("same cheapest point:", len({tuple(sorted(p.items())) for p in points.values()}) == 1)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
