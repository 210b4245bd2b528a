"""The DuckDB store keeps every event type whole, and opens a store written by an earlier version:
the events columns added since (``stock``) are added, nullable, and the old events read NULL."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import duckdb
import msgspec
import pyarrow as pa
import pytest

from livelens.errors import StoreError
from livelens.events import codec
from livelens.events.columns import EVENTS_SCHEMA, events_to_table, table_to_events
from livelens.events.schema import EVENT_TYPES, Event, StockSet
from livelens.store.duckdb import DuckDBStore, _column_sql
from livelens.store.event_appends import BULK_INSERT_ROWS, ROW_GROUP_ROWS
from livelens.testing import every_event, make_event

# The events columns of the first release, before ``stock.set`` brought ``stock``.
FIRST_RELEASE_COLUMNS = [f for f in EVENTS_SCHEMA if f.name != "stock"]


def _utc(event: Event) -> Event:
    return msgspec.structs.replace(event, ts=event.ts.astimezone(UTC))  # type: ignore[union-attr]


def test_every_type_round_trips_through_json_columns_and_the_store(tmp_path: Path) -> None:
    decoded = [codec.decode_event(line) for line in codec.encode_lines(every_event()).splitlines()]
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        assert store.append_events(events_to_table(decoded)) == len(EVENT_TYPES)
    with DuckDBStore(path) as store:
        back = list(table_to_events(store.events()))
    assert back == [_utc(e) for e in decoded]  # stored in time order, one a second
    (stock,) = [e for e in back if isinstance(e, StockSet)]
    assert (stock.product_id, stock.stock) == ("sku-c", 120)


def test_a_store_from_before_stock_set_opens_and_takes_stock_events(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = make_event("order.paid", event_id="o-old")
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"CREATE TABLE events ({', '.join(_column_sql(f) for f in FIRST_RELEASE_COLUMNS)})"
        )
        con.register("old_events", events_to_table([old]).drop_columns(["stock"]))
        con.execute("INSERT INTO events BY NAME SELECT * FROM old_events")
    stock = make_event("stock.set", event_id="s-new", stock=0)
    with DuckDBStore(path) as store:
        columns = [r[0] for r in store.con.execute("DESCRIBE events").fetchall()]
        assert columns == EVENTS_SCHEMA.names  # added at the end, as a new store has it
        assert store.events()["stock"].to_pylist() == [None]
        assert store.append_events(events_to_table([stock])) == 1
        assert store.append_events(events_to_table([old])) == 0  # still known
    with DuckDBStore(path) as reopened:  # nothing left to add: opens as is
        table = reopened.events()
        assert table.schema == EVENTS_SCHEMA
        assert list(table_to_events(table)) == [_utc(old), _utc(stock)]
        assert reopened.event_counts() == {"order.paid": 1, "stock.set": 1}


def _to_view(store: DuckDBStore) -> None:
    """Make appends fail while reads still work: the events become a view of a renamed table."""
    store.con.execute("ALTER TABLE events RENAME TO events_kept")
    store.con.execute("CREATE VIEW events AS SELECT * FROM events_kept")


def test_meanwhile_runs_on_the_new_events_while_they_are_written(tmp_path: Path) -> None:
    first = [make_event("like", event_id=f"l-{n}") for n in range(3)]
    seen: list[list[str]] = []
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.append_events(events_to_table(first[:1]))

        def meanwhile(new: pa.Table) -> None:
            seen.append(new["event_id"].to_pylist())

        new = store.append_new_events(events_to_table(first), meanwhile)
        assert seen == [["l-1", "l-2"]] == [new["event_id"].to_pylist()]  # l-0 was stored
        assert new.schema == EVENTS_SCHEMA
        assert store.event_counts() == {"like": 3}  # written when it returns
        assert store.append_new_events(events_to_table(first), meanwhile).num_rows == 0
        assert seen[-1] == []


def test_a_failed_write_is_raised_after_meanwhile_and_remembers_nothing(tmp_path: Path) -> None:
    events = [make_event("like", event_id=f"l-{n}") for n in range(2)]
    ran: list[int] = []
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.append_events(events_to_table(events[:1]))
        _to_view(store)
        with pytest.raises(StoreError, match=r"cannot append 1 events to store .*s\.duckdb"):
            store.append_new_events(events_to_table(events), lambda new: ran.append(new.num_rows))
        assert ran == [1]  # it ran, and the caller learns its work is not backed by the store
        store.con.execute("DROP VIEW events")
        store.con.execute("ALTER TABLE events_kept RENAME TO events")
        assert store.append_events(events_to_table(events)) == 1  # l-1 is still new


def _likes(first: int, count: int) -> pa.Table:
    """``count`` like events with ids ``e{first}`` … as one table in the events schema."""
    ids = pa.array([f"e{n}" for n in range(first, first + count)], pa.string())
    columns = {
        "event_id": ids,
        "type": pa.array(["like"] * count, pa.string()),
        "ts": pa.array(range(count), pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "room_id": pa.array(["r"] * count, pa.string()),
        "session_id": pa.array(["s"] * count, pa.string()),
        "platform": pa.array(["douyin"] * count, pa.string()),
        "schema": pa.array([1] * count, pa.int16()),
        "count": pa.array([1] * count, pa.int64()),
    }
    arrays = [columns.get(f.name, pa.nulls(count, f.type)) for f in EVENTS_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)


def _stored(store: DuckDBStore) -> int:
    return int(store.con.execute("SELECT count(*) FROM events").fetchall()[0][0])


def test_a_bulk_load_writes_whole_row_groups_and_still_drops_repeats_of_held_events(
    tmp_path: Path,
) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.append_events(_likes(0, 10))  # stored before the load
        with store.bulk_load() as append:
            assert append(_likes(5, 100_000)) == 99_995  # e5..e9 are stored
            assert _stored(store) == 10  # held: less than two row groups so far
            # e50000..e59999 repeat held events; e0 a stored one (in a batch with new ones)
            assert append(pa.concat_tables([_likes(0, 1), _likes(50_000, 10_000)])) == 0
            assert append(_likes(100_005, 200_000)) == 200_000
            # 299,995 held reached the threshold: the whole row groups among them are written
            assert BULK_INSERT_ROWS <= 299_995
            assert _stored(store) == 10 + 2 * ROW_GROUP_ROWS
            assert append(_likes(150_000, 10)) == 0  # repeats a still-held event
        assert _stored(store) == 300_005  # the rest is written when the load ends
        ids = store.con.execute("SELECT count(DISTINCT event_id) FROM events").fetchall()[0][0]
        assert ids == 300_005
        store.con.execute("CHECKPOINT")
        groups = store.con.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('events')"
        ).fetchall()[0][0]
        assert groups == -(-300_005 // ROW_GROUP_ROWS)  # as few as can hold them


def test_a_bulk_load_writes_what_it_holds_when_the_loader_fails(tmp_path: Path) -> None:
    def load(store: DuckDBStore) -> None:
        with store.bulk_load() as append:
            append(_likes(0, 1_000))
            msg = "a source failed"
            raise KeyError(msg)

    with DuckDBStore(tmp_path / "s.duckdb") as store:
        with pytest.raises(KeyError):
            load(store)
        assert _stored(store) == 1_000


def test_held_events_stay_known_when_the_id_hashes_are_rebuilt(tmp_path: Path) -> None:
    """Another connection's write makes the store rebuild its id hashes from the table; the
    events a bulk load still holds are not in the table yet, and must stay known."""
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        with store.bulk_load() as append:
            assert append(_likes(0, 1_000)) == 1_000  # held
            other = store.con.cursor()
            other.register("elsewhere", _likes(500_000, 1))
            other.execute("INSERT INTO events BY NAME SELECT * FROM elsewhere")
            assert append(_likes(999, 2)) == 1  # e999 is held, e1000 is new
        assert _stored(store) == 1_002
