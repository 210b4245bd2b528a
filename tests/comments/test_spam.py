"""Spam signals and flood detection, on hand-written cases and on a real live room's chat."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from livelens.comments.normalize import normalize
from livelens.comments.spam import Flood, detect_floods, flood_key, is_spam, spam_signals

DANMAKU = Path("live") / "bilibili-2021-12-30" / "danmaku.csv"


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("https://t.cn/xyz 点开抢", "link"),
        ("www点xxx点com 领红包", "link"),  # obfuscated, resolved by normalize
        ("看这里 shop123.top", "link"),
        ("加v看更多优惠", "contact_handle"),
        ("便宜出大牌，vx：abc123", "contact_handle"),
        ("威信 abc9999", "contact_handle"),
        ("➕微 领福利", "contact_handle"),
        ("想要同款的加我qq12345678", "contact_handle"),
        ("13812345678 联系我", "phone_number"),
        ("要的找 8732641 备注直播", "digit_run"),
        ("兼职日结，私聊", "ad_phrase"),
        ("刷单返利，一单10元", "ad_phrase"),
        ("点我主页有惊喜", "ad_phrase"),
        ("低价代购大牌", "ad_phrase"),
    ],
)
def test_spam_signals(text: str, signal: str) -> None:
    normalized = normalize(text)
    assert signal in spam_signals(normalized)
    assert is_spam(normalized)


@pytest.mark.parametrize(
    "text",
    [
        "扣1", "1111111", "2333333", "666", "哈哈哈哈", "99元", "9.9包邮", "加购物车了",
        "加绒的吗", "主播加油", "私人定制吗", "关注主播了", "是代购的吗", "链接在哪",
        "bili_15001597646支持了1个舰长", "2021.12.30", "...",
    ],
)  # fmt: skip
def test_ordinary_chat_is_not_spam(text: str) -> None:
    assert spam_signals(normalize(text)) == []


def test_flood_key_ignores_punctuation_emoji_and_repetition() -> None:
    assert flood_key("哈哈哈哈哈") == flood_key("哈哈！") == "哈"
    assert flood_key("好耶好耶～") == flood_key("好耶") == "好耶"
    assert flood_key("?") == "?"  # a reaction of symbols keys on its symbols
    assert flood_key("加v:abc123 低价") == flood_key("加v abc123低价!!")


def _by_key(floods: list[Flood]) -> dict[str, Flood]:
    return {flood.key: flood for flood in floods}


def test_a_chant_from_many_viewers_is_not_spam() -> None:
    chat = [(f"viewer-{i}", normalize("扣1" if i % 2 else "扣1！！")) for i in range(50)]
    chat += [("viewer-x", normalize("主播好")), ("viewer-y", normalize("多少钱"))]
    floods = detect_floods(chat)
    assert len(floods) == 1
    (flood,) = floods
    assert (flood.key, flood.viewers, flood.comments, flood.kind) == ("扣1", 50, 50, "chant")
    assert flood.signals == []


def test_an_ad_from_eight_viewers_is_a_spam_flood() -> None:
    wordings = ["加v：abc123 低价代购", "加V abc123 低价代购！", "加v:abc123低价代购"]
    chat = [(f"bot-{i}", normalize(wordings[i % 3])) for i in range(8)]
    chat += [(f"viewer-{i}", normalize("666")) for i in range(3)]  # too few to flood
    floods = detect_floods(chat)
    assert [flood.kind for flood in floods] == ["spam"]
    assert floods[0].viewers == 8
    assert set(floods[0].signals) == {"ad_phrase", "contact_handle"}


def test_one_viewer_repeating_floods_below_the_viewer_threshold() -> None:
    chat = [("viewer-1", normalize("快上链接"))] * 6 + [("viewer-2", normalize("快上链接"))]
    (flood,) = detect_floods(chat, min_viewers=5, min_repeats=5)
    assert (flood.viewers, flood.comments, flood.max_repeats) == (2, 7, 6)
    assert detect_floods(chat, min_viewers=5, min_repeats=10) == []


@pytest.fixture(scope="module")
def danmaku(shared_data: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Real Bilibili chat per room: (viewer, raw text, normalized text)."""
    rooms: defaultdict[str, list[tuple[str, str, str]]] = defaultdict(list)
    with (shared_data / DANMAKU).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = row["content"]
            rooms[row["room_id"]].append((row["user_name"], text, normalize(text)))
    return rooms


def test_real_chat_has_little_spam_and_its_floods_are_chants(
    danmaku: dict[str, list[tuple[str, str, str]]],
) -> None:
    """A VTuber room's evening (no shopping): chants flood it, ads do not."""
    comments = [comment for room in danmaku.values() for comment in room]
    assert len(comments) > 40_000
    flagged = [(raw, spam_signals(text)) for _, raw, text in comments if spam_signals(text)]
    print(f"\nspam-flagged: {len(flagged)} of {len(comments)} comments")
    for raw, signals in flagged[:10]:
        print(f"  {raw!r} {signals}")
    assert len(flagged) / len(comments) < 0.005

    floods = [
        flood
        for room in danmaku.values()
        for flood in detect_floods([(viewer, text) for viewer, _, text in room])
    ]
    floods.sort(key=lambda flood: -flood.comments)
    print(f"floods: {len(floods)}; the 10 biggest:")
    for flood in floods[:10]:
        print(f"  {flood.text!r} viewers={flood.viewers} comments={flood.comments} {flood.kind}")
    assert all(flood.kind == "chant" for flood in floods)
    top = floods[:10]
    assert all(len(flood.key) <= 6 for flood in top)  # short chants
    assert {"哈", "?", "好耶"} <= {flood.key for flood in top}
    assert all(flood.viewers >= 50 for flood in top)  # many viewers, not one repeating
