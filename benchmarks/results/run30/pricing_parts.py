"""One pricing of column generation, by SCIP with its default settings and with those of a
started solve without primal heuristics (`SolverOptions.fast_presolve`), in parts of several
sizes, in turns; and whether the parts' sizes change the cheapest point (benchmarks/RESULTS.md,
run 30).

    PYTHONPATH=. python benchmarks/results/run30/pricing_parts.py PROBLEM.pickle ROUNDS \
        SETTING:PART[,SETTING:PART...]

PROBLEM.pickle: a later stage's problem as `benchmarks/results/run22/columns_replay.py` caches
it; the prices are those at the duals of its linear relaxation. SETTING is ``default`` or
``fast``; two parts are priced at once, as in a whole run on two cores. Printed per setting and
size: the median and every time, the cheapest point's cost, and the blocks whose cheapest point
differs from that of the first setting given.
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from solver.backends import backend_class
from solver.backends.base import SolverOptions
from solver.columns import BlockPricer, Blocks, priced_duals, split_blocks
from solver.model import LinearModel, Terms

OPTIONS = SolverOptions(time_limit=600, threads=1)
SETTINGS = {
    "default": OPTIONS,
    "fast": replace(OPTIONS, fast_presolve=True, primal_heuristics=False),
}


def relaxation_prices(path: Path) -> tuple[LinearModel, Blocks, Terms]:
    """The cached stage problem's model, its blocks and the pricing objective at the duals of
    its linear relaxation."""
    problem = pickle.loads(path.read_bytes())
    model: LinearModel = problem.model
    terms: Terms = problem.terms
    blocks = split_blocks(model)
    assert blocks is not None
    relaxed = backend_class("ortools")(model, OPTIONS).relaxation(terms, 600)
    assert relaxed is not None
    made = priced_duals(
        terms, blocks.coupling, [relaxed.duals.get(p, 0.0) for p in blocks.positions]
    )
    assert made is not None
    return model, blocks, made[2]


def main(path: Path, rounds: int, chosen: list[tuple[str, int]]) -> None:
    model, blocks, prices = relaxation_prices(path)
    backend = backend_class("ortools")
    pricers = {
        (setting, part): BlockPricer(
            model, blocks, partial(backend, options=SETTINGS[setting]), 2, part
        )
        for setting, part in chosen
    }
    times: dict[tuple[str, int], list[float]] = {key: [] for key in chosen}
    points: dict[tuple[str, int], dict[int, int]] = {}
    for _ in range(rounds):
        for key in chosen:
            getattr(pricers[key], "forget", lambda: None)()  # run 33 on: price every part
            started = time.perf_counter()
            point = pricers[key].cheapest(prices, 600)
            times[key].append(time.perf_counter() - started)
            assert point is not None
            points.setdefault(key, point)
    first = points[chosen[0]]
    for key in chosen:
        point = points[key]
        cost = sum(c * point[i] for i, c in prices.items())
        differ = sum(1 for m in blocks.members if any(point[i] != first[i] for i in m))
        spent = " ".join(f"{t:.3f}" for t in times[key])
        print(
            f"{key[0]:8s} part {key[1]:6d}  median {statistics.median(times[key]):.3f} s  "
            f"({spent})  cost {cost}  blocks differing {differ}"
        )


if __name__ == "__main__":
    pairs = [item.split(":") for item in sys.argv[3].split(",")]
    main(Path(sys.argv[1]), int(sys.argv[2]), [(s, int(p)) for s, p in pairs])
