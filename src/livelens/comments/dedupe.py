"""Near-duplicate merging: comments that say the same thing, counted once with their echoes.

Live chat repeats itself with small variations ("多少钱？？", "多少钱啊", "多少錢"). Two
comments are the same when their *key* is: the normalized text without punctuation, emoji
and spaces, with runs of one character cut to two ("哈哈哈哈" → "哈哈") and trailing modal
particles dropped ("多少钱啊" → "多少钱"). The key is cheap (no pairwise comparison), so
merging stays linear in the number of comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import msgspec

_NOT_WORD: Final = re.compile(r"[^\w]+", re.UNICODE)
_RUNS: Final = re.compile(r"(.)\1{2,}")
_TRAILING_PARTICLES: Final = re.compile(r"(?<=.)[啊呀呢吧哦嘛啦呐噢哇]+$")


def dedupe_key(normalized: str) -> str:
    """The key under which near-identical comments merge (empty for pure punctuation/emoji)."""
    key = _NOT_WORD.sub("", normalized).replace("_", "")
    key = _RUNS.sub(r"\1\1", key)
    return _TRAILING_PARTICLES.sub("", key)


class MergedComment(msgspec.Struct, kw_only=True):
    key: str
    text: str  # the first wording seen
    count: int  # comments that say it
    viewers: int  # distinct viewers who said it
    variants: list[str]  # distinct wordings, first few


def merge_near_duplicates(
    comments: Iterable[tuple[str | None, str]], *, max_variants: int = 5
) -> list[MergedComment]:
    """Group (viewer_id, normalized text) pairs by key; most-said first."""
    groups: dict[str, MergedComment] = {}
    viewers: dict[str, set[str]] = {}
    for viewer, text in comments:
        key = dedupe_key(text)
        if not key:
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = MergedComment(key=key, text=text, count=0, viewers=0, variants=[])
            viewers[key] = set()
        group.count += 1
        if viewer is not None:
            viewers[key].add(viewer)
        if text not in group.variants and len(group.variants) < max_variants:
            group.variants.append(text)
    for key, group in groups.items():
        group.viewers = len(viewers[key])
    return sorted(groups.values(), key=lambda g: (-g.count, g.key))
