"""What a room's earlier sessions tell the recommender: each product's price history, which the
price guardrails read (先涨后降 and the real 划线 price look back days, not just this session), and
each product's price response, from which a discount's expected uplift is modelled where the
ledger has measured nothing yet (:mod:`livelens.knowledge.uplift_model`).

The earlier sessions are the room's own on the same platform, chosen by
:func:`livelens.intelligence.pricing.room_history` (the rule the BI price suggestions follow:
started before this session, overlapping sessions left out and named). Only sessions *before*
this one are read, never this session's own minutes: the live and the replay of a session then
see the same past, and nothing of the session's future leaks into what it recommends.

Pure: event tables in, values out; :func:`livelens.knowledge.replay.read_room_past` reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.reference import Product
from livelens.intelligence.elasticity import PriceResponse, best_price_response
from livelens.intelligence.price_guardrails import PriceHistory, price_history
from livelens.intelligence.pricing import room_history


class RoomPast(msgspec.Struct, frozen=True, kw_only=True):
    """The room's earlier sessions (oldest first), per product their price history and the price
    response they support, and notes on sessions left out."""

    session_ids: tuple[str, ...] = ()
    prices: dict[str, PriceHistory] = {}
    responses: dict[str, PriceResponse] = {}
    notes: tuple[str, ...] = ()


def room_past(
    earlier: Sequence[pa.Table],
    session_events: pa.Table,
    products: Sequence[Product],
    *,
    with_responses: bool = True,
) -> RoomPast:
    """The past of the session ``session_events`` (any of its events: its room, platform and
    first event are read) from candidate ``earlier`` session tables. ``with_responses``: also
    estimate each product's price response (skip it when no action needs a model)."""
    history = room_history(earlier, session_events)
    past_ids = history.session_ids[:-1]
    if not past_ids:
        return RoomPast(notes=history.notes)
    events = history.events.filter(pc.is_in(history.events["session_id"], pa.array(past_ids)))
    prices = {p.product_id: price_history(events, p.product_id) for p in products}
    responses: dict[str, PriceResponse] = {}
    if with_responses:
        sessions = [events.filter(pc.equal(events["session_id"], sid)) for sid in past_ids]
        pooled: dict[str, PriceResponse] = {}
        for product in products:
            responses[product.product_id] = best_price_response(
                sessions, products, product.product_id, pooled=pooled
            )
    return RoomPast(
        session_ids=tuple(past_ids), prices=prices, responses=responses, notes=history.notes
    )
