"""The live runner: a crash and restart from the last checkpoint equals an uninterrupted run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from livelens.engine.live import LiveEngine
from livelens.events.pseudonymise import Pseudonymiser
from livelens.information.compute import metrics_of
from livelens.runner import BatchUpdate, LiveRunner
from livelens.sources.jsonl import FilePosition, JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl, random_session_records

NOW = datetime(2026, 11, 28, tzinfo=UTC)


class Crash(RuntimeError):
    pass


def _runner(store: DuckDBStore, pseudonymiser: Pseudonymiser) -> LiveRunner:
    return LiveRunner(store, pseudonymiser, checkpoint_every=3, clock=lambda: NOW)


def _source(path: Path, position: str | None = None) -> JsonLinesFile:
    start = FilePosition.decode(position) if position else None
    return JsonLinesFile(path, start=start, block_bytes=4096)


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "live.jsonl"
    path.write_bytes(jsonl(random_session_records(seed=11, viewers=150, minutes=15)))
    return path


def _only_state(engine: LiveEngine) -> object:
    (state,) = engine.sessions.values()
    return metrics_of(state)


@pytest.mark.parametrize("crash_at", [1, 4, 7, 11])
def test_restart_after_a_crash_equals_an_uninterrupted_run(
    tmp_path: Path, events_file: Path, pseudonymiser: Pseudonymiser, crash_at: int
) -> None:
    with DuckDBStore(tmp_path / "whole.duckdb") as store:
        whole = _runner(store, pseudonymiser)
        whole.run(_source(events_file))
        expected = _only_state(whole.engine)
        expected_events = store.events().num_rows

    def crash(update: BatchUpdate) -> None:
        crash.batches += 1  # type: ignore[attr-defined]
        if crash.batches == crash_at:  # type: ignore[attr-defined]
            raise Crash

    crash.batches = 0  # type: ignore[attr-defined]
    db = tmp_path / "crashed.duckdb"
    with DuckDBStore(db) as store, pytest.raises(Crash):
        _runner(store, pseudonymiser).run(_source(events_file), crash)
    with DuckDBStore(db) as store:
        resumed = _runner(store, pseudonymiser)
        position = resumed.resume()
        report = resumed.run(_source(events_file, position))
        assert report.duplicates == 0  # rolled-back writes are re-read, not double counted
        assert _only_state(resumed.engine) == expected
        assert store.events().num_rows == expected_events


def test_resume_without_checkpoint_starts_at_the_beginning(
    tmp_path: Path, pseudonymiser: Pseudonymiser
) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        assert _runner(store, pseudonymiser).resume() is None
