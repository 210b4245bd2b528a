"""Danmaku XML written by Bilibili live-recording tools → livelens events.

The format is Bilibili's video-danmaku XML, ``<i><d p="...">text</d>...</i>``, where ``p`` is
``time_offset,mode,size,colour,send_time,pool,user_hash,dmid``. Recorders add to it:

- BililiveRecorder (B站录播姬): ``user``/``uid`` on ``<d>``; a ``<BililiveRecorderRecordInfo
  roomid= start_time=/>`` header; ``<gift>``, ``<sc>`` (super chat) and ``<guard>`` elements whose
  ``ts`` is seconds since the recording started, and, when enabled, a ``raw`` attribute holding the
  platform's JSON message;
- blrec: a ``<metadata>`` header with ``<room_id>`` and ``<record_start_time>`` (unix seconds).

Time: a ``<d>`` carries its own send time (unix seconds, or milliseconds — told apart by size: 10¹¹
seconds is the year 5138, 10¹¹ milliseconds is 1973). Offset-only records are placed at the
recording start + ``ts``; the start is the header's, else the first ``<d>``'s send time minus its
offset. Session: ``bili-{room}-{YYYYMMDD of the start}``, the tidy adapter's rule.

Money: a ``<sc>`` has its ``price`` in yuan. A ``<guard>`` is priced from its ``raw`` message, else
at the list price of its level. A ``<gift>`` is priced from its ``raw`` message (``total_coin`` and
``coin_type``); without one the file does not say what it cost, and ``amount_minor`` is 0.

The file is streamed (only the record being read is held), fed to the parser a line at a time so
that each record and each break in the XML can be placed by line. A break keeps the records before
it and becomes a ``malformed_xml`` rejection; :class:`~livelens.errors.InvalidInput` is raised
only when the file is not danmaku XML at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

import msgspec

from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import INVALID_VALUE, MISSING_FIELD
from livelens.events.schema import Comment, Event, Gift
from livelens.sources.base import SourceBatch
from livelens.sources.bilibili import (
    CURRENCY,
    EMPTY_TEXT,
    GUARD_PRICE_GOLD,
    MISSING_TIME,
    MISSING_VIEWER,
    PLATFORM,
    SHANGHAI,
    SUPER_CHAT_GIFT,
    BatchBuilder,
    check_batch_size,
    coins_to_minor,
    event_id_for,
    from_unix,
    guard_name,
    parse_float,
    parse_int,
    session_id_for,
    to_event,
    yuan_to_minor,
)

MALFORMED_XML: Final = "malformed_xml"
INVALID_DANMAKU_P: Final = "invalid_danmaku_p"

_READ_BYTES: Final = 1 << 20  # a line longer than this is fed in pieces
_MILLISECONDS_FROM: Final = 10**11
_ANONYMOUS_UID: Final = "0"  # Bilibili sends uid 0 to clients that are not logged in


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A record read from its element, still waiting for its envelope."""

    cls: type[Event]
    payload: dict[str, Any]
    offset: float  # seconds since the recording started
    ts: datetime | None = None  # the record's own time, when it has one


@dataclass(frozen=True, slots=True)
class _Pending:
    ordinal: int
    line: int
    raw: bytes
    parsed: _Parsed


# --- one element → one record ---


def _viewer(elem: ET.Element, fallback: str = "") -> dict[str, Any]:
    """``uid`` where present, else ``fallback`` (the ``<d>`` user hash), else the nickname."""
    uid = (elem.get("uid") or "").strip()
    name = (elem.get("user") or "").strip()
    viewer = next((v for v in (uid, fallback, name) if v and v != _ANONYMOUS_UID), None)
    if viewer is None:
        raise InvalidEvent(MISSING_VIEWER, "the element has no uid, user hash or user")
    return {"viewer_id": viewer, "nickname": name or None}


def _attribute(elem: ET.Element, name: str) -> str:
    value = elem.get(name)
    if value is None or not value.strip():
        raise InvalidEvent(MISSING_FIELD, f"<{elem.tag}> has no {name} attribute")
    return value


def _offset(elem: ET.Element) -> float:
    if elem.get("ts") is None:
        raise InvalidEvent(MISSING_TIME, f"<{elem.tag}> has no ts attribute")
    return parse_float(_attribute(elem, "ts"), "ts")


def _raw_message(elem: ET.Element) -> dict[str, Any]:
    """The platform's own message that BililiveRecorder keeps in ``raw`` (empty when absent)."""
    raw = elem.get("raw")
    if raw is None:
        return {}
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise InvalidEvent(INVALID_VALUE, f"<{elem.tag}> raw attribute is not JSON") from None
    return data if isinstance(data, dict) else {}


