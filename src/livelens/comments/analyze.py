"""One comment in, everything the room needs to know about it out.

:class:`CommentAnalyzer` chains the comment layer: normalisation (traditional → simplified,
variants), segmentation with the domain and catalog dictionary, the concern/intent taxonomy,
question detection, spam signals and sentiment. It is built once per room (the catalog's product
names join the dictionary) and is pure afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from livelens.comments.intents import classify, is_question
from livelens.comments.normalize import normalize
from livelens.comments.segment import Segmenter
from livelens.comments.sentiment import Sentiment, SentimentModel
from livelens.comments.spam import is_spam


class CommentAnalysis(msgspec.Struct, kw_only=True):
    """The per-comment record ``livelens comments analyze`` writes (one JSON line each)."""

    text: str
    tokens: list[str]
    intents: dict[str, float]  # label -> confidence; "other" when nothing else applies
    sentiment: Sentiment
    is_question: bool
    is_spam: bool


class CommentAnalyzer:
    def __init__(
        self, catalog_terms: Iterable[str] = (), sentiment: SentimentModel | None = None
    ) -> None:
        self.segmenter = Segmenter(catalog_terms)
        self.sentiment = sentiment or SentimentModel.load()

    def intents(self, texts: Sequence[str]) -> list[tuple[dict[str, float], bool]]:
        """Intents and question flag per comment: the fast path the live engine uses."""
        out = []
        tokens_of = self.segmenter.tokens
        for text in texts:
            normalized = normalize(text)
            tokens = tokens_of(normalized)
            out.append((classify(normalized, tokens), is_question(normalized, tokens)))
        return out

    def analyze(self, texts: Sequence[str]) -> list[CommentAnalysis]:
        """The full analysis of each comment, sentiment predicted for the batch at once."""
        normalized = [normalize(t) for t in texts]
        tokens = [self.segmenter.tokens(n) for n in normalized]
        sentiments = self.sentiment.predict(list(texts))
        return [
            CommentAnalysis(
                text=text,
                tokens=toks,
                intents=classify(norm, toks),
                sentiment=feeling,
                is_question=is_question(norm, toks),
                is_spam=is_spam(norm),
            )
            for text, norm, toks, feeling in zip(texts, normalized, tokens, sentiments, strict=True)
        ]
