"""One pricing of column generation at the duals of the stage's linear relaxation, by SCIP
with its default settings, with those of a started solve without primal heuristics (``fast``,
`SolverOptions.fast_presolve`), and with ``fast`` and one more SCIP setting, in turns, in parts
of `solver.columns.PRICING_PART` variables, two at once (benchmarks/RESULTS.md, run 30).

    PYTHONPATH=. python benchmarks/results/run30/scip_settings.py PROBLEM.pickle ROUNDS \
        MODE[,MODE...]

PROBLEM.pickle: as `benchmarks/results/run22/columns_replay.py` caches it; the prices as in
`pricing_parts.py`. MODE: one of
`MODES`. Printed per mode: the median and every time, and the cheapest point's cost (or that
a part was not proven optimal, the first time).
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.columns import BlockPricer

sys.path.insert(0, str(Path(__file__).resolve().parent))
pricing_parts = importlib.import_module("pricing_parts")

OPTIONS = SolverOptions(time_limit=600)
#: gSCIP's meta parameter value ``GScipParameters.OFF`` (only `solver.backends` imports OR-Tools).
GSCIP_OFF = 3


def _separating_off(proto: Any) -> None:
    proto.gscip.separating = GSCIP_OFF


def _presolve_off(proto: Any) -> None:
    proto.gscip.presolve = GSCIP_OFF


def _three_presolve_rounds(proto: Any) -> None:
    proto.gscip.int_params["presolving/maxrounds"] = 3


def _no_probing(proto: Any) -> None:
    proto.gscip.int_params["propagating/probing/maxprerounds"] = 0


def _no_conflicts(proto: Any) -> None:
    proto.gscip.bool_params["conflict/enable"] = False


#: Each mode's change to SCIP's parameters after those of ``fast``.
MODES: dict[str, Callable[[Any], None] | None] = {
    "default": None,
    "fast": None,
    "fast+separating-off": _separating_off,
    "fast+presolve-off": _presolve_off,
    "fast+3-presolve-rounds": _three_presolve_rounds,
    "fast+no-probing": _no_probing,
    "fast+no-conflicts": _no_conflicts,
}
MODE = ["default"]


def with_modes() -> None:
    """`solve_parameters` as the current `MODE` makes it."""
    made = mathopt_module.solve_parameters  # type: ignore[attr-defined]

    def chosen(*args: Any, **kwargs: Any) -> Any:
        if MODE[0] != "default":
            kwargs.update(started=True, primal_heuristics=False)
        proto = made(*args, **kwargs)
        change = MODES[MODE[0]]
        if change is not None:
            change(proto)
        return proto

    setattr(mathopt_module, "solve_parameters", chosen)  # noqa: B010 - not exported


def main(path: Path, rounds: int, modes: list[str]) -> None:
    with_modes()
    model, blocks, prices = pricing_parts.relaxation_prices(path)
    backend = backend_class("ortools")
    pricer = BlockPricer(model, blocks, lambda sub: backend(sub, OPTIONS), 2)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    costs: dict[str, int | None] = {}
    for _ in range(rounds):
        for mode in modes:
            MODE[0] = mode
            getattr(pricer, "forget", lambda: None)()  # run 33 on: price every part
            started = time.perf_counter()
            point = pricer.cheapest(prices, 600)
            times[mode].append(time.perf_counter() - started)
            cost = None if point is None else sum(c * point[i] for i, c in prices.items())
            costs.setdefault(mode, cost)
    for mode in modes:
        spent = " ".join(f"{t:.2f}" for t in times[mode])
        cost_text = "a part not proven" if costs[mode] is None else f"cost {costs[mode]}"
        print(f"{mode:24s} median {statistics.median(times[mode]):.3f} s  ({spent})  {cost_text}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","))
