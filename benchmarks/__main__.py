"""Command line of the benchmarks.

::

    python -m benchmarks run [--instances ID,...] [--solvers NAME,...] [--time-limit S]
                             [--timeout S] [--out FILE.csv] [--json FILE.json]
    python -m benchmarks list
    python -m benchmarks report FILE.json      # Markdown table and ratios of a finished run
    python -m benchmarks child ...             # one run; used by the runner, not by hand
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.runner import (
    SOLVERS,
    child_main,
    markdown_table,
    ratio_table,
    read_json,
    run_benchmarks,
)
from benchmarks.suite import INSTANCE_IDS, SUITE


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run instances x solvers, each in a fresh subprocess")
    run.add_argument(
        "--instances",
        type=_names,
        default=list(INSTANCE_IDS),
        help=f"comma-separated ids (default: all: {','.join(INSTANCE_IDS)})",
    )
    run.add_argument(
        "--solvers",
        type=_names,
        default=list(SOLVERS),
        help=f"comma-separated names (default: all: {','.join(SOLVERS)})",
    )
    run.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="solver time limit per run in seconds (default 120)",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="wall-clock limit per child process (default 1.5 x limit + 60 s)",
    )
    run.add_argument("--out", type=Path, default=None, help="CSV file, one row per run")
    run.add_argument("--json", type=Path, default=None, help="JSON file with every field")

    commands.add_parser("list", help="the instances of the suite")

    report = commands.add_parser("report", help="Markdown table of a --json file")
    report.add_argument("json_file", type=Path)

    child = commands.add_parser("child", help="one measured run (used by the runner)")
    child.add_argument("--instance", required=True)
    child.add_argument("--solver", required=True)
    child.add_argument("--time-limit", type=float, required=True)
    child.add_argument("--result", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (2 for an unknown instance or solver)."""
    args = _parser().parse_args(argv)
    if args.command == "child":
        child_main(args.instance, args.solver, args.time_limit, args.result)
        return 0
    if args.command == "list":
        for entry in SUITE:
            seed = "" if entry.seed is None else f"seed {entry.seed}"
            print(
                f"{entry.id:<18} {entry.municipalities:>5} x {entry.groups:<2} "
                f"{entry.how_to_load} {seed}".rstrip()
            )
        return 0
    if args.command == "report":
        rows = read_json(args.json_file)
        print(markdown_table(rows))
        print()
        print(ratio_table(rows))
        return 0
    try:
        run_benchmarks(
            args.instances,
            args.solvers,
            args.time_limit,
            timeout=args.timeout,
            out=args.out,
            json_out=args.json,
            echo=lambda line: print(line, flush=True),
        )
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
