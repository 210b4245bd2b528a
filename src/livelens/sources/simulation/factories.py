"""Turning a row of the simulation's columns into the typed event it stands for.

One small function per kind, indexed by kind code, all with the same signature
``(ts, event_id, viewer, product, a, b, c)``; the meaning of ``a``, ``b`` and ``c`` per kind is
documented beside each function. The engine calls one per event, so these stay minimal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from livelens.events.schema import (
    CartAdd,
    Comment,
    Event,
    Follow,
    Gift,
    Like,
    OnlineCount,
    OrderPaid,
    OrderRefunded,
    PersonaSwitch,
    PriceChange,
    ProductClick,
    ProductImpression,
    ProductPin,
    PromoEnd,
    PromoStart,
    Share,
    ViewerJoin,
    ViewerLeave,
)
from livelens.sources.simulation import rows
from livelens.sources.simulation.audience import TRAFFIC_SOURCES
from livelens.sources.simulation.schedule import Promo

CURRENCY: Final = "CNY"
# (name, price in fen, share of gifts sent): cheap gifts are sent most.
GIFTS: Final = (
    ("小心心", 10, 0.45),
    ("玫瑰", 10, 0.25),
    ("棒棒糖", 90, 0.15),
    ("加油鸭", 150, 0.10),
    ("墨镜", 990, 0.04),
    ("跑车", 12_000, 0.01),
)

Factory = Callable[[datetime, str, int, int, int, int, int], Event]


def make_factories(
    room_id: str,
    session_id: str,
    product_ids: Sequence[str],
    persona_ids: Sequence[str],
    promos: Sequence[Promo],
    comment_texts: Callable[[], list[str]],
) -> tuple[Factory, ...]:
    """One factory per kind code; ``comment_texts()`` is the current second's comment texts."""
    room, session = room_id, session_id
    viewer_prefix = f"{session_id}-v"
    order_prefix = f"{session_id}-o"
    promo_durations = [promo.end_s - promo.start_s for promo in promos]

    def join(ts: datetime, eid: str, v: int, p: int, source: int, b: int, c: int) -> Event:
        return ViewerJoin(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            source=TRAFFIC_SOURCES[source],
        )

    def leave(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return ViewerLeave(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
        )

    def online(ts: datetime, eid: str, v: int, p: int, count: int, b: int, c: int) -> Event:
        return OnlineCount(
            ts=ts, room_id=room, session_id=session, platform="sim", event_id=eid, count=count
        )

    def comment(ts: datetime, eid: str, v: int, p: int, text: int, b: int, c: int) -> Event:
        return Comment(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            text=comment_texts()[text],
        )

    def like(ts: datetime, eid: str, v: int, p: int, taps: int, b: int, c: int) -> Event:
        return Like(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            count=taps,
        )

    def gift(
        ts: datetime, eid: str, v: int, p: int, kind: int, quantity: int, amount: int
    ) -> Event:
        return Gift(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            gift_name=GIFTS[kind][0],
            quantity=quantity,
            amount_minor=amount,
            currency=CURRENCY,
        )

    def follow(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return Follow(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
        )

    def share(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return Share(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
        )

    def impression(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return ProductImpression(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            product_id=product_ids[p],
        )

    def click(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return ProductClick(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            product_id=product_ids[p],
        )

    def cart(ts: datetime, eid: str, v: int, p: int, quantity: int, b: int, c: int) -> Event:
        return CartAdd(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            product_id=product_ids[p],
            quantity=quantity,
        )

    def order(
        ts: datetime, eid: str, v: int, p: int, number: int, quantity: int, amount: int
    ) -> Event:
        return OrderPaid(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            viewer_id=f"{viewer_prefix}{v:07d}",
            order_id=f"{order_prefix}{number:07d}",
            product_id=product_ids[p],
            quantity=quantity,
            amount_minor=amount,
            currency=CURRENCY,
        )

    def refund(ts: datetime, eid: str, v: int, p: int, number: int, b: int, amount: int) -> Event:
        return OrderRefunded(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            order_id=f"{order_prefix}{number:07d}",
            amount_minor=amount,
            currency=CURRENCY,
        )

    def persona(ts: datetime, eid: str, v: int, p: int, index: int, b: int, c: int) -> Event:
        return PersonaSwitch(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            persona_id=persona_ids[index],
        )

    def pin(ts: datetime, eid: str, v: int, p: int, a: int, b: int, c: int) -> Event:
        return ProductPin(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            product_id=product_ids[p],
        )

    def price(ts: datetime, eid: str, v: int, p: int, a: int, b: int, price: int) -> Event:
        return PriceChange(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            product_id=product_ids[p],
            price_minor=price,
            currency=CURRENCY,
        )

    def promo_start(ts: datetime, eid: str, v: int, p: int, index: int, b: int, c: int) -> Event:
        promo = promos[index]
        return PromoStart(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            promo_id=promo.promo_id,
            product_id=product_ids[promo.product_index],
            discount_pct=float(promo.discount_pct),
            duration_s=promo_durations[index],
        )

    def promo_end(ts: datetime, eid: str, v: int, p: int, index: int, b: int, c: int) -> Event:
        return PromoEnd(
            ts=ts,
            room_id=room,
            session_id=session,
            platform="sim",
            event_id=eid,
            promo_id=promos[index].promo_id,
        )

    by_kind: dict[int, Factory] = {
        rows.JOIN: join,
        rows.LEAVE: leave,
        rows.ONLINE: online,
        rows.COMMENT: comment,
        rows.LIKE: like,
        rows.GIFT: gift,
        rows.FOLLOW: follow,
        rows.SHARE: share,
        rows.IMPRESSION: impression,
        rows.CLICK: click,
        rows.CART: cart,
        rows.ORDER: order,
        rows.REFUND: refund,
        rows.PERSONA: persona,
        rows.PIN: pin,
        rows.PRICE: price,
        rows.PROMO_START: promo_start,
        rows.PROMO_END: promo_end,
    }
    return tuple(by_kind[kind] for kind in range(len(rows.KIND_TYPES)))
