"""One whole solve of a benchmark instance with the timeline of every engine solve (thread,
engine, size, start and end in seconds since the script began) and of the run's steps that
wait for them (the reduction, the narrowing, column generation), then the time during which
some engine solved and the time the engines took together (benchmarks/RESULTS.md, run 34).

    PYTHONPATH=TREE python benchmarks/results/run34/timeline.py INSTANCE OBJECTIVE [--pricing]

Without ``--pricing`` the pricing MIPs of column generation are summed per pricing rather than
listed one by one.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solver.backends.mathopt_proto as proto_module
import solver.backends.ortools_mathopt as mathopt_module
import solver.run as run_module

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run24"))
whole_digest = importlib.import_module("whole_digest")

BEGAN = time.perf_counter()
#: (start, end, thread, what, variables, rows, integer variables)
EVENTS: list[tuple[float, float, str, str, int, int, int]] = []
STEPS = ("reduce", "tighten", "start_narrowing", "by_columns")


def engine_solves() -> None:
    """Every MathOpt solve recorded as it ends."""
    inner = proto_module.core_solve

    def recorded(proto: Any, solver: Any, parameters: Any, model_parameters: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(proto, solver, parameters, model_parameters)
        finally:
            EVENTS.append(
                (
                    started - BEGAN,
                    time.perf_counter() - BEGAN,
                    threading.current_thread().name,
                    str(solver).rsplit(".", 1)[-1],
                    len(proto.variables.ids),
                    len(proto.linear_constraints.ids),
                    sum(proto.variables.integers),
                )
            )

    proto_module.core_solve = recorded
    setattr(mathopt_module, "core_solve", recorded)  # noqa: B010 - read there by name


def run_steps() -> None:
    """The run's steps recorded as they end."""
    for name in STEPS:
        inner: Callable[..., Any] = getattr(run_module.Run, name)

        def recorded(
            *args: Any, __inner: Callable[..., Any] = inner, __name: str = name, **kwargs: Any
        ) -> Any:
            started = time.perf_counter()
            try:
                return __inner(*args, **kwargs)
            finally:
                EVENTS.append(
                    (started - BEGAN, time.perf_counter() - BEGAN, "run", __name, 0, 0, 0)
                )

        setattr(run_module.Run, name, functools.wraps(inner)(recorded))


def report(listed: bool) -> None:
    engines = sorted(e for e in EVENTS if e[2] != "run")
    pricing: list[tuple[float, float, str, str, int, int, int]] = []
    lines = []
    for event in sorted(EVENTS):
        if event[2].startswith("fairshare-pricing") and not listed:
            pricing.append(event)
            continue
        if pricing and not event[2].startswith("fairshare-pricing"):
            lines.append(_pricing_line(pricing))
            pricing = []
        start, end, thread, what, variables, rows, integers = event
        size = (
            f"{variables:7,d} variables {rows:7,d} rows {integers:7,d} integer" if variables else ""
        )
        lines.append(
            f"{start:7.3f} {end:7.3f} {end - start:6.3f} {thread[:22]:22s} {what:16s} {size}"
        )
    if pricing:
        lines.append(_pricing_line(pricing))
    print("\n".join(lines))
    union, reach = 0.0, None
    for start, end, *_ in engines:
        if reach is None or start > reach[1]:
            union += 0.0 if reach is None else reach[1] - reach[0]
            reach = [start, end]
        else:
            reach[1] = max(reach[1], end)
    if reach is not None:
        union += reach[1] - reach[0]
    together = sum(end - start for start, end, *_ in engines)
    print(f"some engine solving: {union:.2f} s; the engines together: {together:.2f} s")


def _pricing_line(parts: list[tuple[float, float, str, str, int, int, int]]) -> str:
    start, end = min(p[0] for p in parts), max(p[1] for p in parts)
    seconds = sum(p[1] - p[0] for p in parts)
    return (
        f"{start:7.3f} {end:7.3f} {end - start:6.3f} {'fairshare-pricing':22s} "
        f"{'pricing':16s} {len(parts)} parts, {seconds:.3f} s of engine time"
    )


def main(instance: str, objective: str, listed: bool) -> None:
    engine_solves()
    run_steps()
    whole_digest.main(instance, 1800.0, objective)
    print(f"total {time.perf_counter() - BEGAN:.2f}")
    report(listed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--pricing" in sys.argv[3:])
