"""Running a plan: local worker processes or a Dask cluster, the store written as runs complete.

The coordinating process (this module) lists the runs, skips those whose run file exists, and keeps
at most two runs per worker slot in flight. Workers receive a `batch.runs.RunTask` and return rows
(`batch.worker.execute_run`); the coordinator writes each run's files as it completes
(`batch.store.write_outcome`) and ``runs.csv`` every few seconds, at the end and when interrupted.

Locally the workers are a `concurrent.futures.ProcessPoolExecutor` started with ``forkserver``
(fresh processes that import fairshare once, never a fork of the coordinator's threads). With a
scheduler address they are the workers of an existing Dask cluster, which must have fairshare
installed; the results are the same (`batch.worker` on the hard limit).

Ctrl-C (or SIGTERM) stops the batch: nothing more is submitted, the runs in progress are abandoned
(local workers are terminated, Dask tasks cancelled), and what is written stays. A run lost to a
worker that died (not a run that failed: those are results) is not stored, so running the same
command again retries it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from tqdm import tqdm

from batch.runs import RunTask, plan_tasks
from batch.spec import Plan
from batch.store import (
    PLAN_COPY,
    completed_ids,
    prepare,
    read_run_rows,
    write_outcome,
    write_runs_csv,
)
from batch.worker import SOLVED, Row, RunOutcome, execute_run
from models.errors import InputError, InternalError, Problem
from models.fileio import atomic_write_text
from solver.backends import BACKENDS, backend_class

#: Runs in flight per worker slot: enough to keep every worker busy while results come back.
IN_FLIGHT_PER_SLOT = 2
#: Seconds between two rewrites of runs.csv while the batch runs.
RUNS_CSV_INTERVAL = 5.0
#: Times the local pool is restarted after its workers died before the batch gives up.
MAX_RESTARTS = 3
#: Seconds to wait for the Dask scheduler.
CONNECT_TIMEOUT = "10s"


class LostRunError(Exception):
    """A run's worker died or its task was lost; the run is not stored and will be retried."""


@dataclass
class BatchReport:
    """What a batch did. ``failed`` counts runs of the plan without an allocation, ``lost`` the
    runs of this invocation whose worker died (not stored)."""

    directory: Path
    planned: int
    done_before: int
    completed: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


