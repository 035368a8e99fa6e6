"""Throughput and overhead of ``fairshare batch`` on region-sized runs.

::

    python -m benchmarks.batch_throughput [--workers 2] [--draws 75] [--hard-limit]
                                          [--instances haaglanden,parkstad-limburg,...]
                                          [--results benchmarks/RESULTS.md]

For each bundled instance one plan of ``--draws`` Monte Carlo runs (demand within +/-10%, the
instance's own policy) is run into a fresh directory with ``--workers`` local workers, through
`batch.execute.run_batch`: the same code as the command, store and ``runs.csv`` included. Then the
example plan ``instances/haaglanden/batch.toml`` and, last, all the instances together in one
batch. Per batch:

- runs/min: runs / wall time x 60, wall time from the start of `run_batch` (plan listing, worker
  start-up, every file written) to its return;
- overhead: ``(wall x workers - sum of solve seconds) / sum of solve seconds``, with solve seconds
  the model build and stages as the solver measured them: everything else a run costs (variation,
  hard-limit fork if on, check, measures, transfer, Parquet files, idle workers at start and end)
  over the solver's own work;
- per run: the same excess in milliseconds per run, and the part of it spent inside the workers
  (``run_seconds - solve_seconds``).

The table is printed, and appended with the command and the machine (``nproc``, CPU model, load
average before and after: other processes on the machine slow the solves) to the section
"Batch throughput" of ``--results``. Nothing is asserted: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from batch import load_store
from batch.execute import run_batch
from batch.plan import load_plan
from batch.spec import Plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PLAN = ROOT / "instances" / "haaglanden" / "batch.toml"
INSTANCES = ("parkstad-limburg", "groningen", "haaglanden", "mra")
SECTION = "## Batch throughput"


@dataclass(frozen=True)
class Measured:
    """One batch: its name, size and times."""

    name: str
    runs: int
    failed: int
    wall: float
    solve: float
    worker: float
    workers: int

    @property
    def per_minute(self) -> float:
        return self.runs / self.wall * 60

    @property
    def overhead(self) -> float:
        return (self.wall * self.workers - self.solve) / self.solve

    @property
    def excess_ms(self) -> float:
        return (self.wall * self.workers - self.solve) / self.runs * 1000

    @property
    def in_worker_ms(self) -> float:
        return (self.worker - self.solve) / self.runs * 1000


def monte_carlo_plan(directory: Path, instances: Sequence[str], draws: int) -> Path:
    """A plan of ``draws`` demand draws on each instance, with the instance's own policy."""
    lines = ["[batch]", "time_limit = 60", ""]
    for name in instances:
        lines += ["[[instances]]", f'name = "{name}"', ""]
    lines += [
        "[[scenarios]]",
        'name = "demand-band"',
        f'monte_carlo = {{ draws = {draws}, seed = 1, demand_band = "0.1" }}',
    ]
    path = directory / f"plan-{'-'.join(instances) if len(instances) == 1 else 'all'}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure_plan(name: str, plan: Plan, out: Path, workers: int) -> Measured:
    """Run the plan into an empty directory and time it."""
    started = time.perf_counter()
    report = run_batch(plan, out, workers=workers, progress=False)
    wall = time.perf_counter() - started
    runs, _ = load_store(out)
    return Measured(
        name,
        len(runs),
        report.failed,
        wall,
        float(runs["solve_seconds"].sum()),
        float(runs["run_seconds"].sum()),
        workers,
    )


def table(rows: Sequence[Measured]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| batch | runs | failed | wall s | solve s (sum) | runs/min | overhead | "
        "excess ms/run | in worker ms/run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.runs} | {r.failed} | {r.wall:.1f} | {r.solve:.1f} | "
            f"{r.per_minute:.0f} | {r.overhead:.0%} | {r.excess_ms:.0f} | {r.in_worker_ms:.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """``nproc``, the CPU model and the Python and platform versions."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"nproc {os.cpu_count()}, CPU {model}, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )


def load() -> str:
    """The 1-minute load average, or ``n/a``."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def append_results(path: Path, text: str) -> None:
    """Append ``text`` under the section heading (added once at the end of the file)."""
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if SECTION not in current:
        current = current.rstrip("\n") + f"\n\n{SECTION}\n"
    path.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n", encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.batch_throughput", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--draws", type=int, default=75, help="runs per instance (default 75)")
    parser.add_argument(
        "--instances", default=",".join(INSTANCES), help="comma-separated bundled instances"
    )
    parser.add_argument(
        "--hard-limit", action="store_true", help="fork each solve (hard_limit = true)"
    )
    parser.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="append here"
    )
    parser.add_argument("--no-append", action="store_true", help="print only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the batches, print the table, append it to the results file."""
    args = _parser().parse_args(argv)
    instances = [name for name in args.instances.split(",") if name]
    load_before = load()
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="fairshare-batch-bench-") as scratch:
        directory = Path(scratch)
        batches = [(name, monte_carlo_plan(directory, [name], args.draws)) for name in instances]
        batches.append(("example plan (haaglanden)", EXAMPLE_PLAN))
        batches.append(("all instances", monte_carlo_plan(directory, instances, args.draws)))
        for index, (name, path) in enumerate(batches):
            plan = load_plan(path)
            if args.hard_limit:
                plan = dataclasses.replace(
                    plan, settings=dataclasses.replace(plan.settings, hard_limit=True)
                )
            measured = measure_plan(name, plan, directory / f"out-{index}", args.workers)
            rows.append(measured)
            print(f"{name}: {measured.runs} runs in {measured.wall:.1f} s", file=sys.stderr)
    text = table(rows)
    print(text)
    command = "python -m benchmarks.batch_throughput " + shlex.join(list(argv or sys.argv[1:]))
    report = "\n".join(
        [
            f"### {time.strftime('%Y-%m-%d %H:%M')}: {args.workers} workers, "
            f"hard limit {'on' if args.hard_limit else 'off'}",
            "",
            f"Command: `{command.strip()}`. Machine: {machine()}. "
            f"Load average (1 min) before {load_before}, after {load()}.",
            "",
            text,
        ]
    )
    if not args.no_append:
        append_results(args.results, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
