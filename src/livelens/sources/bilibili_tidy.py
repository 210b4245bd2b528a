"""Tidy CSV exports of Bilibili live recordings → livelens events.

A tidy folder holds up to six CSV files, one per platform command, each with a header row
(the layout of ``shared/data/live/bilibili-2021-12-30``; other files in the folder are ignored):

================================  ==========================================================
file                              event
================================  ==========================================================
``danmaku.csv``                   ``comment`` (viewer = ``user_name``, the only id it has)
``interact_word.csv``             msg_type 1 ``viewer.join``, 2 ``follow``, 3 ``share``
``send_gift.csv``                 ``gift`` (``total_coin`` gold // 10 fen; silver is free)
``super_chat.csv``                ``gift`` 醒目留言, ``price`` yuan × 100, message in ``text``
``guard_buy.csv``                 ``gift`` 舰长/提督/总督, ``price`` gold per unit × ``num``
``online_rank_count.csv``         ``online.count``
================================  ==========================================================

Time: a unix column (``unix_ts``, ``unix_start_time``) wins where the file has one and the row
fills it — it is the platform's own stamp, and the only one that the older capture format (room
545342, captured 2021-12-28) carries; otherwise ``date`` + ``exact_time`` in Beijing time.

Session: one per room per capture, ``bili-{room_id}-{YYYYMMDD}`` where the date is the Beijing
date of that room's earliest event in the folder. It comes from the data, so re-reading the folder
gives the same ids, and a capture that runs past midnight stays one session.

Every data row becomes exactly one event or one :class:`~livelens.sources.base.Rejection`, so
``events + rejections == rows`` per file (:func:`count_source_rows` gives the rows).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal

from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import INVALID_UTF8, INVALID_VALUE, MISSING_FIELD
from livelens.events.schema import Comment, Event, Follow, Gift, OnlineCount, Share, ViewerJoin
from livelens.sources.base import SourceBatch
from livelens.sources.bilibili import (
    CURRENCY,
    EMPTY_TEXT,
    MISSING_TIME,
    MISSING_VIEWER,
    PLATFORM,
    SHANGHAI,
    SUPER_CHAT_GIFT,
    UNKNOWN_MSG_TYPE,
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
from livelens.sources.tabular import MALFORMED_CSV

ViewerKey = Literal["uid", "name"]
Row = Mapping[str, str]
Mapped = tuple[type[Event], dict[str, Any]]

_LOCAL_TIME = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})")
_INTERACTIONS: Final[dict[int, type[Event]]] = {1: ViewerJoin, 2: Follow, 3: Share}


# --- reading the CSV: one record at a time, with its first line and its exact bytes ---


@dataclass(frozen=True, slots=True)
class _Record:
    number: int  # 1-based among the data rows (the header is not a row)
    line: int  # the line of the file where the record starts
    cells: list[str]
    raw: bytes  # the record as it stands in the file, without its line ending
    bad_utf8: bool


class _LineFeed:
    """Feeds a binary file to ``csv.reader`` line by line and remembers what each record used.

    ``csv.reader`` pulls exactly the lines one record needs (several when a quoted cell holds a
    newline), so the lines pulled since the last record are that record's raw text.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.lines_read = 0
        self.pulled: list[bytes] = []
        self.bad_utf8 = False

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        data = next(self._handle)
        self.lines_read += 1
        self.pulled.append(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.bad_utf8 = True
            return data.decode("utf-8", "replace")

    def take(self) -> tuple[int, bytes, bool]:
        """The first line, raw bytes and UTF-8 state of the record just read; then forget them."""
        first = self.lines_read - len(self.pulled) + 1
        taken = (first, b"".join(self.pulled).rstrip(b"\r\n"), self.bad_utf8)
        self.pulled, self.bad_utf8 = [], False
        return taken


def _read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def _read_records(path: Path) -> Iterator[_Record]:
    """The data rows of a CSV file; blank lines are not rows."""
    with path.open("rb") as handle:
        feed = _LineFeed(handle)
        reader = csv.reader(feed)
        next(reader, None)
        feed.take()
        number = 0
        for cells in reader:
            line, raw, bad_utf8 = feed.take()
            if cells:
                number += 1
                yield _Record(number, line, cells, raw, bad_utf8)


# --- time, viewer and the per-file mappings ---


def _row_time(row: Row, unix_column: str | None) -> datetime:
    if unix_column is not None:
        stamp = row.get(unix_column, "").strip()
        if stamp:
            return from_unix(parse_float(stamp, unix_column), unix_column)
    date, clock = row.get("date", "").strip(), row.get("exact_time", "").strip()
    if not date or not clock:
        if unix_column is None:
            detail = "date and exact_time are empty, and this file has no unix time column"
        else:
            detail = f"{unix_column}, date and exact_time are all empty"
        raise InvalidEvent(MISSING_TIME, f"the row has no time: {detail}")
    return _local_time(date, clock)


@functools.lru_cache(maxsize=8192)
def _local_time(date: str, clock: str) -> datetime:
    """``2021.12.30`` + ``19:34:43`` in Beijing time (cached: many rows share a second)."""
    match = _LOCAL_TIME.fullmatch(f"{date} {clock}")
    detail = f"date + exact_time must look like '2021.12.30 19:34:43'; got {date!r} {clock!r}"
    if match is None:
        raise InvalidEvent(INVALID_VALUE, detail)
    try:
        year, month, day, hour, minute, second = map(int, match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidEvent(INVALID_VALUE, detail) from None


def _viewer(row: Row, name_column: str, viewer_key: ViewerKey) -> dict[str, Any]:
    """Viewer fields: the ``uid`` is the id where present (else the name), the name the nickname."""
    uid, name = row.get("uid", "").strip(), row[name_column].strip()
    viewer = uid if viewer_key == "uid" and uid else name or uid
    if not viewer:
        raise InvalidEvent(MISSING_VIEWER, f"neither uid nor {name_column} is filled")
    return {"viewer_id": viewer, "nickname": name or None}


def _required(row: Row, column: str) -> str:
    value = row[column].strip()
    if not value:
        raise InvalidEvent(MISSING_FIELD, f"{column} is empty")
    return value


def _comment(row: Row, viewer_key: ViewerKey) -> Mapped:
    name = row["user_name"].strip()
    if not name:
        raise InvalidEvent(MISSING_VIEWER, "user_name is empty")
    text = row["content"]
    if not text.strip():
        raise InvalidEvent(EMPTY_TEXT, "content is empty: a comment needs text")
    return Comment, {"viewer_id": name, "nickname": name, "text": text}


def _interaction(row: Row, viewer_key: ViewerKey) -> Mapped:
    msg_type = parse_int(row["msg_type"], "msg_type")
    cls = _INTERACTIONS.get(msg_type)
    if cls is None:
        detail = f"msg_type {msg_type} is not 1 (enter), 2 (follow) or 3 (share)"
        raise InvalidEvent(UNKNOWN_MSG_TYPE, detail)
    return cls, _viewer(row, "uname", viewer_key)


def _gift(row: Row, viewer_key: ViewerKey) -> Mapped:
    total_coin = parse_int(row["total_coin"], "total_coin")
    payload = {
        "gift_name": _required(row, "gift_name"),
        "quantity": parse_int(row["num"], "num"),
        # total_coin, not price × num: for blind-box gifts price is the value of the gift drawn,
        # total_coin what the viewer paid for the box.
        "amount_minor": coins_to_minor(total_coin, row["coin_type"].strip()),
        "currency": CURRENCY,
    }
    return Gift, {**_viewer(row, "uname", viewer_key), **payload}


def _super_chat(row: Row, viewer_key: ViewerKey) -> Mapped:
    payload = {
        "gift_name": SUPER_CHAT_GIFT,
        "quantity": 1,
        "amount_minor": yuan_to_minor(row["price"], "price"),
        "currency": CURRENCY,
        "text": row["message"] or None,
    }
    return Gift, {**_viewer(row, "uname", viewer_key), **payload}


def _guard(row: Row, viewer_key: ViewerKey) -> Mapped:
    quantity = parse_int(row["num"], "num")
    price = parse_int(row["price"], "price")
    payload = {
        "gift_name": row["gift_name"].strip()
        or guard_name(parse_int(row["guard_level"], "guard_level")),
        "quantity": quantity,
        "amount_minor": coins_to_minor(price * quantity, "gold"),
        "currency": CURRENCY,
    }
    return Gift, {**_viewer(row, "username", viewer_key), **payload}


def _online_count(row: Row, viewer_key: ViewerKey) -> Mapped:
    return OnlineCount, {"count": parse_int(row["count"], "count")}


@dataclass(frozen=True, slots=True)
class _Table:
    """One tidy file: its name, the columns it must have, its unix time column, its mapping."""

    stem: str
    columns: tuple[str, ...]
    unix_column: str | None
    map_row: Callable[[Row, ViewerKey], Mapped]


_TABLES: Final = (
    _Table("danmaku", ("room_id", "date", "exact_time", "user_name", "content"), None, _comment),
    _Table(
        "interact_word", ("room_id", "unix_ts", "uid", "uname", "msg_type"), "unix_ts", _interaction
    ),
    _Table(
        "send_gift",
        ("room_id", "unix_ts", "uid", "uname", "gift_name", "num", "coin_type", "total_coin"),
        "unix_ts",
        _gift,
    ),
    _Table(
        "super_chat",
        ("room_id", "unix_start_time", "uid", "uname", "price", "message"),
        "unix_start_time",
        _super_chat,
    ),
    _Table(
        "guard_buy",
        (
            "room_id",
            "unix_start_time",
            "uid",
            "username",
            "gift_name",
            "guard_level",
            "num",
            "price",
        ),
        "unix_start_time",
        _guard,
    ),
    _Table("online_rank_count", ("room_id", "date", "exact_time", "count"), None, _online_count),
)
TIDY_FILES: Final[tuple[str, ...]] = tuple(f"{table.stem}.csv" for table in _TABLES)


@dataclass(frozen=True, slots=True)
class _TableFile:
    table: _Table
    path: Path
    header: list[str]


def _table_files(directory: Path) -> list[_TableFile]:
    """The tidy files present in ``directory``, with their headers checked."""
    if not directory.is_dir():
        msg = f"{directory}: not a directory; expected a folder of tidy Bilibili CSV files"
        raise InvalidInput(msg)
    found = []
    for table in _TABLES:
        path = directory / f"{table.stem}.csv"
        if not path.is_file():
            continue
        header = _read_header(path)
        missing = [column for column in table.columns if column not in header]
        if missing:
            msg = f"{path}: header lacks column(s) {missing}; got {header}"
            raise InvalidInput(msg)
        found.append(_TableFile(table, path, header))
    if not found:
        msg = f"{directory}: none of {', '.join(TIDY_FILES)} is there"
        raise InvalidInput(msg)
    return found


# --- rows → events ---


def _row(file: _TableFile, record: _Record) -> dict[str, str]:
    """The record as a mapping from column to cell, or a rejection if it cannot be one."""
    if record.bad_utf8:
        raise InvalidEvent(INVALID_UTF8, "the row contains bytes that are not UTF-8")
    if len(record.cells) != len(file.header):
        detail = f"the row has {len(record.cells)} cells; the header has {len(file.header)}"
        raise InvalidEvent(MALFORMED_CSV, detail)
    row = dict(zip(file.header, record.cells, strict=True))
    if not row["room_id"].strip():
        raise InvalidEvent(MISSING_FIELD, "room_id is empty")
    return row


def _event(
    file: _TableFile, record: _Record, sessions: Mapping[str, str], viewer_key: ViewerKey
) -> Event:
    row = _row(file, record)
    room_id = row["room_id"].strip()
    ts = _row_time(row, file.table.unix_column)
    cls, payload = file.table.map_row(row, viewer_key)
    envelope = {
        "event_id": event_id_for(room_id, file.table.stem, record.number),
        "ts": ts,
        "room_id": room_id,
        "session_id": sessions[room_id],
        "platform": PLATFORM,
    }
    return to_event(cls, {**payload, **envelope})


def _capture_starts(files: list[_TableFile]) -> dict[str, datetime]:
    """Each room's earliest event time in all files (a first pass; rejected rows do not count)."""
    starts: dict[str, datetime] = {}
    for file in files:
        for record in _read_records(file.path):
            try:
                row = _row(file, record)
                ts = _row_time(row, file.table.unix_column)
            except InvalidEvent:
                continue  # the second pass rejects this row with its reason
            room_id = row["room_id"].strip()
            if room_id not in starts or ts < starts[room_id]:
                starts[room_id] = ts
    return starts


def _read_file(
    file: _TableFile, sessions: Mapping[str, str], batch_size: int, viewer_key: ViewerKey
) -> Iterator[SourceBatch]:
    builder = BatchBuilder(str(file.path), batch_size)
    yielded = False
    for record in _read_records(file.path):
        try:
            event = _event(file, record, sessions, viewer_key)
        except InvalidEvent as error:
            builder.reject(error, f"line {record.line}", record.raw)
        else:
            builder.add(event, record.line, record.raw)
        if builder.full:
            yield builder.flush()
            yielded = True
    if not builder.empty or not yielded:
        yield builder.flush()


def _read_tidy(
    files: list[_TableFile], batch_size: int, viewer_key: ViewerKey
) -> Iterator[SourceBatch]:
    starts = _capture_starts(files)
    sessions = {room_id: session_id_for(room_id, start) for room_id, start in starts.items()}
    for file in files:
        yield from _read_file(file, sessions, batch_size, viewer_key)


def read_bilibili_tidy(
    directory: Path, *, batch_size: int = 50_000, viewer_key: ViewerKey = "uid"
) -> Iterator[SourceBatch]:
    """Read a folder of tidy Bilibili CSV files as batches of events, one file after another.

    ``viewer_key="uid"`` (the default) identifies viewers by platform uid, which is stable; a row
    without a uid falls back to its user name. Comments carry only a user name, so their viewer
    ids do not meet the uids of the other files; ``viewer_key="name"`` uses names everywhere,
    which joins comments with gifts and entries at the cost of treating a renamed viewer as two.

    The folder and the headers are checked now (:class:`~livelens.errors.InvalidInput` when no
    tidy file is there or one lacks a column); rows are read when the batches are iterated.
    """
    check_batch_size(batch_size)
    return _read_tidy(_table_files(directory), batch_size, viewer_key)


def count_source_rows(directory: Path) -> dict[str, int]:
    """Data rows per tidy file, by stem (``"danmaku"``): what events + rejections add up to."""
    return {
        file.table.stem: sum(1 for _ in _read_records(file.path))
        for file in _table_files(directory)
    }