def _danmaku(elem: ET.Element) -> _Parsed:
    p = elem.get("p") or ""
    fields = p.split(",")
    if len(fields) < 5:
        detail = f"p must be 'time_offset,mode,size,colour,send_time,...'; got {p!r}"
        raise InvalidEvent(INVALID_DANMAKU_P, detail)
    try:
        offset = parse_float(fields[0], "p time_offset")
        sent = parse_int(fields[4], "p send_time")
    except InvalidEvent as error:
        raise InvalidEvent(INVALID_DANMAKU_P, f"{error.detail} (p={p!r})") from None
    if offset < 0 or sent < 0:
        raise InvalidEvent(INVALID_DANMAKU_P, f"p has a negative time: {p!r}")
    seconds = sent / 1000 if sent >= _MILLISECONDS_FROM else sent
    ts = from_unix(seconds, "p send_time") if sent else None
    text = elem.text or ""
    if not text.strip():
        raise InvalidEvent(EMPTY_TEXT, "<d> has no text: a comment needs text")
    user_hash = fields[6].strip() if len(fields) > 6 else ""
    return _Parsed(Comment, {**_viewer(elem, user_hash), "text": text}, offset, ts)


def _gift(elem: ET.Element) -> _Parsed:
    message = _raw_message(elem)
    coins, coin_type = message.get("total_coin"), message.get("coin_type")
    priced = isinstance(coins, int) and isinstance(coin_type, str)
    payload = {
        "gift_name": _attribute(elem, "giftname"),
        "quantity": parse_int(elem.get("giftcount", "1"), "giftcount"),
        "amount_minor": coins_to_minor(coins, coin_type) if priced else 0,  # type: ignore[arg-type]
        "currency": CURRENCY,
    }
    return _Parsed(Gift, {**_viewer(elem), **payload}, _offset(elem))


def _super_chat(elem: ET.Element) -> _Parsed:
    payload = {
        "gift_name": SUPER_CHAT_GIFT,
        "quantity": 1,
        "amount_minor": yuan_to_minor(_attribute(elem, "price"), "price"),
        "currency": CURRENCY,
        "text": elem.text or None,
    }
    return _Parsed(Gift, {**_viewer(elem), **payload}, _offset(elem))


def _guard(elem: ET.Element) -> _Parsed:
    level = parse_int(_attribute(elem, "level"), "level")
    name = guard_name(level)
    count = parse_int(elem.get("count", "1"), "count")
    message = _raw_message(elem)
    price, num = message.get("price"), message.get("num")
    coins = price * num if isinstance(price, int) and isinstance(num, int) else None
    payload = {
        "gift_name": name,
        "quantity": count,
        "amount_minor": coins_to_minor(coins or GUARD_PRICE_GOLD[level] * count, "gold"),
        "currency": CURRENCY,
    }
    return _Parsed(Gift, {**_viewer(elem), **payload}, _offset(elem))


_RECORDS: Final[dict[str, Callable[[ET.Element], _Parsed]]] = {
    "d": _danmaku,
    "gift": _gift,
    "sc": _super_chat,
    "guard": _guard,
}


def _render(elem: ET.Element) -> bytes:
    """The element as XML text, for the quarantine (its trailing whitespace left out)."""
    elem.tail = None
    return bytes(ET.tostring(elem, encoding="utf-8", xml_declaration=False))


def _start_time(value: str) -> datetime:
    """An ISO 8601 recording start; one without an offset is taken as Beijing time."""
    try:
        start = datetime.fromisoformat(value.strip())
    except ValueError:
        detail = f"start_time must be an ISO 8601 time; got {value!r}"
        raise InvalidEvent(INVALID_VALUE, detail) from None
    return start if start.tzinfo is not None else start.replace(tzinfo=SHANGHAI)


# --- the file: header, records, breaks ---


