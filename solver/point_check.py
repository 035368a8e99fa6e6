"""Whole points checked against every bound and row of a model at once, in exact integers.

A level search checks an allocation of the national instance (11,291 variables, 4,453 rows with
19,839 coefficients) for every probe; row by row in Python a check takes 10 ms. `RowMatrix`
holds the rows as a sparse integer matrix (built once in 20 ms) and checks a point with a few
array operations in 64-bit integers in 2 ms (benchmarks/RESULTS.md, run 17). It
decides only where that is exact: where no partial sum of any row can exceed `EXACT_UP_TO` in
magnitude, from the largest row weight ``sum |c|`` and the largest value of the point. Elsewhere
it gives no verdict and the caller checks row by row in Python integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from solver.model import LinearModel, Split

#: The largest magnitude a row's partial sum may reach for the check in 64-bit integers to be
#: exact (2**63 - 1 is the largest 64-bit integer; a margin of a factor two).
EXACT_UP_TO = 2**62


class RowMatrix:
    """The bounds and rows of a model as integer arrays (`holds`); ``size`` is the number of
    variables and rows they were read from (a model only grows: the caller reads it again when
    its size changes)."""

    def __init__(self, model: LinearModel) -> None:
        rows = model.constraints
        variables = model.variables
        self.size = (len(variables), len(rows))
        lengths = np.fromiter((len(row.terms) for row in rows), dtype=np.int64, count=len(rows))
        starts = np.concatenate([[0], np.cumsum(lengths)])
        self._nonempty_starts = starts[:-1][lengths > 0]
        self._nonempty = lengths > 0
        self._weight = 0
        #: False where the rows or bounds themselves do not fit 64-bit integers exactly.
        self.exact = False
        # The rows' (variable, coefficient) pairs flattened into one list and made into an
        # array at once, and the bounds read as arrays: nationally 3 ms, where reading every
        # term and bound in Python took 7 (benchmarks/RESULTS.md, run 28).
        flat = [number for row in rows for term in row.terms for number in term]
        try:
            pairs = np.array(flat, dtype=np.int64).reshape(-1, 2)
            rhs = np.fromiter((row.rhs for row in rows), dtype=np.int64, count=len(rows))
            lower = np.fromiter((v.lower for v in variables), dtype=np.int64, count=len(variables))
            upper = np.fromiter(
                (EXACT_UP_TO if v.upper is None else v.upper for v in variables),
                dtype=np.int64,
                count=len(variables),
            )
        except OverflowError:
            return
        if not all(_within(array) for array in (pairs[:, 1], rhs, lower, upper)):
            return
        # A row's sum of magnitudes fits 64-bit integers where the largest magnitude times
        # the longest row does; otherwise the sums are taken in Python integers.
        magnitudes = np.abs(pairs[:, 1])
        if len(magnitudes) and int(magnitudes.max()) * int(lengths.max()) > EXACT_UP_TO:
            self._weight = max(sum(abs(c) for _, c in row.terms) for row in rows)
        elif len(magnitudes):
            self._weight = int(np.add.reduceat(magnitudes, self._nonempty_starts).max())
        if self._weight > EXACT_UP_TO:
            return
        self.exact = True
        self._columns, self._coefficients = pairs[:, 0], pairs[:, 1]
        self._rhs, self._lower, self._upper = rhs, lower, upper
        senses = [row.sense for row in rows]
        self._at_most = np.array([s in ("<=", "==") for s in senses], dtype=bool)
        self._at_least = np.array([s in (">=", "==") for s in senses], dtype=bool)

    def holds(self, values: Mapping[int, int]) -> bool | None:
        """True if ``values`` gives every variable a value within its bounds and meets every row,
        False if not; ``None`` where 64-bit integers cannot decide it exactly."""
        if not self.exact:
            return None
        count = self.size[0]
        try:
            point = np.fromiter((values[i] for i in range(count)), dtype=np.int64, count=count)
        except KeyError:
            return False
        except OverflowError:
            return None
        largest = max(int(point.max()), -int(point.min())) if count else 0
        if largest * max(self._weight, 1) > EXACT_UP_TO:
            return None
        if np.any(point < self._lower) or np.any(point > self._upper):
            return False
        sums = np.zeros(self.size[1], dtype=np.int64)
        if len(self._columns):
            products = self._coefficients * point[self._columns]
            sums[self._nonempty] = np.add.reduceat(products, self._nonempty_starts)
        rhs = self._rhs
        return not (
            np.any(sums[self._at_most] > rhs[self._at_most])
            or np.any(sums[self._at_least] < rhs[self._at_least])
        )


def _within(array: np.ndarray) -> bool:
    """Whether every value of ``array`` lies within ``-EXACT_UP_TO..EXACT_UP_TO``."""
    return not len(array) or (int(array.min()) >= -EXACT_UP_TO and int(array.max()) <= EXACT_UP_TO)


class SplitTable:
    """The splits of a model (`solver.model.Split`) as integer arrays: the cheapest values of
    every split's variables for a point, at once (`split_values`).

    A split's expression is over decisions, never over another split's variables (`chained`
    says otherwise, and the caller then reads the splits one by one, as it must where a split's
    values feed the next). ``size`` is the number of splits read (a model only grows)."""

    def __init__(self, splits: Sequence[Split]) -> None:
        self.size = len(splits)
        lengths = np.fromiter((len(s.expression) for s in splits), dtype=np.int64, count=self.size)
        self._starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
        self._empty = lengths == 0
        count = int(lengths.sum())
        self._columns = np.fromiter(
            (i for s in splits for i, _ in s.expression), dtype=np.int64, count=count
        )
        self._weight = max((sum(abs(c) for _, c in s.expression) for s in splits), default=0)
        #: The largest end of a split's step, which the values are counted from.
        self._end = max((max(abs(s.low), abs(s.high)) for s in splits), default=0)
        #: ``under, step, over`` of each split in turn.
        self._variables = [i for s in splits for i in (s.under, s.step, s.over)]
        defined = set(self._variables)
        self.chained = any(i in defined for s in splits for i, _ in s.expression)
        #: False where the splits themselves do not fit 64-bit integers exactly.
        self.exact = max(self._weight, self._end) <= EXACT_UP_TO // 2
        if self.chained or not self.exact:
            return
        self._coefficients = np.fromiter(
            (c for s in splits for _, c in s.expression), dtype=np.int64, count=count
        )
        self._low = np.fromiter((s.low for s in splits), dtype=np.int64, count=self.size)
        self._high = np.fromiter((s.high for s in splits), dtype=np.int64, count=self.size)

    def split_values(self, values: Mapping[int, int], variables: int) -> dict[int, int] | None:
        """``under``, ``step`` and ``over`` of every split whose expression has a value at
        ``values`` (`Split.values`), in the order of the splits; ``None`` where 64-bit integers
        cannot decide exactly (or the splits are `chained`)."""
        if self.chained or not self.exact:
            return None
        try:
            indices = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
            given = np.fromiter(values.values(), dtype=np.int64, count=len(values))
        except OverflowError:
            return None
        inside = (indices >= 0) & (indices < variables)
        indices, given = indices[inside], given[inside]
        present = np.zeros(variables, dtype=bool)
        point = np.zeros(variables, dtype=np.int64)
        point[indices] = given
        present[indices] = True
        largest = max(int(point.max()), -int(point.min())) if variables else 0
        if largest * max(self._weight, 1) > EXACT_UP_TO // 2:
            return None
        x = np.zeros(self.size, dtype=np.int64)
        whole = np.ones(self.size, dtype=bool)
        if len(self._columns):
            nonempty = ~self._empty
            starts = self._starts[nonempty]
            products = self._coefficients * point[self._columns]
            x[nonempty] = np.add.reduceat(products, starts)
            whole[nonempty] = np.logical_and.reduceat(present[self._columns], starts)
        low, high = self._low, self._high
        parts = np.stack(
            [
                np.maximum(0, low - x),
                np.minimum(np.maximum(0, x - low), high - low),
                np.maximum(0, x - high),
            ],
            axis=1,
        )
        if whole.all():
            return dict(zip(self._variables, parts.ravel().tolist(), strict=True))
        taken = np.repeat(whole, 3)
        chosen = np.array(self._variables, dtype=np.int64)[taken].tolist()
        return dict(zip(chosen, parts.ravel()[taken].tolist(), strict=True))
