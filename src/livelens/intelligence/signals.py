"""External signals as sources: Weibo hot-search boards and competitor promotions.

Both formats become ordinary events (``trend.snapshot``, ``competitor.promo``) that go through the
normal ingest path, so they are validated, de-duplicated and quarantined like any other input.

Envelope convention for signals that belong to no live room (docs/intelligence.md):

* ``room_id`` is ``"external"`` and ``platform`` is ``"other"``;
* ``session_id`` is ``"<source>-<YYYY-MM-DD>"`` (one "session" per source and local day), e.g.
  ``weibo-hot-2025-11-01`` or ``competitor-promos-2025-11-01``;
* Weibo board times are Beijing time (UTC+08:00), the hour the board was captured;
* event ids are derived from the record's identity (board hour and position for Weibo, content for
  promotions), so importing the same file twice stores each signal once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import INVALID_VALUE, MALFORMED_JSON, MISSING_FIELD, convert_event
from livelens.events.schema import Event
from livelens.sources.base import Rejection, SourceBatch, raw_text

EXTERNAL_ROOM: Final = "external"
WEIBO_SOURCE: Final = "weibo-hot"
PROMO_SESSION_PREFIX: Final = "competitor-promos"
BEIJING: Final = timezone(timedelta(hours=8))
BATCH_ROWS: Final = 50_000
WEIBO_COLUMNS: Final = ("date", "hour", "position", "title", "hot")
PROMO_FIELDS: Final = ("competitor", "category", "discount_pct", "ts")


class _Batcher:
    """Converts records to events, keeping each good record's place and each bad one's reason."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.events: list[Event] = []
        self.places: list[tuple[str, str]] = []
        self.rejections: list[Rejection] = []

    def add(self, record: Mapping[str, Any], location: str, raw: str) -> None:
        try:
            self.events.append(convert_event(record))
        except InvalidEvent as error:
            self.reject(error.reason, error.detail, location, raw)
            return
        self.places.append((location, raw_text(raw)))

    def reject(self, reason: str, detail: str, location: str, raw: str) -> None:
        self.rejections.append(Rejection(reason, detail, self.source, location, raw_text(raw)))

    def __len__(self) -> int:
        return len(self.events) + len(self.rejections)

    def flush(self) -> SourceBatch:
        places = self.places

        def locate(index: int) -> tuple[str, str]:
            return places[index]

        batch = SourceBatch(self.source, self.events, self.rejections, locate)
        self.events, self.places, self.rejections = [], [], []
        return batch


def weibo_record(row: Mapping[str, Any]) -> dict[str, Any] | tuple[str, str]:
    """One board entry as a canonical ``trend.snapshot`` record, or ``(reason, detail)``."""
    for name in WEIBO_COLUMNS:
        if row.get(name) is None:
            return MISSING_FIELD, f"board entry has no {name!r}"
    title = " ".join(str(row["title"]).split())
    if not title:
        return MISSING_FIELD, "board entry has an empty title"
    try:
        day = date.fromisoformat(str(row["date"]))
        hour = int(row["hour"])
        ts = datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)
    except (ValueError, TypeError) as error:
        detail = f"date {row['date']!r} hour {row['hour']!r} is not a board time ({error})"
        return INVALID_VALUE, detail
    position = row["position"]
    return {
        "type": "trend.snapshot",
        "event_id": f"{WEIBO_SOURCE}:{day.isoformat()}T{hour:02d}:{position}",
        "ts": ts.isoformat(),
        "room_id": EXTERNAL_ROOM,
        "session_id": f"{WEIBO_SOURCE}-{day.isoformat()}",
        "platform": "other",
        "keyword": title,
        "rank": position,
        "heat": row["hot"],
        "source": WEIBO_SOURCE,
    }


