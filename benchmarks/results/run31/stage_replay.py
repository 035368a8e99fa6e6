"""One later stage's problem (cached by `benchmarks/results/run22/columns_replay.py`) proven
block by block as a whole run at 5,000 municipalities does it: the first relaxation solved
for the stage, the pricing on two threads with the settings and parts of
`solver.run.pricing_settings`; printed: the seconds, the value, the rounds and whether it is
proven (benchmarks/RESULTS.md, run 31). With ``FAIRSHARE_ROWS_ONE_BY_ONE=1`` in the
environment every answer is checked row by row, as before run 31.

    PYTHONPATH=TREE python benchmarks/results/run31/stage_replay.py PROBLEM.pickle
"""

from __future__ import annotations

import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path

from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.columns import FAST_PRICING_PART, solve_by_columns


def main(path: Path) -> None:
    problem = pickle.loads(path.read_bytes())
    options = SolverOptions(time_limit=600, threads=1)
    fast = replace(options, fast_presolve=True, primal_heuristics=False)
    backend = backend_class("ortools")
    started = time.perf_counter()
    found = solve_by_columns(
        problem.model,
        problem.terms,
        problem.start,
        lambda model: backend(model, options),
        time.perf_counter() + 600,
        None,
        2,
        lambda model: backend(model, fast),
        FAST_PRICING_PART,
    )
    seconds = time.perf_counter() - started
    assert found is not None
    print(f"{seconds:.3f} value {found.value} rounds {found.rounds} proven {found.proven}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
