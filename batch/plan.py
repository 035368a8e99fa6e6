"""The batch plan (``PLAN.toml``): which instances, policies and scenarios to run, and how.

A plan is the product instances x policies x scenarios (x Monte Carlo draws); every combination is
one run, solved, checked and measured like ``fairshare solve``. Shape, every table optional except
``[[instances]]``::

    [batch]
    backend = "ortools"          # or "cbc"
    engine = "scip"              # ortools only: scip, highs or cpsat (default scip)
    time_limit = 60              # seconds per run
    seed = 0                     # solver seed
    gap = 0                      # relative gap accepted per stage (0: prove optimality)
    hard_limit = false           # true: fork each local solve, killed shortly after its limit
    memory_limit = 2000          # MiB each run may use (SCIP stops there); none by default

    [[instances]]
    name = "haaglanden"          # a bundled instance, or a label for the instance at
    path = "../my-region"        # a directory, region.toml or .xlsx, relative to the plan

    [[policies]]                 # none given: one policy "instance", the instance's own
    name = "max-relative"
    objective = "max_rel_deviation"
    distribution_key = "population"
    letting_priority_max = "0.4"
    rules = { new_build_mix = false }
    # ... any setting of [policy] in region.toml, with the same names and checks

    [[scenarios]]                # none given: one scenario "baseline" that changes nothing
    name = "demand+10%"
    demand_factor = "1.1"        # every group's demand, or a table: { homeless = "1.2" }
    capacity_factor = "0.9"      # each municipality's plan capacity
    new_homes_factor = "1"       # the regional new-build target (both ends of a range)
    turnover_factor = "0.8"      # every turnover rate (the region's default and each own rate)
    kappa = "0.3"                # the letting-pool share letting_priority_max
    key_factors = { population = "0.5", dwellings = "0.5" }  # the weighted key, which it selects
    monte_carlo = { draws = 20, seed = 7, demand_band = "0.1" }

A policy changes the instance's ``[policy]`` only where it names a setting, and is checked by the
same code as ``[policy]`` in region.toml (`models.settings`): a policy with ``distribution_key =
"weighted"`` gives its ``key_factors``. A scenario is applied after the policy (its ``kappa`` and
``key_factors`` win; ``key_factors`` also selects the weighted key), and its factors apply to
every Monte Carlo draw as well. Factors and shares are written as in
region.toml: ``1.1``, ``"1.1"``, ``"11/10"`` or ``"110%"``, and are exact. A whole-number input
(demand, plan capacity, new-build target) is multiplied by all its factors exactly and rounded half
up once (`models.cells.round_half_up`).

A Monte Carlo scenario (``monte_carlo``) stands for ``draws`` runs, draw 0, 1, ...: in each, every
group's demand is also multiplied by a factor uniform in ``[1 - demand_band, 1 + demand_band]``,
every municipality's plan capacity by one in ``[1 - capacity_band, 1 + capacity_band]`` and its
turnover rate by one in ``[1 - turnover_band, 1 + turnover_band]`` (see `batch.scenario`). The draws
are a function of ``(seed, draw, input, key)`` only, so raising ``draws`` keeps the earlier draws.

Every problem of a plan is reported at once with its line, key, value and fix (`InputError`, exit
code 2); keys are named like ``policies[2].objective`` for the second ``[[policies]]`` table.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from batch.spec import (
    BANDS,
    BatchSettings,
    InstanceEntry,
    MonteCarlo,
    Plan,
    PolicyVariation,
    Scenario,
)
from instances import BUNDLED, bundled_instance
from models.errors import InputError, Problem
from models.loader import load_instance
from models.settings import (
    KeyPath,
    SettingsDocument,
    _fraction,
    _int,
    _nonnegative,
    _read_key_factors,
    _read_policy,
    toml_key_lines,
    unknown_name_fix,
)
from solver.backends import BACKENDS

SECTIONS: tuple[str, ...] = ("batch", "instances", "policies", "scenarios")
BATCH_KEYS: tuple[str, ...] = (
    "backend",
    "engine",
    "time_limit",
    "seed",
    "gap",
    "hard_limit",
    "memory_limit",
)
INSTANCE_KEYS: tuple[str, ...] = ("name", "path")
FACTOR_KEYS: tuple[str, ...] = (
    "demand_factor",
    "capacity_factor",
    "new_homes_factor",
    "turnover_factor",
)
SCENARIO_KEYS: tuple[str, ...] = (
    "name",
    *FACTOR_KEYS,
    "kappa",
    "key_factors",
    "monte_carlo",
)
MONTE_CARLO_KEYS: tuple[str, ...] = ("draws", "seed", *BANDS)
ENGINES: tuple[str, ...] = ("scip", "highs", "cpsat")
#: Most draws one Monte Carlo scenario may ask for.
MAX_DRAWS = 100_000


__all__ = [
    "BatchSettings",
    "InstanceEntry",
    "MonteCarlo",
    "Plan",
    "PolicyVariation",
    "Scenario",
    "load_plan",
]


class _Reader:
    """Validation state: the plan's data, key lines and the problems found so far."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.file = str(path)
        self.data = data
        self.lines = toml_key_lines(text)
        self.problems: list[Problem] = []

    def line(self, path: KeyPath) -> int | None:
        """The line of the key (or of its first ``[[key]]`` table), or of its nearest enclosing
        table that has one."""
        if (*path, 0) in self.lines:
            return self.lines[(*path, 0)]
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def document(self, section: str, index: int) -> SettingsDocument:
        """A settings document whose ``("policy", ...)`` keys are located in ``section[index]``;
        its problems are collected by `collect`."""

        def locate(path: KeyPath) -> tuple[str | None, int | None]:
            rest = path[1:] if path[:1] == ("policy",) else path[2:]
            return None, self.line((section, index, *rest))

        return SettingsDocument(data={}, file=self.file, locate=locate)

    def collect(self, doc: SettingsDocument, section: str, index: int) -> None:
        """Take the document's problems, with their keys named as in the plan."""
        for problem in doc.problems:
            column = problem.column or ""
            for prefix in ("policy.", f"{section}.{index}."):
                if column.startswith(prefix):
                    column = column[len(prefix) :]
                    break
            named = f"{section}[{index + 1}]" + (f".{column}" if column else "")
            self.problems.append(dataclasses.replace(problem, column=named))

    def report(self, path: KeyPath, message: str, fix: str, value: Any = None) -> None:
        """A problem at ``path`` (``(section, index, key, ...)`` or ``(section, key)``)."""
        if len(path) >= 2 and isinstance(path[1], int):
            named = f"{path[0]}[{path[1] + 1}]" + "".join(f".{p}" for p in path[2:])
        else:
            named = ".".join(str(p) for p in path)
        self.problems.append(
            Problem(
                file=self.file,
                row=self.line(path),
                column=named,
                value=None if value is None else str(value),
                message=message,
                fix=fix,
            )
        )

    def unknown_keys(self, path: KeyPath, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                self.report((*path, key), "unknown key", unknown_name_fix(key, known, "keys"))

    def tables(self, section: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The ``[[section]]`` tables with their index; a wrong shape is reported."""
        raw = self.data.get(section, [])
        if not isinstance(raw, list):
            self.report((section,), "expected a list of tables", f"write each one as [[{section}]]")
            return []
        tables = []
        for index, table in enumerate(raw):
            if isinstance(table, Mapping):
                tables.append((index, table))
            else:
                self.report((section, index), "expected a table", f"write it as [[{section}]]")
        return tables

    def name(
        self, section: str, index: int, table: Mapping[str, Any], seen: set[str]
    ) -> str | None:
        """The table's ``name``: a non-empty text, unique in its section."""
        value = table.get("name")
        path: KeyPath = (section, index, "name")
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            self.report(
                path,
                "every entry needs a name: a non-empty text without leading or trailing spaces",
                'give name = "..." (it labels the runs in the results)',
                value,
            )
            return None
        if value in seen:
            self.report(path, "duplicate name", f"give every entry of [[{section}]] its own name")
            return None
        seen.add(value)
        return value


def _read_batch(reader: _Reader) -> BatchSettings:
    raw = reader.data.get("batch", {})
    if not isinstance(raw, Mapping):
        reader.report(("batch",), "expected a table", "write it as [batch]")
        return BatchSettings()
    reader.unknown_keys(("batch",), raw, BATCH_KEYS)
    values: dict[str, Any] = {}
    backend = raw.get("backend", "ortools")
    if backend not in BACKENDS:
        reader.report(
            ("batch", "backend"),
            "unknown backend",
            unknown_name_fix(str(backend), BACKENDS, "backends"),
            backend,
        )
    else:
        values["backend"] = backend
    if "engine" in raw:
        engine = raw["engine"]
        if engine not in ENGINES:
            reader.report(
                ("batch", "engine"),
                "unknown engine",
                unknown_name_fix(str(engine), ENGINES, "engines"),
                engine,
            )
        elif backend != "ortools":
            reader.report(
                ("batch", "engine"),
                "engines belong to the ortools backend",
                'remove engine, or write backend = "ortools"',
                engine,
            )
        else:
            values["engine"] = engine
    for key, low, high, what in (
        ("time_limit", 0.1, None, "seconds per run, at least 0.1"),
        ("gap", 0.0, 1.0, "the relative gap, between 0 and 1"),
    ):
        if key in raw:
            value = raw[key]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or value < low or (high is not None and value > high):
                reader.report(("batch", key), "not a valid number", f"give {what}", value)
            else:
                values[key] = float(value)
    if "seed" in raw:
        seed = raw["seed"]
        if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
            values["seed"] = seed
        else:
            reader.report(("batch", "seed"), "not a valid seed", "give a whole number >= 0", seed)
    if "memory_limit" in raw:
        limit = raw["memory_limit"]
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1:
            values["memory_limit"] = limit
        else:
            reader.report(
                ("batch", "memory_limit"),
                "not a valid memory limit",
                "give the MiB each run may use as a whole number >= 1, or remove it",
                limit,
            )
    if "hard_limit" in raw:
        if isinstance(raw["hard_limit"], bool):
            values["hard_limit"] = raw["hard_limit"]
        else:
            reader.report(
                ("batch", "hard_limit"),
                "expected true or false",
                "write true to kill a solve that overruns its time limit, else false",
                raw["hard_limit"],
            )
    return BatchSettings(**values)


def _instance_label(path: Path) -> str:
    """The default label of an instance given by path: its directory's or workbook's name."""
    resolved = path.resolve()
    if resolved.suffix.lower() == ".toml":
        return resolved.parent.name
    return resolved.stem if resolved.suffix else resolved.name


def _read_instance(
    reader: _Reader, index: int, table: Mapping[str, Any]
) -> tuple[str, Path] | None:
    """The label and path of one ``[[instances]]`` table (its label not yet checked unique)."""
    reader.unknown_keys(("instances", index), table, INSTANCE_KEYS)
    raw_path, name = table.get("path"), table.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        reader.report(("instances", index, "name"), "expected a non-empty text", "give a name")
        return None
    if raw_path is None:
        if name is None:
            reader.report(
                ("instances", index),
                "the instance has neither a name nor a path",
                f'give name = "<bundled>" ({", ".join(BUNDLED)}), or a path',
            )
            return None
        if name not in BUNDLED:
            reader.report(
                ("instances", index, "name"),
                "not a bundled instance",
                unknown_name_fix(name, BUNDLED, "bundled instances")
                + "; for an instance of your own give its path too",
                name,
            )
            return None
        return name, bundled_instance(name)
    if not isinstance(raw_path, str) or not raw_path.strip():
        reader.report(
            ("instances", index, "path"),
            "expected the path of an instance as text",
            'write path = "my-region" (relative to the plan) or an absolute path',
            raw_path,
        )
        return None
    path = Path(raw_path)
    path = path if path.is_absolute() else reader.path.parent / path
    return name or _instance_label(path), path


def _read_instances(reader: _Reader) -> list[tuple[str, Path]]:
    """``(label, path)`` of each valid ``[[instances]]`` table."""
    if "instances" not in reader.data:
        reader.report(
            ("instances",),
            "the plan names no instance",
            'add [[instances]] with name = "haaglanden" (bundled), or a name and a path',
        )
    found: list[tuple[str, Path]] = []
    for index, table in reader.tables("instances"):
        entry = _read_instance(reader, index, table)
        if entry is None:
            continue
        if entry[0] in {label for label, _ in found}:
            reader.report(
                ("instances", index),
                f"a second instance labelled '{entry[0]}'",
                'give each instance its own name = "..."',
            )
            continue
        found.append(entry)
    return found


def _read_policies(reader: _Reader) -> list[PolicyVariation]:
    if "policies" not in reader.data:
        return [PolicyVariation("instance")]
    policies: list[PolicyVariation] = []
    seen: set[str] = set()
    for index, table in reader.tables("policies"):
        name = reader.name("policies", index, table, seen)
        body = {k: v for k, v in table.items() if k != "name"}
        doc = reader.document("policies", index)
        doc.data = {"policy": body}
        policy = _read_policy(doc)
        reader.collect(doc, "policies", index)
        if name is None or doc.problems:
            continue
        overrides = {k: getattr(policy, k) for k in body if k != "rules"}
        raw_rules = body.get("rules", {})
        rules = {r: policy.rules[r] for r in raw_rules} if isinstance(raw_rules, Mapping) else {}
        policies.append(PolicyVariation(name, overrides, rules))
    return policies


def _read_monte_carlo(reader: _Reader, index: int, raw: Any) -> MonteCarlo | None:
    path: KeyPath = ("scenarios", index, "monte_carlo")
    if not isinstance(raw, Mapping):
        reader.report(
            path,
            "expected a table",
            'write monte_carlo = { draws = 20, seed = 7, demand_band = "0.1" }',
        )
        return None
    reader.unknown_keys(path, raw, MONTE_CARLO_KEYS)
    doc = reader.document("scenarios", index)
    draws = _int(doc, (*path, "draws"), raw.get("draws"), minimum=1, what="the number of draws")
    if draws is not None and draws > MAX_DRAWS:
        doc.report((*path, "draws"), f"more than {MAX_DRAWS} draws", "give fewer draws", draws)
    seed = _int(doc, (*path, "seed"), raw.get("seed"), minimum=0, what="a seed >= 0, e.g. 7")
    bands = {
        band: _fraction(doc, (*path, band), raw[band], what=f"the {band}, e.g. 0.1 for +/-10%")
        for band in BANDS
        if band in raw
    }
    if not bands:
        doc.report(
            path,
            "a Monte Carlo scenario varies nothing",
            "give at least one of " + ", ".join(BANDS),
        )
    reader.collect(doc, "scenarios", index)
    if doc.problems or draws is None or seed is None:
        return None
    return MonteCarlo(draws, seed, **{k: v for k, v in bands.items() if v is not None})


def _read_scenario(reader: _Reader, index: int, table: Mapping[str, Any], name: str | None) -> Any:
    reader.unknown_keys(("scenarios", index), table, SCENARIO_KEYS)
    doc = reader.document("scenarios", index)
    values: dict[str, Any] = {}
    for key in FACTOR_KEYS:
        if key not in table:
            continue
        path: KeyPath = ("scenarios", index, key)
        raw = table[key]
        if key == "demand_factor" and isinstance(raw, Mapping):
            factors = {
                str(group): _nonnegative(doc, (*path, group), v, what="the group's demand factor")
                for group, v in raw.items()
            }
            values["demand_factors"] = {g: f for g, f in factors.items() if f is not None}
        else:
            values[key] = _nonnegative(doc, path, raw, what="a factor such as 1.1 for +10%")
    if "kappa" in table:
        values["kappa"] = _fraction(
            doc, ("scenarios", index, "kappa"), table["kappa"], what="the letting-pool share"
        )
    if "key_factors" in table:
        values["key_factors"] = _read_key_factors(doc, table["key_factors"])
    reader.collect(doc, "scenarios", index)
    if "monte_carlo" in table:
        values["monte_carlo"] = _read_monte_carlo(reader, index, table["monte_carlo"])
    if name is None or doc.problems or any(v is None for v in values.values()):
        return None
    return Scenario(name, **values)


def _read_scenarios(reader: _Reader) -> list[Scenario]:
    if "scenarios" not in reader.data:
        return [Scenario("baseline")]
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for index, table in reader.tables("scenarios"):
        name = reader.name("scenarios", index, table, seen)
        scenario = _read_scenario(reader, index, table, name)
        if scenario is not None:
            scenarios.append(scenario)
    return scenarios


def _check_groups(
    reader: _Reader, scenarios: list[Scenario], instances: list[InstanceEntry]
) -> None:
    """Per-group demand factors must name groups of every instance."""
    for index, scenario in enumerate(scenarios):
        for group in scenario.demand_factors:
            for entry in instances:
                ids = [g.id for g in entry.region.groups]
                if group not in ids:
                    reader.report(
                        ("scenarios", index, "demand_factor", group),
                        f"instance '{entry.label}' has no target group '{group}'",
                        unknown_name_fix(group, ids, "group ids"),
                    )


def load_plan(path: Path | str) -> Plan:
    """Read and validate a plan and load its instances.

    Raises:
        InputError: with every problem of the plan and of its instances.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    file=str(path),
                    message="no such plan file",
                    fix="give the path of a PLAN.toml (example: instances/haaglanden/batch.toml)",
                )
            ]
        )
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise InputError(
            [
                Problem(
                    file=str(path),
                    row=int(line.group(1)) if line else None,
                    message=f"not valid TOML: {error}",
                    fix='correct the syntax; text needs double quotes, e.g. name = "baseline"',
                )
            ]
        ) from None
    reader = _Reader(path, text, data)
    reader.unknown_keys((), data, SECTIONS)
    settings = _read_batch(reader)
    found = _read_instances(reader)
    policies = _read_policies(reader)
    scenarios = _read_scenarios(reader)
    instances: list[InstanceEntry] = []
    for label, instance_path in found:
        try:
            instances.append(
                InstanceEntry(label, instance_path, load_instance(instance_path).region)
            )
        except InputError as error:
            reader.problems.extend(error.problems)
    _check_groups(reader, scenarios, instances)
    if reader.problems:
        raise InputError(reader.problems)
    return Plan(path, text, settings, tuple(instances), tuple(policies), tuple(scenarios))