class _Pool(Protocol):
    slots: int

    def submit(self, task: RunTask) -> Any: ...

    def wait(self, handles: set[Any]) -> set[Any]: ...

    def outcome(self, handle: Any) -> RunOutcome: ...

    def close(self, *, abandon: bool) -> None: ...


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _worker_init() -> None:
    """Local workers leave Ctrl-C to the coordinator; SIGTERM unwinds the run, so that a solve's
    hard-limit child is killed with it (`solver.deadline`). The solver packages are imported here
    once (the fork server usually has already): with the hard limit on, the child each solve forks
    inherits them instead of importing them again, which took 0.2 to 0.8 s a run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    for name in BACKENDS:
        backend_class(name)


#: Modules the fork server imports once for every local worker (`_context`).
PRELOAD = ["batch.worker", "solver.backends.ortools_mathopt", "solver.backends.pulp_cbc"]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


class LocalPool:
    """Worker processes on this machine."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self.restarts = 0
        self.executor = self._start()

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            self.slots, mp_context=_context(), initializer=_worker_init
        )

    def submit(self, task: RunTask) -> Any:
        try:
            return self.executor.submit(execute_run, task)
        except BrokenProcessPool as error:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                raise InternalError(
                    f"the worker processes died {self.restarts} times ({error}); the last "
                    "runs submitted are not stored and will run again with the same command"
                ) from None
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._start()
            return self.executor.submit(execute_run, task)

    def wait(self, handles: set[Any]) -> set[Any]:
        done, _ = concurrent.futures.wait(
            handles, timeout=1.0, return_when=concurrent.futures.FIRST_COMPLETED
        )
        return set(done)

    def outcome(self, handle: Any) -> RunOutcome:
        try:
            outcome: RunOutcome = handle.result()
        except BrokenProcessPool as error:
            raise LostRunError(f"a worker process died: {error}") from None
        return outcome

    def close(self, *, abandon: bool) -> None:
        if not abandon:
            self.executor.shutdown(wait=True)
            return
        # No public way to stop busy workers before Python 3.14 (terminate_workers).
        workers = list(dict(getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(5)
            if process.is_alive():
                process.kill()


class DaskPool:
    """The workers of an existing Dask distributed cluster."""

    client: Any

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            client = Client(  # type: ignore[no-untyped-call]
                address, timeout=CONNECT_TIMEOUT, set_as_default=False
            )
        except (OSError, TimeoutError) as error:
            raise InputError(
                [
                    Problem(
                        file="--scheduler",
                        value=address,
                        message=f"cannot reach the Dask scheduler: {error}",
                        fix="start one (dask scheduler; dask worker ADDRESS) or correct the "
                        "address, e.g. tcp://127.0.0.1:8786",
                    )
                ]
            ) from None
        self.client = client
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.live: set[Any] = set()
        # Futures report their completion here (from the client's thread).
        self.finished: queue.Queue[Any] = queue.Queue()

    def submit(self, task: RunTask) -> Any:
        handle = self.client.submit(
            execute_run, task, key=f"fairshare-run-{task.run_id}", pure=False
        )
        self.live.add(handle)
        handle.add_done_callback(self.finished.put)
        return handle

    def wait(self, handles: set[Any]) -> set[Any]:
        done = set()
        with contextlib.suppress(queue.Empty):
            done.add(self.finished.get(timeout=1.0))
            while True:
                done.add(self.finished.get_nowait())
        return {h for h in done if h in handles}

    def outcome(self, handle: Any) -> RunOutcome:
        self.live.discard(handle)
        try:
            outcome: RunOutcome = handle.result()
        except Exception as error:  # noqa: BLE001 - runs never raise; this is the cluster's error
            raise LostRunError(
                f"the cluster lost the run: {type(error).__name__}: {error}"
            ) from None
        return outcome

    def close(self, *, abandon: bool) -> None:
        if abandon and self.live:
            self.client.cancel(list(self.live))
        self.client.close()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the batch as Ctrl-C does (in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _pool(workers: int | None, scheduler: str | None) -> _Pool:
    if scheduler is not None:
        return DaskPool(scheduler)
    return LocalPool(workers or os.cpu_count() or 1)


def run_batch(
    plan: Plan,
    directory: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = lambda text: None,
) -> BatchReport:
    """Run every run of the plan not yet in ``directory``'s store, in parallel.

    ``workers`` local processes (default: the number of cores), or the workers of the Dask
    cluster at ``scheduler``. The progress bar (on stderr) shows counts, failures and an ETA.
    Local workers import the main module again, as with ``spawn``: call this from a script under
    ``if __name__ == "__main__":`` only.

    Raises:
        InputError: if the scheduler cannot be reached.
        InternalError: if the local worker processes keep dying.
    """
    started = time.perf_counter()
    tasks = plan_tasks(plan)
    before = completed_ids(directory)
    rows: dict[str, Row] = read_run_rows(directory, [t.run_id for t in tasks if t.run_id in before])
    todo = [t for t in tasks if t.run_id not in before]
    report = BatchReport(directory, len(tasks), len(rows))
    log(f"{len(tasks)} runs in the plan: {len(rows)} done before, {len(todo)} to run")
    order = [t.run_id for t in tasks]

    def write_csv() -> None:
        write_runs_csv(directory, [rows[r] for r in order if r in rows])

    pool: _Pool | None = None
    finished = False
    bar: Any = None
    try:
        with _sigterm_interrupts():
            # Workers first: a scheduler that cannot be reached leaves no directory behind.
            pool = _pool(workers, scheduler) if todo else None
            prepare(directory)
            atomic_write_text(directory / PLAN_COPY, plan.text)
            bar = tqdm(
                total=len(todo), file=sys.stderr, disable=not progress, unit="run", smoothing=0.1
            )
            if pool is not None:
                _loop(pool, todo, rows, report, bar, write_csv)
            finished = True
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if pool is not None:
            pool.close(abandon=not finished)
        if bar is not None:
            bar.close()
        if directory.is_dir():
            write_csv()
        report.failed = sum(1 for r in rows.values() if r["status"] not in SOLVED)
        report.seconds = time.perf_counter() - started
    return report


def _loop(
    pool: _Pool,
    todo: list[RunTask],
    rows: dict[str, Row],
    report: BatchReport,
    bar: Any,
    write_csv: Callable[[], None],
) -> None:
    """Submit within the window, store each outcome as it arrives."""
    pending = iter(todo)
    in_flight: dict[Any, RunTask] = {}
    window = IN_FLIGHT_PER_SLOT * pool.slots
    failed = 0
    last_csv = time.monotonic()
    while True:
        while len(in_flight) < window and (task := next(pending, None)) is not None:
            in_flight[pool.submit(task)] = task
        if not in_flight:
            return
        for handle in pool.wait(set(in_flight)):
            task = in_flight.pop(handle)
            try:
                outcome = pool.outcome(handle)
            except LostRunError as error:
                report.lost.append(task.run_id)
                bar.write(
                    f"lost run {task.run_id} ({task.instance}/{task.policy.name}/"
                    f"{task.scenario.name}): {error}",
                    file=sys.stderr,
                )
            else:
                write_outcome(report.directory, outcome)
                rows[task.run_id] = outcome.run
                report.completed += 1
                failed += outcome.failed
            bar.update(1)
            bar.set_postfix_str(
                f"failed {failed}" + (f", lost {len(report.lost)}" if report.lost else ""),
                refresh=False,
            )
        if time.monotonic() - last_csv > RUNS_CSV_INTERVAL:
            write_csv()
            last_csv = time.monotonic()
