"""The live frame: everything the live screen shows for one session at one moment.

A frame is built from the session's live metrics (:func:`livelens.information.compute.metrics_of`
over the engine's state), the hot words of the last minutes and the insights detected so far, and
carries the decision layer's panels (:mod:`livelens.api.decisions`): open anomaly alerts, the
latest recommendations with their fate, the latest Q&A answers, the room's autonomy level, and the
demand nowcasts of the top products made when the last minute completed. It
is pure and bounded: charts carry at most ``max_points`` minutes (the latest ones), rankings and
panels a fixed number of rows, so a 4-hour session costs the page no more than a 4-minute one. The
frame is the JSON the push channel sends (``/api/stream``); its field names are the page's contract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, Literal

import msgspec

from livelens.comments.hotwords import HotWord
from livelens.information.detectors.top_concern import CONCERNS
from livelens.information.insight import Insight
from livelens.information.metrics import Funnel, PromoMetrics, SessionMetrics
from livelens.intelligence.alerts import Alert
from livelens.intelligence.nowcast import Nowcast
from livelens.knowledge.autonomy import DEFAULT_LEVEL, Level
from livelens.knowledge.ledger import Fate
from livelens.knowledge.recommender import Recommendation

MAX_POINTS: Final = 240  # minutes per chart: four hours at one point per minute
TOP_PRODUCTS: Final = 10
CONCERN_WINDOW: Final = 5  # minutes


class Curves(msgspec.Struct, kw_only=True):
    """Per-minute curves; point ``i`` is minute ``first_minute + i`` of the session."""

    first_minute: int
    online: list[int]
    comments: list[int]
    gmv_minor: list[int]
    orders: list[int]


class ProductRow(msgspec.Struct, kw_only=True):
    product_id: str
    name: str
    clicks: int
    orders: int
    gmv_minor: int


class ConcernShare(msgspec.Struct, kw_only=True):
    """One concern's share of the questions (or comments) in the last ``CONCERN_WINDOW`` minutes."""

    label: str
    name_zh: str
    name_en: str
    count: int
    share: float
    previous_share: float | None  # in the window before; None when it held nothing


class Span(msgspec.Struct, kw_only=True):
    """A persona on air or a promo running, from ``start_minute`` to ``end_minute`` (exclusive)."""

    id: str
    name: str
    start_minute: int
    end_minute: int


class LiveInsight(msgspec.Struct, kw_only=True):
    """An insight as the live screen lists it: when it first appeared, when last confirmed."""

    first_minute: int
    minute: int
    insight: Insight


class LiveAlert(msgspec.Struct, kw_only=True):
    """An open anomaly alert (:class:`~livelens.intelligence.alerts.Alert`) with its message in
    both languages and who acknowledged it (``POST /api/alerts/{id}/ack``)."""

    alert: Alert
    message_zh: str
    message_en: str
    acked_by: str | None


class LiveRecommendation(msgspec.Struct, kw_only=True):
    """A recommendation of the live and its fate in the uplift ledger.

    ``decide_by`` is the end of its window (``start + duration_s``, event time): still pending
    then, it becomes ``expired``. An executed flash discount (accepted or auto-executed) runs
    ``duration_s`` from its execution (``fate_at``, wall clock): ``remaining_s`` is what is left
    of it when the frame was built, None when none runs.
    """

    recommendation: Recommendation
    fate: Fate
    fate_by: str | None
    fate_at: datetime | None
    decide_by: datetime
    product: str | None  # display names of the target, when it names one
    persona: str | None
    remaining_s: int | None


class LiveAnswer(msgspec.Struct, kw_only=True):
    """One item of the live Q&A (:mod:`livelens.qa.sessions`): said by the host, or waiting for a
    person in the human queue (an escalation, or a suggestion to approve)."""

    answer_id: str
    at_ms: int  # when it was said (or decided, for what waits), epoch milliseconds
    askers: int  # the viewers whose question it covers: the size of the question cluster
    question: str | None  # one of the questions, redacted (queued items only)
    text: str | None  # what the host said or would say; None when nothing was drafted
    product_id: str | None
    product: str | None  # its display name
    status: Literal["said", "escalated", "suggested"]
    escalated: bool  # waiting in the human queue because the AI must not answer it
    by: Literal["ai", "operator"] | None  # who said it (said items only)
    reason: str | None  # why it was escalated or blocked (a stable code)


