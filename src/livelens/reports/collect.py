"""Gathering a review: read one stored session, analyse it, count its hot words, and read the
decision sections (alerts, pricing, nowcasts, recommendations: :mod:`livelens.reports.decisions`).

This is the I/O half of the report; :func:`livelens.reports.review.build_review` is the pure half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.hotwords import count_words, hot_words_per_window, load_stopwords
from livelens.comments.normalize import normalize
from livelens.errors import InvalidInput
from livelens.information.analysis import Analysis, analyze_session
from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.attribution import Purchase, answer_stats, conversion_by_answer
from livelens.qa.records import AnswerRecord
from livelens.reports.decisions.alerts import AlertsSection, read_alerts
from livelens.reports.decisions.nowcasts import nowcast_section
from livelens.reports.decisions.outlook import read_outlook
from livelens.reports.decisions.pricing import read_pricing
from livelens.reports.decisions.recommendations import read_recommendations
from livelens.reports.decisions.signals import read_signals
from livelens.reports.model import QaSection, Review, Span
from livelens.reports.review import build_review
from livelens.settings import data_dir
from livelens.store.duckdb import DuckDBStore

MINUTE_US: Final = 60_000_000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
HOT_WORDS_TOP: Final = 8


class ReviewSource(Protocol):
    """What a review reads from a store (:class:`~livelens.store.duckdb.DuckDBStore` has it)."""

    def events(self, session_id: str | None = None) -> pa.Table: ...

    def display_names(self) -> dict[str, str]: ...


def hot_words_window_minutes(minutes: int) -> int:
    """5-minute windows for a session up to an hour, 10-minute windows beyond (4 h: 24 rows)."""
    return 5 if minutes <= 60 else 10


def comment_minute_counts(
    ts_us: Sequence[int],
    texts: Sequence[str | None],
    *,
    origin_us: int,
    minutes: int,
    tokens: Callable[[str], list[str]],
    stopwords: frozenset[str],
) -> list[Counter[str]]:
    """Content-word counts per minute from the start (``origin_us``), each text tokenised once."""
    origin_minute = origin_us // MINUTE_US
    by_minute: list[list[list[str]]] = [[] for _ in range(minutes)]
    seen: dict[str, list[str]] = {}
    for us, text in zip(ts_us, texts, strict=True):
        if not text:
            continue
        minute = min(max(us // MINUTE_US - origin_minute, 0), minutes - 1)
        found = seen.get(text)
        if found is None:
            found = seen[text] = tokens(text)
        by_minute[minute].append(found)
    return [count_words(token_lists, stopwords) for token_lists in by_minute]


def stored_answers(store: ReviewSource, session_id: str) -> list[AnswerRecord]:
    """The session's answer log (table ``qa_answers``, written by the API's live Q&A), if any."""
    con = getattr(store, "con", None)
    if con is None:
        return []
    (tables,) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'qa_answers'"
    ).fetchone()
    return DuckDBAnswerLog(con, session_id).records() if tables else []


def qa_section(records: list[AnswerRecord], events: pa.Table) -> QaSection | None:
    """Answer rate, latency and askers' conversion (within 30 min of asking); None without a log."""
    if not records:
        return None
    orders = events.filter(pc.equal(events["type"], "order.paid"))
    bought = [
        Purchase(viewer, product, ts_us // 1000)
        for viewer, product, ts_us in zip(
            orders["viewer_id"].to_pylist(),
            orders["product_id"].to_pylist(),
            orders["ts"].cast(pa.int64()).to_pylist(),
            strict=True,
        )
        if viewer is not None and product is not None
    ]
    return QaSection(stats=answer_stats(records), conversion=conversion_by_answer(records, bought))


def alert_marks(alerts: AlertsSection) -> list[Span]:
    """Each alert episode as a span of the curves, keyed by its metric."""
    return [
        Span(
            start_minute=row.alert.opened_minute,
            end_minute=row.alert.last_minute + 1,
            key=row.alert.metric,
            label=f"{row.alert.metric} {row.alert.direction}",
            detail=row.message_zh,
        )
        for row in alerts.rows
    ]


def with_decisions(
    review: Review, store: ReviewSource, analysis: Analysis, events: pa.Table
) -> Review:
    """``review`` with its decision sections, where ``store`` is a DuckDB store (the alerts, the
    ledger and the catalog live there); unchanged otherwise. ``analysis`` and ``events`` are the
    session's, already read."""
    if not isinstance(store, DuckDBStore):
        return review
    session_id, names = review.session_id, store.display_names()
    alerts = read_alerts(store, session_id, analysis.metrics)
    products = [p.product_id for p in review.products or []]
    return msgspec.structs.replace(
        review,
        curves=msgspec.structs.replace(review.curves, alerts=alert_marks(alerts)),
        alerts=alerts,
        pricing=read_pricing(store, session_id, products, events),
        nowcasts=nowcast_section(analysis.metrics, names),
        recommendations=read_recommendations(store, session_id),
        signals=read_signals(store, products, review.currency),
        outlook=read_outlook(store, {p.product_id: p.gmv_minor for p in review.products or []}),
    )


def load_review(store: ReviewSource, session_id: str, *, generated_at: datetime) -> Review:
    """The review of ``session_id`` as stored in ``store``.

    Raises :class:`~livelens.errors.InvalidInput` when the store holds no events of the session.
    """
    events = store.events(session_id)
    if events.num_rows == 0:
        msg = (
            f"session {session_id!r} has no events in the store; "
            "`livelens sessions --db FILE` lists the stored sessions"
        )
        raise InvalidInput(msg)
    names = store.display_names()
    analyzer = CommentAnalyzer(names.values())
    analysis = analyze_session(events, names, analyzer.intents)
    metrics = analysis.metrics
    comments = events.filter(pc.equal(events["type"], "comment"))
    window = hot_words_window_minutes(metrics.minutes)
    counts = comment_minute_counts(
        comments["ts"].cast(pa.int64()).to_pylist(),
        comments["text"].to_pylist(),
        origin_us=(metrics.started_at - EPOCH) // timedelta(microseconds=1),
        minutes=metrics.minutes,
        tokens=lambda text: analyzer.segmenter.tokens(normalize(text)),
        stopwords=load_stopwords(data_dir() / "stopwords"),
    )
    review = build_review(
        analysis,
        names,
        hot_words_per_window(counts, window=window, top=HOT_WORDS_TOP),
        hot_words_window_minutes=window,
        generated_at=generated_at,
    )
    qa = qa_section(stored_answers(store, session_id), events)
    if qa is not None:
        review = msgspec.structs.replace(review, qa=qa)
    return with_decisions(review, store, analysis, events)
