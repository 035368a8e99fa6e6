"""One whole solve of a benchmark instance with its stage lines, on a given number of threads
(the pricing of column generation solves that many parts at once; benchmarks/RESULTS.md,
run 23).

    PYTHONPATH=. python benchmarks/results/run23/whole_run.py INSTANCE SECONDS THREADS \
        [OBJECTIVE]
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from solver.backends.base import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")


def main(name: str, seconds: float, threads: int, objective: str | None) -> None:
    options = SolverOptions(time_limit=seconds, threads=threads)
    result = whole_run.solved(name, objective, options)
    whole_run.report(result, name, objective or "", f"threads {threads}")


if __name__ == "__main__":
    main(
        sys.argv[1],
        float(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4] if len(sys.argv) > 4 else None,
    )
