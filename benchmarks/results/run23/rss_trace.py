"""One whole solve (as `benchmarks/results/run21/whole_run.py`) with the process's resident
memory printed where column generation builds its pricing models, prices, solves its master
and completes (benchmarks/RESULTS.md, run 23).

    PYTHONPATH=. python benchmarks/results/run23/rss_trace.py usual INSTANCE SECONDS [OBJECTIVE]
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solver.columns as columns_module
import solver.run as run_module
from solver.memory import resident_mib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")

#: The decomposition as `solver.run` calls it (imported there by name).
SOLVE_BY_COLUMNS = "solve_by_columns"
STARTED = time.perf_counter()
PEAK = [0]


def say(what: str) -> None:
    print(
        f"[{time.perf_counter() - STARTED:7.1f}s] rss {resident_mib()} MiB  {what} "
        f"(peak so far {PEAK[0]})",
        flush=True,
    )


def sample() -> None:
    while True:
        PEAK[0] = max(PEAK[0], resident_mib() or 0)
        time.sleep(0.1)


def told(name: str) -> None:
    real: Callable[..., Any] = getattr(columns_module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        say(f"{name} begins")
        answer = real(*args, **kwargs)
        say(f"{name} ends")
        return answer

    setattr(columns_module, name, wrapped)


class TracedPricer(columns_module.BlockPricer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        say("pricing models: made next")
        super().__init__(*args, **kwargs)
        say(f"pricing models: {len(self.parts)} made")


def main() -> None:
    threading.Thread(target=sample, daemon=True).start()
    for name in ("price", "_completed", "master_model"):
        told(name)
    columns_module.BlockPricer = TracedPricer  # type: ignore[misc]
    real_solve = getattr(run_module, SOLVE_BY_COLUMNS)

    def traced(*args: Any, **kwargs: Any) -> Any:
        say(f"solve_by_columns begins, {len(args[0].variables):,} variables")
        answer = real_solve(*args, **kwargs)
        say("solve_by_columns ends")
        return answer

    setattr(run_module, SOLVE_BY_COLUMNS, traced)
    whole_run.main(
        sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None
    )


if __name__ == "__main__":
    main()
