"""The error taxonomy of fairshare and the `Problem` record that input validation reports.

Every error a user can cause is a `FairshareError` subclass with its own exit code, so the CLI can
map it one to one without a traceback:

==========================  =====  ==================================================
error                        exit   meaning
==========================  =====  ==================================================
`InternalError`              1      a bug or a solver failure: report it
`InputError`                 2      the instance (or an option) is wrong: the fix is in the message
`InfeasibleError`            3      the rules cannot all hold at once
`NoSolutionError`            4      no solution within the time limit
`CheckFailedError`           5      an allocation violates the rules (``fairshare check``)
==========================  =====  ==================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in an input, located as precisely as the input allows.

    ``row`` is the row number a spreadsheet program shows: the header is row 1, the first data row
    is row 2. For ``region.toml`` it is the line number of the key.
    """

    file: str
    message: str
    fix: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        """Where the problem is, e.g. ``municipalities.csv, row 7, column 'population'``."""
        in_toml = self.file.endswith(".toml")
        parts = [self.file if self.sheet is None else f"{self.file} [sheet {self.sheet}]"]
        if self.row is not None:
            parts.append(f"{'line' if in_toml else 'row'} {self.row}")
        if self.column is not None:
            parts.append(f"{'key' if in_toml else 'column'} '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{self.location()}: {self.message}{value}. Fix: {self.fix}"

    def sort_key(self) -> tuple[str, str, int, str, str]:
        """Order of the report: by file, sheet, row, column."""
        return (self.file, self.sheet or "", self.row or 0, self.column or "", self.message)


class FairshareError(Exception):
    """Base of every error fairshare raises on purpose."""

    exit_code = 1


class InternalError(FairshareError):
    """A bug in fairshare or a solver failure; the message says what was being done."""

    exit_code = 1


class InputError(FairshareError):
    """The input is invalid. Carries every problem found, not only the first."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the input"
        super().__init__("\n".join([head, *(f"  - {p}" for p in errors)]))

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Problem, ...]]]:
        """Pickle with the problems (a solve in a child process sends its errors back)."""
        return (InputError, (self.problems,))


class InfeasibleError(FairshareError):
    """The policy rules cannot all be satisfied for this instance."""

    exit_code = 3


class NoSolutionError(FairshareError):
    """The solver found no solution within the limits it was given."""

    exit_code = 4


class CheckFailedError(FairshareError):
    """An allocation violates at least one policy rule."""

    exit_code = 5


def raise_if_errors(problems: Iterable[Problem]) -> None:
    """Raise `InputError` with all problems if any of them is an error (warnings alone pass).

    Raises:
        InputError: when at least one problem has severity ``"error"``.
    """
    collected = list(problems)
    if any(p.severity == "error" for p in collected):
        raise InputError(collected)
