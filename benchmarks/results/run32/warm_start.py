"""The tie-break stage's relaxation at 5,000 municipalities solved from the programme stage's
basis and without it, by GLOP and by HiGHS's methods, on the two stage problems cached by
`benchmarks/results/run22/columns_replay.py` (benchmarks/RESULTS.md, run 32): seconds of the
solve alone (the model written beforehand), iterations and objective. The programme stage's
relaxation is solved first, by HiGHS's interior point method as the run does, for its basis.

    PYTHONPATH=. python benchmarks/results/run32/warm_start.py PROGRAMME.pickle TIE_BREAK.pickle
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
from solver.backends.base import SolverOptions
from solver.backends.mathopt_proto import solve_relaxation


def _relaxed(problem: Any) -> tuple[Any, Any]:
    backend = mathopt_module.MathOptBackend(problem.model, SolverOptions())
    relaxed = backend._relaxed()
    backend._set_objective(relaxed, problem.terms)
    return backend, relaxed


def _line(label: str, seconds: float, result: Any) -> str:
    stats = result.solve_stats
    value = result.solutions[0].primal_solution.objective_value if result.solutions else None
    return (
        f"{label:40s} {seconds:6.3f} s, {stats.simplex_iterations:6d} simplex and "
        f"{stats.barrier_iterations:3d} barrier iterations, objective {value}"
    )


def main(programme_path: Path, tie_break_path: Path) -> None:
    programme = pickle.loads(programme_path.read_bytes())
    tie_break = pickle.loads(tie_break_path.read_bytes())
    _, programme_relaxed = _relaxed(programme)
    highs, glop = mathopt_module.ENGINES["highs"], mathopt_module._GLOP
    barrier = mathopt_module._INTERIOR_POINT
    found = solve_relaxation(programme_relaxed, 600, highs, barrier)
    assert found is not None and found.solutions and found.solutions[0].HasField("basis")
    programme_backend = mathopt_module.MathOptBackend(programme.model, SolverOptions())
    start = programme_backend._basis_of(found.solutions[0])
    assert start is not None
    backend, relaxed = _relaxed(tie_break)
    basis = backend._initial_basis(start)
    assert basis is not None
    shared = sum(1 for a, b in zip(start.rows, tie_break.model.constraints, strict=False) if a == b)
    print(
        f"tie-break: {len(tie_break.model.variables):,} variables, "
        f"{len(tie_break.model.constraints):,} rows ({shared:,} as in the programme stage's)"
    )
    # The benchmarks import no solver package (ruff TID251): the backend module's own name.
    methods = getattr(mathopt_module, "mathopt").LPAlgorithm  # noqa: B009
    runs = [
        ("HiGHS, interior point (the run's choice)", highs, barrier, None),
        ("HiGHS, dual simplex", highs, methods.DUAL_SIMPLEX, None),
        ("HiGHS, dual simplex, from the basis", highs, methods.DUAL_SIMPLEX, basis),
        ("GLOP", glop, None, None),
        ("GLOP, from the basis", glop, None, basis),
    ]
    for label, engine, method, begin in runs:
        started = time.perf_counter()
        result = solve_relaxation(relaxed, 600, engine, method, begin)
        assert result is not None
        print(_line(label, time.perf_counter() - started, result), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
