"""Where livelens keeps what is not in the database: the workspace keys.

``LIVELENS_HOME`` (default ``~/.livelens``) holds one key file per workspace under ``keys/``.
The CLI and the API read settings here; the pure core never does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from livelens.errors import ConfigurationError

_WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    workspace: str = "default"
    keep_nicknames: bool = False

    def __post_init__(self) -> None:
        if not _WORKSPACE.match(self.workspace):
            msg = (
                f"workspace name {self.workspace!r} is invalid: use 1-64 letters, digits, "
                "'_', '.' or '-', starting with a letter or digit"
            )
            raise ConfigurationError(msg)

    @property
    def key_path(self) -> Path:
        return self.home / "keys" / f"{self.workspace}.key"


def data_dir() -> Path:
    """The shared real-data folder: ``LIVELENS_DATA``, else ``shared/data`` beside the checkout."""
    configured = os.environ.get("LIVELENS_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def load_settings(workspace: str = "default", *, keep_nicknames: bool = False) -> Settings:
    """Settings from the environment (``LIVELENS_HOME``)."""
    home = Path(os.environ.get("LIVELENS_HOME") or Path.home() / ".livelens")
    return Settings(home=home, workspace=workspace, keep_nicknames=keep_nicknames)
