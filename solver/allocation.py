"""An allocation: what the model decides, and nothing derived from it.

Per municipality: new homes by the horizon, of which social rent and middle segment; per
municipality and target group: placements (households); with exchanges, the households of a
group's task that one municipality transfers to another (giver, taker, group). Everything
reported (shares, shortfalls, deviations) is computed from these numbers and the region, never
taken from a solver.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property


@dataclass(frozen=True)
class Allocation:
    """Integer decisions keyed by municipality code and (code, group id)."""

    new_homes: dict[str, int]
    new_social: dict[str, int]
    new_middle: dict[str, int]
    placed: dict[tuple[str, str], int] = field(default_factory=dict)
    transfers: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @cached_property
    def _by_code(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (code, _), n in self.placed.items():
            totals[code] += n
        return totals

    @cached_property
    def _by_group(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (_, group), n in self.placed.items():
            totals[group] += n
        return totals

    def placed_in(self, code: str) -> int:
        """All placements in one municipality."""
        return self._by_code[code]

    def placed_of(self, group: str) -> int:
        """All placements of one group."""
        return self._by_group[group]


@dataclass(frozen=True)
class Stability:
    """Stay close to an earlier allocation: each household placed differently from ``previous``
    (per municipality and group) costs ``weight`` households of deviation from the quota in the
    fairness stage."""

    previous: Allocation
    weight: Fraction = Fraction(1)

    def churn(self, allocation: Allocation, code: str) -> int:
        """``sum_g |p_mg - previous_mg|``: households placed differently in a municipality."""
        cells = {cell for cell in (*allocation.placed, *self.previous.placed) if cell[0] == code}
        return sum(
            abs(allocation.placed.get(cell, 0) - self.previous.placed.get(cell, 0))
            for cell in cells
        )
