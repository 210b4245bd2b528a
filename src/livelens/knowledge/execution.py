"""What an executed recommendation does to the live: the events its action puts in the session.

A manager's accept, or the room's ``auto`` autonomy, executes a recommendation; livelens drives the
AI host, so the action happens now and is recorded as the event a platform would send for it:

* ``flash_discount`` → ``promo.start`` (the recommendation's product, percent and price, for its
  ``duration_s``; the promo ends by its duration), so the screen counts it down, the Q&A quotes
  the discounted price, and the price response learns from it;
* ``pin_product`` → ``host.product_pin``; ``switch_persona`` → ``host.persona_switch`` (ingest
  checks its likeness licence like any other switch).

Coupons, 福袋 and script cues have no event in the canonical model: the host carries them out and
the ledger records their fate. Event ids derive from the recommendation id, so executing twice
(a retry, a restart) stores one event. Pure: a recommendation and a time in, events out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from livelens.events.schema import Event, PersonaSwitch, Platform, ProductPin, PromoStart
from livelens.knowledge.recommender import Recommendation

EXECUTION_SOURCE = "livelens:recommendation"  # the ingest source of executed actions


def execution_events(recommendation: Recommendation, platform: str, at: datetime) -> list[Event]:
    """The events executing ``recommendation`` at ``at`` (event time of the session) puts in its
    session on ``platform``; empty for an action with no canonical event."""
    target = recommendation.target
    envelope: dict[str, Any] = {
        "event_id": f"{EXECUTION_SOURCE}:{recommendation.recommendation_id}",
        "ts": at,
        "room_id": recommendation.room_id,
        "session_id": recommendation.session_id,
        "platform": cast(Platform, platform),
    }
    product = target.get("product")
    if recommendation.action == "flash_discount" and isinstance(product, str):
        return [
            PromoStart(
                **envelope,
                promo_id=recommendation.recommendation_id,
                product_id=product,
                discount_pct=float(target["percent"]),
                price_minor=int(target["price_minor"]),
                duration_s=recommendation.duration_s,
            )
        ]
    if recommendation.action == "pin_product" and isinstance(product, str):
        return [ProductPin(**envelope, product_id=product)]
    persona = target.get("persona")
    if recommendation.action == "switch_persona" and isinstance(persona, str):
        return [PersonaSwitch(**envelope, persona_id=persona)]
    return []
