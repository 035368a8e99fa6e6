"""Each pricing of column generation in one whole solve: its wall seconds, the parts the engine
priced and the parts that kept their point because their prices only changed in scale
(`solver.columns.BlockPricer`), and the coupling rows whose duals are not zero (benchmarks/
RESULTS.md, run 33). Run it with PYTHONPATH at an older tree to see that tree's pricings (the
counts of parts are then left out).

    PYTHONPATH=TREE python benchmarks/results/run33/pricings.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import solver.columns as columns_module
from solver.model import Constraint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")

LINES: list[str] = []


def main(instance: str, objective: str) -> None:
    price = columns_module.price
    cheapest = columns_module.BlockPricer.cheapest

    def priced(
        pricer: Any,
        terms: Any,
        rows: Sequence[Constraint],
        duals: Sequence[float],
        deadline: float,
        workers: int | None = None,
    ) -> Any:
        pairs = zip(rows, duals, strict=True)
        moving = ", ".join(f"{row.name} {dual:.4g}" for row, dual in pairs if dual)
        LINES.append(f"  duals: {moving or 'all 0'}")
        return price(pricer, terms, rows, duals, deadline, workers)

    def timed(pricer: Any, prices: Any, time_limit: float, workers: int | None = None) -> Any:
        counts = (getattr(pricer, "solved", 0), getattr(pricer, "kept", 0))
        started = time.perf_counter()
        point = cheapest(pricer, prices, time_limit, workers)
        seconds = time.perf_counter() - started
        parts = len(pricer.parts)
        if hasattr(pricer, "kept"):
            solved, kept = pricer.solved - counts[0], pricer.kept - counts[1]
            LINES.append(f"pricing {seconds:.3f} s: {solved} of {parts} parts priced, {kept} kept")
        else:
            LINES.append(f"pricing {seconds:.3f} s: {parts} parts")
        return point

    setattr(columns_module, "price", priced)  # noqa: B010 - read there by name
    setattr(columns_module.BlockPricer, "cheapest", timed)  # noqa: B010 - a method replaced
    whole_digest.main(instance, 1800.0, objective)
    print("\n".join(LINES))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
