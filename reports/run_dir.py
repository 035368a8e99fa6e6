"""A single run, as ``fairshare solve --out DIR`` writes it, in the rows of a batch's store.

The run directory holds the decisions (``municipalities.csv``, ``placements.csv``) and
``summary.json``; the rest of a run's row and of its municipality rows is recomputed exactly from
the decisions and the instance, as ``fairshare measure`` does (`reports.tables`,
`solver.measures`). The instance is ``--instance``, else the one the run names: a path, a bundled
instance's id, or the name of a bundled region. It is refused if its quotas are not the run's.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from instances import BUNDLED, bundled_instance
from models.cells import decimal, parse_fraction
from models.errors import InputError, Problem
from models.loader import load_instance
from models.region import Region
from models.tables import read_csv_table
from reports.tables import municipality_rows
from solver.allocation_io import read_allocation
from solver.measures import Measures, measure
from solver.quotas import compute_quotas

#: Columns of a municipality row taken from `reports.tables.municipality_rows`, as numbers.
VALUE_COLUMNS = (
    "population",
    "quota",
    "placed",
    "deviation",
    "new_homes",
    "new_social",
    "new_middle",
    "social_share_now",
    "social_share_horizon",
    "norm_shortfall",
    "letting_pool",
)
#: The per-municipality figures of a run in the store (`batch.store`): the values above and the
#: centroid.
MUNICIPALITY_VALUES = (VALUE_COLUMNS[0], "latitude", "longitude", *VALUE_COLUMNS[1:])


_HOW = "give a directory written by `fairshare solve --out DIR`"


def _bad(file: str, message: str, fix: str) -> InputError:
    return InputError([Problem(file=file, message=message, fix=fix)])


# --- instances ---------------------------------------------------------------------------------


class Instances:
    """Instances loaded once: ``--instance``, a path or bundled id, or a bundled region's name.

    Raises:
        InputError: if the instance given with ``--instance`` is invalid.
    """

    def __init__(self, given: Path | None) -> None:
        self.given = None if given is None else load_instance(given).region
        self._cache: dict[str, Region | None] = {}

    def find(self, hint: str) -> Region | None:
        """The instance given, else the one ``hint`` (what a run names) points to, if any; a
        guess that is not a valid instance counts as none."""
        if self.given is not None:
            return self.given
        if hint not in self._cache:
            self._cache[hint] = self._lookup(hint)
        return self._cache[hint]

    @staticmethod
    def _lookup(hint: str) -> Region | None:
        if hint in BUNDLED:
            return load_instance(bundled_instance(hint)).region
        if hint and Path(hint).exists():
            try:
                return load_instance(Path(hint)).region
            except InputError:
                return None
        for name in BUNDLED:
            with (bundled_instance(name) / "region.toml").open("rb") as handle:
                if tomllib.load(handle).get("region", {}).get("name") == hint:
                    return load_instance(bundled_instance(name)).region
        return None


# --- single runs ------------------------------------------------------------------------------


def measure_values(measures: Measures) -> dict[str, float]:
    """Every measure as a float (NaN if undefined), code lists as their length, as a batch stores
    them; the per-municipality ``pool_pressure`` is left out."""
    values = {}
    for f in fields(measures):
        value = getattr(measures, f.name)
        if isinstance(value, dict):
            continue
        if isinstance(value, tuple):
            value = len(value)
        values[f.name] = math.nan if value is None else float(value)
    return values


def _check_quotas(directory: Path, run_id: str, rows: list[dict[str, str]]) -> None:
    """Refuse an instance whose quotas, population, dwellings or social stock differ from those
    the run was solved with.

    Raises:
        InputError: naming the first municipality whose quota differs.
    """
    table = read_csv_table(directory / "municipalities.csv")
    for column in ("quota", "population", "dwellings", "social_stock"):
        if column not in table.columns:
            continue
        expected = {row["code"]: row[column] for row in rows}
        for row in table.rows:
            code = str(row.cells.get("code") or "").strip()
            cell = row.cells.get(column)
            try:
                number = parse_fraction(cell, decimal_comma=table.decimal_comma)
                written = decimal(number) if column == "quota" else str(number)
            except ValueError:
                written = str(cell)
            if code in expected and written != expected[code]:
                raise InputError(
                    [
                        table.problem(
                            f"run {run_id} was not solved on this instance: {column} of "
                            f"{code} {written} in the run, {expected[code]} in the instance",
                            "pass the instance the run was solved on with --instance",
                            row=row.number,
                            column=column,
                            value=written,
                        )
                    ]
                )


def _float(value: object) -> float:
    """A number from JSON, NaN for anything else."""
    return float(value) if isinstance(value, int | float | str) and _is_float(value) else math.nan


def _is_float(value: int | float | str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _stage_values(summary: dict[str, Any]) -> dict[str, float]:
    """``stage_<name>``: each stage's objective value, as a batch stores it."""
    values = {}
    for stage in summary.get("stages", []):
        if isinstance(stage, dict) and isinstance(stage.get("name"), str):
            objective = stage.get("objective")
            value = objective.get("decimal") if isinstance(objective, dict) else None
            values[f"stage_{stage['name']}"] = _float(value)
    return values


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad(str(path), f"not valid JSON ({error})", _HOW) from None
    if not isinstance(data, dict):
        raise _bad(str(path), "unexpected content (expected a JSON object)", _HOW)
    return data


