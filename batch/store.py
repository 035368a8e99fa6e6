"""The results store of a batch directory, and `load_store` for readers.

Layout of ``DIR``::

    plan.toml                          the plan as given (relative instance paths are relative to
                                       the original plan file, not to this copy)
    runs.csv                           one row per run of the current plan that has completed,
                                       in plan order: the columns of store/runs
    store/runs/<run_id>.parquet        one row: run_id, instance, policy, scenario, draw (-1
                                       unless Monte Carlo), status, stop_reason, error ("" if
                                       none), solve_seconds, run_seconds, backend, one float64
                                       column per measure of `solver.measures.Measures` (NaN if
                                       undefined or failed), one ``stage_<name>`` float64 per stage
    store/municipalities/<run_id>.parquet
                                       one row per municipality (none for a failed run): run_id,
                                       instance, policy, scenario, draw, code, name, population,
                                       latitude, longitude, quota, placed, deviation, new_homes,
                                       new_social, new_middle, social_share_now,
                                       social_share_horizon, norm_shortfall, letting_pool

Measures that are lists of codes (``below_norm``, ``above_letting_cap``) are stored as their count;
``pool_pressure`` (per municipality) is not stored. ``solve_seconds`` is the model build plus the
stages as the solver measured them; ``run_seconds`` the whole run in the worker (variation, solve,
check, measures, rows). Both differ from run to run; every other column is the same for the same
plan, locally or on a Dask cluster.

Each file is written whole to a temporary file and renamed (`models.fileio.atomic_write_bytes`), the
municipality file before the run file: a run is complete exactly when ``store/runs/<id>.parquet``
exists, so an interrupted batch loses no completed run and never leaves a half-written one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from batch.worker import Row, RunOutcome, measure_columns
from models.fileio import atomic_write_bytes, atomic_write_text

STORE = "store"
RUNS = "runs"
MUNICIPALITIES = "municipalities"
RUNS_CSV = "runs.csv"
PLAN_COPY = "plan.toml"
LABELS: tuple[tuple[str, pa.DataType], ...] = (
    ("run_id", pa.string()),
    ("instance", pa.string()),
    ("policy", pa.string()),
    ("scenario", pa.string()),
    ("draw", pa.int64()),
)
RUN_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    *LABELS,
    ("status", pa.string()),
    ("stop_reason", pa.string()),
    ("error", pa.string()),
    ("solve_seconds", pa.float64()),
    ("run_seconds", pa.float64()),
    ("backend", pa.string()),
)
MUNICIPALITY_SCHEMA = pa.schema(
    [
        *LABELS,
        ("code", pa.string()),
        ("name", pa.string()),
        ("population", pa.int64()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("quota", pa.float64()),
        ("placed", pa.int64()),
        ("deviation", pa.float64()),
        ("new_homes", pa.int64()),
        ("new_social", pa.int64()),
        ("new_middle", pa.int64()),
        ("social_share_now", pa.float64()),
        ("social_share_horizon", pa.float64()),
        ("norm_shortfall", pa.float64()),
        ("letting_pool", pa.int64()),
    ]
)
#: Columns whose values differ between two runs of the same plan.
TIMING_COLUMNS: tuple[str, ...] = ("solve_seconds", "run_seconds")
SORT_COLUMNS = ["instance", "policy", "scenario", "draw", "run_id"]
_PARTIAL = re.compile(r"\.[0-9a-f]{16}\.parquet\..+")


def run_columns(row: Row) -> list[str]:
    """The columns of a run row in store order: fixed, measures, stages (in solve order)."""
    fixed = [name for name, _ in RUN_FIELDS]
    stages = [k for k in row if k.startswith("stage_")]
    return [*fixed, *measure_columns(), *stages]


def run_schema(row: Row) -> pa.Schema:
    """The Parquet schema of a run row: every measure and stage column float64."""
    types = dict(RUN_FIELDS)
    return pa.schema([(name, types.get(name, pa.float64())) for name in run_columns(row)])


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def store_paths(directory: Path) -> tuple[Path, Path]:
    """``(store/runs, store/municipalities)`` of a batch directory."""
    return directory / STORE / RUNS, directory / STORE / MUNICIPALITIES


def prepare(directory: Path) -> None:
    """Create the store's folders and remove temporary files a killed batch left behind."""
    for folder in store_paths(directory):
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if _PARTIAL.fullmatch(path.name):
                path.unlink(missing_ok=True)


