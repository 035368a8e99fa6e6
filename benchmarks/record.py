"""One benchmark run as a record: `Row`, with its JSON form.

A row separates why the solver stopped (``stop_reason``) from how good the answer is (``status``,
``gap``, ``check``, ``matches_reference``). Stage values are kept as exact fractions written
``"n/d"`` where the solver's answer is integer (fairshare's stages, the straightforward
formulation's exact recomputation) and as float text for the LP relaxation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

#: The name of the straightforward formulation and of the LP relaxation among the solvers.
STRAIGHTFORWARD = "straightforward-cbc"
LP_RELAXATION = "lp-relaxation"


def fraction_text(value: Fraction | None) -> str | None:
    """``"n/d"`` (or ``None``)."""
    return None if value is None else f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str | None) -> Fraction | None:
    """The inverse of `fraction_text`; also reads float text such as ``"1.25"``."""
    return None if text is None else Fraction(text)


@dataclass
class Row:
    """One (instance, solver) run.

    Attributes:
        build_s: formulating the model and handing it to the solver, seconds.
        solve_s: the sum of the stage solves, seconds.
        total_s: the whole solve call (build, stages, assembling the answer), seconds.
        peak_mb: peak resident memory of the child process (``ru_maxrss``), MiB.
        children_peak_mb: the same for the child's own children (CBC runs as a separate
            process; ``peak_mb`` does not include it).
        status: ``optimal``, ``feasible``, ``infeasible``, ``no_solution``, ``error`` or
            ``timeout`` (killed by the runner).
        needs, fairness: the values of the ``needs`` and ``fairness_sum`` stages, exact.
        check: violations found by `solver.check.check_allocation` (``None``: no allocation).
        matches_reference: the run agrees with the instance's reference (`benchmarks.references`);
            ``None`` where nothing can be compared.
        reference_note: why ``matches_reference`` is false or empty, if it is.
        proven: the needs and fairness stages were both proven optimal.
        time_limit: the solver time limit of the run, seconds.
        memory_limit: ``SolverOptions.memory_limit`` of a fairshare run, MiB (``None``: none).
        stages: per stage: name, status, stop reason, value, bound and seconds.
        repetition: which of the benchmark's repetitions of this (instance, solver) the run is,
            from 1 (`benchmarks.runner.run_benchmarks`' ``repeat``).
    """

    instance: str
    solver: str
    municipalities: int
    groups: int
    build_s: float | None = None
    solve_s: float | None = None
    total_s: float | None = None
    peak_mb: float | None = None
    status: str = ""
    stop_reason: str = ""
    needs: Fraction | None = None
    fairness: Fraction | None = None
    gap_note: str = ""
    check: int | None = None
    matches_reference: bool | None = None
    reference_note: str = ""
    proven: bool = False
    time_limit: float | None = None
    children_peak_mb: float | None = None
    memory_limit: int | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    repetition: int = 1

    def stage_seconds(self, *names: str) -> float | None:
        """Seconds spent in the named stages (``None`` if one of them did not run)."""
        by_name = {s["name"]: s["seconds"] for s in self.stages}
        if any(name not in by_name for name in names):
            return None
        return float(sum(by_name[name] for name in names))

    def stage_values(self) -> dict[str, Fraction]:
        """The value of every stage that has one, in stage order, in the stage's unit.

        For the straightforward formulation these are its exact ``needs`` and ``fairness`` (its
        own stage objectives are CBC's floats, not comparable exactly).
        """
        if self.solver == STRAIGHTFORWARD:
            pairs = (("needs", self.needs), ("fairness_sum", self.fairness))
            return {name: value for name, value in pairs if value is not None}
        values: dict[str, Fraction] = {}
        for stage in self.stages:
            value = parse_fraction(stage.get("value"))
            if value is not None:
                values[stage["name"]] = value
        return values

    def proven_stages(self) -> set[str]:
        """The stages proven optimal (the straightforward formulation's: only with CBC's proof)."""
        return {s["name"] for s in self.stages if s["status"] == "optimal"}

    @property
    def objective(self) -> str:
        """The lexicographic objective: ``name=value`` per stage reached, ``;``-separated (values
        rounded to 10 significant digits for reading; the JSON keeps them exact)."""
        return ";".join(f"{name}={float(v):.10g}" for name, v in self.stage_values().items())

    @property
    def gap(self) -> float | None:
        """The relative gap ``|value - bound| / max(|value|, 1)`` of the stage where the run
        stopped: 0 when every stage was proven optimal, ``None`` where no value or no bound is
        known (infeasible, no solution, the straightforward formulation's unfinished stages)."""
        if self.status == "optimal":
            return 0.0
        if self.status not in ("feasible",) or not self.stages:
            return None
        last = self.stages[-1]
        value, bound = parse_fraction(last.get("value")), parse_fraction(last.get("bound"))
        if value is None or bound is None:
            return None
        return float(abs(value - bound) / max(abs(value), Fraction(1)))


def row_to_json(row: Row) -> dict[str, Any]:
    """Every field of a row, fractions as ``"n/d"`` text."""
    data = asdict(row)
    data["needs"] = fraction_text(row.needs)
    data["fairness"] = fraction_text(row.fairness)
    return data


def row_from_json(data: dict[str, Any]) -> Row:
    """The inverse of `row_to_json` (fields a row does not know are ignored)."""
    known = {f.name for f in fields(Row)}
    values = {k: v for k, v in data.items() if k in known}
    values["needs"] = parse_fraction(values.get("needs"))
    values["fairness"] = parse_fraction(values.get("fairness"))
    return Row(**values)


def write_json(rows: list[Row], path: Path) -> None:
    """Write every field of every row as a JSON list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps([row_to_json(r) for r in rows], indent=1)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> list[Row]:
    """Rows written by `write_json`."""
    return [row_from_json(item) for item in json.loads(path.read_text(encoding="utf-8"))]
