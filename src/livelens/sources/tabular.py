"""CSV and Parquet files in the canonical event form: one column per canonical field.

Columns are the field names of docs/events.md (``type``, ``ts``, ``room_id``, ...); a row fills the
fields of its own type and leaves the others empty. CSV cells are text, so numbers are coerced from
strings during validation; an empty cell means "absent".
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import INVALID_UTF8, convert_event
from livelens.events.schema import Event
from livelens.sources.base import Rejection, SourceBatch, raw_text

BATCH_ROWS: Final = 50_000
MALFORMED_CSV: Final = "malformed_csv"


class _Collector:
    """Accumulates converted rows into batches, keeping each good row's place and text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.events: list[Event] = []
        self.places: list[tuple[str, str]] = []
        self.rejections: list[Rejection] = []

    def add(self, record: Mapping[str, Any], location: str, raw: str | None = None) -> None:
        text = raw_text(raw if raw is not None else msgspec.json.encode(record).decode())
        try:
            self.events.append(convert_event(record))
        except InvalidEvent as error:
            self.reject(error.reason, error.detail, location, text)
            return
        self.places.append((location, text))

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


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A CSV file with a header row of canonical field names."""

    path: Path

    def __iter__(self) -> Iterator[SourceBatch]:
        collector = _Collector(str(self.path))
        with self.path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            if "type" not in header:
                msg = f"{self.path}: CSV header has no 'type' column; got {header[:8]}"
                raise InvalidInput(msg)
            line = reader.line_num
            for row in reader:
                location = f"line {line + 1}"
                line = reader.line_num
                text = ",".join(row)
                if any("\udc80" <= ch <= "\udcff" for ch in text):
                    self._reject_bytes(collector, text, location)
                elif len(row) != len(header):
                    detail = f"row has {len(row)} cells; the header has {len(header)}"
                    collector.reject(MALFORMED_CSV, detail, location, text)
                else:
                    record = {k: v for k, v in zip(header, row, strict=True) if v}
                    collector.add(record, location, text)
                if len(collector) >= BATCH_ROWS:
                    yield collector.flush()
        yield collector.flush()

    @staticmethod
    def _reject_bytes(collector: _Collector, text: str, location: str) -> None:
        raw = text.encode("utf-8", errors="surrogateescape").decode("utf-8", "backslashreplace")
        collector.reject(INVALID_UTF8, "row contains bytes that are not UTF-8", location, raw)


@dataclass(frozen=True, slots=True)
class ParquetFile:
    """A Parquet file whose columns are canonical field names."""

    path: Path

    def __iter__(self) -> Iterator[SourceBatch]:
        try:
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as error:
            msg = f"{self.path}: not a readable Parquet file ({error})"
            raise InvalidInput(msg) from None
        if "type" not in parquet.schema_arrow.names:
            msg = (
                f"{self.path}: Parquet file has no 'type' column; got {parquet.schema_arrow.names}"
            )
            raise InvalidInput(msg)
        collector = _Collector(str(self.path))
        row = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                row += 1
                present = {k: v for k, v in record.items() if v is not None}
                collector.add(present, f"row {row}")
            yield collector.flush()
