"""Bilibili recordings → events: every source row reconciles, and the real numbers come out right.

Expected values are computed here from the CSV files with the csv module, independently of the
adapters; the row counts are also those stated in the folder's PROVENANCE.md.
"""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest

from livelens.errors import InvalidInput
from livelens.events import codec
from livelens.events.schema import Event, Gift, event_type
from livelens.settings import data_dir
from livelens.sources.base import Rejection, SourceBatch
from livelens.sources.bilibili_tidy import count_source_rows, read_bilibili_tidy
from livelens.sources.bilibili_xml import read_bilibili_xml

DATA = data_dir() / "live" / "bilibili-2021-12-30"
BEIJING = timezone(timedelta(hours=8))
# Rows per file as PROVENANCE.md states them.
PROVENANCE_ROWS = {
    "danmaku": 41_423,
    "interact_word": 29_334,
    "send_gift": 5_857,
    "super_chat": 159,
    "guard_buy": 115,
    "online_rank_count": 7_485,
}
OLD_FORMAT_ROOM = "545342"  # captured 2021-12-28; only its unix timestamps date it


# --- helpers: an independent reading of the CSV files ---


def csv_rows(stem: str, directory: Path = DATA) -> list[dict[str, str]]:
    with (directory / f"{stem}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def local_time(row: dict[str, str]) -> datetime:
    text = f"{row['date']} {row['exact_time']} +0800"
    return datetime.strptime(text, "%Y.%m.%d %H:%M:%S %z")


def events_of(batches: Iterable[SourceBatch]) -> list[Event]:
    return [event for batch in batches for event in batch.events]


def rejections_of(batches: Iterable[SourceBatch]) -> list[Rejection]:
    return [rejection for batch in batches for rejection in batch.rejections]


def by_file(batches: list[SourceBatch], stem: str) -> list[SourceBatch]:
    return [batch for batch in batches if Path(batch.source).stem == stem]


@pytest.fixture(scope="module")
def real() -> list[SourceBatch]:
    return list(read_bilibili_tidy(DATA))


# --- the real recording ---


def test_count_source_rows_matches_the_csv_and_provenance() -> None:
    independent = {stem: len(csv_rows(stem)) for stem in PROVENANCE_ROWS}
    assert independent == PROVENANCE_ROWS
    assert count_source_rows(DATA) == PROVENANCE_ROWS


@pytest.mark.parametrize("stem", sorted(PROVENANCE_ROWS))
def test_every_row_is_one_event_or_one_rejection(real: list[SourceBatch], stem: str) -> None:
    batches = by_file(real, stem)
    assert batches, f"no batch from {stem}.csv"
    events, rejections = events_of(batches), rejections_of(batches)
    assert len(events) + len(rejections) == len(csv_rows(stem))
    for rejection in rejections:
        assert rejection.reason
        assert rejection.detail
        assert rejection.location.startswith("line ")
        assert rejection.raw


def test_types_per_file_match_an_independent_count(real: list[SourceBatch]) -> None:
    def types(stem: str) -> Counter[str]:
        return Counter(event_type(event) for event in events_of(by_file(real, stem)))

    assert types("danmaku") == {"comment": sum(1 for r in csv_rows("danmaku") if r["content"])}
    msg_types = Counter(row["msg_type"] for row in csv_rows("interact_word"))
    assert types("interact_word") == {
        "viewer.join": msg_types["1"],
        "follow": msg_types["2"],
        "share": msg_types["3"],
    }
    for stem in ("send_gift", "super_chat", "guard_buy"):
        assert types(stem) == {"gift": len(csv_rows(stem))}
    timed = [row for row in csv_rows("online_rank_count") if row["date"]]
    assert types("online_rank_count") == {"online.count": len(timed)}


def test_only_the_untimed_online_counts_are_rejected(real: list[SourceBatch]) -> None:
    untimed = [row for row in csv_rows("online_rank_count") if not row["date"]]
    assert {row["room_id"] for row in untimed} == {OLD_FORMAT_ROOM}
    rejections = rejections_of(real)
    assert len(rejections) == len(untimed) == 2_524
    assert {r.reason for r in rejections} == {"missing_time"}
    assert all(r.raw.startswith(f"{OLD_FORMAT_ROOM},,,") for r in rejections)


def test_event_times_fall_in_the_capture(real: list[SourceBatch]) -> None:
    old: list[datetime] = []
    evening: list[datetime] = []
    for event in events_of(real):
        assert isinstance(event.ts, datetime)
        (old if event.room_id == OLD_FORMAT_ROOM else evening).append(event.ts)
    assert min(old) >= datetime(2021, 12, 28, tzinfo=BEIJING)
    assert max(old) < datetime(2021, 12, 31, tzinfo=BEIJING)
    assert min(old) < datetime(2021, 12, 29, tzinfo=BEIJING)  # dated by unix ts, not "today"
    assert min(evening) >= datetime(2021, 12, 30, 19, 34, tzinfo=BEIJING)
    assert max(evening) < datetime(2021, 12, 30, 23, 49, tzinfo=BEIJING)


def test_unix_time_wins_where_the_row_has_one(real: list[SourceBatch]) -> None:
    first_row = csv_rows("interact_word")[0]
    first_event = events_of(by_file(real, "interact_word"))[0]
    assert first_event.ts == datetime.fromtimestamp(int(first_row["unix_ts"]), BEIJING)
    first_comment_row = csv_rows("danmaku")[0]
    assert events_of(by_file(real, "danmaku"))[0].ts == local_time(first_comment_row)


def test_sessions_are_one_per_room_named_by_capture_date(real: list[SourceBatch]) -> None:
    rooms = {event.room_id for event in events_of(real)}
    sessions = {(event.room_id, event.session_id) for event in events_of(real)}
    expected = {
        (room, f"bili-{room}-{'20211228' if room == OLD_FORMAT_ROOM else '20211230'}")
        for room in rooms
    }
    assert sessions == expected
    assert len(rooms) == 8


def test_gift_revenue_of_room_11365_matches_the_csv(real: list[SourceBatch]) -> None:
    room = "11365"
    gold = sum(
        int(r["total_coin"]) // 10
        for r in csv_rows("send_gift")
        if r["room_id"] == room and r["coin_type"] == "gold"
    )
    super_chat = sum(int(r["price"]) * 100 for r in csv_rows("super_chat") if r["room_id"] == room)
    guard = sum(
        int(r["price"]) * int(r["num"]) // 10 for r in csv_rows("guard_buy") if r["room_id"] == room
    )
    gifts = [e for e in events_of(real) if isinstance(e, Gift) and e.room_id == room]
    assert sum(g.amount_minor for g in gifts) == gold + super_chat + guard
    assert {g.currency for g in gifts} == {"CNY"}
    silver = [
        r for r in csv_rows("send_gift") if r["room_id"] == room and r["coin_type"] == "silver"
    ]
    assert sum(1 for g in gifts if g.amount_minor == 0) == len(silver)


def test_super_chats_keep_their_message(real: list[SourceBatch]) -> None:
    chats = events_of(by_file(real, "super_chat"))
    rows = csv_rows("super_chat")
    assert [(c.gift_name, c.text, c.amount_minor) for c in chats] == [  # type: ignore[attr-defined]
        ("醒目留言", r["message"], int(r["price"]) * 100) for r in rows
    ]


def test_every_event_round_trips_through_the_codec(real: list[SourceBatch]) -> None:
    events = events_of(real)
    lines = codec.encode_lines(events).splitlines()
    assert len(lines) == len(events)
    assert [codec.decode_event(line) for line in lines] == events


def test_event_ids_are_unique_and_stable(real: list[SourceBatch]) -> None:
    ids = [event.event_id for event in events_of(real)]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "bili:11365:danmaku:1"
    again = events_of(read_bilibili_tidy(DATA, batch_size=20_000))
    assert [event.event_id for event in again] == ids
    assert again == events_of(real)


def test_locate_gives_the_line_and_text_of_an_event(real: list[SourceBatch]) -> None:
    lines = (DATA / "send_gift.csv").read_text(encoding="utf-8").splitlines()
    (batch,) = by_file(real, "send_gift")
    for index in (0, 1, len(batch.events) - 1):
        location, raw = batch.locate(index)
        number = int(location.removeprefix("line "))
        assert raw == lines[number - 1]
        assert batch.events[index].event_id == f"bili:{raw.split(',')[0]}:send_gift:{number - 1}"


def test_viewer_key_name_joins_comments_with_gifts() -> None:
    def commenters_who_gift(events: list[Event]) -> set[str | None]:
        commenters = {e.viewer_id for e in events if event_type(e) == "comment"}
        return commenters & {e.viewer_id for e in events if event_type(e) == "gift"}

    by_uid = events_of(read_bilibili_tidy(DATA))
    by_name = events_of(read_bilibili_tidy(DATA, viewer_key="name"))
    assert not commenters_who_gift(by_uid)  # danmaku has no uid: the ids cannot meet
    assert commenters_who_gift(by_name)


# --- malformed tidy files (written here, so every bad case is known) ---

DANMAKU_HEADER = "room_id,date,exact_time,delta_s,user_name,content,color"
INTERACT_HEADER = "room_id,date,exact_time,delta_s,unix_ts,uid,uname,msg_type"
GIFT_HEADER = (
    "room_id,date,exact_time,delta_s,unix_ts,uid,uname,gift_name,gift_id,num,price,"
    "coin_type,total_coin,action"
)


def write_tidy(directory: Path, files: dict[str, list[str]]) -> Path:
    directory.mkdir(exist_ok=True)
    for stem, lines in files.items():
        (directory / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write_tidy(
        tmp_path / "tidy",
        {
            "danmaku": [
                DANMAKU_HEADER,
                "7,2021.12.30,20:00:00,1.0,u_a,你好,ffffff",  # line 2: good
                '7,2021.12.30,20:00:01,2.0,u_b,"一,二",ffffff',  # 3: a comma inside quotes
                "7,2021.12.30,20:00:02,3.0,u_c,,ffffff",  # 4: empty text
                "7,,,,u_d,没有时间,ffffff",  # 5: missing time
                "7,2021.12.30,20:00:04,4.0,u_e,多,了,一格,ffffff",  # 6: too many cells
                "7,2021.13.30,20:00:05,5.0,u_f,坏日期,ffffff",  # 7: impossible date
            ],
            "interact_word": [
                INTERACT_HEADER,
                "7,,,,1640865600,u1,n1,1",  # line 2: good join
                "7,,,,1640865601,u2,n2,9",  # 3: unknown msg_type
                "7,,,,1640865602,u3,n3,x",  # 4: bad number
                "7,,,,1640865603,,n4,2",  # 5: no uid: falls back to the name
                "7,,,,,,n5,1",  # 6: no time at all
            ],
            "send_gift": [
                GIFT_HEADER,
                "7,,,,1640865600,u1,n1,辣条,1,2,100,silver,200,投喂",  # good, free
                "7,,,,1640865601,u2,n2,铜币,2,1,100,bronze,100,投喂",  # unknown coin
                "7,,,,1640865602,u3,n3,铃铛,3,0,1000,gold,0,投喂",  # quantity 0
            ],
        },
    )


def test_bad_rows_become_rejections_with_reasons(messy: Path) -> None:
    batches = list(read_bilibili_tidy(messy))
    found = {(Path(r.source).stem, r.location): r.reason for r in rejections_of(batches)}
    assert found == {
        ("danmaku", "line 4"): "empty_text",
        ("danmaku", "line 5"): "missing_time",
        ("danmaku", "line 6"): "malformed_csv",
        ("danmaku", "line 7"): "invalid_value",
        ("interact_word", "line 3"): "unknown_msg_type",
        ("interact_word", "line 4"): "invalid_number",
        ("interact_word", "line 6"): "missing_time",
        ("send_gift", "line 3"): "unknown_coin_type",
        ("send_gift", "line 4"): "out_of_range",
    }
    rows = count_source_rows(messy)
    assert rows == {"danmaku": 6, "interact_word": 5, "send_gift": 3}
    for stem, count in rows.items():
        mine = by_file(batches, stem)
        assert len(events_of(mine)) + len(rejections_of(mine)) == count


def test_good_rows_among_bad_ones_are_mapped(messy: Path) -> None:
    events = events_of(read_bilibili_tidy(messy))
    texts = [e.text for e in events if event_type(e) == "comment"]  # type: ignore[attr-defined]
    assert texts == ["你好", "一,二"]
    follow = next(e for e in events if event_type(e) == "follow")
    assert (follow.viewer_id, follow.nickname) == ("n4", "n4")
    (gift,) = [e for e in events if isinstance(e, Gift)]
    assert (gift.gift_name, gift.quantity, gift.amount_minor) == ("辣条", 2, 0)
    assert {e.session_id for e in events} == {"bili-7-20211230"}


def test_rejection_raw_is_the_source_line(messy: Path) -> None:
    (batch, *_) = read_bilibili_tidy(messy)
    reasons = {r.location: r.raw for r in batch.rejections}
    assert reasons["line 6"] == "7,2021.12.30,20:00:04,4.0,u_e,多,了,一格,ffffff"
    assert batch.locate(1) == ("line 3", '7,2021.12.30,20:00:01,2.0,u_b,"一,二",ffffff')


def test_small_batches_hold_the_same_events(messy: Path) -> None:
    small = list(read_bilibili_tidy(messy, batch_size=2))
    assert all(len(b.events) + len(b.rejections) <= 2 for b in small)
    assert events_of(small) == events_of(read_bilibili_tidy(messy))
    assert len(rejections_of(small)) == 9


def test_unusable_folders_raise_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"none of danmaku\.csv"):
        read_bilibili_tidy(tmp_path)
    write_tidy(tmp_path, {"danmaku": ["room_id,date,content", "7,2021.12.30,hi"]})
    with pytest.raises(
        InvalidInput, match=re.escape("lacks column(s) ['exact_time', 'user_name']")
    ):
        read_bilibili_tidy(tmp_path)
    with pytest.raises(InvalidInput, match="batch_size"):
        read_bilibili_tidy(DATA, batch_size=0)


# --- danmaku XML, written BililiveRecorder-style from the real rows of room 1370218 ---

XML_ROOM = "1370218"
XML_START = datetime(2021, 12, 30, 19, 34, 43, 123000, tzinfo=BEIJING)
STYLE = (  # the recorder's stylesheet holds elements of its own, one even named d
    '<BililiveRecorderXmlStyle><z:stylesheet version="1.0" '
    'xmlns:z="http://www.w3.org/1999/XSL/Transform"><z:template match="/"><html><table><d>not a '
    "comment</d></table></html></z:template></z:stylesheet></BililiveRecorderXmlStyle>"
)


def attrs(**values: object) -> str:
    return " ".join(f'{k}="{html.escape(str(v))}"' for k, v in values.items())


def danmaku_element(row: dict[str, str], millis: bool) -> str:
    sent = local_time(row)
    offset = (sent - XML_START).total_seconds()
    stamp = int(sent.timestamp() * 1000) if millis else int(sent.timestamp())
    p = f"{offset:.3f},1,25,16777215,{stamp},0,{row['user_name']},0"
    return f"  <d {attrs(p=p, user=row['user_name'])}>{html.escape(row['content'])}</d>"


def recorder_lines(header: bool = True, millis: bool = True) -> list[str]:
    """The file's lines; a gift comes before the first comment, an sc and a guard among them."""
    comments = [r for r in csv_rows("danmaku") if r["room_id"] == XML_ROOM]
    gift = next(
        r for r in csv_rows("send_gift") if r["room_id"] == XML_ROOM and r["coin_type"] == "gold"
    )
    raw = msgspec.json.encode(
        {"total_coin": int(gift["total_coin"]), "coin_type": "gold", "num": int(gift["num"])}
    ).decode()
    info = attrs(roomid=XML_ROOM, shortid=0, name="主播", start_time=XML_START.isoformat())
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml-stylesheet type="text/xsl" href="#s"?>',
    ]
    lines += ["<i>", "  <!-- B站录播姬 -->", "  <chatserver>chat.bilibili.com</chatserver>"]
    if header:
        lines.append(f"  <BililiveRecorderRecordInfo {info} />")
    lines.append(f"  {STYLE}")
    gift_attrs = attrs(
        ts=1.5, user=gift["uname"], uid=gift["uid"], giftname=gift["gift_name"], raw=raw
    )
    lines.append(f'  <gift {gift_attrs} giftcount="{gift["num"]}" />')
    lines += [danmaku_element(row, millis) for row in comments[:100]]
    sc = attrs(ts=600.25, user="n_sc", uid="9001", price=30, time=60)
    lines.append(f"  <sc {sc}>主播好！&lt;3</sc>")
    lines.append(f"  <guard {attrs(ts=601, user='n_guard', uid='9002', level=3, count=1)} />")
    lines += [danmaku_element(row, millis) for row in comments[100:]]
    lines.append("</i>")
    return lines


