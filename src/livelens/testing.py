"""Test doubles that ship with livelens: event and recommendation factories with overridable
defaults.

Used by livelens's own tests and available to users testing code built on livelens.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import msgspec

from livelens.events.schema import EVENT_TYPES, Event
from livelens.knowledge.playbooks import Playbook, parse_playbooks
from livelens.knowledge.recommender import Recommendation, Uplift

SHANGHAI: Final = timezone(timedelta(hours=8))
T0: Final = datetime(2026, 11, 11, 20, 0, tzinfo=SHANGHAI)

# A valid payload for every event type, beyond the envelope.
SAMPLE_PAYLOADS: Final[dict[str, dict[str, Any]]] = {
    "viewer.join": {"viewer_id": "u1", "source": "recommend"},
    "viewer.leave": {"viewer_id": "u1"},
    "follow": {"viewer_id": "u1"},
    "share": {"viewer_id": "u1"},
    "online.count": {"count": 1234},
    "comment": {"viewer_id": "u1", "text": "这个多少钱？"},
    "like": {"viewer_id": "u1", "count": 15},
    "gift": {
        "viewer_id": "u1",
        "gift_name": "小心心",
        "quantity": 2,
        "amount_minor": 200,
        "currency": "CNY",
    },
    "product.impression": {"product_id": "sku-c"},
    "product.click": {"viewer_id": "u1", "product_id": "sku-c"},
    "cart.add": {"viewer_id": "u1", "product_id": "sku-c", "quantity": 1},
    "order.paid": {
        "viewer_id": "u1",
        "order_id": "o-1",
        "product_id": "sku-c",
        "quantity": 1,
        "amount_minor": 9900,
        "currency": "CNY",
    },
    "order.refunded": {"order_id": "o-1", "amount_minor": 9900, "currency": "CNY"},
    "host.persona_switch": {"persona_id": "p-xiaoxue"},
    "host.product_pin": {"product_id": "sku-c"},
    "price.change": {"product_id": "sku-c", "price_minor": 9900, "currency": "CNY"},
    "stock.set": {"product_id": "sku-c", "stock": 120},
    "promo.start": {
        "promo_id": "flash-1",
        "product_id": "sku-c",
        "discount_pct": 20.0,
        "duration_s": 300,
    },
    "promo.end": {"promo_id": "flash-1"},
    "trend.snapshot": {"keyword": "羽绒服", "rank": 3, "heat": 1250000.0, "source": "weibo"},
    "competitor.promo": {"competitor": "某品牌旗舰店", "category": "服饰", "discount_pct": 30.0},
}

_ids = itertools.count(1)


def event_record(kind: str, **overrides: Any) -> dict[str, Any]:
    """A valid canonical JSON record of type ``kind``; keyword arguments replace fields."""
    record: dict[str, Any] = {
        "type": kind,
        "event_id": f"e-{next(_ids)}",
        "ts": T0.isoformat(),
        "room_id": "room-1",
        "session_id": "session-1",
        "platform": "douyin",
        **SAMPLE_PAYLOADS[kind],
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not None}


def make_event(kind: str, **overrides: Any) -> Event:
    """A typed event of type ``kind`` (see :func:`event_record`)."""
    record = event_record(kind, **overrides)
    return msgspec.convert(record, EVENT_TYPES[kind], strict=False)


def jsonl(records: list[dict[str, Any]]) -> bytes:
    """Records as a JSON Lines body."""
    return b"".join(msgspec.json.encode(r) + b"\n" for r in records)


def every_event(start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> Iterator[Event]:
    """One event of each type, a step apart."""
    for n, kind in enumerate(EVENT_TYPES):
        yield make_event(kind, ts=(start + n * step).isoformat())


def random_session_records(
    seed: int, viewers: int = 50, minutes: int = 20, session_id: str = "session-1"
) -> list[dict[str, Any]]:
    """A small, plausible random session as canonical records, in time order.

    Each viewer joins, may comment, like, click, cart and order a product, and usually leaves;
    the host switches persona, pins products and runs a promo. For engine property tests.
    """
    import random

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    span_ms = minutes * 60_000
    start_ms = int(T0.timestamp() * 1000)
    records: list[dict[str, Any]] = []
    n = itertools.count()

    def add(kind: str, at_ms: int, **fields: Any) -> None:
        records.append(
            {
                "type": kind,
                "event_id": f"{session_id}-{next(n)}",
                "ts": start_ms + min(max(at_ms, 0), span_ms - 1),
                "room_id": "room-1",
                "session_id": session_id,
                "platform": "sim",
                **fields,
            }
        )

    for k, persona in enumerate(("p-a", "p-b", "p-a")):
        add("host.persona_switch", k * span_ms // 3, persona_id=persona)
    for k, product in enumerate(("sku-a", "sku-b")):
        add("host.product_pin", k * span_ms // 2 + 1, product_id=product)
    add(
        "promo.start",
        span_ms // 2,
        promo_id="flash-1",
        product_id="sku-b",
        discount_pct=20.0,
        duration_s=120,
    )
    add("promo.end", span_ms // 2 + 120_000, promo_id="flash-1")
    for minute in range(minutes):
        add("online.count", minute * 60_000 + 5_000, count=rng.randrange(10, 100))
    for v in range(viewers):
        viewer = f"viewer-{v}"
        joined = rng.randrange(span_ms)
        left = joined + rng.randrange(1_000, span_ms)
        add("viewer.join", joined, viewer_id=viewer)
        t = joined
        for _ in range(rng.randrange(4)):
            t += rng.randrange(1_000, 60_000)
            kind = rng.choice(("comment", "like", "product.impression"))
            if kind == "comment":
                add(kind, t, viewer_id=viewer, text=rng.choice(("多少钱", "有S码吗", "好看")))
            elif kind == "like":
                add(kind, t, viewer_id=viewer, count=rng.randrange(1, 30))
            else:
                add(kind, t, viewer_id=viewer, product_id=rng.choice(("sku-a", "sku-b")))
        if rng.random() < 0.5:
            product = rng.choice(("sku-a", "sku-b"))
            t += rng.randrange(1_000, 30_000)
            add("product.click", t, viewer_id=viewer, product_id=product)
            if rng.random() < 0.6:
                t += rng.randrange(1_000, 30_000)
                add("cart.add", t, viewer_id=viewer, product_id=product, quantity=1)
                if rng.random() < 0.6:
                    t += rng.randrange(1_000, 30_000)
                    order = f"order-{v}"
                    amount = rng.choice((9900, 15900))
                    add(
                        "order.paid",
                        t,
                        viewer_id=viewer,
                        order_id=order,
                        product_id=product,
                        quantity=1,
                        amount_minor=amount,
                        currency="CNY",
                    )
                    if rng.random() < 0.1:
                        add(
                            "order.refunded",
                            t + 5_000,
                            order_id=order,
                            amount_minor=amount,
                            currency="CNY",
                        )
        if rng.random() < 0.8:
            add("viewer.leave", max(left, t + 1), viewer_id=viewer)
    records.sort(key=lambda r: (r["ts"], r["event_id"]))
    return records


def make_recommendation(
    playbook_id: str = "peak-flash-discount", minute: int = 10, **overrides: Any
) -> Recommendation:
    """A recommendation of ``playbook_id`` (version 1) made at ``minute`` of session ``s`` in
    room ``r``: a 5-minute flash discount on ``p-1``, no evidence, uplift unknown; keyword
    arguments replace fields."""
    fields: dict[str, Any] = {
        "recommendation_id": f"s:{playbook_id}:{minute}",
        "session_id": "s",
        "room_id": "r",
        "playbook": f"{playbook_id}@v1",
        "priority": 50,
        "minute": minute,
        "start": T0 + timedelta(minutes=minute),
        "action": "flash_discount",
        "target": {"product": "p-1"},
        "duration_s": 300,
        "expected_uplift": Uplift(
            metric="gmv_per_minute", value=None, low=None, high=None, source="unknown", basis="-"
        ),
        "evidence": [],
        "text_zh": "限时折扣",
        "text_en": "flash discount",
    }
    fields.update(overrides)
    return Recommendation(**fields)


# The facts of minute 5 under which DISCOUNT_PLAYBOOK fires (persona ``p-0`` is the best)
DISCOUNT_FACTS: Final = {"minute": 5, "best_persona": "p-0", "persona": None}


def discount_playbook() -> Playbook:
    """A playbook that offers 20% off product ``p1`` by the best persona at any minute, and allows
    up to 25% (change its action with ``msgspec.structs.replace``)."""
    return parse_playbooks(
        """
id: any-discount
version: 1
title: {zh: 折扣, en: Discount}
max_discount_percent: 25
when: [{fact: minute, op: ">=", value: 0}]
action: {kind: flash_discount, product: p1, persona: best_persona, percent: 20}
""",
        "test",
    )[0]
