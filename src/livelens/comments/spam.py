"""Spam and floods: ads that pull viewers out of the room, and texts that swamp the chat.

Two different questions:

* *Is this one comment an ad?* :func:`spam_signals` names what gives it away: an outside
  link (also spelled "www点xx点com"), a contact handle ("加v", "vx", "威信", "+微", a QQ or phone
  number), or an ad phrase (兼职, 刷单, 引流, 私聊, 低价出 …). These point viewers elsewhere,
  which is what platforms punish, so any one of them makes :func:`is_spam` true.
* *Is the chat being flooded?* :func:`detect_floods` finds one text (up to punctuation, emoji
  and repeated characters) said by many viewers, or repeated by one viewer. In a live room most
  floods are organic chants ("扣1", "666", "哈哈哈", "？？？", "好耶") — engagement, not abuse —
  so a flood is ``kind="spam"`` only when its text carries a spam signal, else ``"chant"``.

Input is normalized text (:func:`livelens.comments.normalize.normalize`): contact-handle
disguises are already folded to one spelling there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Final, Literal

import msgspec

_SIGNALS: Final = (
    (
        "link",
        re.compile(
            r"https?://|www\.|t\.cn/|(?<![\w.])[a-z0-9-]{2,}\.(?:com|cn|net|top|xyz|cc|vip|me)(?![a-z])"
        ),
    ),
    (
        "contact_handle",
        re.compile(
            r"(?:加|\+|找|联系|私)\s?我?\s?(?:v|微信|微|q|qq|扣扣|wx|企鹅)(?![a-z])"
            r"|(?:微信|(?<![a-z])v|(?<![a-z])qq|企鹅|扣扣)(?:号)?\s?[:=]\s?[a-z0-9_-]{4,}"
            r"|(?:微信|(?<![a-z])qq)\s?[a-z0-9_-]*\d[a-z0-9_-]{3,}"
        ),
    ),
    # not inside a user name ("bili_15001597646"): handles are typed apart from letters
    ("phone_number", re.compile(r"(?<![\da-z_])1[3-9]\d{9}(?!\d)")),
    (
        "ad_phrase",
        re.compile(
            "兼职|刷单|引流|私聊|私我|私信我|私发|低价出|便宜出|出大牌|低价代购|代购私|日结|日赚"
            "|返利|互关|互粉|一件代发|招代理|看我主页|点我主页|主页有|看主页|看我头像|点头像"
            "|进群|加群|在家可做|躺赚|网赚|想赚钱|带你赚|我空间|空间有|联系方式|联系我"
            "|点击头像|头像领|头像有|收徒|加盟|来我直播间|来我的直播间|赚\\d{3,}|交友|^关注我|分享好物|搜店铺|店铺搜"
        ),
    ),
)
# Digit runs that are not a phone number but still look like an account (QQ numbers are 5-11
# digits; 7+ rules out prices and reply digits). Chat laughter "2333333" and "1111111" repeats
# few distinct digits, so a run needs 4 of them.
_DIGIT_RUN: Final = re.compile(r"(?<![a-z_\d])\d{7,}")
_MIN_DISTINCT_DIGITS: Final = 4
# One cheap scan rules out most comments before the individual rules run.
_ANY_SIGNAL: Final = re.compile(
    r"[0-9:=./+加找联私兼刷引出代结赚返互页像群躺网信qv企扣间式徒盟交享搜关]"
)


def spam_signals(text: str) -> list[str]:
    """The names of the spam signals in a normalized comment, in a fixed order (empty: none)."""
    if not _ANY_SIGNAL.search(text):
        return []
    found = [name for name, pattern in _SIGNALS if pattern.search(text)]
    if "phone_number" not in found and any(
        len(set(run)) >= _MIN_DISTINCT_DIGITS for run in _DIGIT_RUN.findall(text)
    ):
        found.append("digit_run")
    return found


def is_spam(text: str) -> bool:
    """Whether a normalized comment advertises something outside the room."""
    return bool(spam_signals(text))


FloodKind = Literal["chant", "spam"]


class Flood(msgspec.Struct, kw_only=True, frozen=True):
    """One text swamping the chat: who said it how often, and whether it is an ad."""

    key: str  # the text up to punctuation, emoji and repetition: what the viewers share
    text: str  # its most frequent wording
    viewers: int  # distinct viewers who said it
    comments: int  # times it was said
    max_repeats: int  # the most times one viewer said it
    kind: FloodKind
    signals: list[str]  # spam signals in any of its wordings


_NOT_WORD: Final = re.compile(r"[\W_]+")
_REPEATS: Final = re.compile(r"(.+?)\1+")
_MAX_REPEAT_SCAN: Final = 64


def flood_key(text: str) -> str:
    """What near-identical comments share: "哈哈哈哈哈" and "哈哈！" → "哈", "好耶好耶～" → "好耶".

    Punctuation, emoji and spaces are dropped and any repeated unit is cut to one. A comment of
    symbols only ("？？？", "👏👏") keys on its symbols, so reaction floods are still found.
    """
    stripped = _NOT_WORD.sub("", text)
    if not stripped:
        stripped = "".join(text.split())
    if len(stripped) > _MAX_REPEAT_SCAN:  # the repeat scan is quadratic; long texts keep theirs
        return stripped
    return _REPEATS.sub(r"\1", stripped)


def detect_floods(
    comments: Sequence[tuple[str, str]], *, min_viewers: int = 5, min_repeats: int = 5
) -> list[Flood]:
    """Floods in a window of (viewer_id, normalized text) pairs, the most said first.

    A text floods when at least ``min_viewers`` distinct viewers said it, or one viewer said it
    at least ``min_repeats`` times.
    """
    per_key: dict[str, tuple[Counter[str], Counter[str]]] = {}
    for viewer, text in comments:
        key = flood_key(text)
        if not key:
            continue
        counts = per_key.get(key)
        if counts is None:
            counts = per_key[key] = (Counter(), Counter())
        counts[0][viewer] += 1
        counts[1][text] += 1
    floods: list[Flood] = []
    for key, (by_viewer, by_text) in per_key.items():
        max_repeats = max(by_viewer.values())
        if len(by_viewer) < min_viewers and max_repeats < min_repeats:
            continue
        signals = sorted({signal for wording in by_text for signal in spam_signals(wording)})
        floods.append(
            Flood(
                key=key,
                text=by_text.most_common(1)[0][0],
                viewers=len(by_viewer),
                comments=by_viewer.total(),
                max_repeats=max_repeats,
                kind="spam" if signals else "chant",
                signals=signals,
            )
        )
    floods.sort(key=lambda flood: (-flood.comments, flood.key))
    return floods
