"""Reference stage objectives of the benchmark instances, as MIPLIB keeps its solution values.

``benchmarks/references.json`` holds, per instance id, the expected status, the value of every
stage reached (an exact fraction written ``"n/d"``), the bound where a stage was not proven
optimal, whether each stage is proven, a difficulty tag, and the run it came from. It is written by
`build_references` from measured runs (``python -m benchmarks references RUN.json ...``), never
by hand:

* the reference of an instance is the run that proved the most stages optimal (ties: the default
  solver ``ortools-default``, then the faster run), among fairshare's own solvers whose answer the
  checker passes; every other such run that proved stages is compared with it stage by stage, and
  the ones that agree are listed in ``cross_checked`` (a disagreement goes into ``note``);
* an ``-infeasible`` variant is infeasible by design: its reference status is ``infeasible``,
  proven once some solver proved it;
* difficulty, after MIPLIB's tags but on the scale of this problem, by the fastest run that
  proved the instance (optimal in every stage with one of fairshare's solvers, or infeasible with
  any solver but the LP relaxation): ``easy`` within `EASY_SECONDS`, ``medium`` within
  `MEDIUM_SECONDS`, ``hard`` slower; ``open`` if no run proved it.

`compare` then judges a run against the reference: the stages are compared in their
lexicographic order while both sides proved them; a stage one side did not prove is still checked
against what the other proved (an answer can never beat a proven optimum, a proven optimum never
lies outside a known bound), and no later stage is compared, since later stages depend on the
earlier ones being fixed at the same value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from benchmarks.record import (
    LP_RELAXATION,
    STRAIGHTFORWARD,
    Row,
    fraction_text,
    parse_fraction,
)
from benchmarks.suite import get_instance
from solver.objectives import QUOTA_RESOLUTION

REFERENCES_PATH = Path(__file__).resolve().with_name("references.json")
#: The solver whose run is the reference when several prove the same stages.
DEFAULT_SOLVER = "ortools-default"
#: A proven instance is ``easy`` if its fastest proof took at most this long (seconds), ``medium``
#: up to `MEDIUM_SECONDS`, ``hard`` beyond.
EASY_SECONDS = 10.0
MEDIUM_SECONDS = 120.0
DIFFICULTIES = ("easy", "medium", "hard", "open")
INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class ReferenceStage:
    """One stage of a reference: its value (best known) and, if not proven, the solver's bound."""

    name: str
    value: Fraction | None
    bound: Fraction | None
    proven: bool


