"""The event model: every type round-trips through JSON and through the columnar form."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from livelens.errors import InvalidEvent
from livelens.events import codec
from livelens.events.columns import EVENTS_SCHEMA, events_to_table, table_to_events
from livelens.events.schema import EVENT_TYPES, SCHEMA_VERSION, StockSet, event_type
from livelens.testing import SAMPLE_PAYLOADS, event_record, every_event, make_event


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLE_PAYLOADS) == set(EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_json_round_trip(kind: str) -> None:
    record = event_record(kind)
    line = msgspec.json.encode(record)
    event = codec.decode_event(line)
    assert event_type(event) == kind
    assert event.schema == SCHEMA_VERSION
    again = msgspec.json.decode(codec.encode_event(event))
    expected = {k: v for k, v in record.items() if k != "ts"}
    assert {k: v for k, v in again.items() if k not in ("ts", "schema")} == expected
    assert datetime.fromisoformat(again["ts"]) == datetime.fromisoformat(record["ts"])


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_columnar_round_trip(kind: str) -> None:
    event = make_event(kind)
    table = events_to_table([event])
    assert table.schema == EVENTS_SCHEMA
    (back,) = table_to_events(table)
    assert back == msgspec.structs.replace(event, ts=event.ts.astimezone(UTC))  # type: ignore[union-attr]


def test_epoch_milliseconds_and_offsets_mean_the_same_instant() -> None:
    iso = make_event("like", ts="2026-11-11T20:00:00.250+08:00")
    epoch = make_event("like", ts=1794398400250)
    table = events_to_table([iso, epoch])
    first, second = table["ts"].to_pylist()
    assert first == second == datetime(2026, 11, 11, 12, 0, 0, 250_000, tzinfo=UTC)


def test_table_keeps_all_types_and_counts() -> None:
    events = list(every_event())
    table = events_to_table(events)
    assert table.num_rows == len(EVENT_TYPES)
    assert sorted(table["type"].to_pylist()) == sorted(EVENT_TYPES)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"type": "order.shipped"}, codec.UNKNOWN_TYPE),
        ({"type": None}, codec.MISSING_FIELD),
        ({"order_id": None}, codec.MISSING_FIELD),
        ({"quantity": "two"}, codec.WRONG_TYPE),
        ({"quantity": -1}, codec.OUT_OF_RANGE),
        ({"amount_minor": -500}, codec.OUT_OF_RANGE),
        ({"currency": "yuan"}, codec.INVALID_VALUE),
        ({"platform": "myspace"}, codec.INVALID_VALUE),
        ({"ts": "2026-11-11T20:00:00"}, codec.INVALID_VALUE),  # no offset: ambiguous instant
        ({"ts": "yesterday"}, codec.INVALID_VALUE),
        ({"schema": SCHEMA_VERSION + 1}, codec.UNSUPPORTED_SCHEMA),
        ({"viewer_id": None}, codec.MISSING_FIELD),
    ],
)
def test_invalid_records_get_a_reason(overrides: dict[str, object], reason: str) -> None:
    line = msgspec.json.encode(event_record("order.paid", **overrides))
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_event(line)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"stock": -1}, codec.OUT_OF_RANGE),
        ({"stock": 10**9 + 1}, codec.OUT_OF_RANGE),  # absurd, like a count above 10^9
        ({"stock": 2.5}, codec.WRONG_TYPE),
        ({"stock": None}, codec.MISSING_FIELD),
        ({"product_id": None}, codec.MISSING_FIELD),
        ({"product_id": ""}, codec.INVALID_VALUE),
    ],
)
def test_invalid_stock_set_gets_a_reason(overrides: dict[str, object], reason: str) -> None:
    line = msgspec.json.encode(event_record("stock.set", **overrides))
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_event(line)
    assert caught.value.reason == reason


@pytest.mark.parametrize("stock", [0, 1, 10**9])
def test_stock_set_takes_any_level_from_zero_to_a_billion(stock: int) -> None:
    event = codec.decode_event(msgspec.json.encode(event_record("stock.set", stock=stock)))
    assert isinstance(event, StockSet)
    assert (event.product_id, event.stock, event.viewer_id) == ("sku-c", stock, None)


def test_promo_needs_a_discount_or_a_price() -> None:
    line = msgspec.json.encode(event_record("promo.start", discount_pct=None))
    with pytest.raises(InvalidEvent, match="discount_pct` or `price_minor") as caught:
        codec.decode_event(line)
    assert caught.value.reason == codec.MISSING_FIELD
    fixed = msgspec.json.encode(event_record("promo.start", discount_pct=None, price_minor=7900))
    assert codec.decode_event(fixed).price_minor == 7900  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"type": "comment", ', codec.TRUNCATED),
        (b"not json at all", codec.MALFORMED_JSON),
        (b'{"type": "comment", "text": "\xff\xfe"}', codec.INVALID_UTF8),
        (b"[1, 2, 3]", codec.WRONG_TYPE),
    ],
)
def test_undecodable_lines(line: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_event(line)
    assert caught.value.reason == reason


def test_encode_lines_is_canonical_jsonl() -> None:
    events = list(every_event())
    body = codec.encode_lines(events)
    assert body.count(b"\n") == len(events)
    assert [codec.decode_event(line) for line in body.splitlines()] == events
