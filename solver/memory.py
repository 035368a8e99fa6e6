"""Handing the memory a solver freed back to the operating system, reading what the process
holds, and Python's cyclic garbage collector paused while a solve runs."""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: A solve shorter than this is not followed by a trim: short solves free little, and a trim of a
#: fragmented heap of 300 MB took 12-15 ms, which hundreds of feasibility probes would add up.
TRIM_AFTER_SECONDS = 1.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` among the symbols the process has loaded, or ``None`` where the
    C library has none (macOS, musl)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _malloc_trim()


def release_freed_memory() -> bool:
    """Return the pages that glibc's allocator holds free to the system (``malloc_trim(0)``);
    ``False`` where that is not available.

    A solver frees its working memory when it returns, but glibc keeps the pages for later
    allocations, so without this a process holds the peak of every solve so far: at 5,000
    municipalities it held 294 MiB before the first of the needs stage's MIPs and 398 MiB after
    it, and 1,114 MiB after HiGHS's first answer on the programme stage, into SCIP's proof that
    followed (benchmarks/RESULTS.md, run 12)."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def resident_mib() -> int | None:
    """The process's resident memory in MiB (``VmRSS`` of ``/proc/self/status``); ``None``
    where the system has no such file (macOS, Windows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def peak_resident_mib() -> int | None:
    """The most resident memory the process has held so far, in MiB (``ru_maxrss``: KiB on
    Linux, bytes on macOS); ``None`` where the system does not say (Windows)."""
    try:
        import resource  # Unix only
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 2**20 if sys.platform == "darwin" else peak // 1024


class _CollectorPause:
    """How many solves have the cyclic garbage collector paused, and whether it ran before the
    first of them (solves may run in threads of one process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False


_PAUSE = _CollectorPause()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs, and on again after it (if it
    was on before the first of the blocks that overlap in threads).

    A solve builds hundreds of thousands of objects (variables, rows, points) that the
    collector would traverse again and again without finding garbage. In turns with it running,
    a national solve took 0.72 s instead of 0.75 s (median of 12; the collector's 0.05 s) and
    1.35 s instead of 1.44 s under leximin (0.12 s); at 5,000 municipalities the build and the
    needs and fairness stages took 6.9 s instead of 8.0 s (1.25 s). After a solve without it
    (national, of 1,000 municipalities, 20 s of one of 5,000), one collection found 10 objects
    of cyclic garbage (benchmarks/RESULTS.md, run 19). Objects without cycles are freed as soon
    as they are dropped, collector or not."""
    with _PAUSE.lock:
        if _PAUSE.holders == 0:
            _PAUSE.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSE.holders += 1
    try:
        yield
    finally:
        with _PAUSE.lock:
            _PAUSE.holders -= 1
            if _PAUSE.holders == 0 and _PAUSE.was_enabled:
                gc.enable()