def write_xml(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("millis", [True, False], ids=["send_time_ms", "send_time_s"])
def test_recorder_xml_reconciles_with_the_csv(tmp_path: Path, millis: bool) -> None:
    path = write_xml(tmp_path / "录制-1370218.xml", recorder_lines(millis=millis))
    batches = list(read_bilibili_xml(path))
    events = events_of(batches)
    assert rejections_of(batches) == []
    rows = [r for r in csv_rows("danmaku") if r["room_id"] == XML_ROOM]
    comments = [e for e in events if event_type(e) == "comment"]
    assert len(rows) == len(comments) == 163
    assert [c.text for c in comments] == [r["content"] for r in rows]  # type: ignore[attr-defined]
    assert [c.ts for c in comments] == [local_time(r) for r in rows]
    assert [c.viewer_id for c in comments] == [r["user_name"] for r in rows]
    assert {(e.room_id, e.session_id) for e in events} == {(XML_ROOM, "bili-1370218-20211230")}
    assert len({e.event_id for e in events}) == len(events) == 166
    assert [codec.decode_event(codec.encode_event(e)) for e in events] == events


def test_recorder_gift_sc_and_guard(tmp_path: Path) -> None:
    path = write_xml(tmp_path / "rec.xml", recorder_lines())
    gifts = [e for e in events_of(read_bilibili_xml(path)) if isinstance(e, Gift)]
    row = next(
        r for r in csv_rows("send_gift") if r["room_id"] == XML_ROOM and r["coin_type"] == "gold"
    )
    summary = [(g.gift_name, g.quantity, g.amount_minor, g.text, g.viewer_id) for g in gifts]
    assert summary == [
        (row["gift_name"], int(row["num"]), int(row["total_coin"]) // 10, None, row["uid"]),
        ("醒目留言", 1, 3000, "主播好！<3", "9001"),
        ("舰长", 1, 19_800, None, "9002"),
    ]
    assert [g.ts for g in gifts] == [
        XML_START + timedelta(seconds=1.5),
        XML_START + timedelta(seconds=600.25),
        XML_START + timedelta(seconds=601),
    ]


def test_without_a_header_offsets_count_from_the_first_comment(tmp_path: Path) -> None:
    path = write_xml(tmp_path / "plain.xml", recorder_lines(header=False))
    with pytest.raises(InvalidInput, match="no room id"):
        list(read_bilibili_xml(path))
    events = events_of(read_bilibili_xml(path, room_id=XML_ROOM, session_id="s-1"))
    gift = events[0]
    assert isinstance(gift, Gift)
    assert gift.ts == XML_START + timedelta(seconds=1.5)  # the gift came before any comment
    assert {e.session_id for e in events} == {"s-1"}


def test_a_bad_p_attribute_is_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    lines = recorder_lines()
    bad_line = lines.index("</i>")
    lines.insert(bad_line, '  <d p="abc,1,25" user="x">坏的</d>')
    path = write_xml(tmp_path / "bad.xml", lines)
    batches = list(read_bilibili_xml(path))
    (rejection,) = rejections_of(batches)
    assert rejection.reason == "invalid_danmaku_p"
    assert rejection.location == f"line {bad_line + 1}"
    assert rejection.raw == '<d p="abc,1,25" user="x">坏的</d>'
    assert len(events_of(batches)) == 166


def test_a_truncated_file_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    lines = recorder_lines()
    first = next(n for n, line in enumerate(lines) if line.startswith("  <d "))
    cut = first + 50  # 50 comments are whole; the 51st breaks off mid-element
    path = tmp_path / "cut.xml"
    path.write_text("\n".join(lines[:cut]) + "\n" + lines[cut][:30], encoding="utf-8")
    batches = list(read_bilibili_xml(path))
    events = events_of(batches)
    assert [event_type(e) for e in events] == ["gift"] + ["comment"] * 50
    (rejection,) = rejections_of(batches)
    assert rejection.reason == "malformed_xml"
    assert rejection.location.startswith(f"line {cut + 1}, column ")
    assert rejection.raw == lines[cut][:30]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('<?xml version="1.0"?>\n<rss><channel/></rss>\n', "root element is <rss>"),
        ("room_id,date\n7,2021.12.30\n", "not danmaku XML"),
        ("", "not danmaku XML"),
    ],
    ids=["other_xml", "not_xml", "empty"],
)
def test_a_file_that_is_not_danmaku_xml_raises(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "other.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=match):
        list(read_bilibili_xml(path))


def test_xml_batches_are_bounded(tmp_path: Path) -> None:
    path = write_xml(tmp_path / "rec.xml", recorder_lines())
    batches = list(read_bilibili_xml(path, batch_size=40))
    assert [len(b.events) for b in batches] == [40, 40, 40, 40, 6]
    assert batches[1].locate(0)[0].startswith("line ")
    assert events_of(batches) == events_of(read_bilibili_xml(path))
