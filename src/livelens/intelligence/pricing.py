"""Price suggestions (主动价格调整建议): a price or discount with its expected ΔGMV and Δmargin.

For each candidate discount off the current live price (0, 5, 10 … up to the maximum discount)
the expected units are the baseline (the demand expected at the current price over the horizon,
the live nowcast, else the recent rate: :mod:`livelens.intelligence.price_baseline`) times the
demand ratio of that discount from the price-response estimate
(:mod:`livelens.intelligence.elasticity`), capped by the stock left
(:mod:`livelens.intelligence.stock`). The candidate
with the highest expected margin change is suggested; intervals take the corners of the baseline's
and the demand ratio's 95% intervals. A cut is only considered where the data show, at 95%, that
discounts lift demand (the discount effect's interval lies above ×1).

Every candidate goes through the guardrails (:mod:`livelens.intelligence.price_guardrails`); a
candidate that fails one is never emitted. When none passes, or the data cannot carry a price
response, the suggestion is withheld with the reason. Accepting a suggestion turns it into a
``price.change`` event (:func:`price_change_event`). Pure: values in, values out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal, NamedTuple

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.errors import InvalidInput
from livelens.events.reference import Product
from livelens.events.schema import Platform, PriceChange
from livelens.intelligence.elasticity import Estimate, PriceResponse, best_price_response
from livelens.intelligence.price_baseline import BaselineSource, demand_baseline
from livelens.intelligence.price_guardrails import (
    GuardrailCheck,
    Guardrails,
    PriceHistory,
    check_suggestion,
    price_history,
    reference_price,
)
from livelens.intelligence.stock import stock_level

DISCOUNT_STEP_PCT: Final = 5
DEFAULT_HORIZON: Final = timedelta(minutes=15)


class PriceSuggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A price change (``suggested``), a kept price (``hold``: ``blocked_by`` names the guardrails
    that stopped a cut the data would support, empty when no cut is worth making), or nothing
    (``withheld``: no candidate passes, not even the current price)."""

    product_id: str
    status: Literal["suggested", "hold", "withheld"]
    reason: str
    as_of: datetime
    horizon_minutes: int
    current_price_minor: int
    price_minor: int | None = None
    discount_pct: float | None = None  # off the current live price
    reference_price_minor: int | None = None  # the 划线 price shown, a real paid price
    expected_units: Estimate | None = None
    delta_gmv_minor: Estimate | None = None
    delta_margin_minor: Estimate | None = None
    cost_minor: int = 0
    cost_basis: str = ""
    checks: tuple[GuardrailCheck, ...] = ()
    blocked_by: tuple[str, ...] = ()  # for ``hold``: the guardrails every worthwhile cut fails
    history_sessions: tuple[str, ...] = ()  # whose prices the guardrails read, this one last
    notes: tuple[str, ...] = ()
    # The units expected over the horizon at the current price, and where they come from: the
    # live nowcast, or the recent order rate where the nowcast cannot be made. Suggestions stored
    # before these fields existed were all made from the recent rate.
    baseline: BaselineSource = "recent rate"
    baseline_units: Estimate | None = None
    stock_left: int | None = None  # the units on hand that cap the expected units


def unit_cost(product: Product) -> tuple[int, str]:
    """The unit cost: the catalog's ``cost_minor`` attribute, else the floor price as its bound."""
    raw = product.attributes.get("cost_minor")
    if isinstance(raw, str) and raw.isdigit():
        return int(raw), "catalog attribute cost_minor"
    return product.floor_price_minor, "floor price (the catalog has no cost_minor)"


def _span(values: list[float]) -> Estimate:
    return Estimate(value=values[0], low=min(values), high=max(values))


def _outcome(
    price: int,
    current: int,
    cost: int,
    ratio: Estimate,
    baseline: Estimate,
    stock: int,
) -> tuple[Estimate, Estimate, Estimate]:
    """Expected units, ΔGMV and Δmargin (point first, then every corner of the intervals)."""
    units: list[float] = []
    gmv: list[float] = []
    margin: list[float] = []
    pairs = [(baseline.value, ratio.value)]
    pairs += list(itertools.product((baseline.low, baseline.high), (ratio.low, ratio.high)))
    for base, r in pairs:
        now_units = min(base, stock)
        new_units = min(base * r, stock)
        units.append(new_units)
        gmv.append(new_units * price - now_units * current)
        margin.append(new_units * (price - cost) - now_units * (current - cost))
    return _span(units), _span(gmv), _span(margin)


