"""The bundled real instances: the four pilot regions of "Een thuis voor iedereen" and the
Netherlands as a whole. ``build.py`` regenerates them from the CBS tables (see each README)."""

from __future__ import annotations

from pathlib import Path

INSTANCES_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE = "haaglanden"
BUNDLED = ("haaglanden", "mra", "parkstad-limburg", "groningen", "nl")


def bundled_instance(name: str = DEFAULT_INSTANCE) -> Path:
    """The directory of a bundled instance.

    Raises:
        KeyError: for a name that is not bundled.
    """
    if name not in BUNDLED:
        raise KeyError(f"no bundled instance {name!r}; bundled: {', '.join(BUNDLED)}")
    return INSTANCES_DIR / name
