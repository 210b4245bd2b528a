"""From engine state to :class:`~livelens.information.metrics.SessionMetrics`.

Minute 0 is the minute in which the session's first event falls (clock-aligned). Host state per
minute (persona on air, pinned product, running promo) is read at the middle of the minute.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from itertools import accumulate

import pyarrow as pa

from livelens.engine.live import LiveEngine
from livelens.engine.session_state import CommentIntents, Promo, SessionState
from livelens.engine.windows import MICROS, MINUTE_US
from livelens.information.metrics import (
    Funnel,
    MinuteSeries,
    PersonaMetrics,
    ProductMetrics,
    ProductSeries,
    PromoMetrics,
    SessionMetrics,
    Totals,
)

NO_PRODUCTS = "no product events in this session (e.g. a recording without a shop)"
NO_JOINS = "no viewer.join/leave events: online viewers come from the platform's online.count"


def _datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / MICROS, UTC)


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return numerator / denominator * scale if denominator else None


def _label_at(timeline: list[tuple[int, str]], at_us: int) -> str | None:
    index = bisect.bisect_right(timeline, (at_us, "\U0010ffff")) - 1
    return timeline[index][1] if index >= 0 else None


def _series(state: SessionState, first_minute: int, minutes: int) -> MinuteSeries:
    counts = state.counters
    column = {name: counts.series(name, first_minute, minutes) for name in counts.names}
    viewers = state.viewers
    delta = viewers.series("delta", first_minute, minutes)
    clickers = state.clickers_by_minute.counts(first_minute, minutes)
    buyers = state.buyers_by_minute.counts(first_minute, minutes)
    middles = [(first_minute + m) * MINUTE_US + MINUTE_US // 2 for m in range(minutes)]
    promos = sorted(state.promos.values(), key=lambda p: p.start_us)
    running: list[str | None] = []
    for middle in middles:
        active = [
            p.promo_id
            for p in promos
            if p.start_us <= middle < (p.end_us or p.start_us + p.duration_s * MICROS)
        ]
        running.append(active[-1] if active else None)
    return MinuteSeries(
        online=list(accumulate(delta)),
        online_reported=[state.online_reported.get(first_minute + m) for m in range(minutes)],
        entries=viewers.series("entries", first_minute, minutes),
        exits=viewers.series("exits", first_minute, minutes),
        comments=column["comments"],
        likes=column["likes"],
        gifts_minor=column["gifts_minor"],
        impressions=column["impressions"],
        clicks=column["clicks"],
        carts=column["carts"],
        orders=column["orders"],
        gmv_minor=column["gmv_minor"],
        refunds_minor=column["refunds_minor"],
        clickers=clickers,
        buyers=buyers,
        persona=[_label_at(state.personas, m) for m in middles],
        pinned_product=[_label_at(state.pins, m) for m in middles],
        promo=running,
        concerns={
            key: [counts.get(first_minute + m, 0) for m in range(minutes)]
            for key, counts in sorted(state.concerns.items())
        },
    )


def _products(state: SessionState) -> list[ProductMetrics]:
    out = []
    for product_id, tally in state.products.items():
        clickers = len(state.product_clickers.get(product_id, ()))
        buyers = len(state.product_buyers.get(product_id, ()))
        out.append(
            ProductMetrics(
                product_id=product_id,
                impressions=tally["impressions"],
                clicks=tally["clicks"],
                carts=tally["carts"],
                orders=tally["orders"],
                units=tally["units"],
                gmv_minor=tally["gmv_minor"],
                refunds_minor=tally["refunds"],
                clickers=clickers,
                buyers=buyers,
                ctr=_ratio(tally["clicks"], tally["impressions"]),
                conversion=_ratio(buyers, clickers),
            )
        )
    return sorted(out, key=lambda p: (-p.gmv_minor, -p.clicks, p.product_id))


def _personas(series: MinuteSeries) -> list[PersonaMetrics]:
    by_persona: dict[str, list[int]] = {}
    for minute, persona in enumerate(series.persona):
        if persona is not None:
            by_persona.setdefault(persona, []).append(minute)
    out = []
    for persona_id, minutes in by_persona.items():
        exposure = float(sum(series.online[m] for m in minutes))
        gmv = sum(series.gmv_minor[m] for m in minutes)
        orders = sum(series.orders[m] for m in minutes)
        exits = sum(series.exits[m] for m in minutes)
        out.append(
            PersonaMetrics(
                persona_id=persona_id,
                minutes_on_air=float(len(minutes)),
                viewer_minutes=exposure,
                entries=sum(series.entries[m] for m in minutes),
                exits=exits,
                clicks=sum(series.clicks[m] for m in minutes),
                orders=orders,
                gmv_minor=gmv,
                buyers=sum(series.buyers[m] for m in minutes),
                gmv_per_minute=_ratio(gmv, len(minutes)),
                orders_per_1k_viewer_minutes=_ratio(orders, exposure, 1000.0),
                exits_per_1k_viewer_minutes=_ratio(exits, exposure, 1000.0),
            )
        )
    return sorted(out, key=lambda p: p.persona_id)


def _promo(
    promo: Promo, origin_us: int, series: MinuteSeries, products: dict[str, ProductSeries]
) -> PromoMetrics:
    start = (promo.start_us - origin_us) / MINUTE_US
    end = ((promo.end_us or promo.start_us + promo.duration_s * MICROS) - origin_us) / MINUTE_US
    inside = [m for m in range(len(series.orders)) if start <= m + 0.5 < end]
    own = products.get(promo.product_id) if promo.product_id else None
    source: ProductSeries | MinuteSeries = own if own is not None else series
    return PromoMetrics(
        promo_id=promo.promo_id,
        product_id=promo.product_id,
        discount_pct=promo.discount_pct,
        price_minor=promo.price_minor,
        start_minute=start,
        end_minute=end,
        scope="product" if own is not None else "session",
        minutes_on=len(inside),
        clicks=sum(source.clicks[m] for m in inside),
        orders=sum(source.orders[m] for m in inside),
        gmv_minor=sum(source.gmv_minor[m] for m in inside),
    )


def metrics_of(state: SessionState) -> SessionMetrics:
    """The metrics of one session's state (the engine may keep running afterwards)."""
    first_minute = state.first_us // MINUTE_US
    minutes = state.last_us // MINUTE_US - first_minute + 1
    series = _series(state, first_minute, minutes)
    origin = first_minute * MINUTE_US
    has_products = bool(state.products)
    viewers = state.viewers
    entries, exits = viewers.total("entries"), viewers.total("exits")
    open_us, open_count = viewers.open_watch_us(state.last_us)
    visits = viewers.sessions_closed + open_count
    gmv = state.counters.total("gmv_minor")
    orders = state.counters.total("orders")
    reported = [c for c in series.online_reported if c is not None]
    peak = max(series.online) if entries else max(reported, default=0)
    unavailable: dict[str, str] = {}
    if not has_products:
        unavailable["products"] = NO_PRODUCTS
    if not entries:
        unavailable["online"] = NO_JOINS
    totals = Totals(
        events=state.counters.total("events"),
        unique_viewers=len(state.seen),
        peak_online=peak,
        entries=entries,
        exits=exits,
        avg_watch_time_s=_ratio(viewers.watch_us_closed + open_us, visits, 1 / MICROS),
        comments=state.counters.total("comments"),
        likes=state.counters.total("likes"),
        gifts_minor=state.counters.total("gifts_minor"),
        impressions=state.counters.total("impressions") if has_products else None,
        clicks=state.counters.total("clicks") if has_products else None,
        ctr=_ratio(state.counters.total("clicks"), state.counters.total("impressions"))
        if has_products
        else None,
        carts=state.counters.total("carts") if has_products else None,
        orders=orders if has_products else None,
        gmv_minor=gmv if has_products else None,
        refunds_minor=state.counters.total("refunds_minor") if has_products else None,
        gpm_minor=_ratio(gmv, entries, 1000.0) if has_products else None,
        uv_value_minor=_ratio(gmv, len(state.seen)) if has_products else None,
        aov_minor=_ratio(gmv, orders) if has_products else None,
    )
    funnel = (
        Funnel(
            entered=len(state.seen),
            clicked=len(state.clicked),
            carted=len(state.carted),
            ordered=len(state.ordered),
        )
        if has_products
        else None
    )
    product_series = {
        product: ProductSeries(
            **{f: counters.series(f, first_minute, minutes) for f in counters.names}
        )
        for product, counters in sorted(state.product_minutes.items())
    }
    promos_in_order = sorted(state.promos.values(), key=lambda p: p.start_us)
    return SessionMetrics(
        session_id=state.session_id,
        room_id=state.room_id,
        platform=state.platform,
        started_at=_datetime(state.first_us),
        ended_at=_datetime(state.last_us),
        minutes=minutes,
        currency=state.currency,
        totals=totals,
        series=series,
        funnel=funnel,
        products=_products(state) if has_products else None,
        personas=_personas(series) if state.personas else None,
        promos=[_promo(p, origin, series, product_series) for p in promos_in_order],
        unavailable=unavailable,
        product_series=product_series,
    )


def compute_session_metrics(
    events: pa.Table, batch_rows: int = 200_000, comment_intents: CommentIntents | None = None
) -> SessionMetrics:
    """Run the engine over one session's stored events and return its metrics."""
    engine = LiveEngine(comment_intents=comment_intents)
    for offset in range(0, events.num_rows, batch_rows):
        engine.process(events.slice(offset, batch_rows))
    engine.finish()
    if len(engine.sessions) != 1:
        msg = f"expected the events of one session; got {sorted(engine.sessions)}"
        raise ValueError(msg)
    return metrics_of(next(iter(engine.sessions.values())))
