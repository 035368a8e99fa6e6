"""The Python objects the run holds when the tie-break stage begins on syn-5000-g8
(`generate_region(5000, 8, seed=2024)`), counted by tracemalloc after a garbage collection and
grouped by the line that allocated them: the total and the largest lines. For measuring memory
only: the programme stage is answered by its start instead of solved, so that the tie-break stage
begins within a few minutes (tracemalloc makes the run about 4x slower). The script imports
nothing of the benchmarks, so that it runs against an older tree too (``PYTHONPATH=/tmp/old``).

    python benchmarks/results/run14/traced.py
"""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from typing import Any

#: Fewer variables than any reduced model of 5,000 municipalities (syn-5000-g8's has 50,120) and
#: more than the building MIPs of its needs stage (20,000).
REDUCED_FROM_VARIABLES = 40_000
#: The lines printed, largest first.
LINES = 30


class _StopError(Exception):
    """Raised where the measurement is taken."""


def _report() -> None:
    gc.collect()
    statistics = tracemalloc.take_snapshot().statistics("lineno")
    mib = 2**20
    print(f"Python objects held: {sum(s.size for s in statistics) / mib:.1f} MiB", flush=True)
    for line in statistics[:LINES]:
        frame = line.traceback[0]
        where = f"{frame.filename}:{frame.lineno}"
        print(f"{line.size / mib:7.1f} MiB {line.count:9d} objects  {where}")


def main() -> None:
    tracemalloc.start(1)
    import solver.backends.ortools_mathopt as backend_module
    from models.generate import generate_region
    from solver.backends.base import Outcome, SolverOptions, Status
    from solver.model import evaluate
    from solver.solve import solve

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
        if self.options.first_answer_engine is not None and hint is not None:
            # The programme stage, answered by its start.
            self._set_objective(self._proto, terms)
            value = evaluate(terms, hint)
            return Outcome(Status.OPTIMAL, "optimal", dict(hint), value, value, 0.0)
        _report()
        raise _StopError

    backend_module.MathOptBackend.minimize = minimize  # type: ignore[method-assign]
    region = generate_region(5000, 8, seed=2024)
    with contextlib.suppress(_StopError):
        solve(region, "ortools", SolverOptions(time_limit=1200), hard_limit=False)


if __name__ == "__main__":
    main()
