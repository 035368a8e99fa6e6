"""What the run holds when the programme stage's first solve and the tie-break stage's solve
begin on syn-5000-g8 (`generate_region(5000, 8, seed=2024)`), after a garbage collection and a
trim, in MiB resident. For measuring memory only: with ``--answer-programme-with-start`` the
programme stage is answered by its start instead of solved, so that the tie-break stage begins
within a minute. The script imports nothing of the benchmarks, so that it runs against an
older tree too (``PYTHONPATH=/tmp/old``).

    python benchmarks/results/run13/held.py
    python benchmarks/results/run13/held.py --answer-programme-with-start
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from models.generate import generate_region
from solver.backends.base import Outcome, SolverOptions, Status
from solver.memory import release_freed_memory
from solver.model import evaluate
from solver.solve import solve

#: Fewer variables than any reduced model of 5,000 municipalities (syn-5000-g8's has 50,120) and
#: more than the building MIPs of its needs stage (20,000).
REDUCED_FROM_VARIABLES = 40_000


class _StopError(Exception):
    """Raised where the measurement is taken."""


def _resident_mib() -> int:
    gc.collect()
    release_freed_memory()
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answer-programme-with-start", action="store_true")
    args = parser.parse_args()
    original = backend_module.MathOptBackend.minimize

    def minimize(
        self: Any,
        terms: Any,
        time_limit: float,
        hint: Any = None,
        *,
        offset: int = 0,
        prover: Any = None,
    ) -> Outcome:
        if len(self.model.variables) < REDUCED_FROM_VARIABLES:
            return original(self, terms, time_limit, hint=hint, offset=offset, prover=prover)
        programme = self.options.first_answer_engine is not None
        if programme and args.answer_programme_with_start and hint is not None:
            self._set_objective(self._proto, terms)
            value = evaluate(terms, hint)
            return Outcome(Status.OPTIMAL, "optimal", dict(hint), value, value, 0.0)
        stage = "programme" if programme else "tie-break"
        print(f"{stage} stage begins: {_resident_mib()} MiB resident", flush=True)
        raise _StopError

    backend_module.MathOptBackend.minimize = minimize  # type: ignore[method-assign]
    region = generate_region(5000, 8, seed=2024)
    with contextlib.suppress(_StopError):
        solve(region, "ortools", SolverOptions(time_limit=1200), hard_limit=False)


if __name__ == "__main__":
    main()
