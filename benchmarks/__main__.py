"""Command line of the benchmarks.

::

    python -m benchmarks run [--instances ID,...] [--solvers NAME,...] [--time-limit S]
                             [--memory-limit MIB] [--timeout S] [--repeat N] [--out FILE.csv]
                             [--json FILE.json]
    python -m benchmarks scaling [--sizes 50,342,1000,5000] [--groups 4,8,12] [--time-limit S]
                                 [--solvers NAME,...] --out DIR
    python -m benchmarks scaling --from-json FILE.json ... --out DIR   # redraw only
    python -m benchmarks list                  # the instances, sizes, seeds and references
    python -m benchmarks report FILE.json      # Markdown tables: runs, ratios, seconds per stage
    python -m benchmarks references FILE.json ... [--write]   # references from measured runs
    python -m benchmarks stage --instance ID --stage NAME [--engines scip,highs,...]
                               [--time-limit S] [--json FILE.json] [--mps FILE.mps] [--log]
    python -m benchmarks child ...             # one run; used by the runner, not by hand
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.output import markdown_table, ratio_table, stage_table
from benchmarks.record import read_json
from benchmarks.references import (
    REFERENCES_PATH,
    build_references,
    load_references,
    write_references,
)
from benchmarks.runner import FAIRSHARE_SOLVERS, SOLVERS, child_main, run_benchmarks
from benchmarks.scaling import (
    DEFAULT_GROUPS,
    DEFAULT_SIZES,
    SCALING_SOLVERS,
    report_from_json,
    run_scaling,
)
from benchmarks.stages import run_stage
from benchmarks.suite import INSTANCE_IDS, SUITE


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _integers(text: str) -> list[int]:
    try:
        return [int(name) for name in _names(text)]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers: {text!r}") from error


def _at_least_one(unit: str, units: str) -> Callable[[str], int]:
    """An argument type: a whole number of ``units``, at least 1 ``unit``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {units}: {text!r}"
            ) from error
        if value < 1:
            raise argparse.ArgumentTypeError(f"expected at least 1 {unit}: {text!r}")
        return value

    return parse


_mebibytes = _at_least_one("MiB", "MiB")
_repetitions = _at_least_one("run", "runs")


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
    run.add_argument(
        "--memory-limit",
        type=_mebibytes,
        default=None,
        help="MiB each fairshare run may use (fairshare solve --memory-limit; default none)",
    )
    run.add_argument(
        "--repeat",
        type=_repetitions,
        default=1,
        help="runs of each (instance, solver), the solvers taking turns; the ratio table "
        "compares medians (default 1)",
    )
    run.add_argument("--out", type=Path, default=None, help="CSV file, one row per run")
    run.add_argument("--json", type=Path, default=None, help="JSON file with every field")

    scaling = commands.add_parser("scaling", help="scaling curves: table, plot, fitted exponent")
    scaling.add_argument(
        "--sizes",
        type=_integers,
        default=list(DEFAULT_SIZES),
        help=f"municipalities of syn-N-g8 (default {','.join(map(str, DEFAULT_SIZES))})",
    )
    scaling.add_argument(
        "--groups",
        type=_integers,
        default=list(DEFAULT_GROUPS),
        help=f"groups of syn-342-gG (default {','.join(map(str, DEFAULT_GROUPS))})",
    )
    scaling.add_argument(
        "--solvers",
        type=_names,
        default=list(SCALING_SOLVERS),
        help=f"comma-separated names (default {','.join(SCALING_SOLVERS)})",
    )
    scaling.add_argument("--time-limit", type=float, default=120.0, help="per run (default 120)")
    scaling.add_argument("--timeout", type=float, default=None, help="per child process")
    scaling.add_argument("--out", type=Path, required=True, help="output directory")
    scaling.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        default=None,
        help="redraw from finished runs' JSON files instead of running",
    )

    commands.add_parser("list", help="the instances of the suite")

    report = commands.add_parser("report", help="Markdown table of a --json file")
    report.add_argument("json_file", type=Path)

    references = commands.add_parser("references", help="references from measured runs")
    references.add_argument("json_files", type=Path, nargs="+")
    references.add_argument(
        "--write", action="store_true", help=f"merge into {REFERENCES_PATH.name}"
    )

    stage = commands.add_parser(
        "stage", help="one later stage on each OR-Tools engine from the same start"
    )
    stage.add_argument("--instance", required=True, help="an instance id of the suite")
    stage.add_argument("--stage", required=True, help="e.g. programme or tie_break")
    stage.add_argument(
        "--engines",
        type=_names,
        default=["scip", "highs"],
        help="comma-separated: scip, highs, cpsat, or e.g. highs+scip (SCIP from HiGHS's answer)",
    )
    stage.add_argument("--time-limit", type=float, default=120.0)
    stage.add_argument("--json", type=Path, default=None)
    stage.add_argument("--mps", type=Path, default=None, help="also write the stage's problem")
    stage.add_argument("--log", action="store_true", help="print each engine's own log")

    child = commands.add_parser("child", help="one measured run (used by the runner)")
    child.add_argument("--instance", required=True)
    child.add_argument("--solver", required=True)
    child.add_argument("--time-limit", type=float, required=True)
    child.add_argument("--result", type=Path, required=True)
    child.add_argument("--memory-limit", type=int, default=None)
    return parser


