"""Runs to compare or report on, loaded into two tables whatever wrote them.

A run is named on the command line in one of three ways:

==============================  ==========================================================
``DIR``                          a single run: the output of ``fairshare solve --out DIR``
                                 (``summary.json``, ``municipalities.csv``, ``placements.csv``);
                                 its run id is the directory's name
``BATCH_DIR``                    every run of a batch (``fairshare batch``), or those named by
                                 ``--runs RUN,RUN``; a batch is recognised by ``store/runs/``
``BATCH_DIR:RUN``                one run of a batch
==============================  ==========================================================

A run of a batch (RUN) is named by its run id or as ``policy/scenario`` (``policy/scenario/draw``
for a Monte Carlo draw), which is also its label in tables and figures; a single run's label is
its id. Where two runs would share a label, their ids are shown instead.

Both kinds load into the same `RunSet`: ``runs`` has one row per run (`RUN_COLUMNS`, ``label``,
then one float column per measure, e.g. ``max_abs_deviation`` or ``stage_needs``) and
``municipalities``
one row per run and municipality (`MUNICIPALITY_COLUMNS`), in the order the runs were named and
then by code. A batch stores these tables itself (``store/runs/<id>.parquet`` and
``store/municipalities/<id>.parquet``). A single run stores only its decisions, so its table and
measures are recomputed from the decisions and the instance (`reports.run_dir`).

A batch's runs are taken in the order of its ``runs.csv`` (the plan), or by id if it lists none.
Runs without allocation (infeasible, failed) keep their row in ``runs`` and are named in the notes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models.errors import InputError, Problem
from models.region import Region
from reports.run_dir import MUNICIPALITY_VALUES, Instances, load_single_run

RUN_COLUMNS = (
    "run_id",
    "instance",
    "policy",
    "scenario",
    "draw",
    "status",
    "stop_reason",
    "error",
    "solve_seconds",
    "run_seconds",
    "backend",
)
MUNICIPALITY_COLUMNS = (
    "run_id",
    "instance",
    "policy",
    "scenario",
    "draw",
    "code",
    "name",
    *MUNICIPALITY_VALUES,
)
_TEXT_COLUMNS = ("run_id", "instance", "policy", "scenario", "status", "stop_reason", "error")
_REQUIRED_RUN = ("run_id", "policy", "scenario", "draw", "status")
_HOW = "give a directory written by `fairshare solve --out DIR` or by `fairshare batch`"


@dataclass(frozen=True)
class RunSet:
    """The runs named, their municipalities, and what is known about their region.

    Attributes:
        runs: one row per run: `RUN_COLUMNS`, then the measures as float columns (NaN: undefined).
        municipalities: `MUNICIPALITY_COLUMNS` for every run with an allocation, by run then code.
        region: the instance, if known (adjacency for the map, the social norm).
        notes: what the reader should know about the data (runs without allocation, ...).
    """

    runs: pd.DataFrame
    municipalities: pd.DataFrame
    region: Region | None
    notes: tuple[str, ...]

    @property
    def measure_columns(self) -> list[str]:
        """The measure columns of ``runs``, in table order."""
        return [c for c in self.runs.columns if c not in (*RUN_COLUMNS, "label")]


def _bad(file: str, message: str, fix: str = _HOW, value: str | None = None) -> InputError:
    return InputError([Problem(file=file, message=message, fix=fix, value=value)])


# --- naming runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One argument: a single-run directory or a batch (with the run ids to take, or all)."""

    text: str
    path: Path
    batch: bool
    run_ids: tuple[str, ...] | None = None


def is_batch(path: Path) -> bool:
    """A batch directory holds ``store/runs/``."""
    return (path / "store" / "runs").is_dir()


def parse_specs(texts: Sequence[str], runs: Sequence[str] | None = None) -> list[RunSpec]:
    """The arguments as `RunSpec`; ``runs`` (``--runs``) selects runs of batches named without id.

    Raises:
        InputError: for a path that is neither a run nor a batch directory, or ``--runs`` without
            a batch.
    """
    if not texts:
        raise _bad("RUN", "no run given", "name at least one run or batch directory")
    specs = []
    whole_batch = False  # a batch named without :RUN, whose runs --runs selects
    for text in texts:
        path = Path(text)
        if not path.exists() and ":" in text:
            batch, run_id = text.rsplit(":", 1)
            if not is_batch(Path(batch)):
                raise _bad(batch, "not a batch directory (no store/runs/ in it)", value=text)
            specs.append(RunSpec(text, Path(batch), True, (run_id,)))
        elif not path.is_dir():
            raise _bad(text, "no such run or batch directory")
        elif is_batch(path):
            whole_batch = True
            specs.append(RunSpec(text, path, True, None if runs is None else tuple(runs)))
        elif (path / "summary.json").is_file():
            specs.append(RunSpec(text, path, False))
        else:
            raise _bad(text, "not a run directory (no summary.json) nor a batch (no store/runs/)")
    if runs is not None and not whole_batch:
        raise _bad("--runs", "--runs selects runs of a batch, but no batch directory is given")
    return specs


