"""The runs of a plan and their ids.

A run id is the first 16 hex digits of the SHA-256 of a canonical JSON document (keys sorted,
no spaces, exact numbers as text) of::

    {"instance": {"label": ..., "content": <instance digest>},
     "policy":   <PolicyVariation.canonical()>,
     "scenario": <Scenario.canonical(draw)>,          # Monte Carlo seed and draw index included
     "solver":   <BatchSettings.canonical()>,         # backend, engine, time limit, seed, gap
                                                      # (and the memory limit, where set)
     "versions": {"fairshare": ..., "ortools": ..., "pulp": ...}}

The instance digest is the SHA-256 of the instance as fairshare reads it (`instance_digest`:
settings, municipality and adjacency tables written back by `models.serialize`), so the same region
as a directory or a workbook, or with its CSV written by Dutch Excel, gets the same id, and any
change of a figure gives a new one. Names (instance label, policy, scenario) are part of the id
because they are part of the stored rows. The number of Monte Carlo draws is not: raising it keeps
the earlier draws' ids. Whether the hard limit is on is not either: it changes nothing unless a
solver overruns its time limit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from batch.spec import BatchSettings, Plan, PolicyVariation, Scenario
from models.region import Region
from models.serialize import adjacency_table, municipality_table, settings_dict

#: Packages whose versions are part of every run id.
VERSIONED_PACKAGES: tuple[str, ...] = ("fairshare", "ortools", "pulp")
#: Hex digits of the SHA-256 kept as run id.
RUN_ID_LENGTH = 16


@dataclass(frozen=True)
class RunTask:
    """Everything one run needs, small and picklable: what a worker receives."""

    run_id: str
    instance: str
    region: Region
    policy: PolicyVariation
    scenario: Scenario
    draw: int
    settings: BatchSettings


@cache
def versions() -> dict[str, str]:
    """The installed versions of `VERSIONED_PACKAGES` (``unknown`` where not installed)."""
    found = {}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: equal data, equal text.

    Examples:
        >>> canonical_json({"b": 1, "a": [1, "x"]})
        '{"a":[1,"x"],"b":1}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def instance_digest(region: Region) -> str:
    """SHA-256 (hex) of the region as fairshare reads it (settings and tables, exact numbers)."""
    content = {
        "settings": settings_dict(region, with_files=False),
        "municipalities": municipality_table(region),
        "adjacency": adjacency_table(region),
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def run_id(
    label: str,
    digest: str,
    policy: PolicyVariation,
    scenario: Scenario,
    draw: int,
    settings: BatchSettings,
) -> str:
    """The run id (see the module docstring)."""
    document = {
        "instance": {"label": label, "content": digest},
        "policy": policy.canonical(),
        "scenario": scenario.canonical(draw),
        "solver": settings.canonical(),
        "versions": versions(),
    }
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()[:RUN_ID_LENGTH]


def plan_tasks(plan: Plan) -> list[RunTask]:
    """Every run of the plan in plan order: instances, then policies, then scenarios, then draws."""
    tasks = []
    for entry in plan.instances:
        digest = instance_digest(entry.region)
        for policy in plan.policies:
            for scenario in plan.scenarios:
                for draw in scenario.draws():
                    tasks.append(
                        RunTask(
                            run_id(entry.label, digest, policy, scenario, draw, plan.settings),
                            entry.label,
                            entry.region,
                            policy,
                            scenario,
                            draw,
                            plan.settings,
                        )
                    )
    return tasks
