"""The resident memory of this process now, for the side runs that sample it around solves
(`benchmarks/results/run12/highs_pool.py`, `benchmarks/results/run13/`)."""

from __future__ import annotations

import os


def resident_mib() -> int:
    """``VmRSS`` of this process in MiB, from ``/proc``; 0 where there is no ``/proc``."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return 0
    return 0
