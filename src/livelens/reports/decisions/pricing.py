"""价格与弹性 Pricing: each product's price response and the guarded price suggestion.

Both come from :func:`livelens.intelligence.pricing.suggest_for_product`, called as
``livelens price suggest`` calls it (the catalog floor price and the default maximum discount as
guardrails, the suggestion for the minutes after the session's last event), with two bounds that
keep a review of a long session quick and stable: the response is estimated over this session
and at most :data:`EARLIER_SESSIONS` earlier sessions of the same room — never later ones, so a
review does not change when more lives are stored — and for the session's
:data:`PRICED_PRODUCTS` best sellers (``livelens price suggest`` covers any other product, over
every stored session). Where the data cannot carry an estimate, the response says why
(``reason``, ``notes``).

The estimator reads clicks, orders, prices, promos, pins and persona turns (the suggestion also
the stock levels set); the report hands it
only those rows (and each session's first event, which fixes the session's minute grid): the
same result (a test holds them equal) at a fraction of the cost on a long session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.intelligence.elasticity import PRICE_RESPONSE_TYPES, PriceResponse
from livelens.intelligence.price_guardrails import DEFAULT_MAX_DISCOUNT_PCT, Guardrails
from livelens.intelligence.pricing import PriceSuggestion, suggest_for_product
from livelens.store.duckdb import DuckDBStore

EARLIER_SESSIONS: Final = 5
PRICED_PRODUCTS: Final = 10
# what the price response reads, and the stock left that caps a suggestion's units
PRICE_EVENT_TYPES: Final = (*PRICE_RESPONSE_TYPES, "stock.set")


class PriceRow(msgspec.Struct, frozen=True, kw_only=True):
    product_id: str
    title: str
    response: PriceResponse  # the discount effect and elasticity with 95% intervals, or why not
    suggestion: PriceSuggestion  # suggested, hold or withheld, with every guardrail check


class PricingSection(msgspec.Struct, frozen=True, kw_only=True):
    sessions: list[str]  # what the price response was estimated over, this session last
    max_discount_pct: float
    rows: list[PriceRow]
    unavailable: str | None = None


def price_events(events: pa.Table) -> pa.Table:
    """The rows the price response and the suggestion read, plus the session's first event."""
    if events.num_rows == 0:
        return events
    ts = events["ts"]
    keep = pc.or_(pc.is_in(events["type"], pa.array(PRICE_EVENT_TYPES)), pc.equal(ts, pc.min(ts)))
    return events.filter(keep)


def read_pricing(
    store: DuckDBStore,
    session_id: str,
    product_ids: Sequence[str],
    events: pa.Table | None = None,
) -> PricingSection:
    """The price response and suggestion of the first :data:`PRICED_PRODUCTS` of
    ``product_ids`` (the session's, best seller first) that the catalog holds; ``events`` are the
    session's, when at hand."""
    summaries = store.sessions()
    summary = next((s for s in summaries if s.session_id == session_id), None)
    catalog = {p.product_id: p for p in store.reference().products}
    wanted = [pid for pid in product_ids if pid in catalog][:PRICED_PRODUCTS]
    if summary is None or not wanted:
        reason = (
            "the session is not in the store's session list"
            if summary is None
            else "the store has no catalog (no floor prices to guard a price)"
            if not catalog
            else "no product events in this session"
            if not product_ids
            else "no product of this session is in the catalog"
        )
        return PricingSection(
            sessions=[], max_discount_pct=DEFAULT_MAX_DISCOUNT_PCT, rows=[], unavailable=reason
        )
    earlier = [
        s for s in summaries if s.room_id == summary.room_id and s.started_at < summary.started_at
    ][-EARLIER_SESSIONS:]
    session_events = price_events(store.events(session_id) if events is None else events)
    sessions = [price_events(store.events(s.session_id)) for s in earlier] + [session_events]
    products = list(catalog.values())
    rows = []
    for pid in wanted:
        product = catalog[pid]
        response, suggestion = suggest_for_product(
            sessions,
            products,
            pid,
            session_events=session_events,
            as_of=summary.ended_at,
            rails=Guardrails(floor_price_minor=product.floor_price_minor),
        )
        rows.append(
            PriceRow(product_id=pid, title=product.title, response=response, suggestion=suggestion)
        )
    return PricingSection(
        sessions=[*(s.session_id for s in earlier), session_id],
        max_discount_pct=DEFAULT_MAX_DISCOUNT_PCT,
        rows=rows,
    )
