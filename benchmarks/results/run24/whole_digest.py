"""One whole solve of a benchmark instance with its stage lines (run 23's `whole_run.py`) and
the SHA-256 of its allocation, so that two trees' answers can be compared without their files
(benchmarks/RESULTS.md, run 24).

    PYTHONPATH=TREE python benchmarks/results/run24/whole_digest.py INSTANCE SECONDS [OBJECTIVE]
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

from solver.backends.base import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")


def main(name: str, seconds: float, objective: str | None) -> None:
    result = whole_run.solved(name, objective, SolverOptions(time_limit=seconds))
    whole_run.report(result, name, objective or "sum_abs_deviation")
    allocation = result.allocation
    text = (
        "none"
        if allocation is None
        else repr(
            (
                sorted(allocation.new_homes.items()),
                sorted(allocation.new_social.items()),
                sorted(allocation.new_middle.items()),
                sorted(allocation.placed.items()),
                sorted(allocation.transfers.items()),
            )
        )
    )
    print(f"allocation sha256 {hashlib.sha256(text.encode()).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
