"""Solver backends. Only this package imports a solver package (ruff's banned-api rule)."""

from __future__ import annotations

from solver.backends.base import Backend


def backend_class(name: str) -> type[Backend]:
    """The backend class of this name: ``ortools`` (MathOpt) or ``cbc`` (PuLP).

    Raises:
        KeyError: for an unknown name.
    """
    if name == "ortools":
        from solver.backends.ortools_mathopt import MathOptBackend

        return MathOptBackend
    if name == "cbc":
        from solver.backends.pulp_cbc import PulpCbcBackend

        return PulpCbcBackend
    raise KeyError(name)


BACKENDS = ("ortools", "cbc")
