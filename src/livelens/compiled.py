"""The compiled helpers, ``livelens._columnar`` (src/livelens/_columnar.c), where the install
could build them (hatch_build.py compiles them when a C compiler is present).

Each user keeps a pure-Python path that gives the same result, so a machine without a compiler
runs livelens unchanged, only slower: JSON Lines decoded straight into columns
(:mod:`livelens.events.json_columns`; msgspec decodes every line instead), the events' columns
(:mod:`livelens.events.columns`) and the pseudonyms (:mod:`livelens.events.pseudonymise`).
"""

from __future__ import annotations

import importlib
from types import ModuleType


def load() -> ModuleType | None:
    """``livelens._columnar``, or None where it was not compiled."""
    try:
        return importlib.import_module("livelens._columnar")
    except ImportError:  # pragma: no cover - the project's install compiles it
        return None
