"""Every bundled real instance is solved by both backends to the same proven optimum.

The OR-Tools backend (MathOpt, SCIP) and the PuLP/CBC backend must reach identical values in every
stage and identical final allocations, and the independent checker must find nothing. The national
instance takes about a minute on CBC.
"""

from __future__ import annotations

import pytest

from instances import BUNDLED, bundled_instance
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.check import check_allocation
from solver.result import Result
from solver.solve import solve

OPTIONS = SolverOptions(time_limit=300)


def _solved(name: str, backend: str) -> Result:
    result = solve(load_region(bundled_instance(name)), backend, OPTIONS)
    assert result.proven_optimal, (backend, result.status, result.stop_reason, result.message)
    return result


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", BUNDLED)
def test_backends_reach_the_same_optimum_and_allocation(name: str) -> None:
    region = load_region(bundled_instance(name))
    ortools, cbc = _solved(name, "ortools"), _solved(name, "cbc")
    assert [(s.name, s.value) for s in ortools.stages] == [(s.name, s.value) for s in cbc.stages]
    assert ortools.allocation == cbc.allocation
    assert ortools.allocation is not None
    assert check_allocation(region, ortools.allocation) == []