class ProductNowcast(msgspec.Struct, kw_only=True):
    """One product's nowcasts (:func:`~livelens.intelligence.nowcast.nowcast_products`): orders
    and GMV over the next 5, 15 and 30 minutes, with 80% and 95% intervals."""

    product_id: str
    name: str
    horizons: list[Nowcast]  # by horizon, shortest first


class LiveNowcasts(msgspec.Struct, kw_only=True):
    """The demand nowcasts made when minute ``from_minute - 1`` completed: the top products by
    expected GMV over the next 15 minutes (what ``GET /api/sessions/{id}/nowcasts?minute=``
    ``from_minute`` answers for them)."""

    from_minute: int  # the first forecast minute: the minutes before it are the data
    products: list[ProductNowcast]  # best first


def live_nowcasts(
    from_minute: int, nowcasts: Sequence[Nowcast], names: Mapping[str, str]
) -> LiveNowcasts:
    """``nowcasts`` (ranked: :func:`~livelens.intelligence.nowcast.top_nowcasts`) by product."""
    products: dict[str, ProductNowcast] = {}
    for nowcast in nowcasts:
        product_id = nowcast.product_id
        row = products.get(product_id)
        if row is None:
            name = names.get(product_id, product_id)
            row = products[product_id] = ProductNowcast(
                product_id=product_id, name=name, horizons=[]
            )
        row.horizons.append(nowcast)
    return LiveNowcasts(from_minute=from_minute, products=list(products.values()))


class LiveFrame(msgspec.Struct, kw_only=True):
    session_id: str
    room_id: str
    platform: str
    at: datetime  # event time of the latest event folded in
    minute: int  # the session minute ``at`` falls in (0 = the first)
    currency: str | None
    events: int
    online: int  # viewers present now
    peak_online: int
    unique_viewers: int
    comments: int
    likes: int
    orders: int
    gmv_minor: int
    comments_last_minute: int  # in the last closed minute
    gmv_last_minute_minor: int
    curves: Curves
    funnel: Funnel | None
    products: list[ProductRow]
    hot_words: list[HotWord]
    concerns: list[ConcernShare]
    concern_basis: str  # "questions" or "comments": what the shares are of
    personas: list[Span]
    promos: list[Span]
    insights: list[LiveInsight]  # newest first
    autonomy: Level = DEFAULT_LEVEL  # the room's: "suggest" or "auto" (livelens.knowledge.autonomy)
    alerts: list[LiveAlert] = []  # open ones, oldest first
    recommendations: list[LiveRecommendation] = []  # the latest, newest first
    answers: list[LiveAnswer] = []  # the latest, newest first
    nowcasts: LiveNowcasts | None = None  # None until a minute of the live completed


def _spans(labels: Sequence[str | None], names: Mapping[str, str]) -> list[Span]:
    spans: list[Span] = []
    for minute, label in enumerate(labels):
        if spans and spans[-1].id == label and spans[-1].end_minute == minute:
            spans[-1].end_minute = minute + 1
        elif label is not None:
            spans.append(
                Span(
                    id=label,
                    name=names.get(label, label),
                    start_minute=minute,
                    end_minute=minute + 1,
                )
            )
    return spans


def _promo_span(promo: PromoMetrics, names: Mapping[str, str]) -> Span:
    product = names.get(promo.product_id, promo.product_id) if promo.product_id else ""
    if promo.discount_pct is not None:
        deal = f"-{promo.discount_pct:g}%"
    elif promo.price_minor is not None:
        deal = f"{promo.price_minor / 100:g}"
    else:
        deal = ""
    return Span(
        id=promo.promo_id,
        name=" ".join(part for part in (product, deal) if part) or promo.promo_id,
        start_minute=int(promo.start_minute),
        end_minute=max(int(promo.start_minute) + 1, math.ceil(promo.end_minute)),
    )


