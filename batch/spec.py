"""The parts of a batch plan as validated values (`batch.plan` reads them from PLAN.toml).

Each part knows its canonical form: a JSON-able description with exact numbers as text, from which
`batch.runs` hashes the run ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from models.cells import format_fraction
from models.policy import KeyFactor
from models.region import Region

#: The Monte Carlo bands, each the half-width of a uniform factor around 1.
BANDS: tuple[str, ...] = ("demand_band", "capacity_band", "turnover_band")


@dataclass(frozen=True)
class BatchSettings:
    """``[batch]``: how every run is solved (threads are always 1, for determinism).

    ``hard_limit`` is off by default: each solve then runs in its worker with the solvers' own
    time limits, as on a Dask cluster, where forking is not possible (`batch.worker`). On, every
    local solve is forked into a child killed shortly after the time limit, as ``fairshare solve``
    does; that costs about 30 to 50 ms a run (copy-on-write of the worker's memory), as much as a
    small region's whole solve.
    """

    backend: str = "ortools"
    engine: str | None = None
    time_limit: float = 60.0
    seed: int = 0
    gap: float = 0.0
    hard_limit: bool = False
    #: MiB each run's process may use (`SolverOptions.memory_limit`); ``None``: no limit.
    memory_limit: int | None = None

    def canonical(self) -> dict[str, Any]:
        """What changes a result (``hard_limit`` only acts on a solver that overruns). The
        memory limit is named only where it is set, so that plans without one keep their run
        ids."""
        canonical: dict[str, Any] = {
            "backend": self.backend,
            "engine": self.engine,
            "time_limit": self.time_limit,
            "seed": self.seed,
            "gap": self.gap,
            "threads": 1,
        }
        if self.memory_limit is not None:
            canonical["memory_limit"] = self.memory_limit
        return canonical


@dataclass(frozen=True)
class InstanceEntry:
    """One ``[[instances]]`` table, loaded and validated."""

    label: str
    path: Path
    region: Region


@dataclass(frozen=True)
class PolicyVariation:
    """One ``[[policies]]`` table: the `models.policy.Policy` fields it sets.

    ``overrides`` maps field names to validated values; ``rules`` holds only the rules it switches.
    """

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, bool] = field(default_factory=dict)

    def canonical(self) -> dict[str, Any]:
        """A JSON-able description with exact numbers as text, for the run id."""
        return {
            "name": self.name,
            "overrides": {k: _canonical(v) for k, v in sorted(self.overrides.items())},
            "rules": dict(sorted(self.rules.items())),
        }


@dataclass(frozen=True)
class MonteCarlo:
    """``monte_carlo = { draws, seed, demand_band, capacity_band, turnover_band }``."""

    draws: int
    seed: int
    demand_band: Fraction = Fraction(0)
    capacity_band: Fraction = Fraction(0)
    turnover_band: Fraction = Fraction(0)


@dataclass(frozen=True)
class Scenario:
    """One ``[[scenarios]]`` table. ``None`` (or an empty table) changes nothing.

    ``demand_factors`` holds per-group factors; ``demand_factor`` applies to every group.
    """

    name: str
    demand_factor: Fraction | None = None
    demand_factors: Mapping[str, Fraction] = field(default_factory=dict)
    capacity_factor: Fraction | None = None
    new_homes_factor: Fraction | None = None
    turnover_factor: Fraction | None = None
    kappa: Fraction | None = None
    key_factors: tuple[KeyFactor, ...] | None = None
    monte_carlo: MonteCarlo | None = None

    def draws(self) -> tuple[int, ...]:
        """The draw indices of the runs: ``0 .. draws-1``, or ``(-1,)`` without Monte Carlo."""
        return (-1,) if self.monte_carlo is None else tuple(range(self.monte_carlo.draws))

    def canonical(self, draw: int) -> dict[str, Any]:
        """A JSON-able description of one draw, for the run id (the number of draws is left
        out, so that raising it keeps the run ids of the earlier draws)."""
        data = {
            f.name: _canonical(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "monte_carlo"
        }
        if self.monte_carlo is not None:
            mc = self.monte_carlo
            data["monte_carlo"] = {
                "seed": mc.seed,
                "draw": draw,
                **{band: format_fraction(getattr(mc, band)) for band in BANDS},
            }
        return data


@dataclass(frozen=True)
class Plan:
    """A validated plan; ``text`` is the file as written (copied to the output directory)."""

    path: Path
    text: str
    settings: BatchSettings
    instances: tuple[InstanceEntry, ...]
    policies: tuple[PolicyVariation, ...]
    scenarios: tuple[Scenario, ...]


def _canonical(value: Any) -> Any:
    """Exact numbers as text, key factors as lists, mappings sorted: JSON-able and stable."""
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, Fraction):
        return format_fraction(value)
    if isinstance(value, KeyFactor):
        return [value.column, format_fraction(value.weight), value.direction]
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    raise TypeError(f"no canonical form for {type(value).__name__}")
