"""An allocation: what the model decides, and nothing derived from it.

Per municipality: new homes by the horizon, of which social rent and middle segment; per
municipality and target group: placements (households). Everything reported (shares, shortfalls,
deviations) is computed from these numbers and the region, never taken from a solver.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Allocation:
    """Integer decisions keyed by municipality code and (code, group id)."""

    new_homes: dict[str, int]
    new_social: dict[str, int]
    new_middle: dict[str, int]
    placed: dict[tuple[str, str], int] = field(default_factory=dict)

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
