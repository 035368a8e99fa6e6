"""The pricing of column generation by linear programs first, measured beside SCIP's pricing
(benchmarks/RESULTS.md, run 24; not adopted).

    PYTHONPATH=. python benchmarks/results/run24/lp_pricing.py PROBLEM.pickle [SECONDS]

PROBLEM.pickle: a later stage's problem as `benchmarks/results/run22/columns_replay.py` caches
it. The stage is proven block by block as in a whole solve; at each pricing the same prices
are also priced this way, part by part: HiGHS solves the part's linear relaxation; a block
whose vertex is whole is proven optimal by an exact certificate (the relaxation's duals rounded
to multiples of ``2**-32``, with the signs that keep weak duality, give a lower bound on the
block's cost in integers; a whole point that meets the block's rows and costs no more than the
bound's ceiling is optimal); the other blocks go to SCIP as one MIP of their own. Printed per
pricing: the blocks left to SCIP (fractional vertex, certificate short), whether every block's
cost equals that of SCIP's pricing, and the seconds of each step, summed over the pricings.
"""

from __future__ import annotations

import pickle
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import solver.columns as columns_module
from solver.backends import backend_class
from solver.backends.base import Backend, SolverOptions, Status
from solver.columns import BlockPricer, Blocks, Priced
from solver.model import Constraint, LinearModel, Terms

#: The duals are rounded to multiples of ``1 / SCALE``.
SCALE = 2**32


def certified(
    model: LinearModel,
    rows: Sequence[tuple[int, Constraint]],
    members: Sequence[int],
    prices: Terms,
    values: Mapping[int, float],
    duals: Mapping[int, float],
) -> tuple[dict[int, int] | None, str]:
    """The block's whole point at the relaxation's vertex if it is proven optimal, with
    ``"whole"``; else ``None`` and why (``"fractional"``, ``"short"``)."""
    point: dict[int, int] = {}
    for index in members:
        value = values.get(index, 0.0)
        whole = round(value)
        variable = model.variables[index]
        if abs(value - whole) > 1e-6 or not variable.integer:
            return None, "fractional"
        if whole < variable.lower or (variable.upper is not None and whole > variable.upper):
            return None, "fractional"
        point[index] = whole
    reduced = {index: SCALE * prices.get(index, 0) for index in members}
    bound = 0
    for position, row in rows:
        if not row.holds(point):
            return None, "fractional"
        dual = duals.get(position, 0.0)
        if (row.sense == "<=" and dual > 0) or (row.sense == ">=" and dual < 0):
            dual = 0.0
        scaled = round(dual * SCALE)
        bound += scaled * row.rhs
        for index, coefficient in row.terms:
            reduced[index] -= scaled * coefficient
    for index in members:
        variable = model.variables[index]
        if reduced[index] > 0:
            bound += reduced[index] * variable.lower
        elif reduced[index] < 0:
            if variable.upper is None:
                return None, "short"
            bound += reduced[index] * variable.upper
    cost = sum(prices.get(index, 0) * point[index] for index in members)
    return (point, "whole") if -(-bound // SCALE) >= cost else (None, "short")


def priced_by_programs(
    pricer: BlockPricer,
    blocks: Blocks,
    model: LinearModel,
    prices: Terms,
    options: SolverOptions,
    seconds: dict[str, float],
    counts: dict[str, int],
) -> dict[int, int]:
    """Every block's cheapest point, by linear programs first and SCIP for the rest."""
    point: dict[int, int] = {}
    rest: list[int] = []
    for indices, backend in pricer.parts:
        local = {pricer.local[i]: prices[i] for i in indices if i in prices}
        started = time.perf_counter()
        relaxed = backend.relaxation(local, 600)
        seconds["linear programs"] += time.perf_counter() - started
        assert relaxed is not None
        started = time.perf_counter()
        rows_of: dict[int, list[tuple[int, Constraint]]] = defaultdict(list)
        for position, row in enumerate(backend.model.constraints):
            rows_of[row.terms[0][0]].append((position, row))
        inside = set(indices)
        for members in blocks.members:
            if members[0] not in inside:
                continue
            local_members = [pricer.local[i] for i in members]
            rows = [row for i in local_members for row in rows_of.get(i, [])]
            found, why = certified(
                backend.model, rows, local_members, local, relaxed.values, relaxed.duals
            )
            counts[why] += 1
            if found is None:
                rest.extend(members)
            else:
                point.update((i, found[pricer.local[i]]) for i in members)
        seconds["certificates"] += time.perf_counter() - started
    started = time.perf_counter()
    if rest:
        inside = set(rest)
        kept = [row for row in blocks.kept if row.terms and row.terms[0][0] in inside]
        restricted = columns_module._restricted(model, rest, kept, {})
        assert restricted is not None
        sub, local_of = restricted
        outcome = backend_class("ortools")(sub, options).minimize(
            {local_of[i]: prices[i] for i in rest if i in prices}, 600
        )
        assert outcome.status == Status.OPTIMAL and outcome.values is not None
        point.update((i, outcome.values[local_of[i]]) for i in rest)
    seconds["SCIP on the rest"] += time.perf_counter() - started
    return point


def main(path: Path, limit: float) -> None:
    problem = pickle.loads(path.read_bytes())
    options = SolverOptions(time_limit=limit)
    found_blocks: list[Blocks] = []
    split = columns_module.split_blocks

    def kept_blocks(model: LinearModel) -> Blocks | None:
        blocks = split(model)
        if blocks is not None:
            found_blocks.append(blocks)
        return blocks

    columns_module.split_blocks = kept_blocks
    price = columns_module.price
    seconds: dict[str, float] = defaultdict(float)

    def compared(
        pricer: BlockPricer,
        terms: Terms,
        rows: Any,
        duals: Any,
        deadline: float,
        workers: int | None = None,
    ) -> Any:
        started = time.perf_counter()
        priced: Priced | None = price(pricer, terms, rows, duals, deadline, workers)
        seconds["SCIP"] += time.perf_counter() - started
        made = columns_module.priced_duals(terms, rows, duals)
        if priced is None or made is None:
            return priced
        prices = made[2]
        blocks = found_blocks[-1]
        counts: dict[str, int] = defaultdict(int)
        point = priced_by_programs(pricer, blocks, problem.model, prices, options, seconds, counts)
        differ = sum(
            sum(prices.get(i, 0) * (point[i] - priced.point[i]) for i in members) != 0
            for members in blocks.members
        )
        steps = ", ".join(f"{name} {spent:.2f} s" for name, spent in seconds.items())
        print(
            f"pricing: {len(blocks.members):,} blocks, {counts['fractional']:,} fractional, "
            f"{counts['short']:,} short, {differ} costs differ; summed: {steps}",
            flush=True,
        )
        return priced

    columns_module.price = compared

    def backend_for(model: LinearModel) -> Backend:
        return backend_class("ortools")(model, options)

    started = time.perf_counter()
    found = columns_module.solve_by_columns(
        problem.model, problem.terms, problem.start, backend_for, started + limit
    )
    outcome = "not proven" if found is None else f"{found.value} in {found.rounds} rounds"
    print(f"stage: {outcome}, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 900.0)
