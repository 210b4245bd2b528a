"""The price guardrails a recommendation's action must pass: the BI checks of
:func:`livelens.intelligence.price_guardrails.check_suggestion` — floor price, maximum discount,
a real reference (划线) price, no raise-then-discount (先涨后降) — on the price that a flash
discount or a coupon / 福袋 amount would make a buyer pay.

The price history is what the recommender knows of the room: the live and paid prices of its
earlier sessions (:mod:`livelens.knowledge.room_past`, the BI suggestions' room history), then the
session's own — the catalog list price at the start, the live prices the ``price.change`` events
set, and the unit prices orders paid, each at its minute. A flash discount shows as its reference
(划线) price the highest price really paid in the lookback window that is not above the current
price — the rule the BI price suggestions follow — and none when nothing was paid; a coupon shows
none. The maximum discount is the playbook's ``max_discount_percent``, never more than the BI
default.

Pure: the history comes in as values, the checks go out as values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from livelens.engine.windows import MINUTE_US
from livelens.events.reference import Product
from livelens.intelligence.price_guardrails import (
    DEFAULT_MAX_DISCOUNT_PCT,
    GuardrailCheck,
    Guardrails,
    PriceHistory,
    PricePoint,
    check_suggestion,
    reference_price,
)
from livelens.knowledge.playbooks import Playbook

MIN_SHARE_OF_ASKED: Final = 0.5  # a floor-clamped discount must keep half of what was asked

Minutely = Sequence[tuple[int, int]]  # [(minute, price_minor)]


class PriceGuard(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of guarding one action's price: the evidence entry, and why it is withheld."""

    evidence: dict[str, Any]
    reason: str | None  # None: every guardrail passed


def by_minute(
    priced: Iterable[tuple[int, str, int]], first_us: int
) -> dict[str, list[tuple[int, int]]]:
    """``(ts µs, product, price)`` rows as, per product, ``(minute, price)`` in order; minutes
    count from ``first_us`` (the live and the replay both count from the session's first event)."""
    found: dict[str, list[tuple[int, int]]] = {}
    for ts_us, product_id, price_minor in priced:
        found.setdefault(product_id, []).append(((ts_us - first_us) // MINUTE_US, price_minor))
    for of_product in found.values():
        of_product.sort()
    return found


def session_history(
    product: Product,
    started_at: datetime,
    live: Minutely,
    paid: Minutely,
    earlier: PriceHistory | None = None,
) -> PriceHistory:
    """The product's price history: what the room's ``earlier`` sessions showed (their live and
    paid prices, :mod:`livelens.knowledge.room_past`), then this session's — its opening price,
    its live prices and paid unit prices, each at the start of its minute. The opening price is
    the list price unless a ``price.change`` in the first minute sets it (an assumed list price
    there would show a raise the room never made)."""

    def at(minute: int) -> datetime:
        return started_at + timedelta(minutes=minute)

    before = earlier or PriceHistory()
    ordered = sorted(live, key=lambda c: c[0])
    opening = (
        ()
        if ordered and ordered[0][0] <= 0
        else (PricePoint(started_at, product.list_price_minor),)
    )
    return PriceHistory(
        live=(
            *before.live,
            *opening,
            *(PricePoint(at(m), p) for m, p in ordered),
        ),
        paid=(*before.paid, *(PricePoint(at(m), p) for m, p in paid)),
    )


def guardrails(product: Product, playbook: Playbook) -> Guardrails:
    return Guardrails(
        floor_price_minor=product.floor_price_minor,
        max_discount_pct=min(playbook.max_discount_percent, DEFAULT_MAX_DISCOUNT_PCT),
    )


def _failed(checks: Sequence[GuardrailCheck]) -> str | None:
    failed = [f"{c.name} ({c.detail})" for c in checks if not c.passed]
    return f"price guardrail fails: {'; '.join(failed)}" if failed else None


def _listed(checks: Sequence[GuardrailCheck]) -> list[dict[str, Any]]:
    return [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks]


def guard_discount(
    playbook: Playbook,
    product: Product,
    current_minor: int,
    history: PriceHistory,
    as_of: datetime,
) -> tuple[PriceGuard, float | None]:
    """A flash discount: the percent offered (whole percents off the current price, cut back to
    the floor and the maximum discount) and its guardrail checks; None when withheld."""
    rails = guardrails(product, playbook)
    asked = playbook.action.percent or 0.0
    ceiling = min(asked, rails.max_discount_pct)
    room = 100.0 * (1 - product.floor_price_minor / current_minor) if current_minor else 0.0
    offered = float(int(min(ceiling, max(0.0, room))))  # rounded down: never below the floor
    price = round(current_minor * (1 - offered / 100))
    reference = (
        reference_price(history, rails, as_of, current_minor) if price < current_minor else None
    )
    checks = check_suggestion(
        price_minor=price,
        current_minor=current_minor,
        reference_minor=reference,
        history=history,
        rails=rails,
        as_of=as_of,
    )
    reason = _failed(checks)
    if reason is None and (offered < asked * MIN_SHARE_OF_ASKED or offered <= 0):
        reason = f"the floor price allows {offered:.0f}% of the {asked:.0f}% asked"
    evidence = {
        "check": "price",
        "price_minor": current_minor,
        "floor_price_minor": product.floor_price_minor,
        "asked_percent": asked,
        "max_discount_percent": rails.max_discount_pct,
        "offered_percent": offered,
        "new_price_minor": price,
        "reference_price_minor": reference,
        "guardrails": _listed(checks),
        "passed": all(c.passed for c in checks),
    }
    return PriceGuard(evidence=evidence, reason=reason), None if reason else offered


def guard_amount(
    playbook: Playbook,
    product: Product,
    current_minor: int,
    history: PriceHistory,
    as_of: datetime,
) -> PriceGuard:
    """A coupon or 福袋 worth ``amount_minor``: the price it leaves a buyer of ``product`` to pay,
    checked like any other price (no reference price is shown beside it)."""
    amount = playbook.action.amount_minor or 0
    price = current_minor - amount
    checks = check_suggestion(
        price_minor=price,
        current_minor=current_minor,
        reference_minor=None,
        history=history,
        rails=guardrails(product, playbook),
        as_of=as_of,
    )
    reason = _failed(checks)
    evidence = {
        "check": "price",
        "product": product.product_id,
        "price_minor": current_minor,
        "amount_minor": amount,
        "effective_price_minor": price,
        "floor_price_minor": product.floor_price_minor,
        "guardrails": _listed(checks),
        "passed": reason is None,
    }
    return PriceGuard(
        evidence=evidence, reason=f"{product.product_id}: {reason}" if reason else None
    )
