"""One whole solve (run 24's `whole_digest.py`) in which every proof by the proof engine that
got the prover's bound as a row is run twice more from its own optimum, with and without that
row: how much of its time went to finding the optimum and how much to proving it
(benchmarks/RESULTS.md, run 27).

    PYTHONPATH=. python benchmarks/results/run27/find_and_prove.py INSTANCE OBJECTIVE
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path
from typing import Any

from solver.backends.base import Outcome
from solver.backends.ortools_mathopt import MathOptBackend

_proof = MathOptBackend._proof


def _timed(self: Any, *args: Any) -> Outcome:
    started = time.perf_counter()
    return _report("proof", started, _proof(self, *args))


def _report(label: str, started: float, outcome: Outcome) -> Outcome:
    seconds = time.perf_counter() - started
    print(f"    [{label}] {seconds:.2f} s {outcome.status} {outcome.objective}", flush=True)
    return outcome


def _proof_twice_more(
    self: Any, engine: str, terms: Any, time_limit: float, hint: Any, at_least: Any = None
) -> Outcome:
    outcome = _timed(self, engine, terms, time_limit, hint, at_least)
    if outcome.values is not None and at_least is not None:
        for label, row in (("from its optimum, row", at_least), ("from its optimum, no row", None)):
            started = time.perf_counter()
            _report(label, started, _proof(self, engine, terms, time_limit, outcome.values, row))
    return outcome


if __name__ == "__main__":
    name, objective = sys.argv[1:3]
    MathOptBackend._proof = _proof_twice_more  # type: ignore[method-assign]
    here = Path(__file__).resolve().parent
    sys.argv = ["whole_digest.py", name, "1800", objective]
    runpy.run_path(str(here.parent / "run24" / "whole_digest.py"), run_name="__main__")