def completed_ids(directory: Path) -> set[str]:
    """Run ids with a run file: the completed runs."""
    runs, _ = store_paths(directory)
    return {p.stem for p in runs.glob("*.parquet")} if runs.is_dir() else set()


def write_outcome(directory: Path, outcome: RunOutcome) -> None:
    """Write one run's two files atomically, the municipality file first (see the module)."""
    runs, municipalities = store_paths(directory)
    run_id = str(outcome.run["run_id"])
    table = pa.Table.from_pylist(outcome.municipalities, schema=MUNICIPALITY_SCHEMA)
    atomic_write_bytes(municipalities / f"{run_id}.parquet", _parquet_bytes(table))
    row = {name: outcome.run.get(name) for name in run_columns(outcome.run)}
    table = pa.Table.from_pylist([row], schema=run_schema(outcome.run))
    atomic_write_bytes(runs / f"{run_id}.parquet", _parquet_bytes(table))


def read_run_rows(directory: Path, run_ids: Iterable[str]) -> dict[str, Row]:
    """The stored run rows of these ids, by id."""
    runs, _ = store_paths(directory)
    rows: dict[str, Row] = {}
    for run_id in run_ids:
        (row,) = pq.read_table(runs / f"{run_id}.parquet").to_pylist()
        rows[run_id] = row
    return rows


def runs_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """Run rows as a table: fixed columns, measures, then stage columns in order of appearance."""
    columns = [name for name, _ in RUN_FIELDS] + list(measure_columns())
    for row in rows:
        columns += [k for k in row if k.startswith("stage_") and k not in columns]
    frame = pd.DataFrame(list(rows), columns=columns)
    return frame.astype({"draw": "int64"})


def write_runs_csv(directory: Path, rows: Sequence[Row]) -> None:
    """``DIR/runs.csv``: the rows as given (plan order), written atomically."""
    atomic_write_text(
        directory / RUNS_CSV, runs_frame(rows).to_csv(index=False, lineterminator="\n")
    )


def _read_tables(folder: Path, run_ids: Sequence[str]) -> pa.Table | None:
    tables = [pq.read_table(folder / f"{run_id}.parquet") for run_id in run_ids]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def load_store(directory: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every completed run in ``DIR/store``: ``(runs, municipalities)`` as DataFrames.

    Runs are sorted by instance, policy, scenario, draw and run id; municipalities by the same and
    code. Runs of an earlier version of a plan stay in the store under their own ids (their inputs
    differ): filter by ``DIR/runs.csv``'s run ids for the current plan's runs only.

    Examples:
        A directory without a store gives empty tables with the store's columns:

        >>> runs, municipalities = load_store("no-such-batch")
        >>> len(runs), list(municipalities.columns[:2])
        (0, ['run_id', 'instance'])
    """
    directory = Path(directory)
    runs_folder, municipalities_folder = store_paths(directory)
    run_ids = sorted(completed_ids(directory))
    runs_table = _read_tables(runs_folder, run_ids)
    if runs_table is None:
        runs = runs_frame([])
    else:
        runs = runs_frame(runs_table.to_pylist())
        runs = runs.sort_values(SORT_COLUMNS, kind="stable", ignore_index=True)
    present = [r for r in run_ids if (municipalities_folder / f"{r}.parquet").is_file()]
    table = _read_tables(municipalities_folder, present)
    if table is None:
        table = MUNICIPALITY_SCHEMA.empty_table()
    municipalities = table.to_pandas().sort_values(
        [*SORT_COLUMNS, "code"], kind="stable", ignore_index=True
    )
    return runs, municipalities
