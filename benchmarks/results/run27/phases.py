"""One whole solve (run 24's `whole_digest.py`) with a line for each of the OR-Tools backend's
steps on the later stages: SCIP's solves (``[scip]``, the node-limited one included), the
prover's column generation (``[prover]``) and the proof engine (``[proof]``), each with its
seconds, status, stop reason and objective (of the reduced model) (benchmarks/RESULTS.md,
run 27).

    PYTHONPATH=. python benchmarks/results/run27/phases.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import runpy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solver.backends.ortools_mathopt import MathOptBackend


def _timed(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = step(self, *args, **kwargs)
        status = getattr(outcome, "status", None)
        stop = getattr(outcome, "stop_reason", None)
        objective = getattr(outcome, "objective", None)
        seconds = time.perf_counter() - started
        print(f"    [{name}] {seconds:.2f} s {status} {stop} {objective}", flush=True)
        return outcome

    return timed


if __name__ == "__main__":
    name, objective = sys.argv[1:3]
    MathOptBackend._checked = _timed("scip", MathOptBackend._checked)  # type: ignore[method-assign]
    MathOptBackend._offered = _timed("prover", MathOptBackend._offered)  # type: ignore[method-assign]
    MathOptBackend._proof = _timed("proof", MathOptBackend._proof)  # type: ignore[method-assign]
    here = Path(__file__).resolve().parent
    sys.argv = ["whole_digest.py", name, "1800", objective]
    runpy.run_path(str(here.parent / "run24" / "whole_digest.py"), run_name="__main__")