def _list() -> None:
    known = load_references()
    for entry in SUITE:
        seed = "" if entry.seed is None else f"seed {entry.seed}"
        reference = known.get(entry.id)
        tag = "no reference" if reference is None else f"{reference.difficulty} {reference.status}"
        print(
            f"{entry.id:<24} {entry.municipalities:>5} x {entry.groups:<2} {tag:<20} "
            f"{entry.how_to_load} {seed}".rstrip()
        )


def _references(json_files: list[Path], write: bool) -> None:
    rows = [row for path in json_files for row in read_json(path)]
    previous = load_references()
    merged = build_references(rows, previous)
    for instance in dict.fromkeys(r.instance for r in rows):
        reference = merged[instance]
        values = ", ".join(
            f"{s.name}={float(s.value):.10g}{'' if s.proven else '?'}"
            for s in reference.stages
            if s.value is not None
        )
        print(
            f"{instance:<24} {reference.status:<10} {reference.difficulty:<6} "
            f"{reference.solver:<16} {values}"
        )
        if reference.note:
            print(f"    {reference.note}")
    if write:
        write_references(merged)
        print(f"written: {REFERENCES_PATH}")


def _progress(line: str) -> None:
    print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (2 for an unknown instance or solver)."""
    args = _parser().parse_args(argv)
    if args.command == "child":
        child_main(args.instance, args.solver, args.time_limit, args.result, args.memory_limit)
        return 0
    if args.command == "list":
        _list()
        return 0
    if args.command == "report":
        rows = read_json(args.json_file)
        print(markdown_table(rows))
        print()
        print(ratio_table(rows, FAIRSHARE_SOLVERS))
        print()
        print(stage_table(rows))
        return 0
    if args.command == "references":
        _references(args.json_files, args.write)
        return 0
    try:
        if args.command == "stage":
            try:
                run_stage(
                    args.instance,
                    args.stage,
                    args.engines,
                    args.time_limit,
                    json_out=args.json,
                    mps_out=args.mps,
                    log=args.log,
                    echo=_progress,
                )
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            return 0
        if args.command == "scaling":
            if args.from_json is not None:
                report_from_json(args.from_json, args.out)
            else:
                run_scaling(
                    args.sizes,
                    args.groups,
                    args.time_limit,
                    args.out,
                    solvers=args.solvers,
                    timeout=args.timeout,
                    echo=_progress,
                )
            print(f"written: {args.out / 'scaling.md'}, {args.out / 'scaling.png'}")
            return 0
        run_benchmarks(
            args.instances,
            args.solvers,
            args.time_limit,
            timeout=args.timeout,
            out=args.out,
            json_out=args.json,
            echo=_progress,
            memory_limit=args.memory_limit,
            repeat=args.repeat,
        )
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
