"""syn-1000-g8 under ``equal_burden``, whole, with one of run 26's two changes to the reduced
model switched off (benchmarks/RESULTS.md, run 26, C).

    PYTHONPATH=. python benchmarks/results/run26/variant.py noderive|nobounds

``noderive``: no split is derived (`DERIVED_FROM` out of reach), rows implied by their bounds
are still left out; ``nobounds``: the splits are derived, every row of one variable is written.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import solver.reduction as reduction_module

if __name__ == "__main__":
    if sys.argv[1] == "noderive":
        reduction_module.DERIVED_FROM = 10**9
    elif sys.argv[1] == "nobounds":
        reduction_module._bounds_imply = lambda row, variables: False
    here = Path(__file__).resolve().parent
    sys.argv = ["whole_digest.py", "syn-1000-g8", "1800", "equal_burden"]
    runpy.run_path(str(here.parent / "run24" / "whole_digest.py"), run_name="__main__")
