"""The live facts a playbook's conditions read, as they stood at one minute of a session.

Computed from the session's per-minute metrics up to and including minute ``t`` only — never
from later minutes — so that replaying a past session shows what would have fired *then*.

- ``minute`` — minutes since the session start
- ``interaction_index`` — comments, likes and clicks per online viewer in the last 3 minutes,
  each against its rate so far, averaged (1.0 = the session's usual)
- ``interaction_peak`` — ``interaction_index`` ≥ 1.3 and at least 10 minutes in
- ``hot_product`` — the most clicked product so far (GMV breaks ties); absent before any click
- ``hot_product.stock`` — its units on hand at the end of minute ``t``: the last ``stock.set``
  (else the catalog stock) less the units paid since
  (:class:`~livelens.intelligence.stock.StockMoves`, the rule of the price suggestions)
- ``hot_product.gmv_share`` — its share of the session's GMV so far
- ``pinned_product`` — the product the host presents in minute ``t``;
  ``pinned_product.sized`` — it comes in sizes (a 尺码/size attribute in the catalog)
- ``best_persona`` — the persona with the highest GMV per minute on air so far (≥ 5 minutes)
- ``persona`` — the persona on air in minute ``t``; ``promo_running`` — a promotion runs
- ``online`` — viewers online at the end of minute ``t``
- ``conversion_5m`` — buyers per online viewer over the last 5 minutes
- ``questions_5m`` — questions asked in the last 5 minutes
- ``concern_share.<label>`` — the share of those questions about ``label`` (price, size, …)

From the anomaly alerts (business intelligence, :mod:`livelens.intelligence.alerts`), as the live
knew them when minute ``t`` began — raised by the scoring of an earlier minute and not resolved by
then (an alert that the scoring of minute ``t`` itself raises counts from minute ``t + 1``, as the
live scores a minute only once it is complete):

- ``alert_open`` — an anomaly alert of the session is open
- ``alert_open.<metric>`` — the direction (``above`` / ``below``) of the open alert on ``metric``
  (``online``, ``gmv``, ``conversion``); absent while none is open
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Final

import msgspec
import numpy as np

from livelens.events.reference import ReferenceData
from livelens.information.metrics import SessionMetrics
from livelens.intelligence.alerts import AlertChange
from livelens.intelligence.stock import StockMoves

PEAK_LIFT: Final = 1.3
PEAK_MIN_MINUTE: Final = 10
RECENT_MINUTES: Final = 3
CONCERN_MINUTES: Final = 5
MIN_PERSONA_MINUTES: Final = 5
SIZE_KEYS: Final = ("尺码", "size", "sizes", "尺寸")
MINUTE: Final = timedelta(minutes=1)
MICROSECOND: Final = timedelta(microseconds=1)

Facts = dict[str, Any]


class AlertSpan(msgspec.Struct, frozen=True, kw_only=True):
    """When the live knew an alert episode: from the minute whose scoring raised it to the minute
    whose scoring resolved it (None: still open)."""

    alert_id: str
    metric: str
    direction: str
    raised_minute: int
    resolved_minute: int | None = None


def alert_spans(changes: Iterable[AlertChange]) -> list[AlertSpan]:
    """The spans of the alert changes of one session, in the order they were made."""
    spans: dict[str, AlertSpan] = {}
    for change in changes:
        alert = change.alert
        if change.change == "opened":
            spans[alert.alert_id] = AlertSpan(
                alert_id=alert.alert_id,
                metric=alert.metric,
                direction=alert.direction,
                raised_minute=alert.last_minute,  # the minute whose scoring opened it
            )
        elif change.change == "resolved" and alert.alert_id in spans:
            spans[alert.alert_id] = msgspec.structs.replace(
                spans[alert.alert_id], resolved_minute=alert.resolved_minute
            )
    return list(spans.values())


def alert_facts(spans: Sequence[AlertSpan], t: int) -> Facts:
    """``alert_open`` and ``alert_open.<metric>`` at the start of minute ``t``."""
    facts: Facts = {"alert_open": False}
    for span in spans:
        if span.raised_minute < t and (span.resolved_minute is None or span.resolved_minute >= t):
            facts["alert_open"] = True
            facts[f"alert_open.{span.metric}"] = span.direction
    return facts


def _interaction_index(metrics: SessionMetrics, t: int) -> float:
    """Interactions per online viewer, recent against so far: a room filling up at the start is
    not an interaction peak, viewers interacting more is."""
    series = metrics.series
    online = np.maximum(np.asarray(series.online[: t + 1], dtype=np.float64), 1.0)
    parts = []
    for counts in (series.comments, series.likes, series.clicks):
        so_far = np.asarray(counts[: t + 1], dtype=np.float64)
        if so_far.sum() > 0:
            overall = so_far.sum() / online.sum()
            recent = so_far[-RECENT_MINUTES:].sum() / online[-RECENT_MINUTES:].sum()
            parts.append(float(recent / overall))
    return float(np.mean(parts)) if parts else 0.0


def _hot_product(metrics: SessionMetrics, t: int) -> tuple[str | None, int]:
    """(product id, GMV so far) of the most clicked product at minute ``t``."""
    best: tuple[int, int, str] | None = None
    for product_id, series in metrics.product_series.items():
        gmv, clicks = sum(series.gmv_minor[: t + 1]), sum(series.clicks[: t + 1])
        key = (clicks, gmv, product_id)  # popularity: interest first, not price × volume
        if (gmv or clicks) and (best is None or key > best):
            best = key
    if best is None:
        return None, 0
    return best[2], best[1]


def _best_persona(metrics: SessionMetrics, t: int) -> str | None:
    minutes: dict[str, int] = {}
    gmv: dict[str, int] = {}
    for persona, value in zip(
        metrics.series.persona[: t + 1], metrics.series.gmv_minor, strict=False
    ):
        if persona is not None:
            minutes[persona] = minutes.get(persona, 0) + 1
            gmv[persona] = gmv.get(persona, 0) + value
    rates = {p: gmv[p] / n for p, n in minutes.items() if n >= MIN_PERSONA_MINUTES}
    return max(sorted(rates), key=lambda p: rates[p]) if rates else None


def facts_at(
    metrics: SessionMetrics,
    t: int,
    reference: ReferenceData,
    alerts: Sequence[AlertSpan] = (),
    *,
    stock: StockMoves,
) -> Facts:
    """The facts of minute ``t`` (see the module docstring); ``alerts``: the session's alert
    spans (:func:`alert_spans`), none when the caller does not follow alerts; ``stock``: the
    session's stock moves (at least up to the end of minute ``t``)."""
    if not 0 <= t < metrics.minutes:
        msg = f"minute {t} is outside the session's {metrics.minutes} minutes"
        raise ValueError(msg)
    series = metrics.series
    index = _interaction_index(metrics, t)
    hot, hot_gmv = _hot_product(metrics, t)
    products = {p.product_id: p for p in reference.products}
    total_gmv = sum(series.gmv_minor[: t + 1])
    recent = slice(max(0, t - CONCERN_MINUTES + 1), t + 1)
    online = series.online[recent]
    facts: Facts = {
        "minute": t,
        "interaction_index": round(index, 3),
        "interaction_peak": t >= PEAK_MIN_MINUTE and index >= PEAK_LIFT,
        "hot_product": hot,
        "pinned_product": series.pinned_product[t],
        "best_persona": _best_persona(metrics, t),
        "persona": series.persona[t],
        "promo_running": series.promo[t] is not None,
        "online": series.online[t],
        "conversion_5m": (sum(series.buyers[recent]) / sum(online)) if sum(online) else 0.0,
    }
    pinned = series.pinned_product[t]
    if pinned in products:
        attributes = products[pinned].attributes
        facts["pinned_product.sized"] = any(key in attributes for key in SIZE_KEYS)
    if hot is not None:
        minute_end = metrics.started_at.replace(second=0, microsecond=0) + (t + 1) * MINUTE
        on_hand = stock.level(products[hot], minute_end - MICROSECOND) if hot in products else None
        facts["hot_product.stock"] = on_hand.units if on_hand is not None else 0
        facts["hot_product.gmv_share"] = round(hot_gmv / total_gmv, 3) if total_gmv else 0.0
    questions = series.concerns.get("?", [])
    asked = sum(questions[recent]) if questions else 0
    facts["questions_5m"] = asked
    for label, counts in series.concerns.items():
        if label.startswith("?") and len(label) > 1 and asked:
            facts[f"concern_share.{label[1:]}"] = round(sum(counts[recent]) / asked, 3)
    facts.update(alert_facts(alerts, t))
    return facts