@dataclass(frozen=True)
class Reference:
    """The reference of one instance.

    Attributes:
        status: ``optimal`` (every stage proven), ``infeasible``, ``feasible`` (best known, not
            every stage proven) or ``unknown`` (no answer yet).
        solver: the run the values come from; ``seconds`` its total time, ``time_limit`` its
            limit.
        cross_checked: other solvers whose proven stages equal these.
    """

    instance: str
    status: str
    difficulty: str
    stages: tuple[ReferenceStage, ...]
    solver: str
    seconds: float | None
    time_limit: float | None
    cross_checked: tuple[str, ...] = ()
    note: str = ""

    @property
    def proven(self) -> bool:
        """True for a proven optimum (every stage) or a proven infeasibility."""
        return self.status in ("optimal", INFEASIBLE)

    @property
    def proven_count(self) -> int:
        """Stages proven optimal, in order from the first."""
        count = 0
        for stage in self.stages:
            if not stage.proven:
                break
            count += 1
        return count

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this reference (with the instance's size and seed, for reading)."""
        entry = get_instance(self.instance)
        return {
            "status": self.status,
            "proven": self.proven,
            "difficulty": self.difficulty,
            "municipalities": entry.municipalities,
            "groups": entry.groups,
            "seed": entry.seed,
            "variant": entry.variant,
            "solver": self.solver,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "time_limit": self.time_limit,
            "cross_checked": list(self.cross_checked),
            "stages": [
                {
                    "name": s.name,
                    "value": fraction_text(s.value),
                    "bound": fraction_text(s.bound),
                    "proven": s.proven,
                }
                for s in self.stages
            ],
            "note": self.note,
        }

    @classmethod
    def from_json(cls, instance: str, data: dict[str, Any]) -> Reference:
        """The inverse of `to_json`."""
        stages = tuple(
            ReferenceStage(
                s["name"], parse_fraction(s["value"]), parse_fraction(s["bound"]), s["proven"]
            )
            for s in data["stages"]
        )
        return cls(
            instance,
            data["status"],
            data["difficulty"],
            stages,
            data["solver"],
            data["seconds"],
            data["time_limit"],
            tuple(data["cross_checked"]),
            data.get("note", ""),
        )


def load_references(path: Path = REFERENCES_PATH) -> dict[str, Reference]:
    """The references by instance id (empty if the file does not exist)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {instance: Reference.from_json(instance, item) for instance, item in data.items()}


def write_references(references: dict[str, Reference], path: Path = REFERENCES_PATH) -> None:
    """Write the references, keyed and sorted by instance id."""
    data = {key: references[key].to_json() for key in sorted(references)}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


# --- comparing a run with its reference ---------------------------------------------------------


def _tolerance(row: Row, name: str) -> Fraction:
    """How far a value may lie from the reference and still be equal: 0, except the
    straightforward formulation's fairness, whose float model uses the exact quotas where fairshare
    rounds them to ``1/QUOTA_RESOLUTION`` (`solver.objectives.fairness_targets`): its exact value
    may then differ by up to one unit of that resolution per placement cell."""
    if row.solver == STRAIGHTFORWARD and name == "fairness_sum":
        return Fraction(row.municipalities * row.groups, QUOTA_RESOLUTION)
    return Fraction(0)


def compare(row: Row, reference: Reference | None) -> tuple[bool | None, str]:
    """Whether the run agrees with the reference, and a note saying why not (or why nothing could
    be compared). ``None``: nothing to compare (no reference, the LP relaxation, no answer)."""
    if reference is None:
        return None, "no reference"
    if row.solver == LP_RELAXATION:
        return None, "LP relaxation: stage objectives, not an allocation"
    if reference.status == INFEASIBLE:
        if row.status == INFEASIBLE:
            return True, ""
        if row.status in ("optimal", "feasible"):
            return False, f"answered {row.status}, but the instance is infeasible by design"
        return None, f"no verdict ({row.status})"
    if row.status == INFEASIBLE:
        if any(s.value is not None for s in reference.stages):
            return False, "answered infeasible, but an answer that passes the checker is known"
        return None, "infeasible; the reference has no answer either"
    values, proven = row.stage_values(), row.proven_stages()
    compared = 0
    for ref in reference.stages:
        value = values.get(ref.name)
        if value is None or ref.value is None:
            break
        tolerance = _tolerance(row, ref.name)
        mine = ref.name in proven
        if mine and ref.proven:
            compared += 1
            if abs(value - ref.value) > tolerance:
                return False, (
                    f"{ref.name}: {float(value):.10g}, reference {float(ref.value):.10g}"
                )
            continue
        if ref.proven and value < ref.value - tolerance:
            return False, f"{ref.name}: {float(value):.10g} below the proven optimum"
        if mine:
            compared += 1
            if value > ref.value + tolerance:
                return (
                    False,
                    f"{ref.name}: proven {float(value):.10g}, but a better answer is known",
                )
            if ref.bound is not None and value < ref.bound - tolerance:
                return False, f"{ref.name}: proven {float(value):.10g}, below the known bound"
        break
    if not compared:
        return None, "no stage proven on both sides"
    return True, ""


def design_reference(instance: str) -> Reference | None:
    """The reference known without measuring: ``infeasible`` for an ``-infeasible`` variant (not
    yet proven by a run; difficulty ``open``), ``None`` for every other instance."""
    if get_instance(instance).variant != INFEASIBLE:
        return None
    return Reference(instance, INFEASIBLE, "open", (), "", None, None, (), "infeasible by design")


# --- building the references from runs ----------------------------------------------------------


def _leading_proven(row: Row) -> int:
    count = 0
    for stage in row.stages:
        if stage["status"] != "optimal":
            break
        count += 1
    return count


def _stages_of(row: Row) -> tuple[ReferenceStage, ...]:
    return tuple(
        ReferenceStage(
            s["name"],
            parse_fraction(s.get("value")),
            parse_fraction(s.get("bound")),
            s["status"] == "optimal",
        )
        for s in row.stages
    )


def _difficulty(proofs: Sequence[Row]) -> str:
    """The tag after the fastest run that proved everything (``proofs``; ``open`` if none)."""
    times = [r.total_s for r in proofs if r.total_s is not None]
    if not times:
        return "open"
    fastest = min(times)
    if fastest <= EASY_SECONDS:
        return "easy"
    return "medium" if fastest <= MEDIUM_SECONDS else "hard"


def _infeasible_reference(instance: str, rows: list[Row], time_limit: float | None) -> Reference:
    proofs = [r for r in rows if r.status == INFEASIBLE and r.solver != LP_RELAXATION]
    proofs.sort(key=lambda r: (r.solver != DEFAULT_SOLVER, r.total_s or 0.0))
    wrong = [
        f"{r.solver} answered {r.status} ({r.check} checker violations)"
        for r in rows
        if r.status in ("optimal", "feasible")
    ]
    if not proofs:
        return Reference(
            instance, INFEASIBLE, "open", (), "", None, time_limit, (), "; ".join(wrong)
        )
    first = proofs[0]
    return Reference(
        instance,
        INFEASIBLE,
        _difficulty(proofs),
        (),
        first.solver,
        first.total_s,
        time_limit,
        tuple(r.solver for r in proofs[1:]),
        "infeasible by design; " + ("; ".join(wrong) if wrong else "every solver proved it"),
    )


def _measured_reference(instance: str, rows: list[Row], time_limit: float | None) -> Reference:
    candidates = [
        r
        for r in rows
        if r.solver not in (LP_RELAXATION, STRAIGHTFORWARD)
        and r.check == 0
        and r.status in ("optimal", "feasible")
    ]
    rejected = [
        f"{r.solver}'s answer has {r.check} checker violation(s), not used" for r in rows if r.check
    ]
    if not candidates:
        note = "; ".join(rejected)
        return Reference(instance, "unknown", "open", (), "", None, time_limit, (), note)
    candidates.sort(
        key=lambda r: (-_leading_proven(r), r.solver != DEFAULT_SOLVER, r.total_s or 0.0)
    )
    best = candidates[0]
    stages = _stages_of(best)
    provisional = Reference(instance, "feasible", "open", stages, best.solver, None, None)
    agree, notes = [], list(rejected)
    for other in [*candidates[1:], *(r for r in rows if r.solver == STRAIGHTFORWARD)]:
        same, note = compare(other, provisional)
        if same and other.solver != best.solver and other.solver not in agree:
            agree.append(other.solver)
        elif same is False:
            notes.append(f"{other.solver} disagrees: {note}")
    status = "optimal" if best.status == "optimal" else "feasible"
    return Reference(
        instance,
        status,
        _difficulty([r for r in candidates if r.status == "optimal"]),
        stages,
        best.solver,
        best.total_s,
        time_limit,
        tuple(agree),
        "; ".join(notes),
    )


def build_references(
    rows: Iterable[Row], previous: dict[str, Reference] | None = None
) -> dict[str, Reference]:
    """The references made from measured runs, merged into ``previous``.

    An instance's previous reference is replaced only by one that proves at least as much (its
    status proven, or at least as many stages proven in order), so that a shorter rerun never
    loses a proof.
    """
    merged = dict(previous or {})
    by_instance: dict[str, list[Row]] = {}
    for row in rows:
        by_instance.setdefault(row.instance, []).append(row)
    for instance, runs in by_instance.items():
        limits = [r.time_limit for r in runs if r.time_limit is not None]
        time_limit = max(limits) if limits else None
        if get_instance(instance).variant == INFEASIBLE:
            new = _infeasible_reference(instance, runs, time_limit)
        else:
            new = _measured_reference(instance, runs, time_limit)
        old = merged.get(instance)
        if old is not None and (old.proven and not new.proven):
            continue
        if old is not None and not new.proven and old.proven_count > new.proven_count:
            continue
        merged[instance] = new
    return merged
