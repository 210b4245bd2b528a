"""What a comment is about: the live-commerce concern/intent taxonomy, and whether it asks.

The model is a weighted lexicon (:mod:`livelens.comments.lexicon`), not a trained classifier:
the labelled rounds in ``tests/comments`` (2,416 comments) are too few to train one that
generalises (a character n-gram logistic regression scored macro-F1 0.77 on held-out rounds,
below the lexicon's blind scores; see docs/comments.md), an operator can read why a comment got
a label and fix a miss by adding a phrase, and it runs in a few microseconds per comment, which
the biggest rooms need. The phrases are compiled into one Aho–Corasick automaton (pyahocorasick,
in C), so a comment is scanned once; of the phrases found, the leftmost is taken, the longest at
its position, then the next one after it — no overlap, which is what makes "不贵" override "贵"
(the same matches a regular expression shaped as a trie finds, at ~2 instead of ~5 µs per
comment, measured on the real chat). The patterns are zero-width look-aheads tried only at the
characters they can start with. Whole tokens are looked up in a dict.

A label's confidence is ``1 / (1 + exp(-SLOPE * (sum_of_weights - 2)))``: one clear cue (3)
gives ~0.8, two give ~0.99, a hint alone (1) ~0.2. Every label at or above :data:`THRESHOLD` is
returned; when none is, the lexicon's fallback cues and patterns are tried ("多少" asks the price,
"是X还是Y" the kind of goods), and "other" is returned when they find nothing either. An ad
(any spam signal of :mod:`livelens.comments.spam`, or the lexicon's spam cues reaching the
threshold) is labelled spam only: what it mentions is bait, not a viewer's concern.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Final, NamedTuple

import ahocorasick

from livelens.comments.lexicon import (
    BARE_QUESTIONS,
    ENOUGH,
    FALLBACK_CUES,
    FALLBACK_PATTERNS,
    HOST_MENTION_WEIGHT,
    INTENT_LABELS,
    NOT_QUESTION,
    PATTERN_CUES,
    PHRASE_CUES,
    QUESTION_FINALS,
    QUESTION_WORDS,
    STRONG,
    TOKEN_CUES,
)
from livelens.comments.spam import spam_signals

__all__ = ["INTENT_LABELS", "THRESHOLD", "classify", "is_question"]

THRESHOLD: Final = 0.5
SLOPE: Final = 1.5

Weights = tuple[tuple[str, float], ...]


def _merge(rows: Iterable[tuple[str, float, str]]) -> dict[str, Weights]:
    """Phrase → ((label, summed weight), ...); a phrase under several labels cues each."""
    merged: defaultdict[str, dict[str, float]] = defaultdict(dict)
    for label, weight, phrases in rows:
        for phrase in phrases.split():
            weights = merged[phrase]
            if label:
                weights[label] = weights.get(label, 0.0) + weight
    return {phrase: tuple(weights.items()) for phrase, weights in merged.items()}


_PHRASES: Final = _merge(PHRASE_CUES)
_FALLBACKS: Final = _merge(FALLBACK_CUES)
_TOKENS: Final = _merge(TOKEN_CUES)
_OPINION_LABELS: Final = frozenset({"praise", "complaint"})
_ASKING: Final = ("吗", "不", "还是")  # an opinion right before these is asked about, not held


class _Phrase(NamedTuple):
    weights: Weights
    asked: Weights  # the weights when the phrase is asked about ("好吃吗"): no opinion
    fallback: Weights


_PHRASE_TABLE: Final = {
    phrase: _Phrase(
        weights=weights,
        asked=tuple((label, w) for label, w in weights if label not in _OPINION_LABELS),
        fallback=_FALLBACKS.get(phrase, ()),
    )
    for phrase, weights in {**dict.fromkeys(_FALLBACKS, ()), **_PHRASES}.items()
}


def _automaton(phrases: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for phrase in phrases:
        automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    return automaton


_PHRASE_AUTOMATON: Final = _automaton(_PHRASE_TABLE)


def _phrases_in(text: str) -> list[tuple[str, bool]]:
    """The phrases of ``text``, leftmost first, the longest at each position, never overlapping;
    with whether a question form (吗, 不, 还是) follows each."""
    longest: dict[int, tuple[int, str]] = {}  # start -> (end, phrase)
    for end, phrase in _PHRASE_AUTOMATON.iter(text):
        start = end - len(phrase) + 1
        found = longest.get(start)
        if found is None or end > found[0]:
            longest[start] = (end, phrase)
    phrases = []
    after = 0
    for start in sorted(longest):
        if start >= after:
            end, phrase = longest[start]
            after = end + 1
            phrases.append((phrase, text.startswith(_ASKING, after)))
    return phrases


def _pattern_dispatch() -> dict[str, tuple[re.Pattern[str], dict[int, Weights]]]:
    """Start character → (the patterns that can start there as one regex, weights by group).

    Each alternative is a zero-width look-ahead, so the phrases inside a pattern still count.
    Characters with the same patterns share one compiled regex.
    """
    by_char: defaultdict[str, list[int]] = defaultdict(list)
    for index, (starts, _, _) in enumerate(PATTERN_CUES):
        for char in dict.fromkeys(starts):
            by_char[char].append(index)
    compiled: dict[tuple[int, ...], tuple[re.Pattern[str], dict[int, Weights]]] = {}
    for indices in map(tuple, by_char.values()):
        if indices not in compiled:
            regex = re.compile("|".join(f"(?P<p{i}>(?={PATTERN_CUES[i][1]}))" for i in indices))
            weights = {
                regex.groupindex[f"p{i}"]: tuple(PATTERN_CUES[i][2].items()) for i in indices
            }
            compiled[indices] = (regex, weights)
    return {char: compiled[tuple(indices)] for char, indices in by_char.items()}


_FALLBACK_PATTERNS: Final = tuple(
    (re.compile(pattern), tuple(weights.items())) for pattern, weights in FALLBACK_PATTERNS
)
_PATTERNS_AT: Final = _pattern_dispatch()
_PATTERN_STARTS: Final = re.compile("[" + re.escape("".join(sorted(_PATTERNS_AT))) + "]")
_ORDER: Final = {label: index for index, label in enumerate(INTENT_LABELS)}
# The shopping concerns: a comment about one of them is not small talk with the host.
_CONCERNS: Final = frozenset(INTENT_LABELS[: INTENT_LABELS.index("comparison") + 1])
# A concern or an opinion: a social cue ("@social": 点赞, 哈哈, ❤) beside one is no small talk.
_CONTENT: Final = _CONCERNS | _OPINION_LABELS
_WORD: Final = re.compile(r"\w")


def _confidence(weight: float) -> float:
    return 1.0 / (1.0 + math.exp(-SLOPE * (weight - ENOUGH)))


def _cue_sums(text: str, tokens: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Summed weights per label from phrases, patterns and tokens; and from fallbacks."""
    sums: dict[str, float] = {}
    fallback: dict[str, float] = {}
    table = _PHRASE_TABLE
    for phrase, asking in _phrases_in(text):
        entry = table[phrase]
        for label, weight in entry.asked if asking else entry.weights:
            sums[label] = sums.get(label, 0.0) + weight
        for label, weight in entry.fallback:
            fallback[label] = fallback.get(label, 0.0) + weight
    patterns_at = _PATTERNS_AT
    for start in _PATTERN_STARTS.finditer(text):
        position = start.start()
        regex, weights_by_group = patterns_at[text[position]]
        hit = regex.match(text, position)
        if hit is not None:
            for label, weight in weights_by_group[hit.lastindex or 0]:
                sums[label] = sums.get(label, 0.0) + weight
    token_cues = _TOKENS
    for token in tokens:
        cued = token_cues.get(token)
        if cued:
            for label, weight in cued:
                sums[label] = sums.get(label, 0.0) + weight
    return sums, fallback


