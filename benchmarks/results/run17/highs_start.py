"""HiGHS's search for a start on the programme stage of syn-5000-g8 with some of its own
options, then SCIP (fairshare's backend) from HiGHS's answer: the values and seconds of both.
Tried in run 17 and not adopted (benchmarks/RESULTS.md).

The stage's problem is written by ``rins_start.py dump``. An option is a HiGHS boolean option
``name=true|false`` (for instance ``mip_heuristic_run_shifting=false``).

    python benchmarks/results/run17/rins_start.py dump syn-5000-g8 /tmp/programme5000.pkl
    PYTHONPATH=. python benchmarks/results/run17/highs_start.py /tmp/programme5000.pkl \\
        mip_heuristic_run_root_reduced_cost=false
"""

from __future__ import annotations

import pickle
import sys
import time
from typing import Any

import solver.backends.ortools_mathopt as backend_module
from solver.backends.base import SolverOptions
from solver.backends.mathopt_parameters import solve_parameters
from solver.model import evaluate


def main(path: str, options: list[str]) -> None:
    def parameters(*args: Any, **keywords: Any) -> Any:
        proto = solve_parameters(*args, **keywords)
        if args[1] == "highs":
            for option in options:
                name, value = option.split("=")
                proto.highs.bool_options[name] = value == "true"
        return proto

    backend_module.solve_parameters = parameters  # type: ignore[attr-defined]
    with open(path, "rb") as saved:
        model, terms, start = pickle.load(saved)
    backend = backend_module.MathOptBackend(model, SolverOptions(time_limit=900))
    backend._set_objective(backend._proto, terms)
    started = time.perf_counter()
    found = backend._solve(terms, 900, start, tight=False, engine="highs", first_answer=True)
    if found.values is None:
        raise SystemExit(f"HiGHS found nothing: {found.status}")
    print(
        f"HiGHS {' '.join(options) or '(own options)'}: {found.status.value}, value "
        f"{evaluate(terms, found.values)}, bound {found.bound}, "
        f"{time.perf_counter() - started:.1f} s, a row broken: {backend._broken(found.values)}",
        flush=True,
    )
    started = time.perf_counter()
    proof = backend_module.MathOptBackend(model, SolverOptions(time_limit=900))
    proved = proof.minimize(terms, 900, hint=found.values)
    value = None if proved.values is None else evaluate(terms, proved.values)
    print(
        f"SCIP from it: {proved.status.value} ({proved.stop_reason}), value {value}, bound "
        f"{proved.bound}, {time.perf_counter() - started:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
