"""One solve twice: with its narrowing relaxations (`solver.early_narrowing`) solved by HiGHS, as
the OR-Tools backend does, and by GLOP. Per solve: each narrowing's seconds and the bounds it
implied (narrowed, of which fixed), the stages' seconds and the allocation's SHA-256
(benchmarks/RESULTS.md, run 28, tried and not adopted).

    PYTHONPATH=. python benchmarks/results/run28/narrowing_engines.py INSTANCE OBJECTIVE

``INSTANCE`` is a benchmark instance (`benchmarks.suite.get_instance`): ``nl-342`` is the
national instance (named ``nl`` in the logs of run 28), ``syn-342-g8`` a synthetic one.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import solver.backends.ortools_mathopt as mathopt_backend
import solver.run as run_module
from benchmarks.suite import get_instance
from solver.dual_bound import implied_bounds
from solver.early_narrowing import narrowing_relaxation
from solver.solve import solve

ENGINES = mathopt_backend.ENGINES
#: GLOP, read from the type of the engines the backend names (benchmarks import no solver).
GLOP = type(ENGINES["highs"]).GLOP
seconds: list[float] = []
bounds: list[tuple[int, int]] = []


@contextmanager
def _highs_as(engine: Any) -> Iterator[None]:
    highs = ENGINES["highs"]
    ENGINES["highs"] = engine
    try:
        yield
    finally:
        ENGINES["highs"] = highs


def _narrowing_by(engine: Any) -> Callable[..., Any]:
    def prepared(*args: Any, **kwargs: Any) -> Callable[[float], Any]:
        solve_later = narrowing_relaxation(*args, **kwargs)

        def solved(time_limit: float) -> Any:
            started = time.perf_counter()
            with _highs_as(engine):
                answer = solve_later(time_limit)
            seconds.append(time.perf_counter() - started)
            return answer

        return solved

    return prepared


def _implied(*args: Any) -> Any:
    found = implied_bounds(*args)
    fixed = 0 if found is None else sum(1 for low, high in found.values() if low == high)
    bounds.append((len(found or {}), fixed))
    return found


if __name__ == "__main__":
    name, objective = sys.argv[1:3]
    base = get_instance(name).load()
    region = replace(base, policy=replace(base.policy, objective=objective))
    run_module.implied_bounds = _implied  # type: ignore[attr-defined,assignment]
    for label, engine in (("HiGHS", ENGINES["highs"]), ("GLOP", GLOP)):
        run_module.narrowing_relaxation = _narrowing_by(engine)  # type: ignore[attr-defined]
        seconds.clear()
        bounds.clear()
        result = solve(region, hard_limit=False)
        assert result.allocation is not None
        digest = hashlib.sha256(repr(sorted(result.allocation.placed.items())).encode())
        narrowings = ", ".join(
            f"{s * 1000:.1f} ms ({narrowed} narrowed, {fixed} fixed)"
            for s, (narrowed, fixed) in zip(seconds, bounds, strict=False)
        )
        stages = ", ".join(f"{s.name} {s.seconds:.3f}" for s in result.stages)
        print(
            f"{name} {objective} {label}: narrowings {narrowings}; {stages}; "
            f"placements {digest.hexdigest()[:12]}",
            flush=True,
        )
