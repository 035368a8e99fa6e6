"""One whole solve (run 24's `whole_digest.py`) with one of run 27's choices changed
(benchmarks/RESULTS.md, run 27).

    PYTHONPATH=. python benchmarks/results/run27/variant.py VARIANT INSTANCE OBJECTIVE

``columns-first``: the programme and tie-break stages are tried block by block first whatever
the size of the reduced model (`COLUMNS_FROM` at 0), as from 40,000 variables;
``no-bound-row``: the proof engine does not get the prover's bound as a row;
``programme-only``: column generation is offered to the programme stage alone where SCIP stops
without proof after its nodes (as on 772ccac and b395c2b), not to the tie-break stage.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
import solver.linear_stage as linear_stage_module
import solver.run as run_module
from solver.backends.base import Outcome


def _without_bound_row() -> None:
    proof = mathopt_module.MathOptBackend._proof

    def without(
        self: Any, engine: str, terms: Any, time_limit: float, hint: Any, _: Any = None
    ) -> Outcome:
        return proof(self, engine, terms, time_limit, hint)

    mathopt_module.MathOptBackend._proof = without  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    variant, name, objective = sys.argv[1:4]
    if variant == "columns-first":
        run_module.COLUMNS_FROM = 0
    elif variant == "no-bound-row":
        _without_bound_row()
    elif variant == "programme-only":
        # Below `COLUMNS_FROM` (40,000 variables) the set decides nothing else.
        linear_stage_module.COLUMN_STAGES = frozenset({"programme"})
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    here = Path(__file__).resolve().parent
    sys.argv = ["whole_digest.py", name, "1800", objective]
    runpy.run_path(str(here.parent / "run24" / "whole_digest.py"), run_name="__main__")