class _XmlReader:
    """The state of reading one file: the room, the recording start and records waiting for it."""

    def __init__(
        self, path: Path, room_id: str | None, session_id: str | None, batch_size: int
    ) -> None:
        self.path = path
        self.room_id = room_id
        self.session_id = session_id
        self.start: datetime | None = None
        self.pending: list[_Pending] = []
        self.ordinal = 0
        self.depth = 0
        self.root: ET.Element | None = None
        self.builder = BatchBuilder(str(path), batch_size)

    def batches(self) -> Iterator[SourceBatch]:
        yielded = False
        with self.path.open("rb") as handle:
            for batch in self._parse(handle):
                yielded = True
                yield batch
        self._give_up_waiting()
        if not self.builder.empty or not yielded:
            yield self.builder.flush()

    def _parse(self, handle: BinaryIO) -> Iterator[SourceBatch]:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        line, last = 1, b""  # the last piece fed: the quarantine's view of where it broke
        try:
            while chunk := handle.readline(_READ_BYTES):
                last = chunk
                parser.feed(chunk)
                yield from self._read_events(parser, line)
                line += chunk.endswith(b"\n")
            parser.close()
            yield from self._read_events(parser, line)
        except ET.ParseError as error:
            self._broken(error, last)

    def _read_events(
        self, parser: ET.XMLPullParser[ET.Element], line: int
    ) -> Iterator[SourceBatch]:
        # Only start and end events were asked for, and each of those is (kind, element);
        # typeshed types read_events() for every kind of event, hence the cast.
        events = cast(Iterator[tuple[str, ET.Element]], parser.read_events())
        for kind, elem in events:
            if kind == "start":
                self._started(elem)
            elif kind == "end":
                self._ended(elem, line)
                if self.builder.full:
                    yield self.builder.flush()

    def _started(self, elem: ET.Element) -> None:
        self.depth += 1
        if self.depth == 1:
            if elem.tag != "i":
                msg = f"{self.path}: not danmaku XML: the root element is <{elem.tag}>, not <i>"
                raise InvalidInput(msg)
            self.root = elem

    def _ended(self, elem: ET.Element, line: int) -> None:
        self.depth -= 1
        if self.depth != 1 or self.root is None:
            return  # the root itself, or inside a child (e.g. the recorder's stylesheet)
        try:
            self._child(elem, line)
        except InvalidEvent as error:
            self.builder.reject(error, f"line {line}", _render(elem))
        self.root.clear()  # the child is done: keep memory flat however long the file is

    def _broken(self, error: ET.ParseError, chunk: bytes) -> None:
        if self.root is None:
            msg = f"{self.path}: not danmaku XML: {error}"
            raise InvalidInput(msg) from None
        line, column = error.position
        detail = f"the XML breaks here ({error}); the records before it are kept"
        self.builder.reject(
            InvalidEvent(MALFORMED_XML, detail), f"line {line}, column {column}", chunk
        )

    def _child(self, elem: ET.Element, line: int) -> None:
        if elem.tag == "BililiveRecorderRecordInfo":
            self._header(elem.get("roomid"), elem.get("start_time"), _start_time)
        elif elem.tag == "metadata":
            record_start = elem.findtext("record_start_time")
            self._header(elem.findtext("room_id"), record_start, _unix_start)
        elif elem.tag in _RECORDS:
            self._record(elem, line)

    def _header(
        self, room_id: str | None, start: str | None, parse_start: Callable[[str], datetime]
    ) -> None:
        if self.room_id is None and room_id and room_id.strip():
            self.room_id = room_id.strip()
        if self.start is None and start and start.strip():
            self.start = parse_start(start)

    def _record(self, elem: ET.Element, line: int) -> None:
        if self.room_id is None:
            msg = (
                f"{self.path}: line {line}: no room id: the file has no "
                "<BililiveRecorderRecordInfo roomid=...> or <metadata><room_id>; pass room_id="
            )
            raise InvalidInput(msg)
        self.ordinal += 1
        pending = _Pending(self.ordinal, line, _render(elem), _RECORDS[str(elem.tag)](elem))
        parsed = pending.parsed
        if self.start is None and parsed.ts is not None:
            self.start = parsed.ts - timedelta(seconds=parsed.offset)
        self.pending.append(pending)
        self._release()

    def _release(self) -> None:
        """Turn waiting records into events once the recording start is known."""
        if self.start is None:
            return
        for pending in self.pending:
            self._emit(pending, self.start)
        self.pending.clear()

    def _emit(self, pending: _Pending, start: datetime) -> None:
        parsed = pending.parsed
        room_id = str(self.room_id)
        envelope = {
            "event_id": event_id_for(room_id, self.path.stem, pending.ordinal),
            "ts": parsed.ts or start + timedelta(seconds=parsed.offset),
            "room_id": room_id,
            "session_id": self.session_id or session_id_for(room_id, start),
            "platform": PLATFORM,
        }
        try:
            event = to_event(parsed.cls, {**parsed.payload, **envelope})
        except InvalidEvent as error:
            self.builder.reject(error, f"line {pending.line}", pending.raw)
            return
        self.builder.add(event, pending.line, pending.raw)

    def _give_up_waiting(self) -> None:
        """Records still waiting at the end have only an offset, and nothing to add it to."""
        detail = "the record has only an offset (ts) and the file gives no start time"
        for pending in self.pending:
            self.builder.reject(
                InvalidEvent(MISSING_TIME, detail), f"line {pending.line}", pending.raw
            )
        self.pending.clear()


def _unix_start(value: str) -> datetime:
    return from_unix(parse_float(value, "record_start_time"), "record_start_time")


def read_bilibili_xml(
    path: Path,
    *,
    room_id: str | None = None,
    session_id: str | None = None,
    batch_size: int = 50_000,
) -> Iterator[SourceBatch]:
    """Read one danmaku XML file as batches of events.

    ``room_id`` and ``session_id`` override what the file says (a plain video-style file without
    a recorder header needs ``room_id``). Raises :class:`~livelens.errors.InvalidInput` while
    iterating if the file is not danmaku XML (not XML, or a root other than ``<i>``).
    """
    check_batch_size(batch_size)
    return _XmlReader(path, room_id, session_id, batch_size).batches()
