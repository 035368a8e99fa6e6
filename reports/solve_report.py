"""One solve from region to output files: solve, check, tables, summary.

Every solution is checked by the independent checker; a violation on an answer the solver called
feasible is an internal error, not a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.errors import InternalError
from models.region import Region
from reports.outputs import output_files, summary_files
from reports.summary import summary_data, timings_data
from reports.tables import (
    MUNICIPALITY_COLUMNS,
    PLACEMENT_COLUMNS,
    TRANSFER_COLUMNS,
    municipality_rows,
    placement_rows,
    transfer_rows,
)
from solver.allocation import Stability
from solver.backends.base import SolverOptions
from solver.check import Violation, check_allocation
from solver.quotas import compute_quotas
from solver.result import Result
from solver.solve import Progress, solve


@dataclass(frozen=True)
class SolveReport:
    """A checked result with its tables."""

    result: Result
    violations: tuple[Violation, ...]
    municipality_rows: list[dict[str, str]]
    placement_rows: list[dict[str, str]]
    summary: dict[str, Any]
    transfer_rows: list[dict[str, str]] | None = None

    def files(self, output_format: str) -> dict[str, bytes]:
        """The output files in a format (see `reports.outputs`); only the summary and timings
        when there is no allocation."""
        if self.result.allocation is None:
            return summary_files(self.summary, timings_data(self.result))
        municipalities = (
            list(MUNICIPALITY_COLUMNS),
            [[row[c] for c in MUNICIPALITY_COLUMNS] for row in self.municipality_rows],
        )
        placements = (
            list(PLACEMENT_COLUMNS),
            [[row[c] for c in PLACEMENT_COLUMNS] for row in self.placement_rows],
        )
        extra = {}
        if self.transfer_rows is not None:
            extra["transfers"] = (
                list(TRANSFER_COLUMNS),
                [[row[c] for c in TRANSFER_COLUMNS] for row in self.transfer_rows],
            )
        return output_files(
            output_format,
            municipalities,
            placements,
            self.summary,
            timings_data(self.result),
            extra,
        )


def solve_and_check(
    region: Region,
    backend: str,
    options: SolverOptions,
    *,
    hard_limit: bool = True,
    stability: Stability | None = None,
    progress: Progress | None = None,
) -> SolveReport:
    """Solve, check the answer independently, and build the output tables (``progress``: as
    `solver.solve.solve`).

    Raises:
        InternalError: if the checker finds a violation in an answer the solver called feasible.
    """
    result = solve(
        region,
        backend,
        options,
        hard_limit=hard_limit,
        stability=stability,
        progress=progress,
    )
    violations: list[Violation] = []
    municipalities: list[dict[str, str]] = []
    placements: list[dict[str, str]] = []
    if result.allocation is not None:
        violations = check_allocation(region, result.allocation)
        if violations:
            listed = "\n".join(f"  - {v}" for v in violations[:20])
            raise InternalError(
                f"the {result.backend} backend returned an allocation that breaks the rules:\n"
                f"{listed}"
            )
        quotas = compute_quotas(region)
        municipalities = municipality_rows(region, result.allocation, quotas, stability)
        placements = placement_rows(region, result.allocation, quotas)
    summary = summary_data(region, result, violations)
    transfers = None
    if region.policy.exchanges is not None and result.allocation is not None:
        transfers = transfer_rows(region, result.allocation)
    return SolveReport(result, tuple(violations), municipalities, placements, summary, transfers)
