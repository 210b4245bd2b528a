"""Price advice for a stored session: what a suggestion needs read from the store, the suggestion,
and what accepting it records — one path for ``livelens price suggest`` and the API.

:func:`read_price_inputs` is the only part that touches the store (call it under the store's
lock); :func:`advise` and :func:`acceptance` are pure. The price response is estimated over every
stored session (:func:`~livelens.intelligence.pricing.suggest_for_product`); the guardrails read
the price history of the session's own room and platform only, its earlier sessions in event time
(:func:`~livelens.intelligence.pricing.room_history`); the suggestion is for the next minutes of
the given session as of its last event, under the product's floor price and the maximum discount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import msgspec
import pyarrow as pa

from livelens.errors import InvalidInput, NotFound
from livelens.events.reference import Product
from livelens.events.schema import Platform, PriceChange
from livelens.intelligence.elasticity import PriceResponse
from livelens.intelligence.price_guardrails import DEFAULT_MAX_DISCOUNT_PCT, Guardrails
from livelens.intelligence.pricing import PriceSuggestion, price_change_event, suggest_for_product
from livelens.store.base import SessionSummary
from livelens.store.duckdb import DuckDBStore

ACCEPT_ACTION = "price.suggestion.accept"  # the audit action of an accepted suggestion


@dataclass(frozen=True, slots=True)
class PriceInputs:
    """What a suggestion for ``product`` in the session ``summary`` is made from."""

    summary: SessionSummary
    product: Product
    products: tuple[Product, ...]  # the catalog
    sessions: tuple[pa.Table, ...]  # every stored session's events, this session's last

    @property
    def session_events(self) -> pa.Table:
        return self.sessions[-1]


class PriceAdvice(msgspec.Struct, frozen=True, kw_only=True):
    """The price response the data support (or why they cannot) and the guarded suggestion."""

    response: PriceResponse
    suggestion: PriceSuggestion


def read_price_inputs(store: DuckDBStore, session_id: str, product_id: str) -> PriceInputs:
    """Read the session, the catalog and every stored session's events; NotFound for a session
    that is not stored or a product that is not in the catalog."""
    summaries = {s.session_id: s for s in store.sessions()}
    summary = summaries.get(session_id)
    if summary is None:
        stored = ", ".join(list(summaries)[:10]) or "none"
        msg = f"session {session_id!r} is not in the store; stored: {stored}"
        raise NotFound(msg)
    products = tuple(store.reference().products)
    product = next((p for p in products if p.product_id == product_id), None)
    if product is None:
        known = ", ".join(p.product_id for p in products[:10]) or "none"
        msg = f"product {product_id!r} is not in the catalog; known: {known}"
        raise NotFound(msg)
    session_events = store.events(session_id)
    others = [store.events(s) for s in summaries if s != session_id]
    return PriceInputs(
        summary=summary,
        product=product,
        products=products,
        sessions=(*others, session_events),
    )


def advise(
    inputs: PriceInputs, *, max_discount_pct: float = DEFAULT_MAX_DISCOUNT_PCT
) -> PriceAdvice:
    """The price response and the suggestion for the next minutes after the session's last event,
    never below the product's floor price nor more than ``max_discount_pct`` off."""
    response, suggestion = suggest_for_product(
        inputs.sessions,
        inputs.products,
        inputs.product.product_id,
        session_events=inputs.session_events,
        as_of=inputs.summary.ended_at,
        rails=Guardrails(
            floor_price_minor=inputs.product.floor_price_minor, max_discount_pct=max_discount_pct
        ),
    )
    return PriceAdvice(response=response, suggestion=suggestion)


def acceptance(
    inputs: PriceInputs, suggestion: PriceSuggestion, at: datetime
) -> tuple[PriceChange, dict[str, Any]]:
    """The ``price.change`` that accepting ``suggestion`` at ``at`` stores, and the details its
    ``price.suggestion.accept`` audit entry carries. InvalidInput for anything but a ``suggested``
    cut: a ``hold`` or ``withheld`` suggestion, or one whose price is the current price (accepting
    it would change nothing)."""
    summary = inputs.summary
    try:
        event = price_change_event(
            suggestion,
            room_id=summary.room_id,
            session_id=summary.session_id,
            platform=cast(Platform, summary.platform),
            currency=inputs.product.currency,
            at=at,
        )
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    details = {
        "session_id": summary.session_id,
        "event_id": event.event_id,
        "old_price_minor": suggestion.current_price_minor,
        "new_price_minor": suggestion.price_minor,
        "reference_price_minor": suggestion.reference_price_minor,
        "discount_pct": suggestion.discount_pct,
        "checks": {c.name: c.passed for c in suggestion.checks},
    }
    return event, details
