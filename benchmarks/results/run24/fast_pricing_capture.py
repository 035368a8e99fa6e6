"""A whole solve of syn-5000-g8 with the pricing settings tried in run 24 and not kept (those of
a solve started from a known answer, without primal heuristics, on the pricing MIPs only), with
each pricing's exact bound, the completion's value and what column generation returned
(benchmarks/RESULTS.md, run 24).

    PYTHONPATH=. python benchmarks/results/run24/fast_pricing_capture.py OBJECTIVE SECONDS
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
import solver.columns as columns_module
import solver.run as run_module
from solver.backends.base import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")

STARTED = time.perf_counter()
#: The backends that price (made through `BlockPricer`), by id.
PRICING: set[int] = set()
#: The backend whose solve is running.
SOLVING: list[int] = []


def told(line: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {line}", flush=True)


def patch() -> None:
    """The pricing backends' solves take the settings of a started solve without primal
    heuristics; the bounds, the completion and the end of column generation are printed."""
    made = mathopt_module.solve_parameters  # type: ignore[attr-defined]
    solve_on = mathopt_module.MathOptBackend._solve

    def chosen(*args: Any, **kwargs: Any) -> Any:
        if SOLVING and SOLVING[-1] in PRICING:
            kwargs.update(started=True, primal_heuristics=False)
        return made(*args, **kwargs)

    def solving(self: Any, *args: Any, **kwargs: Any) -> Any:
        SOLVING.append(id(self))
        try:
            return solve_on(self, *args, **kwargs)
        finally:
            SOLVING.pop()

    pricer_init = columns_module.BlockPricer.__init__

    def pricer(self: Any, *args: Any, **kwargs: Any) -> None:
        pricer_init(self, *args, **kwargs)
        PRICING.update(id(backend) for _, backend in self.parts)

    price = columns_module.price

    def priced(*args: Any, **kwargs: Any) -> Any:
        found = price(*args, **kwargs)
        told(f"pricing: bound {'none' if found is None else float(found.bound)}")
        return found

    completed = columns_module._completed

    def completion(*args: Any, **kwargs: Any) -> Any:
        answer = completed(*args, **kwargs)
        terms = args[4]
        value = None if answer is None else sum(c * answer[i] for i, c in terms.items())
        told(f"completion: value {value}")
        return answer

    by_columns = columns_module.solve_by_columns

    def ended(*args: Any, **kwargs: Any) -> Any:
        found = by_columns(*args, **kwargs)
        told(
            "column generation: "
            + ("nothing proven" if found is None else f"{found.value} in {found.rounds} rounds")
        )
        return found

    setattr(mathopt_module, "solve_parameters", chosen)  # noqa: B010 - not exported
    setattr(mathopt_module.MathOptBackend, "_solve", solving)  # noqa: B010
    setattr(columns_module.BlockPricer, "__init__", pricer)  # noqa: B010
    columns_module.price = priced
    setattr(columns_module, "_completed", completion)  # noqa: B010
    setattr(run_module, "solve_by_columns", ended)  # noqa: B010


def main(objective: str, seconds: float) -> None:
    patch()
    result = whole_run.solved("syn-5000-g8", objective, SolverOptions(time_limit=seconds))
    whole_run.report(result, "syn-5000-g8", objective)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