@dataclass(frozen=True, slots=True)
class WeiboHotSearchFile:
    """The flattened hourly Weibo hot-search boards (Parquet or CSV with ``date, hour, position,
    title, hot``); ``since``/``until`` keep board days in that closed range."""

    path: Path
    since: date | None = None
    until: date | None = None

    def _tables(self) -> Iterator[pa.RecordBatch]:
        if self.path.suffix.lower() == ".parquet":
            try:
                parquet = pq.ParquetFile(self.path)
            except (pa.ArrowInvalid, OSError) as error:
                msg = f"{self.path}: not a readable Parquet file ({error})"
                raise InvalidInput(msg) from None
            missing = [c for c in WEIBO_COLUMNS if c not in parquet.schema_arrow.names]
            if missing:
                msg = f"{self.path}: not a Weibo hot-search board file; columns {missing} missing"
                raise InvalidInput(msg)
            yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(WEIBO_COLUMNS))
            return
        with self.path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        yield from pa.Table.from_pylist(rows).to_batches(BATCH_ROWS) if rows else ()

    def _keep(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.since is None and self.until is None:
            return batch
        days = batch.column("date").cast(pa.string())
        mask = pc.is_valid(days)
        if self.since is not None:
            mask = pc.and_(mask, pc.greater_equal(days, self.since.isoformat()))
        if self.until is not None:
            mask = pc.and_(mask, pc.less_equal(days, self.until.isoformat()))
        return batch.filter(mask)

    def __iter__(self) -> Iterator[SourceBatch]:
        batcher = _Batcher(str(self.path))
        for batch in self._tables():
            for record in self._keep(batch).to_pylist():
                raw = msgspec.json.encode(record).decode()
                where = (record.get("date"), record.get("hour"), record.get("position"))
                location = "board {} {}h position {}".format(*where)
                converted = weibo_record(record)
                if isinstance(converted, tuple):
                    batcher.reject(*converted, location, raw)
                else:
                    batcher.add(converted, location, raw)
            yield batcher.flush()
        if len(batcher):
            yield batcher.flush()


def promo_record(row: Mapping[str, Any]) -> dict[str, Any] | tuple[str, str]:
    """A competitor promotion as a ``competitor.promo`` record, or ``(reason, detail)``."""
    for name in PROMO_FIELDS:
        if row.get(name) in (None, ""):
            return MISSING_FIELD, f"promotion has no {name!r}"
    ts = row["ts"]
    try:
        when = (
            datetime.fromtimestamp(int(ts) / 1000, tz=BEIJING)
            if isinstance(ts, int) or str(ts).isdigit()
            else datetime.fromisoformat(str(ts))
        )
    except ValueError as error:
        return INVALID_VALUE, f"ts {ts!r} is not RFC 3339 or epoch milliseconds ({error})"
    if when.tzinfo is None:
        return INVALID_VALUE, f"ts {ts!r} has no UTC offset; write e.g. 2025-11-01T20:00:00+08:00"
    record: dict[str, Any] = {
        "type": "competitor.promo",
        "ts": when.isoformat(),
        "room_id": str(row.get("room_id") or EXTERNAL_ROOM),
        "session_id": str(
            row.get("session_id") or f"{PROMO_SESSION_PREFIX}-{when.astimezone(BEIJING).date()}"
        ),
        "platform": str(row.get("platform") or "other"),
        "competitor": row["competitor"],
        "category": row["category"],
        "discount_pct": row["discount_pct"],
    }
    if row.get("event_id"):
        record["event_id"] = row["event_id"]
    return record


@dataclass(frozen=True, slots=True)
class CompetitorPromoFile:
    """Competitor promotions, CSV (header row) or JSON Lines, with competitor, category,
    discount_pct and ts; event ids, if absent, are derived from content by ingest."""

    path: Path

    def _rows(self) -> Iterator[tuple[str, Mapping[str, Any] | None, str]]:
        with self.path.open(encoding="utf-8", newline="") as handle:
            if self.path.suffix.lower() == ".csv":
                reader = csv.DictReader(handle)
                for row in reader:
                    raw = ",".join(str(v) for v in row.values())
                    yield f"line {reader.line_num}", row, raw
                return
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = msgspec.json.decode(line)
                except msgspec.DecodeError:
                    yield f"line {number}", None, line.rstrip("\n")
                    continue
                yield f"line {number}", record if isinstance(record, dict) else None, line.rstrip()

    def __iter__(self) -> Iterator[SourceBatch]:
        batcher = _Batcher(str(self.path))
        for location, row, raw in self._rows():
            if row is None:
                batcher.reject(MALFORMED_JSON, "expected one JSON object per line", location, raw)
                continue
            converted = promo_record(row)
            if isinstance(converted, tuple):
                batcher.reject(*converted, location, raw)
            else:
                batcher.add(converted, location, raw)
            if len(batcher) >= BATCH_ROWS:
                yield batcher.flush()
        yield batcher.flush()
