"""``livelens comments …``: the comment layer on a file of comments."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click
import msgspec

from livelens.cli.app import cli
from livelens.comments.analyze import CommentAnalysis, CommentAnalyzer
from livelens.comments.dedupe import merge_near_duplicates
from livelens.comments.hotwords import (
    content_words,
    count_words,
    hot_words_per_window,
    load_stopwords,
)
from livelens.comments.normalize import normalize
from livelens.comments.spam import detect_floods
from livelens.errors import InvalidInput
from livelens.settings import data_dir

BATCH = 10_000


@cli.group("comments", short_help="Analyse live comments: intents, sentiment, spam, hot words.")
def comments_group() -> None:
    """The comment layer on its own: Chinese live-comment NLP."""


Comment = tuple[str | None, str, int | None]  # viewer id, text, minute (epoch) if known


def _minute(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value // 60_000
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value).timestamp()) // 60
        except ValueError:
            return None
    return None


def _read_comments(handle: TextIO, source: str) -> Iterator[Comment]:
    """(viewer_id, text, minute) per line: plain text, or JSON Lines with ``text`` (and ``ts``)."""
    for number, line in enumerate(handle, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                record: Any = msgspec.json.decode(line)
            except msgspec.DecodeError as error:
                msg = f"{source}:{number}: not valid JSON ({error}); expected one comment per line"
                raise InvalidInput(msg) from None
            text = record.get("text") if isinstance(record, dict) else None
            if not isinstance(text, str):
                msg = f"{source}:{number}: JSON line without a string 'text' field"
                raise InvalidInput(msg)
            viewer = record.get("viewer_id")
            yield (str(viewer) if viewer is not None else None, text, _minute(record.get("ts")))
        else:
            yield (None, line, None)


def _batches(comments: Iterator[Comment]) -> Iterator[list[Comment]]:
    batch: list[Comment] = []
    for item in comments:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _windows(
    analyses: list[tuple[Comment, CommentAnalysis]], stopwords: frozenset[str], top: int
) -> list[dict[str, Any]]:
    """Hot words per 5-minute window, when every comment has a time."""
    minutes = [comment[2] for comment, _ in analyses]
    if not minutes or any(m is None for m in minutes):
        return []
    first = min(m for m in minutes if m is not None)
    per_minute: list[Counter[str]] = [Counter() for _ in range(max(minutes) - first + 1)]  # type: ignore[type-var, operator]
    for (_, _, minute), analysis in analyses:
        per_minute[minute - first].update(content_words(analysis.tokens, stopwords))  # type: ignore[operator]
    windows = hot_words_per_window(per_minute, window=5, top=top)
    return [msgspec.to_builtins(w) for w in windows if w.words]


def _summary(analyses: list[tuple[Comment, CommentAnalysis]], top: int) -> dict[str, Any]:
    total = len(analyses)
    questions = sum(a.is_question for _, a in analyses)
    stopwords = load_stopwords(data_dir() / "stopwords")
    labels: Counter[str] = Counter(label for _, a in analyses for label in a.intents)
    asked: Counter[str] = Counter(
        label for _, a in analyses if a.is_question for label in a.intents
    )
    words = count_words((a.tokens for _, a in analyses), stopwords)
    # Without viewer ids (plain text input) every line counts as its own viewer.
    pairs = [(c[0] or f"#{n}", normalize(a.text)) for n, (c, a) in enumerate(analyses)]
    return {
        "comments": total,
        "questions": questions,
        "spam": sum(a.is_spam for _, a in analyses),
        "sentiment": dict(Counter(a.sentiment.label for _, a in analyses)),
        "intent_shares": {k: v / total for k, v in labels.most_common()} if total else {},
        "question_shares": {k: v / questions for k, v in asked.most_common()} if questions else {},
        "top_words": [{"word": w, "count": n} for w, n in words.most_common(top)],
        "hot_words_by_window": _windows(analyses, stopwords, top),
        "repeated": [
            msgspec.to_builtins(m)
            for m in merge_near_duplicates((v, t) for v, t in pairs)[:top]
            if m.count > 1
        ],
        "floods": [msgspec.to_builtins(f) for f in detect_floods(pairs)[:top]],
    }


@comments_group.command("analyze", short_help="Per-comment NLP as JSON Lines, or a summary.")
@click.option(
    "--in",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="One comment per line, or JSON Lines with a 'text' field ('-' for stdin).",
)
@click.option("--summary", is_flag=True, help="Print hot words and concern shares instead.")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True)
def analyze_comments_command(input_path: Path, summary: bool, top: int) -> None:
    """Tokens, intents (label → confidence), sentiment, question and spam flags per comment.

    With --summary: one JSON object with intent and question shares, sentiment counts, top words,
    hot words per 5-minute window (JSON Lines input with a ts field), repeated comments
    (near-duplicates merged) and floods (one text from many viewers; plain-text lines count as
    separate viewers).
    """
    analyzer = CommentAnalyzer()
    source = "stdin" if str(input_path) == "-" else str(input_path)
    if source != "stdin" and not input_path.exists():
        msg = f"{input_path} does not exist"
        raise InvalidInput(msg)
    handle = sys.stdin if source == "stdin" else input_path.open(encoding="utf-8")
    kept: list[tuple[Comment, CommentAnalysis]] = []
    encoder = msgspec.json.Encoder()
    out = sys.stdout.buffer
    try:
        for batch in _batches(_read_comments(handle, source)):
            analyses = analyzer.analyze([text for _, text, _ in batch])
            if summary:
                kept.extend(zip(batch, analyses, strict=True))
                continue
            for analysis in analyses:
                record = msgspec.structs.asdict(analysis)
                out.write(encoder.encode(record) + b"\n")
    finally:
        if handle is not sys.stdin:
            handle.close()
    if summary:
        click.echo(msgspec.json.format(msgspec.json.encode(_summary(kept, top))).decode())
