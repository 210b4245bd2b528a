"""Shared fixtures: a fresh store per test, an isolated workspace home, the shared real data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from livelens.events.pseudonymise import Pseudonymiser
from livelens.settings import data_dir
from livelens.store.duckdb import DuckDBStore


@pytest.fixture(autouse=True)
def livelens_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own LIVELENS_HOME, so keys never leak between tests."""
    home = tmp_path / "livelens-home"
    monkeypatch.setenv("LIVELENS_HOME", str(home))
    return home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A fresh DuckDB store file."""
    with DuckDBStore(tmp_path / "store.duckdb") as opened:
        yield opened


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(b"test-key-0123456789abcdef-0123456")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (present on every machine, CI included)."""
    path = data_dir()
    if not path.is_dir():
        pytest.fail(f"shared data folder {path} is missing; tests need ../shared/data")
    return path