def load_single_run(
    directory: Path, run_id: str, instances: Instances
) -> tuple[dict[str, Any], list[dict[str, Any]], Region | None]:
    """One run of ``fairshare solve --out DIR``: its runs row, its municipality rows and region.

    Raises:
        InputError: for a missing or invalid file, an instance that cannot be found, or one that
            does not match the run.
    """
    summary = _read_json(directory / "summary.json")
    if not isinstance(summary.get("status"), str) or not isinstance(
        summary.get("stages", []), list
    ):
        raise _bad(str(directory / "summary.json"), "not the summary of a solve", _HOW)
    timings_path = directory / "timings.json"
    timings = _read_json(timings_path) if timings_path.is_file() else {}
    policy = summary.get("policy", {})
    key = policy.get("distribution_key", "population")
    run: dict[str, Any] = {
        "run_id": run_id,
        "instance": str(summary.get("instance", "")),
        "policy": f"{policy.get('objective', '')}, key {key}",
        "scenario": "",
        "draw": -1,
        "status": str(summary.get("status", "")),
        "stop_reason": str(summary.get("stop_reason", "")),
        "error": str(summary.get("message", "")),
        "solve_seconds": _float(timings.get("solve_s")),
        "run_seconds": math.nan,
        "backend": f"{summary.get('backend', '')}/{summary.get('engine', '')}",
    }
    region = instances.find(run["instance"])
    if "totals" not in summary:  # the solve found no allocation
        return run | _stage_values(summary), [], region
    if not (directory / "municipalities.csv").is_file():
        raise _bad(
            str(directory / "municipalities.csv"),
            "the file is missing",
            "solve with --format csv (the default): only its tables can be reported",
        )
    if region is None:
        raise _bad(
            str(directory / "summary.json"),
            f"cannot find the instance of run {run_id} (summary.json names "
            f"'{run['instance']}', which is no bundled region)",
            "pass the instance it was solved on with --instance PATH",
        )
    region = replace(region, policy=replace(region.policy, distribution_key=key))
    allocation = read_allocation(region, directory)
    quotas = compute_quotas(region)
    rows = municipality_rows(region, allocation, quotas)
    _check_quotas(directory, run_id, rows)
    run["instance"] = region.name
    municipalities = []
    for row, m in zip(rows, region.municipalities, strict=True):
        record = {c: run[c] for c in ("run_id", "instance", "policy", "scenario", "draw")}
        record |= {"code": m.code, "name": m.name}
        for column in ("latitude", "longitude"):
            value = getattr(m, column)
            record[column] = math.nan if value is None else float(value)
        for column in VALUE_COLUMNS:
            record[column] = float(Fraction(row[column])) if row[column] else math.nan
        municipalities.append(record)
    values = measure_values(measure(region, allocation, quotas))
    return run | values | _stage_values(summary), municipalities, region
