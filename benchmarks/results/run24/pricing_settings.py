"""One pricing of column generation at 5,000 municipalities, by SCIP with its default settings
and with those tried in run 24 and not kept (those of a solve started from a known answer: fast
presolve, without the plug-ins of `SCIP_OFF_WHEN_STARTED`; and without primal heuristics), in
turns (benchmarks/RESULTS.md, run 24).

    PYTHONPATH=. python benchmarks/results/run24/pricing_settings.py PROBLEM.pickle ROUNDS \
        [MASTER.pickle]

PROBLEM.pickle: a later stage's problem as `benchmarks/results/run22/columns_replay.py` caches
it. The prices come from the duals of the stage's linear relaxation (as the first pricing of a
whole run below `RELAXATION_UP_TO` variables), or from those of the master in MASTER.pickle
(``{"args": (columns, rows, blocks, centre, width)}``, the arguments of a
`solver.columns.master_model`). Printed per round: each setting's seconds and whether the two
cheapest points cost the same.
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import solver.backends.ortools_mathopt as mathopt_module
import solver.columns as columns_module
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions
from solver.columns import BlockPricer
from solver.model import LinearModel, Terms

OPTIONS = SolverOptions(time_limit=600)
SETTINGS = ("default", "fast")
#: Whether the solves now running take the fast settings.
FAST = [False]


def with_settings() -> None:
    """SCIP's parameters as `solve_parameters` makes them, those of a started solve without
    primal heuristics while `FAST` is set."""
    made = mathopt_module.solve_parameters  # type: ignore[attr-defined]

    def chosen(*args: Any, **kwargs: Any) -> Any:
        if FAST[0]:
            kwargs.update(started=True, primal_heuristics=False)
        return made(*args, **kwargs)

    setattr(mathopt_module, "solve_parameters", chosen)  # noqa: B010 - not exported


def prices_of(problem: object, master_path: Path | None) -> Terms:
    """The pricing objective at the relaxation's or the master's duals."""
    model: LinearModel = problem.model  # type: ignore[attr-defined]
    terms: Terms = problem.terms  # type: ignore[attr-defined]
    blocks = columns_module.split_blocks(model)
    assert blocks is not None
    backend = backend_class("ortools")
    if master_path is None:
        relaxed = backend(model, OPTIONS).relaxation(terms, 600)
        assert relaxed is not None
        duals = [relaxed.duals.get(position, 0.0) for position in blocks.positions]
        rows = blocks.coupling
    else:
        columns, rows, count, centre, width = pickle.loads(master_path.read_bytes())["args"]
        master, objective = columns_module.master_model(columns, rows, count, centre, width)
        solved = backend(master, OPTIONS).relaxation(objective, 600)
        assert solved is not None
        scale = columns_module.MASTER_SCALE
        duals = [solved.duals.get(row, 0.0) / scale for row in range(len(rows))]
    made = columns_module.priced_duals(terms, rows, duals)
    assert made is not None
    return made[2]


def main(path: Path, rounds: int, master_path: Path | None) -> None:
    problem = pickle.loads(path.read_bytes())
    prices = prices_of(problem, master_path)
    blocks = columns_module.split_blocks(problem.model)
    assert blocks is not None
    with_settings()

    def backend_for(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, OPTIONS)

    pricers = {name: BlockPricer(problem.model, blocks, backend_for) for name in SETTINGS}
    seconds: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for number in range(rounds):
        costs = {}
        for name in SETTINGS if number % 2 == 0 else reversed(SETTINGS):
            FAST[0] = name == "fast"
            getattr(pricers[name], "forget", lambda: None)()  # run 33 on: price every part
            started = time.perf_counter()
            point = pricers[name].cheapest(prices, 600)
            seconds[name].append(time.perf_counter() - started)
            FAST[0] = False
            assert point is not None, name
            costs[name] = sum(price * point[index] for index, price in prices.items())
        same = "same cost" if len(set(costs.values())) == 1 else f"costs differ: {costs}"
        times = ", ".join(f"{name} {seconds[name][-1]:.2f} s" for name in SETTINGS)
        print(f"round {number + 1}: {times}; {same}", flush=True)
    for name, taken in seconds.items():
        print(f"{name}: median {statistics.median(taken):.2f} s, {min(taken):.2f}-{max(taken):.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