def _passing(sums: dict[str, float]) -> list[str]:
    """Labels whose confidence reaches THRESHOLD (their weight reaches ENOUGH), taxonomy order."""
    return sorted((label for label, w in sums.items() if w >= ENOUGH), key=_ORDER.__getitem__)


def classify(
    normalized_text: str, tokens: list[str], *, signals: list[str] | None = None
) -> dict[str, float]:
    """Label → confidence for every label at or above :data:`THRESHOLD`, in taxonomy order.

    ``normalized_text`` comes from :func:`~livelens.comments.normalize.normalize` and
    ``tokens`` from :meth:`~livelens.comments.segment.Segmenter.tokens` on it; ``signals``, when
    the caller has them already, are :func:`~livelens.comments.spam.spam_signals` of the text.
    Never empty: ``{"other": confidence}`` when no concern applies.
    """
    if signals is None:
        signals = spam_signals(normalized_text)
    if signals:
        return {"spam": round(_confidence(STRONG * len(signals)), 3)}
    sums, fallback = _cue_sums(normalized_text, tokens)
    if sums.get("spam", 0.0) >= ENOUGH:
        return {"spam": round(_confidence(sums["spam"]), 3)}
    sums.pop("spam", None)
    host = sums.pop("@host", None)
    social = sums.pop("@social", 0.0)
    if not sums and normalized_text and not _WORD.search(normalized_text):
        sums = {"interaction": STRONG}  # a reaction of symbols or emoji only: "?", "👏"
    if host is not None and not any(sums.get(label, 0.0) >= ENOUGH for label in _CONCERNS):
        sums["interaction"] = sums.get("interaction", 0.0) + HOST_MENTION_WEIGHT
    if social and not any(sums.get(label, 0.0) >= ENOUGH for label in _CONTENT):
        sums["interaction"] = sums.get("interaction", 0.0) + social
    passing = _passing(sums)
    if not passing:
        for regex, weights in _FALLBACK_PATTERNS:
            if regex.search(normalized_text):
                for label, weight in weights:
                    fallback[label] = fallback.get(label, 0.0) + weight
    if not passing and fallback:
        sums, passing = fallback, _passing(fallback)
    if not passing:
        best = max(sums.values(), default=-math.inf)
        return {"other": round(1.0 - _confidence(best), 3)}
    return {label: round(_confidence(sums[label]), 3) for label in passing}


