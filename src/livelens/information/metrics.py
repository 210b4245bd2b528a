"""Live metrics of one session: the shape every detector, report and screen reads.

Per-minute series are indexed by whole minutes from the session start (minute 0 is the first
minute). Money is integer minor units. Where the data cannot support a metric (a recording without
products has no CTR), the metric is absent and ``unavailable`` says why, rather than showing zero.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class MinuteSeries(msgspec.Struct, kw_only=True):
    """Per-minute counts; every list has ``minutes`` entries."""

    online: list[
        int
    ]  # viewers present at the end of the minute (joins − leaves, sessions timed out)
    online_reported: list[int | None]  # the platform's highest online.count in the minute
    entries: list[int]
    exits: list[int]
    comments: list[int]
    likes: list[int]  # sum of like counts
    gifts_minor: list[int]
    impressions: list[int]
    clicks: list[int]
    carts: list[int]
    orders: list[int]
    gmv_minor: list[int]
    refunds_minor: list[int]
    clickers: list[int]  # distinct viewers who clicked in the minute
    buyers: list[int]  # distinct viewers who paid in the minute
    persona: list[str | None]  # the persona on air for most of the minute
    pinned_product: list[str | None]  # the product pinned for most of the minute
    promo: list[str | None]  # the promo running for most of the minute
    # Comments per intent label ("price", ...) and questions per label ("?price"), "?" = all
    # questions; empty when the engine ran without a comment classifier.
    concerns: dict[str, list[int]] = {}


class ProductSeries(msgspec.Struct, kw_only=True):
    """Per-minute selling of one product (same minute index as :class:`MinuteSeries`)."""

    clicks: list[int]
    orders: list[int]
    gmv_minor: list[int]


class Funnel(msgspec.Struct, kw_only=True):
    """The live funnel on distinct viewers: entered → clicked → carted → ordered."""

    entered: int
    clicked: int
    carted: int
    ordered: int


class ProductMetrics(msgspec.Struct, kw_only=True):
    product_id: str
    impressions: int
    clicks: int
    carts: int
    orders: int
    units: int
    gmv_minor: int
    refunds_minor: int
    clickers: int
    buyers: int
    ctr: float | None  # clicks / impressions
    conversion: float | None  # buyers / clickers


class PersonaMetrics(msgspec.Struct, kw_only=True):
    persona_id: str
    minutes_on_air: float
    viewer_minutes: float  # exposure: sum over on-air minutes of viewers present
    entries: int
    exits: int
    clicks: int
    orders: int
    gmv_minor: int
    buyers: int
    gmv_per_minute: float | None
    orders_per_1k_viewer_minutes: float | None
    exits_per_1k_viewer_minutes: float | None


class PromoMetrics(msgspec.Struct, kw_only=True):
    promo_id: str
    product_id: str | None
    discount_pct: float | None
    price_minor: int | None
    start_minute: float
    end_minute: float
    # Selling during the promo (minutes whose middle falls inside it): of the promoted product
    # where there is one ("product"), else of the whole session ("session").
    scope: str = "session"
    minutes_on: int = 0
    clicks: int = 0
    orders: int = 0
    gmv_minor: int = 0


class Totals(msgspec.Struct, kw_only=True):
    events: int
    unique_viewers: int
    peak_online: int
    entries: int
    exits: int
    avg_watch_time_s: float | None  # over closed viewing sessions
    comments: int
    likes: int
    gifts_minor: int
    impressions: int | None
    clicks: int | None
    ctr: float | None
    carts: int | None
    orders: int | None
    gmv_minor: int | None
    refunds_minor: int | None
    gpm_minor: float | None  # GMV per 1,000 views (entries)
    uv_value_minor: float | None  # GMV per unique viewer
    aov_minor: float | None  # GMV per order


class SessionMetrics(msgspec.Struct, kw_only=True):
    session_id: str
    room_id: str
    platform: str
    started_at: datetime
    ended_at: datetime
    minutes: int
    currency: str | None
    totals: Totals
    series: MinuteSeries
    funnel: Funnel | None
    products: list[ProductMetrics] | None
    personas: list[PersonaMetrics] | None
    promos: list[PromoMetrics]
    unavailable: dict[str, str] = {}  # metric group -> why it is not available
    product_series: dict[str, ProductSeries] = {}