def suggest_price(
    product: Product,
    response: PriceResponse,
    history: PriceHistory,
    *,
    current_price_minor: int,
    baseline_units: Estimate,
    horizon_minutes: int,
    as_of: datetime,
    rails: Guardrails | None = None,
    stock: int | None = None,
) -> PriceSuggestion:
    """The best guarded price for the next ``horizon_minutes``: a cut (``suggested``), the
    current price (``hold``, naming the guardrails that block a cut worth making), or nothing
    (``withheld``). ``stock``: the units left to sell (:func:`livelens.intelligence.stock.
    stock_left`), the catalog's stock when not given."""
    rails = rails or Guardrails(floor_price_minor=product.floor_price_minor)
    on_hand = product.stock if stock is None else stock
    cost, basis = unit_cost(product)
    current = current_price_minor
    common = {
        "product_id": product.product_id,
        "as_of": as_of,
        "horizon_minutes": horizon_minutes,
        "current_price_minor": current,
        "cost_minor": cost,
        "cost_basis": basis,
        "baseline_units": baseline_units,
        "stock_left": on_hand,
    }
    reference = reference_price(history, rails, as_of, current)
    best: PriceSuggestion | None = None
    refused: tuple[GuardrailCheck, ...] = ()
    blocked: list[tuple[float, int, tuple[GuardrailCheck, ...]]] = []  # (Δmargin, price, checks)
    found = response.discount_elasticity
    evident = found is not None and found.high < 0  # discounts lift demand, at 95%
    steps = int(rails.max_discount_pct // DISCOUNT_STEP_PCT)  # prices: whole 角, rounded up
    for step in range(steps + 1):
        pct = step * DISCOUNT_STEP_PCT
        price = (
            max(rails.floor_price_minor, -(-current * (100 - pct) // 1000) * 10) if pct else current
        )
        if price > current:
            continue  # a raise (to the floor) is not suggested: its demand is not modelled
        shown = reference if price < current else None
        checks = tuple(
            check_suggestion(
                price_minor=price,
                current_minor=current,
                reference_minor=shown,
                history=history,
                rails=rails,
                as_of=as_of,
            )
        )
        passed = all(c.passed for c in checks)
        if not passed:
            refused = refused or checks
        effective = 100.0 * (1 - price / current) if current > 0 else 0.0
        ratio = (
            response.demand_ratio(effective)
            if price < current
            else Estimate(value=1.0, low=1.0, high=1.0)
        )
        if ratio is None or (price < current and not evident):
            continue
        units, gmv, margin = _outcome(price, current, cost, ratio, baseline_units, on_hand)
        if not passed:
            blocked.append((margin.value, price, checks))
            continue
        candidate = PriceSuggestion(
            status="suggested",
            reason="",
            price_minor=price,
            discount_pct=round(effective, 2),
            reference_price_minor=shown,
            expected_units=units,
            delta_gmv_minor=gmv,
            delta_margin_minor=margin,
            checks=checks,
            **common,  # type: ignore[arg-type]
        )
        if best is None or margin.value > (best.delta_margin_minor or margin).value + 1e-9:
            best = candidate
    if best is None:
        return PriceSuggestion(
            status="withheld",
            reason="every candidate price fails a guardrail",
            checks=refused,
            blocked_by=tuple(c.name for c in refused if not c.passed),
            **common,  # type: ignore[arg-type]
        )
    if best.price_minor != current:
        reason = f"{best.discount_pct:g}% off is expected to add the most margin"
        return msgspec.structs.replace(best, reason=reason)
    kept = best.delta_margin_minor.value if best.delta_margin_minor is not None else 0.0
    worth = [b for b in blocked if b[0] > kept + 1e-9]  # cuts that would add margin, if allowed
    names: tuple[str, ...] = ()
    if response.discount_elasticity is None:
        why = response.reason or "; ".join(response.notes)
        reason = f"keep the current price: no discount response to act on ({why})"
    elif not evident:
        effect = response.discount_effect
        low = f"; its 95% interval starts at ×{effect.low:.2f}" if effect is not None else ""
        reason = (
            f"keep the current price: the discount effect is not distinguishable from none{low}"
        )
    elif worth:
        gain, price, checks = max(worth, key=lambda b: b[0])
        failed = [c for c in checks if not c.passed]
        names = tuple(sorted({c.name for b in worth for c in b[2] if not c.passed}))
        reason = (
            f"a cut to {price} would be expected to add {gain:.0f} "
            f"of margin, but it fails {', '.join(c.name for c in failed)} ({failed[0].detail})"
        )
    else:
        reason = "keep the current price: no guarded discount is expected to add margin"
    return msgspec.structs.replace(best, status="hold", reason=reason, blocked_by=names)


def price_change_event(
    suggestion: PriceSuggestion,
    *,
    room_id: str,
    session_id: str,
    platform: Platform,
    currency: str,
    at: datetime,
) -> PriceChange:
    """The ``price.change`` that accepting ``suggestion`` produces. Refuses (ValueError) one that
    is withheld or a hold, one that fails a guardrail, and one that would not change the price."""
    if suggestion.status != "suggested" or suggestion.price_minor is None:
        msg = (
            f"suggestion for {suggestion.product_id} is {suggestion.status}, not a price change: "
            f"{suggestion.reason}; there is nothing to accept"
        )
        raise ValueError(msg)
    if suggestion.price_minor == suggestion.current_price_minor:
        msg = (
            f"suggestion for {suggestion.product_id} is the current price "
            f"{suggestion.current_price_minor}: accepting it would change nothing; "
            "nothing to accept"
        )
        raise ValueError(msg)
    if not all(c.passed for c in suggestion.checks):
        msg = f"suggestion for {suggestion.product_id} fails a guardrail; it cannot be accepted"
        raise ValueError(msg)
    return PriceChange(
        event_id=f"price-suggestion:{session_id}:{suggestion.product_id}:{at.isoformat()}",
        room_id=room_id,
        session_id=session_id,
        platform=platform,
        ts=at,
        product_id=suggestion.product_id,
        price_minor=suggestion.price_minor,
        currency=currency,
    )


def current_price(events: pa.Table, product: Product, as_of: datetime) -> int:
    """The live price at ``as_of``: the last ``price.change`` before it, else the list price."""
    history = price_history(events, product.product_id)
    before = [p for p in history.live if p.ts <= as_of]
    return before[-1].price_minor if before else product.list_price_minor


class RoomHistory(msgspec.Struct, frozen=True, kw_only=True):
    """The events whose prices the guardrails read, the sessions they come from (oldest first,
    this one last) and what was left out and why."""

    events: pa.Table
    session_ids: tuple[str, ...]
    notes: tuple[str, ...] = ()


class _Span(NamedTuple):
    first: datetime
    session_id: str
    last: datetime


def _spans(table: pa.Table) -> list[tuple[str, str, str, datetime, datetime]]:
    """(session, room, platform, first event, last event) of each session in ``table``."""
    if table.num_rows == 0:
        return []
    keys = ["session_id", "room_id", "platform"]
    grouped = table.select([*keys, "ts"]).group_by(keys).aggregate([("ts", "min"), ("ts", "max")])
    return list(
        zip(
            grouped["session_id"].to_pylist(),
            grouped["room_id"].to_pylist(),
            grouped["platform"].to_pylist(),
            grouped["ts_min"].to_pylist(),
            grouped["ts_max"].to_pylist(),
            strict=True,
        )
    )


def room_history(sessions: Sequence[pa.Table], session_events: pa.Table) -> RoomHistory:
    """This session's events and its room's earlier sessions' — the price history that the
    guardrails (先涨后降, the real 划线 price) read.

    A price history is one room's on one platform: another room, or the same room id on another
    platform, sets its own prices, and interleaving them would show raises and cuts that no
    viewer ever saw. Of the room's sessions, only those whose first event is before this
    session's are history (a later one is not; none is read after ``as_of`` anyway).

    A room broadcasts one live at a time, so two of its sessions whose events interleave in time
    are a data problem (the same live stored twice under two ids, a wrong room id, a clock off by
    hours). Walking back from this session through the earlier ones (latest first event first,
    then session id), a session is kept only if its last event is at or before the first event
    of the session kept after it; one that overlaps is left out and named in ``notes``. Merging
    overlapping sessions instead (by start, then event time) would put a fabricated raise or cut
    at the seam — a live stored twice shows its last cut "raised" back to its opening price —
    and block or allow cuts on prices that never followed each other. The choice depends only on
    the events' times and ids, so the same store gives the same history. Each session's span is
    that of the rows it is given in (a caller that hands over only price rows spans those).
    """
    mine = _spans(session_events)
    if not mine:
        return RoomHistory(events=session_events, session_ids=())
    session_id, room, platform, start, _end = mine[0]
    earlier: list[tuple[_Span, pa.Table]] = []
    for table in sessions:
        spans = _spans(table)
        for sid, other_room, other_platform, first, last in spans:
            if sid == session_id or (other_room, other_platform) != (room, platform):
                continue
            if first < start:
                one = table if len(spans) == 1 else table.filter(pc.equal(table["session_id"], sid))
                earlier.append((_Span(first, sid, last), one))
    kept: list[tuple[_Span, pa.Table]] = []
    notes: list[str] = []
    boundary = start
    for span, table in sorted(earlier, key=lambda e: (e[0].first, e[0].session_id), reverse=True):
        if span.last <= boundary:
            kept.append((span, table))
            boundary = span.first
        else:
            notes.append(
                f"session {span.session_id} of room {room} ({span.first.isoformat()} – "
                f"{span.last.isoformat()}) overlaps a later session of the room; a room is live "
                "once at a time, so its prices are left out of the price history"
            )
    kept.reverse()
    tables = [table for _span, table in kept]
    return RoomHistory(
        events=pa.concat_tables([*tables, session_events]) if tables else session_events,
        session_ids=(*(span.session_id for span, _table in kept), session_id),
        notes=tuple(notes),
    )


def suggest_for_product(
    sessions: Sequence[pa.Table],
    products: Sequence[Product],
    product_id: str,
    *,
    session_events: pa.Table,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    rails: Guardrails | None = None,
) -> tuple[PriceResponse, PriceSuggestion]:
    """Estimate the product's price response over ``sessions`` and suggest a guarded price for
    the next ``horizon`` of the session ``session_events``, guarded against the price history of
    that session's room (:func:`room_history`). The baseline demand is the session's live nowcast
    for ``horizon`` (the recent rate where it cannot be made); units are capped by the stock left
    at ``as_of`` (the last ``stock.set``, else the catalog's, less the units paid since)."""
    product = next((p for p in products if p.product_id == product_id), None)
    if product is None:
        known = ", ".join(p.product_id for p in products[:10]) or "none"
        msg = f"product {product_id!r} is not in the catalog; known: {known}"
        raise InvalidInput(msg)
    response = best_price_response(sessions, products, product_id)  # or its category's
    room = room_history(sessions, session_events)
    baseline = demand_baseline(session_events, product_id, as_of=as_of, horizon=horizon)
    stock = stock_level(session_events, product, as_of)
    suggestion = suggest_price(
        product,
        response,
        price_history(room.events, product_id),
        current_price_minor=current_price(session_events, product, as_of),
        baseline_units=baseline.units,
        horizon_minutes=int(horizon / timedelta(minutes=1)),
        as_of=as_of,
        rails=rails,
        stock=stock.units,
    )
    notes = (baseline.note, f"stock left {stock.units}: {stock.basis}", *room.notes)
    return response, msgspec.structs.replace(
        suggestion,
        baseline=baseline.source,
        history_sessions=room.session_ids,
        notes=notes,
    )