def _alternation(words: str) -> str:
    return "|".join(re.escape(word) for word in sorted(words.split(), key=len, reverse=True))


_NOT_QUESTION: Final = re.compile(_alternation(NOT_QUESTION))
_QUESTION_WORD: Final = re.compile(_alternation(QUESTION_WORDS))
# 好不好, 有没有, 贵不贵, 防滑不防滑 (not "了没了": particles do not ask; not a repeated
# "不要剪不要剪", where the A is preceded by 不 itself)
_A_NOT_A: Final = re.compile(r"(?<![不没])(?P<a>[^\W\d_了的啊吧呢吗]{1,2})[不没](?P=a)")
_FINAL_PARTICLE: Final = re.compile(f"(?:{_alternation(QUESTION_FINALS)})[啊呀]?\\W*$")
# X还是Y offers a choice; 还是 opening the comment or after a person ("我还是喜欢") does not.
_CHOICE: Final = re.compile(r"(?<=\w)(?<![我你他她才])还是(?!喜欢|觉得|算了|要|买|不错|可以|挺)")
# "160 100斤", "身高158体重52": a body measure alone asks which size fits.
_BODY_MEASURE: Final = re.compile(
    r"^(?:身高)?1[4-9]\d(?:cm)?[ ,/]?(?:体重)?\d{2,3}(?:\.\d)?(?:斤|kg|公斤)?$"
)
_BARE: Final = frozenset(BARE_QUESTIONS.split())
_SIZE_WORD: Final = re.compile(r"(?:x{0,3}[sml]|[2-6]xl|xs)码?")
_SHOE_SIZE: Final = re.compile(r"(?:[2-4]\d码)+")  # "38码": a bare size, as "s码" is


def is_question(normalized_text: str, tokens: list[str]) -> bool:
    """Whether a comment asks something the host could answer.

    A question mark asks (a comment of symbols only, "？？？", is a reaction, not a question);
    so do question words and particles (吗, 多少, 几, 怎么, 什么, 哪, 呢 at the end, …), A-not-A
    forms (有没有, 贵不贵, 能不能) and X还是Y choices. Live rooms also ask with a bare keyword:
    a comment that is only "链接", "价格", "s码", "38码" (or a repetition of them) or a body measure
    ("160 100斤") is a question. Requests ("上链接", "求链接") and exclamations ("怎么这么贵",
    "好几天了") are not.
    """
    text = normalized_text
    if "?" in text:
        return _WORD.search(text) is not None
    if _NOT_QUESTION.search(text):
        text = _NOT_QUESTION.sub(" ", text)
    if _QUESTION_WORD.search(text) or _A_NOT_A.search(text) or _FINAL_PARTICLE.search(text):
        return True
    if _CHOICE.search(text):
        return True
    if tokens and all(token in _BARE or _SIZE_WORD.fullmatch(token) for token in tokens):
        return True
    compact = text.replace(" ", "")
    return _BODY_MEASURE.match(compact) is not None or _SHOE_SIZE.fullmatch(compact) is not None
