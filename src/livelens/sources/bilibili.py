"""Bilibili's conventions, shared by both recording formats (tidy CSV and danmaku XML).

Bilibili prices gifts in its own coins, stamps events in Beijing time and names paid memberships
by level; this module turns those into the livelens event model once, so that the tidy-CSV adapter
(:mod:`livelens.sources.bilibili_tidy`) and the XML adapter (:mod:`livelens.sources.bilibili_xml`)
cannot disagree about what a gift is worth, which session an event belongs to or what its id is.

Money: gold coins (金瓜子) are bought at 1000 per CNY, so one gold coin is 0.1 fen and an amount in
fen is ``total_coin // 10`` (every gold price on the platform is a multiple of 100 coins, so the
division is exact in practice). Silver coins (银瓜子) are earned, not bought: a silver gift is free
and its ``amount_minor`` is 0 — that is also how a reader tells free gifts from paid ones, since no
gold gift is cheaper than 100 coins (10 fen). Super chats are priced in yuan.
"""

from __future__ import annotations

import math
import re
from array import array
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import msgspec

from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import OUT_OF_RANGE, classify
from livelens.events.schema import Event
from livelens.sources.base import Rejection, SourceBatch, raw_text

PLATFORM: Final = "bilibili"
CURRENCY: Final = "CNY"
# China has had no daylight saving time since 1991, so a fixed offset is exact for these
# recordings and needs no tz database on the machine.
SHANGHAI: Final = timezone(timedelta(hours=8), "Asia/Shanghai")

SUPER_CHAT_GIFT: Final = "醒目留言"
# Guard (大航海) levels as the platform numbers them, and their list price per month in gold coins.
GUARD_NAMES: Final[dict[int, str]] = {1: "总督", 2: "提督", 3: "舰长"}
GUARD_PRICE_GOLD: Final[dict[int, int]] = {1: 19_998_000, 2: 1_998_000, 3: 198_000}

# Stable quarantine reason codes of the Bilibili adapters (beside those of livelens.events.codec).
MISSING_TIME: Final = "missing_time"
EMPTY_TEXT: Final = "empty_text"
MISSING_VIEWER: Final = "missing_viewer"
INVALID_NUMBER: Final = "invalid_number"
UNKNOWN_MSG_TYPE: Final = "unknown_msg_type"
UNKNOWN_COIN_TYPE: Final = "unknown_coin_type"
UNKNOWN_GUARD_LEVEL: Final = "unknown_guard_level"

_GOLD_PER_FEN: Final = 10
_INTEGER = re.compile(r"-?[0-9]+")
_MAX_STEM: Final = 120  # keeps event ids within the 256-character limit of an Id


def check_batch_size(batch_size: int) -> None:
    """Refuse a batch size that would never yield (or yield one record at a time by mistake)."""
    if batch_size < 1:
        msg = f"batch_size must be at least 1; got {batch_size}"
        raise InvalidInput(msg)


def session_id_for(room_id: str, capture_start: datetime) -> str:
    """One session per room per capture, named by the Beijing date the capture began.

    Derived from the data rather than the clock or a folder name, so that reading the same
    recording twice gives the same id.
    """
    return f"bili-{room_id}-{capture_start.astimezone(SHANGHAI):%Y%m%d}"


def event_id_for(room_id: str, stem: str, row: int) -> str:
    """A per-record id: a re-read yields the same ids, and two identical records stay two."""
    return f"bili:{room_id}:{stem[:_MAX_STEM]}:{row}"


def parse_int(value: str, field: str) -> int:
    """A whole number written in decimal digits; anything else is ``invalid_number``."""
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise InvalidEvent(INVALID_NUMBER, f"{field} must be a whole number; got {value!r}")
    return int(text)


