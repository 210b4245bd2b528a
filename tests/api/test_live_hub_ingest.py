"""The live hub's ingest: the engine folds a batch's new events while the store writes them, and
a write that fails after the fold stops the hub from taking more (its live state is then ahead of
the store) until a restart rebuilds the state from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from livelens.api import server
from livelens.api.hub import LiveHub
from livelens.errors import StoreError
from livelens.events.pseudonymise import Pseudonymiser
from livelens.sources.base import SourceBatch
from livelens.sources.simulator import SimulationConfig, build_session
from livelens.store.duckdb import DuckDBStore

CONFIG: Final = SimulationConfig(minutes=6, peak_viewers=200, seed=4, session_id="hub-1")
KEY: Final = b"test-key-0123456789abcdef-0123456"
NOW: Final = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def open_hub(store: DuckDBStore) -> LiveHub:
    return server.open_hub(store, Pseudonymiser(KEY), clock=lambda: NOW, webhooks=[])


@pytest.fixture
def batches() -> list[SourceBatch]:
    events = list(build_session(CONFIG).events())
    third = len(events) // 3
    return [
        SourceBatch("sim", events[:third]),
        SourceBatch("sim", events[third : 2 * third]),
        SourceBatch("sim", events[2 * third :]),
    ]


def test_what_the_engine_counts_is_what_the_store_holds(
    tmp_path: Path, batches: list[SourceBatch]
) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        hub = open_hub(store)
        for batch in batches:
            result = hub.ingest(batch)
            assert result.new.num_rows == len(batch.events)
        again = hub.ingest(batches[1])  # a retry: nothing new, nothing counted twice
        assert (again.new.num_rows, again.duplicates) == (0, len(batches[1].events))
        stored = sum(store.event_counts().values())
        assert hub.metrics("hub-1").totals.events == stored == sum(len(b.events) for b in batches)


def test_a_write_that_fails_after_the_fold_stops_the_hub_until_a_restart(
    tmp_path: Path, batches: list[SourceBatch]
) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        hub = open_hub(store)
        hub.ingest(batches[0])
        # appends fail from here on, reads still work: the events become a view
        store.con.execute("ALTER TABLE events RENAME TO events_kept")
        store.con.execute("CREATE VIEW events AS SELECT * FROM events_kept")
        with pytest.raises(StoreError, match="cannot append"):
            hub.ingest(batches[1])
        counted = hub.metrics("hub-1").totals.events
        assert counted == len(batches[0].events) + len(batches[1].events)  # ahead of the store
        store.con.execute("DROP VIEW events")
        store.con.execute("ALTER TABLE events_kept RENAME TO events")
        with pytest.raises(StoreError, match="restart the server") as refused:
            hub.ingest(batches[2])
        assert f"{len(batches[1].events)} events the live engine had already counted" in str(
            refused.value
        )
        assert sum(store.event_counts().values()) == len(batches[0].events)  # nothing more

        restarted = open_hub(store)  # rebuilt from the store, it takes the rest again
        for batch in batches[1:]:
            restarted.ingest(batch)
        assert restarted.metrics("hub-1").totals.events == sum(len(b.events) for b in batches)
