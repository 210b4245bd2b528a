"""The shape of a post-live review (复盘): the data every report format renders.

Built by :func:`livelens.reports.review.build_review` (the decision sections are added by
:func:`livelens.reports.collect.load_review`); rendered by :mod:`livelens.reports.html` (and
through it :mod:`livelens.reports.pdf`). Money is integer minor units of ``currency``;
minutes count from the session start, end exclusive; a ``None`` value has its reason in ``note``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from livelens import __version__
from livelens.comments.hotwords import WindowHotWords
from livelens.qa.attribution import AnswerStats, Conversion
from livelens.reports.decisions.alerts import AlertsSection
from livelens.reports.decisions.nowcasts import NowcastSection
from livelens.reports.decisions.outlook import OutlookSection
from livelens.reports.decisions.pricing import PricingSection
from livelens.reports.decisions.recommendations import RecommendationsSection
from livelens.reports.decisions.signals import SignalsSection
from livelens.reports.evidence import EvidenceRow

Unit = Literal["count", "money", "ratio", "duration_s"]


class Metric(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label_zh: str
    label_en: str
    unit: Unit
    value: float | None
    note: str | None = None  # why the value is missing, or what it is based on


class Span(msgspec.Struct, frozen=True, kw_only=True):
    """A stretch of the session (minutes from its start, end exclusive) shown on the curves."""

    start_minute: float
    end_minute: float
    key: str  # persona id or promo id
    label: str  # display name, or the promo's discount
    detail: str | None = None  # a promo's product title


class Curves(msgspec.Struct, frozen=True, kw_only=True):
    minutes: int
    online: list[float | None]
    online_basis: Literal["viewers", "platform"]  # joins/leaves, or the platform's online.count
    comments: list[int]
    gmv_minor: list[int] | None  # None without products
    orders: list[int] | None
    personas: list[Span]
    promos: list[Span]
    alerts: list[Span] = []  # anomaly alert episodes; key: the metric (online, gmv, conversion)


class FunnelStep(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label_zh: str
    label_en: str
    viewers: int
    step_rate: float | None  # of the step before
    overall_rate: float | None  # of those who entered


class ProductRow(msgspec.Struct, frozen=True, kw_only=True):
    product_id: str
    title: str
    clicks: int
    orders: int
    units: int
    gmv_minor: int
    ctr: float | None
    conversion: float | None


class PersonaRow(msgspec.Struct, frozen=True, kw_only=True):
    persona_id: str
    name: str
    minutes_on_air: float
    viewer_minutes: float
    clicks: int
    orders: int
    gmv_minor: int
    gmv_per_minute_minor: float | None
    orders_per_1k_viewer_minutes: float | None
    exits_per_1k_viewer_minutes: float | None


class ConcernRow(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    name_zh: str
    name_en: str
    comments: int
    share_of_comments: float | None
    questions: int
    share_of_questions: float | None


class InsightEntry(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    subject: str
    text_zh: str
    text_en: str
    evidence: list[EvidenceRow]
    confidence: float | None


class QaSection(msgspec.Struct, frozen=True, kw_only=True):
    """The live Q&A of the session, from the answer log in the store (livelens.qa)."""

    stats: AnswerStats  # answer rate, escalations, latency from question to answer said
    conversion: Conversion  # askers answered vs not: an association, with its caveat


class Review(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    room_id: str
    platform: str
    started_at: datetime
    ended_at: datetime
    minutes: int
    currency: str | None
    headline: list[Metric]
    curves: Curves
    funnel: list[FunnelStep] | None
    products: list[ProductRow] | None
    personas: list[PersonaRow] | None
    concerns: list[ConcernRow]  # empty when comments were not classified
    comments: int
    questions: int
    hot_words_window_minutes: int
    hot_words: list[WindowHotWords]
    insights: list[InsightEntry]
    unavailable: dict[str, str]
    generated_at: datetime
    version: str = __version__
    qa: QaSection | None = None  # None: no answer log for the session in the store
    # The decision sections (livelens.reports.decisions); None: not read (build_review alone, or
    # a store that is not a DuckDB store). Each says itself when its data cannot support it.
    alerts: AlertsSection | None = None
    pricing: PricingSection | None = None
    nowcasts: NowcastSection | None = None
    recommendations: RecommendationsSection | None = None
    signals: SignalsSection | None = None  # lead-lag findings of external signals (trends, promos)
    outlook: OutlookSection | None = None  # the next days' demand of the session's categories