def parse_float(value: str, field: str) -> float:
    """A finite decimal number (seconds, offsets); anything else is ``invalid_number``."""
    try:
        number = float(value)
    except ValueError:
        raise InvalidEvent(INVALID_NUMBER, f"{field} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise InvalidEvent(INVALID_NUMBER, f"{field} must be finite; got {value!r}")
    return number


def from_unix(seconds: float, field: str) -> datetime:
    """A unix time in seconds as a Beijing-time datetime; an impossible one is ``out_of_range``."""
    try:
        return datetime.fromtimestamp(seconds, SHANGHAI)
    except (OverflowError, OSError, ValueError):
        raise InvalidEvent(OUT_OF_RANGE, f"{field} {seconds} is not a valid unix time") from None


def coins_to_minor(total_coin: int, coin_type: str) -> int:
    """What a gift cost the viewer, in fen: gold is paid (1000 per CNY), silver is free."""
    if coin_type == "gold":
        return total_coin // _GOLD_PER_FEN
    if coin_type == "silver":
        return 0
    raise InvalidEvent(
        UNKNOWN_COIN_TYPE, f"coin_type must be 'gold' or 'silver'; got {coin_type!r}"
    )


def yuan_to_minor(value: str, field: str) -> int:
    """A price in yuan (super chats) as fen; a price with a fraction of a fen is refused."""
    try:
        fen = Decimal(value.strip()) * 100
    except InvalidOperation:
        raise InvalidEvent(
            INVALID_NUMBER, f"{field} must be a price in yuan; got {value!r}"
        ) from None
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise InvalidEvent(INVALID_NUMBER, f"{field} must be whole fen; got {value!r}")
    return int(fen)


def guard_name(level: int) -> str:
    """The Chinese name of a guard level (3 舰长, 2 提督, 1 总督)."""
    name = GUARD_NAMES.get(level)
    if name is None:
        raise InvalidEvent(UNKNOWN_GUARD_LEVEL, f"guard level must be 1, 2 or 3; got {level}")
    return name


def to_event(cls: type[Event], record: dict[str, Any]) -> Event:
    """Build and validate one event: the schema's constraints are checked here, not in ingest.

    A Struct constructor does not check ``Meta`` constraints (a quantity of 0, an over-long id);
    ``msgspec.convert`` does, and its errors get the codec's stable reason codes.
    """
    try:
        return msgspec.convert(record, cls)
    except msgspec.ValidationError as error:
        raise classify(error) from None


class _Trail:
    """Where each event of a batch came from, kept compactly until ingest asks.

    Ingest needs the place and text of an event only when it rejects it (rarely), so the raw
    records are kept as one byte buffer plus offsets, not as a string per event.
    """

    def __init__(self) -> None:
        self._lines = array("Q")
        self._ends = array("Q")
        self._buffer = bytearray()

    def add(self, line: int, raw: bytes) -> None:
        self._lines.append(line)
        self._buffer += raw
        self._ends.append(len(self._buffer))

    def locate(self, index: int) -> tuple[str, str]:
        start = self._ends[index - 1] if index else 0
        return f"line {self._lines[index]}", raw_text(
            bytes(self._buffer[start : self._ends[index]])
        )


class BatchBuilder:
    """Collects the events and rejections of one source file into batches of a bounded size."""

    def __init__(self, source: str, batch_size: int) -> None:
        self.source = source
        self.batch_size = batch_size
        self._events: list[Event] = []
        self._rejections: list[Rejection] = []
        self._trail = _Trail()

    def add(self, event: Event, line: int, raw: bytes) -> None:
        self._events.append(event)
        self._trail.add(line, raw)

    def reject(self, error: InvalidEvent, location: str, raw: bytes | str) -> None:
        rejection = Rejection(error.reason, error.detail, self.source, location, raw_text(raw))
        self._rejections.append(rejection)

    @property
    def full(self) -> bool:
        return len(self._events) + len(self._rejections) >= self.batch_size

    @property
    def empty(self) -> bool:
        return not self._events and not self._rejections

    def flush(self) -> SourceBatch:
        """The batch so far; the builder starts a new one."""
        batch = SourceBatch(self.source, self._events, self._rejections, self._trail.locate)
        self._events, self._rejections, self._trail = [], [], _Trail()
        return batch
