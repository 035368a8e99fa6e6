"""Two allocations of the same stage values compared cell by cell, with each changed placement's
tie-break weight and the change of the weighted sum (benchmarks/RESULTS.md, run 33).

    PYTHONPATH=TREE python benchmarks/results/run33/allocation_diff.py dump INSTANCE OBJECTIVE OUT
    PYTHONPATH=. python benchmarks/results/run33/allocation_diff.py compare OLD NEW

``dump`` solves the instance with the tree on PYTHONPATH and writes its allocation (new homes,
social, middle, placements, transfers) to the pickle OUT; ``compare`` prints the cells in which
two such pickles differ.
"""

from __future__ import annotations

import importlib
import pickle
import sys
from pathlib import Path
from typing import Any

from solver.backends.base import SolverOptions
from solver.objectives import tie_break_weight

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run21"))
whole_run = importlib.import_module("whole_run")

PARTS = ("new_homes", "new_social", "new_middle", "placed", "transfers")


def dump(instance: str, objective: str, out: Path) -> None:
    allocation = whole_run.solved(instance, objective, SolverOptions(time_limit=1800)).allocation
    assert allocation is not None, "the solve gave no allocation"
    tables = tuple(dict(getattr(allocation, part)) for part in PARTS)
    out.write_bytes(pickle.dumps(tables))


def compare(old: Path, new: Path) -> None:
    before: tuple[dict[Any, int], ...] = pickle.loads(old.read_bytes())
    after: tuple[dict[Any, int], ...] = pickle.loads(new.read_bytes())
    weighted = 0
    for part, first, second in zip(PARTS, before, after, strict=True):
        changed = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
        print(f"{part}: {len(changed)} cells differ")
        for key in changed:
            was, now = first.get(key, 0), second.get(key, 0)
            weight = tie_break_weight(_variable_name(part, key))
            weighted += weight * (now - was)
            print(f"  {key}: {was} -> {now} ({now - was:+d}), weight {weight}")
    print(f"change of the tie-break's weighted sum: {weighted}")


def _variable_name(part: str, key: Any) -> str:
    """The model's name of the variable behind a cell (`solver.formulation`)."""
    if part == "placed":
        return f"placed[{key[0]},{key[1]}]"
    if part == "transfers":
        return f"transfer[{key[0]},{key[1]},{key[2]}]"
    return f"{part}[{key}]"


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
