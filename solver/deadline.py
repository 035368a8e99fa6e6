"""A hard wall-clock limit around a solve.

Solvers overrun their own time limits (HiGHS was seen running six times past it, CBC half again as
long), so the whole solve runs in a child process of its own process group; when the deadline
passes, the group is killed, CBC's process included. Where ``fork`` is not available the function
runs in this process with only the solvers' own limits.

The child writes its temporary files (PuLP's model and solution files for CBC) into a scratch
folder of its own, which this process removes afterwards: a killed solve leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlineExceededError(Exception):
    """The function did not return within its hard limit and was killed."""


class ChildDiedError(Exception):
    """The child process ended before the deadline without an answer (a solver crashed or the
    system killed it): a failure, not a limit."""


def _child(
    connection: Connection, function: Callable[..., Any], args: tuple[Any, ...], scratch: str
) -> None:
    os.setpgid(0, 0)
    # PuLP reads TMP after TMPDIR; Python's tempfile reads its cached folder first.
    os.environ["TMPDIR"] = os.environ["TMP"] = os.environ["TEMP"] = scratch
    tempfile.tempdir = scratch
    try:
        payload: tuple[str, Any] = ("ok", function(*args))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which re-raises it
        payload = ("error", error)
    try:
        connection.send(payload)
    except Exception as error:  # noqa: BLE001 - an unpicklable error: send its text
        connection.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    connection.close()


def run_with_deadline(function: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
    """``function(*args)`` in a child process, killed with its children after ``seconds``; the
    child's temporary files are removed either way.

    Exceptions raised by the function are raised again here.

    Raises:
        DeadlineExceededError: if the deadline passed.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return function(*args)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    scratch = tempfile.mkdtemp(prefix="fairshare-solve-")
    process = context.Process(target=_child, args=(sender, function, args, scratch), daemon=True)
    process.start()
    # Also here, so that the group exists even if the kill comes before the child runs.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.setpgid(process.pid, process.pid)  # type: ignore[arg-type]
    sender.close()
    died = False
    try:
        if not receiver.poll(seconds):
            raise DeadlineExceededError(f"no answer within the hard limit of {seconds:.1f} s")
        kind, payload = receiver.recv()
    except EOFError:
        died = True
    finally:
        _kill_group(process.pid)
        process.join()
        receiver.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if died:
        raise ChildDiedError(
            f"the solver process ended without an answer ({_ending(process.exitcode)})"
        )
    if kind == "error":
        raise payload
    return payload  # type: ignore[no-any-return]


def _ending(exit_code: int | None) -> str:
    """How a process ended: its exit code, or the signal that killed it."""
    if exit_code is None:
        return "still running"
    if exit_code < 0:
        try:
            return f"killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"killed by signal {-exit_code}"
    return f"exit code {exit_code}"


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
