"""Two solves' allocations compared cell by cell, with each differing decision's tie-break
weight (benchmarks/RESULTS.md, run 26).

    PYTHONPATH=TREE python benchmarks/results/run26/allocations.py dump INSTANCE OBJECTIVE FILE
    python benchmarks/results/run26/allocations.py compare FILE_A FILE_B

``dump`` solves a benchmark instance (limit 1,800 s) and writes its allocation as JSON;
``compare`` prints the decisions that differ, each with its weight, the weighted sum of the
differences (0 where both are optimal in the tie-break stage) and the change per group.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.suite import get_instance
from solver.backends.base import SolverOptions
from solver.objectives import tie_break_weight
from solver.solve import solve

NAMES = {
    "new_homes": "new_homes[{}]",
    "new_social": "new_social[{}]",
    "new_middle": "new_middle[{}]",
    "placed": "placed[{}]",
}


def dump(name: str, objective: str, path: Path) -> None:
    region = get_instance(name).load()
    region = replace(region, policy=replace(region.policy, objective=objective))
    result = solve(region, "ortools", SolverOptions(time_limit=1800), hard_limit=False)
    allocation = result.allocation
    assert allocation is not None, result.stop_reason
    tables = {
        "new_homes": allocation.new_homes,
        "new_social": allocation.new_social,
        "new_middle": allocation.new_middle,
        "placed": {f"{code},{group}": n for (code, group), n in allocation.placed.items()},
    }
    print(result.status, [(s.name, str(s.value)) for s in result.stages])
    path.write_text(json.dumps(tables, sort_keys=True, indent=0))


def compare(first: Path, second: Path) -> None:
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    weighted = 0
    per_group: dict[str, int] = {}
    for table, name in NAMES.items():
        differ = sorted(key for key in a[table] if a[table][key] != b[table][key])
        print(f"{table}: {len(differ)} differ")
        for key in differ:
            weight = tie_break_weight(name.format(key))
            change = b[table][key] - a[table][key]
            weighted += weight * change
            if table == "placed":
                group = key.split(",")[1]
                per_group[group] = per_group.get(group, 0) + change
            print(f"  {key}: {a[table][key]} -> {b[table][key]}, weight {weight}")
    print(f"weighted sum of the differences: {weighted}; change per group: {per_group}")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
