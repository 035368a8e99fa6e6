"""Batch runs of many rules and scenarios: plan, execution, store, comparison.

`batch.plan` reads PLAN.toml, `batch.scenario` applies its variations, `batch.runs` lists the runs
and their ids, `batch.worker` executes one run, `batch.execute` runs them all (local processes or a
Dask cluster) and `batch.store` writes the results; `load_store` reads them back.

`load_store` is imported on first use, so that worker processes, which import `batch.worker`,
do not load pandas and pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batch.store import load_store

__all__ = ["load_store"]


def __getattr__(name: str) -> Any:
    if name == "load_store":
        from batch.store import load_store

        return load_store
    raise AttributeError(f"module 'batch' has no attribute {name!r}")