def _window_sum(values: Sequence[int], start: int, end: int) -> int:
    return sum(values[max(0, start) : max(0, end)])


def concern_shares(
    metrics: SessionMetrics, end: int, window: int
) -> tuple[str, list[ConcernShare]]:
    """Each concern's share in minutes ``end - window`` to ``end`` (exclusive), and before it.

    Shares are of questions when the window holds any, else of all comments (as the top-concern
    detector does).
    """
    concerns = metrics.series.concerns
    questions = _window_sum(concerns.get("?", []), end - window, end)
    prefix, basis = ("?", "questions") if questions else ("", "comments")
    total_series = concerns.get("?", []) if prefix else metrics.series.comments
    total = _window_sum(total_series, end - window, end)
    before = _window_sum(total_series, end - 2 * window, end - window)
    shares = []
    for label, (name_zh, name_en) in CONCERNS.items():
        series = concerns.get(prefix + label, [])
        count = _window_sum(series, end - window, end)
        if not count:
            continue
        earlier = _window_sum(series, end - 2 * window, end - window)
        shares.append(
            ConcernShare(
                label=label,
                name_zh=name_zh,
                name_en=name_en,
                count=count,
                share=count / total,
                previous_share=earlier / before if before else None,
            )
        )
    shares.sort(key=lambda s: (-s.count, s.label))
    return basis, shares


def build_frame(
    metrics: SessionMetrics,
    *,
    at: datetime,
    names: Mapping[str, str],
    hot_words: list[HotWord],
    insights: Sequence[LiveInsight],
    max_points: int = MAX_POINTS,
    max_insights: int = 12,
    autonomy: Level = DEFAULT_LEVEL,
    alerts: Sequence[LiveAlert] = (),
    recommendations: Sequence[LiveRecommendation] = (),
    answers: Sequence[LiveAnswer] = (),
    nowcasts: LiveNowcasts | None = None,
) -> LiveFrame:
    """The frame of a session whose metrics are ``metrics`` (taken at event time ``at``); the
    decision panels are passed in as they stand (bounded by their maker)."""
    series, totals = metrics.series, metrics.totals
    now = metrics.minutes - 1  # the open minute
    first = max(0, metrics.minutes - max_points)
    products = sorted(metrics.products or [], key=lambda p: (-p.gmv_minor, -p.clicks, p.product_id))
    basis, concerns = concern_shares(metrics, now + 1, CONCERN_WINDOW)
    last_closed = now - 1
    return LiveFrame(
        session_id=metrics.session_id,
        room_id=metrics.room_id,
        platform=metrics.platform,
        at=at,
        minute=now,
        currency=metrics.currency,
        events=totals.events,
        online=series.online[now] if now >= 0 else 0,
        peak_online=totals.peak_online,
        unique_viewers=totals.unique_viewers,
        comments=totals.comments,
        likes=totals.likes,
        orders=totals.orders or 0,
        gmv_minor=totals.gmv_minor or 0,
        comments_last_minute=series.comments[last_closed] if last_closed >= 0 else 0,
        gmv_last_minute_minor=series.gmv_minor[last_closed] if last_closed >= 0 else 0,
        curves=Curves(
            first_minute=first,
            online=series.online[first:],
            comments=series.comments[first:],
            gmv_minor=series.gmv_minor[first:],
            orders=series.orders[first:],
        ),
        funnel=metrics.funnel,
        products=[
            ProductRow(
                product_id=p.product_id,
                name=names.get(p.product_id, p.product_id),
                clicks=p.clicks,
                orders=p.orders,
                gmv_minor=p.gmv_minor,
            )
            for p in products[:TOP_PRODUCTS]
        ],
        hot_words=hot_words,
        concerns=concerns,
        concern_basis=basis,
        personas=_spans(series.persona, names),
        promos=[_promo_span(p, names) for p in metrics.promos],
        insights=sorted(insights, key=lambda i: -i.first_minute)[:max_insights],
        autonomy=autonomy,
        alerts=list(alerts),
        recommendations=list(recommendations),
        answers=list(answers),
        nowcasts=nowcasts,
    )
