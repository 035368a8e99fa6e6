"""Work on a thread of its own beside the caller's (`Beside`): OR-Tools' engines release
Python's lock while they solve, so a second thread that mostly solves runs on the second core."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


class Beside(Generic[Answer]):
    """``work`` on a daemon thread named ``name`` from now on; `result` waits for it and returns
    its answer, or raises its error on the caller's thread."""

    def __init__(self, work: Callable[[], Answer], name: str) -> None:
        self._work = work
        self._answer: Answer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._answer = self._work()
        except BaseException as error:  # noqa: BLE001 - raised again on the caller's thread
            self._error = error

    @property
    def running(self) -> bool:
        """Whether the work has not ended yet."""
        return self._thread.is_alive()

    def result(self) -> Answer | None:
        """The work's answer once it has ended (``None`` before any, as from a failed start)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._answer
