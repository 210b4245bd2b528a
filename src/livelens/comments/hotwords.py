"""Hot words: what viewers say *more* in a window than they usually do in this session.

Raw frequency only finds the room's constant chatter ("主播", "好看"); a hot word is one whose share
in the window rises against the session's own baseline (the rest of the session). Each word in the
window is scored with Dunning's log-likelihood ratio G² (a 2×2 contingency of the word vs all other
words, window vs baseline), which is reliable at the small counts of a few minutes of comments,
and reported only when it is over-represented (its share in the window is above the baseline's).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import msgspec

# G² above 10.83 is p < 0.001 for one degree of freedom: a word that merely wobbles is not hot.
MIN_G2: Final = 10.83
MIN_COUNT: Final = 3

# Used when the shared stopword lists are not available: the function words of live chat.
_BUILTIN_STOPWORDS_TEXT: Final = (
    "的 了 是 我 你 他 她 它 们 这 那 就 都 也 还 在 有 和 与 吗 呢 吧 啊 呀 哦 嗯 么 么么 "
    "一个 一下 什么 怎么 这个 那个 不 没 没有 很 太 好 要 会 能 可以 给 让 被 把 对 又 再 "
    "the a an and or to of is it"
)
BUILTIN_STOPWORDS: Final = frozenset(_BUILTIN_STOPWORDS_TEXT.split())


class HotWord(msgspec.Struct, kw_only=True):
    word: str
    count: int  # in the window
    baseline_count: int  # in the rest of the session
    lift: float  # share in the window ÷ share in the baseline (smoothed)
    g2: float


def load_stopwords(folder: Path) -> frozenset[str]:
    """Every stopword list in ``folder`` (one word per line), merged; the built-in set if absent."""
    words: set[str] = set(BUILTIN_STOPWORDS)
    for path in sorted(folder.glob("stopwords*.txt")) if folder.is_dir() else []:
        words.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    words.discard("")
    return frozenset(words)


_RUNS: Final = re.compile(r"(.)\1{2,}")


def content_words(tokens: Iterable[str], stopwords: frozenset[str]) -> Iterable[str]:
    """Tokens that can carry a topic: not stopwords, not a single Latin/digit/punctuation mark.

    Runs of one character are cut to two, so 哈哈哈 and 哈哈哈哈 count as one word.
    """
    for token in tokens:
        token = _RUNS.sub(r"\1\1", token)
        if token in stopwords:
            continue
        if len(token) == 1 and not ("\u4e00" <= token <= "\u9fff"):
            continue
        if not any(ch.isalnum() for ch in token):
            continue
        yield token


def count_words(token_lists: Iterable[Sequence[str]], stopwords: frozenset[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(content_words(tokens, stopwords))
    return counts


def _g2(a: int, b: int, c: int, d: int) -> float:
    """Log-likelihood ratio for the 2×2 table [[a, b], [c, d]] (word/other × window/baseline)."""
    total = a + b + c + d
    g2 = 0.0
    for observed, row, column in (
        (a, a + b, a + c),
        (b, a + b, b + d),
        (c, c + d, a + c),
        (d, c + d, b + d),
    ):
        if observed:
            g2 += observed * math.log(observed * total / (row * column))
    return 2.0 * g2


def hot_words(
    window: Counter[str], baseline: Counter[str], *, top: int = 10, min_count: int = MIN_COUNT
) -> list[HotWord]:
    """Words over-represented in ``window`` against ``baseline`` (both are word counts)."""
    window_total, baseline_total = sum(window.values()), sum(baseline.values())
    if not window_total:
        return []
    vocabulary = len(window.keys() | baseline.keys()) or 1
    found = []
    for word, count in window.items():
        if count < min_count:
            continue
        base = baseline.get(word, 0)
        share_now = count / window_total
        share_before = (base + 0.5) / (baseline_total + 0.5 * vocabulary)
        if baseline_total and share_now <= share_before:
            continue
        g2 = _g2(count, window_total - count, base, baseline_total - base)
        if baseline_total and g2 < MIN_G2:
            continue
        found.append(
            HotWord(
                word=word,
                count=count,
                baseline_count=base,
                lift=share_now / share_before,
                g2=g2,
            )
        )
    found.sort(key=lambda w: (-w.g2, -w.count, w.word))
    return found[:top]


class WindowHotWords(msgspec.Struct, kw_only=True):
    start_minute: int
    end_minute: int  # exclusive
    words: list[HotWord]


def hot_words_per_window(
    minute_counts: Sequence[Counter[str]], *, window: int = 5, top: int = 10
) -> list[WindowHotWords]:
    """Hot words of each ``window``-minute window against the rest of the session.

    ``minute_counts[m]`` holds the content-word counts of minute ``m`` (see :func:`count_words`).
    """
    if window < 1:
        msg = f"window must be at least 1 minute; got {window}"
        raise ValueError(msg)
    session: Counter[str] = Counter()
    for counts in minute_counts:
        session.update(counts)
    out = []
    for start in range(0, len(minute_counts), window):
        end = min(start + window, len(minute_counts))
        inside: Counter[str] = Counter()
        for counts in minute_counts[start:end]:
            inside.update(counts)
        rest = session.copy()
        rest.subtract(inside)
        out.append(
            WindowHotWords(
                start_minute=start, end_minute=end, words=hot_words(+inside, +rest, top=top)
            )
        )
    return out


class RollingHotWords:
    """Hot words of the live "now": the last ``window`` minutes against the session before them.

    ``add`` folds the content-word counts of comments into their minute; ``hot`` scores the window
    ending at a minute. Counts are kept per minute, so late comments land where they belong and
    the state is bounded by the session's length, not its comment count.
    """

    def __init__(self, stopwords: frozenset[str], *, window: int = 5) -> None:
        self.stopwords, self.window = stopwords, window
        self.minutes: dict[int, Counter[str]] = {}
        self.total: Counter[str] = Counter()

    def add(self, minute: int, tokens: Sequence[str]) -> None:
        words = list(content_words(tokens, self.stopwords))
        if words:
            self.minutes.setdefault(minute, Counter()).update(words)
            self.total.update(words)

    def hot(self, end_minute: int, *, top: int = 10) -> list[HotWord]:
        """Hot words of the minutes ``end_minute - window + 1 .. end_minute``."""
        inside: Counter[str] = Counter()
        for minute in range(end_minute - self.window + 1, end_minute + 1):
            inside.update(self.minutes.get(minute, {}))
        rest = self.total.copy()
        rest.subtract(inside)
        return hot_words(inside, +rest, top=top)