# --- batches ----------------------------------------------------------------------------------


def _read_parquet(path: Path, required: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise _bad(str(path), f"cannot read the table ({error})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise _bad(str(path), f"columns missing: {', '.join(missing)}", "rerun the batch")
    return frame


def _runs_csv(batch: Path) -> pd.DataFrame | None:
    """``runs.csv`` as text, or ``None`` if the batch has none.

    Raises:
        InputError: if it cannot be read or has no ``run_id`` column.
    """
    plan = batch / "runs.csv"
    if not plan.is_file():
        return None
    try:
        listed = pd.read_csv(plan, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise _bad(str(plan), f"cannot read the table ({error})", "rerun the batch") from None
    if "run_id" not in listed.columns:
        raise _bad(str(plan), "the column run_id is missing", "rerun the batch")
    return listed


def batch_run_ids(batch: Path) -> list[str]:
    """The runs of a batch's current plan: those ``runs.csv`` lists, in its order (the store may
    keep runs of an earlier plan under other ids); every stored run by id without ``runs.csv``."""
    stored = sorted(p.stem for p in (batch / "store" / "runs").glob("*.parquet"))
    listed = _runs_csv(batch)
    if listed is None:
        return stored
    known = set(stored)
    return [r for r in listed["run_id"] if r in known]


def batch_label(policy: object, scenario: object, draw: object) -> str:
    """``policy/scenario``, or ``policy/scenario/draw`` for a Monte Carlo draw.

    Examples:
        >>> batch_label("sum", "base", -1), batch_label("sum", "mc", 3)
        ('sum/base', 'sum/mc/3')
    """
    return f"{policy}/{scenario}" + (f"/{draw}" if int(str(draw)) >= 0 else "")


def _labels(batch: Path) -> dict[str, str]:
    """Run id by label, from ``runs.csv`` (empty if it does not say): ``instance/policy/
    scenario[/draw]`` always, and ``policy/scenario[/draw]`` where only one instance has it."""
    listed = _runs_csv(batch)
    if listed is None or not {"policy", "scenario", "draw"} <= set(listed.columns):
        return {}
    instances = listed["instance"] if "instance" in listed.columns else [""] * len(listed)
    rows = list(
        zip(
            listed["run_id"],
            instances,
            listed["policy"],
            listed["scenario"],
            listed["draw"],
            strict=True,
        )
    )
    plain = Counter(batch_label(p, s, d) for _, _, p, s, d in rows)
    labels: dict[str, str] = {}
    for r, i, p, s, d in rows:
        label = batch_label(p, s, d)
        if i:
            labels[f"{i}/{label}"] = str(r)
        if plain[label] == 1:
            labels[label] = str(r)
    return labels


def resolve_run(batch: Path, run: str) -> str:
    """The run id of RUN: a stored run id, or a ``policy/scenario[/draw]`` label.

    Raises:
        InputError: naming the runs of the batch if there is no such run.
    """
    if (batch / "store" / "runs" / f"{run}.parquet").is_file():
        return run
    labels = _labels(batch)
    if run in labels:
        return labels[run]
    known = list(labels) or batch_run_ids(batch)
    shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
    raise _bad(
        str(batch),
        f"no run '{run}' in this batch",
        f"name a run id or policy/scenario[/draw] of the batch: {shown or 'none is stored yet'}",
        value=run,
    )


def load_batch_run(batch: Path, run_id: str) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The runs row of one stored run and its municipalities (``None`` without allocation).

    Raises:
        InputError: for a store table without the required columns.
    """
    path = batch / "store" / "runs" / f"{run_id}.parquet"
    frame = _read_parquet(path, _REQUIRED_RUN)
    if len(frame) != 1:
        raise _bad(str(path), f"expected one row, found {len(frame)}", "rerun the batch")
    run = {c: frame[c].iloc[0] for c in frame.columns}
    table = batch / "store" / "municipalities" / f"{run_id}.parquet"
    if not table.is_file():
        return run, None
    municipalities = _read_parquet(table, ("code", "name", "quota", "placed"))
    if municipalities.empty:  # a failed run stores no municipality
        return run, None
    duplicated = sorted(set(municipalities["code"][municipalities["code"].duplicated()]))
    if duplicated:
        raise _bad(str(table), f"codes listed twice: {', '.join(duplicated)}", "rerun the batch")
    municipalities = municipalities.assign(run_id=run_id)
    return run, municipalities


# --- everything -------------------------------------------------------------------------------


def _unique_ids(names: list[tuple[str, str]]) -> list[str]:
    """Run ids, or the argument where two runs share an id.

    Raises:
        InputError: if the same run is named twice.
    """
    ids = [run_id for run_id, _ in names]
    unique = [run_id if ids.count(run_id) == 1 else text for run_id, text in names]
    twice = sorted({u for u in unique if unique.count(u) > 1})
    if twice:
        raise _bad(", ".join(twice), "the same run is named twice", "name each run once")
    return unique


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    for column in columns:
        if column not in frame.columns:
            frame[column] = "" if column in _TEXT_COLUMNS else math.nan
    return frame


def load_runs(
    texts: Sequence[str], runs: Sequence[str] | None = None, instance: Path | None = None
) -> RunSet:
    """The runs named by ``texts`` (see the module docstring) as one `RunSet`.

    Raises:
        InputError: for a path that is not a run or batch directory, an unknown run id, an
            instance that does not match, or runs of different municipalities.
    """
    instances = Instances(instance)
    named: list[tuple[str, str, dict[str, Any], pd.DataFrame | None]] = []
    region: Region | None = instances.given
    for spec in parse_specs(texts, runs):
        if not spec.batch:
            run, rows, found = load_single_run(spec.path, spec.path.resolve().name, instances)
            region = region or found
            table = pd.DataFrame.from_records(rows) if rows else None
            named.append((run["run_id"], spec.text, run | {"label": run["run_id"]}, table))
            continue
        ids = spec.run_ids if spec.run_ids is not None else tuple(batch_run_ids(spec.path))
        for run_id in (resolve_run(spec.path, r) for r in ids):
            run, table = load_batch_run(spec.path, run_id)
            region = region or instances.find(str(run.get("instance", "")))
            label = batch_label(run["policy"], run["scenario"], run["draw"])
            named.append((run_id, f"{spec.path}:{run_id}", run | {"label": label}, table))
    if not named:
        raise _bad(texts[0], "the batch holds no finished run yet", "wait for the batch")
    unique = _unique_ids([(n[0], n[1]) for n in named])
    records, tables, notes = [], [], []
    for run_id, (_, _, run, table) in zip(unique, named, strict=True):
        records.append(run | {"run_id": run_id})
        if table is None:
            error = f": {run['error']}" if str(run.get("error") or "") else ""
            notes.append(f"run {run_id} has no allocation (status {run['status']}{error})")
        else:
            tables.append(table.assign(run_id=run_id))
    frame = _frame(records, RUN_COLUMNS)
    duplicated = frame["label"].duplicated(keep=False)
    frame["label"] = frame["label"].where(~duplicated, frame["run_id"])
    measures = [c for c in frame.columns if c not in (*RUN_COLUMNS, "label")]
    frame = frame[[*RUN_COLUMNS, "label", *measures]].reset_index(drop=True)
    for column in measures:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["draw"] = pd.to_numeric(frame["draw"], errors="coerce").fillna(-1).astype("int64")
    for column in _TEXT_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    municipalities = _municipalities(tables, list(frame["run_id"]))
    region = _matching(region, municipalities, instance, notes)
    return RunSet(frame, municipalities, region, tuple(notes))


def _matching(
    region: Region | None, municipalities: pd.DataFrame, given: Path | None, notes: list[str]
) -> Region | None:
    """The region if it has the runs' municipalities; else ``None`` with a note.

    Raises:
        InputError: if the instance given with ``--instance`` has other municipalities.
    """
    codes = set(municipalities["code"])
    if region is None or not codes or codes == set(region.codes):
        return region
    if given is not None:
        differ = ", ".join(sorted(codes ^ set(region.codes))[:10])
        raise _bad(
            str(given),
            f"its municipalities are not those of the runs ({differ})",
            "pass the instance the runs were solved on",
        )
    notes.append(f"the instance {region.name} has other municipalities than the runs: not used")
    return None


def _municipalities(tables: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """One table of every run's municipalities, checked to cover the same codes.

    Raises:
        InputError: if two runs cover different municipalities (nothing is aligned silently).
    """
    if not tables:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in MUNICIPALITY_COLUMNS})
    first = set(tables[0]["code"])
    for table in tables[1:]:
        codes = set(table["code"])
        if codes != first:
            differ = sorted(codes ^ first)
            raise _bad(
                str(table["run_id"].iloc[0]),
                f"its municipalities differ from those of run {tables[0]['run_id'].iloc[0]} "
                f"({', '.join(differ[:10])})",
                "compare runs of the same region",
            )
    frame = pd.concat(tables, ignore_index=True).reindex(columns=list(MUNICIPALITY_COLUMNS))
    frame["order"] = frame["run_id"].map({run_id: i for i, run_id in enumerate(order)})
    frame = frame.sort_values(["order", "code"], kind="stable").drop(columns="order")
    for column in MUNICIPALITY_COLUMNS[7:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["draw"] = pd.to_numeric(frame["draw"], errors="coerce").fillna(-1).astype("int64")
    return frame.reset_index(drop=True)
