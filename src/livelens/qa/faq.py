"""Matching a question to the catalog's FAQ entries (the product's, then the room's).

Each FAQ question is read with the same topic detector as a viewer's question, so "能退吗？" is a
returns entry and "尺码怎么选？" a size-advice entry: a viewer's returns question gets the
product's returns answer however it is phrased. For the open topics (quality, other) the entry
must also be similar: the Dice coefficient of the characters and character bigrams of the two
questions, after the product's names, fillers (这个, 请问, 宝宝 …), question words, modal verbs
and particles are removed, A-not-A forms are collapsed (起不起球 → 起球) and a few synonyms are
unified (孕期 → 孕妇, 小孩 → 孩子), is at least :data:`MIN_SIMILARITY`. An entry at least
:data:`STRONG_SIMILARITY` alike answers the question whatever its topic ("福袋几点开").

FAQ entries about live facts (price, promos, stock) are never used: those answers come from the
catalog state, which an FAQ written before the live cannot follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, NamedTuple

from livelens.comments.normalize import normalize
from livelens.events.reference import FaqEntry
from livelens.qa.topics import Topic, detect_topics

MIN_SIMILARITY: Final = 0.5
STRONG_SIMILARITY: Final = 0.8
_OPEN_TOPICS: Final = frozenset({Topic.QUALITY, Topic.OTHER})
# Never answered from an FAQ: live facts come from the catalog state, medical ones from nobody.
_UNUSED_TOPICS: Final = frozenset(
    {Topic.PRICE, Topic.DISCOUNT, Topic.STOCK, Topic.COUPON, Topic.MEDICAL}
)
_A_NOT_A: Final = re.compile(r"(\w)[不没]\1")
_SYNONYMS: Final = (
    ("孕期", "孕妇"),
    ("怀孕", "孕妇"),
    ("孕妈", "孕妇"),
    ("小孩", "孩子"),
    ("小朋友", "孩子"),
    ("儿童", "孩子"),
    ("洗衣机洗", "机洗"),
    ("扎人", "扎"),
    ("合成", "拼接"),
)
_AGE: Final = re.compile(
    r"[一二两三四五六七八九十\d]+岁(?:的)?(?:宝宝|孩子|小孩)?"
)  # 三岁宝宝 → 孩子
_FILLERS: Final = re.compile(
    r"这个|这款|那个|这件|请问|宝宝们?|主播|姐妹们?|家人们?|老板|一下|是不是|可不可以|有没有"
    r"|还是|怎么样|怎么|什么时候|什么|几点|多久|需要|可以|能|会|要|用"
    r"|[吗呢吧啊呀哦的了么嘛哈呐噢亲是]|\W|\s"
)


class FaqMatch(NamedTuple):
    entry: FaqEntry
    product_id: str | None  # None: a room FAQ entry
    score: float


class _Indexed(NamedTuple):
    entry: FaqEntry
    product_id: str | None
    topics: frozenset[Topic]
    grams: frozenset[str]


def _grams(key: str) -> frozenset[str]:
    """Characters and character bigrams: short keys ("扎", "起球") still overlap."""
    return frozenset(key) | frozenset(key[i : i + 2] for i in range(len(key) - 1))


def question_key(normalized_text: str, names: Iterable[str] = ()) -> str:
    """The content of a question for matching: names, fillers and particles removed."""
    text = normalized_text
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, "")
    text = _A_NOT_A.sub(r"\1", text)
    text = _AGE.sub("孩子", text)
    for word, canonical in _SYNONYMS:
        text = text.replace(word, canonical)
    return _FILLERS.sub("", text)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


class FaqIndex:
    """Every FAQ entry of a catalog, with its topics and bigrams, built once per catalog."""

    def __init__(
        self,
        entries: Iterable[tuple[str | None, FaqEntry]],
        names: dict[str | None, tuple[str, ...]],
    ) -> None:
        self._names = names
        self._by_product: dict[str | None, list[_Indexed]] = {}
        for product_id, entry in entries:
            text = normalize(entry.question)
            topics = frozenset(detect_topics(text, {}))
            if topics & _UNUSED_TOPICS:
                continue
            key = question_key(text, names.get(product_id, ()))
            indexed = _Indexed(entry, product_id, topics, _grams(key))
            self._by_product.setdefault(product_id, []).append(indexed)

    def strong(self, text: str, product_id: str | None) -> FaqMatch | None:
        """An entry (the product's, else the room's) almost the same as the question."""
        found = self.match(text, product_id, Topic.OTHER)
        return found if found is not None and found.score >= STRONG_SIMILARITY else None

    def match(self, text: str, product_id: str | None, topic: Topic) -> FaqMatch | None:
        """The best entry of the product's FAQ, else of the room's, for a normalized question."""
        grams = _grams(question_key(text, self._names.get(product_id, ())))
        scopes = (product_id, None) if product_id is not None else (None,)
        for scope in scopes:
            best: FaqMatch | None = None
            for item in self._by_product.get(scope, ()):
                score = similarity(grams, item.grams)
                if topic in _OPEN_TOPICS:
                    if score < MIN_SIMILARITY:
                        continue
                elif topic not in item.topics:
                    continue
                if best is None or score > best.score:
                    best = FaqMatch(item.entry, item.product_id, score)
            if best is not None:
                return best
        return None
