"""The typed event model: one envelope for every platform, one Struct per event type.

JSON Lines is the canonical wire form (see docs/events.md for the table of fields). The ``type``
field is the msgspec tag, so decoding a line picks the right Struct and validates it in C:
required fields, types and value ranges are checked by the decoder itself, which is why this
module states constraints as ``Annotated[..., Meta(...)]`` rather than in Python code.

Event types are stable dotted strings; never rename one once released. ``schema`` is the
version of this model that the producer wrote (``SCHEMA_VERSION`` is the newest we read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal, get_args

import msgspec

SCHEMA_VERSION: Final = 1

Platform = Literal["douyin", "taobao", "kuaishou", "tiktok", "bilibili", "wechat", "sim", "other"]
PLATFORMS: Final[tuple[str, ...]] = get_args(Platform)

# Bounds that turn "absurd" values into validation errors at decode time.
_MAX_MINOR: Final = 10**13  # 100 billion in major units; nothing in one event is larger
_MAX_QUANTITY: Final = 1_000_000
_MAX_COUNT: Final = 1_000_000_000
_MAX_EPOCH_MS: Final = 4_102_444_800_000  # 2100-01-01T00:00:00Z

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
AmountMinor = Annotated[int, msgspec.Meta(ge=0, le=_MAX_MINOR)]
PriceMinor = Annotated[int, msgspec.Meta(ge=1, le=_MAX_MINOR)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=_MAX_QUANTITY)]
Percent = Annotated[float, msgspec.Meta(gt=0, le=100)]
DurationS = Annotated[int, msgspec.Meta(ge=1, le=7 * 86_400)]
# Event time: RFC 3339 with an offset, or epoch milliseconds.
EventTime = (
    Annotated[datetime, msgspec.Meta(tz=True)]
    | Annotated[int, msgspec.Meta(ge=0, le=_MAX_EPOCH_MS)]
)
SchemaVersion = Annotated[int, msgspec.Meta(ge=1, le=SCHEMA_VERSION)]


class Event(msgspec.Struct, kw_only=True, tag_field="type", omit_defaults=True, gc=False):
    """The envelope shared by every event type."""

    ts: EventTime
    room_id: Id
    session_id: Id
    platform: Platform
    event_id: Id | None = None
    viewer_id: Id | None = None
    schema: SchemaVersion = SCHEMA_VERSION
    # A platform nickname may arrive with viewer events; ingest drops it unless consent keeps it.
    nickname: Text | None = None


class ViewerEvent(Event, kw_only=True, gc=False):
    """An event a viewer performs: ``viewer_id`` is required."""

    viewer_id: Id


class ViewerJoin(ViewerEvent, tag="viewer.join", kw_only=True, gc=False):
    source: Id | None = None  # traffic source, e.g. "recommend", "follow", "search"


class ViewerLeave(ViewerEvent, tag="viewer.leave", kw_only=True, gc=False):
    pass


class Follow(ViewerEvent, tag="follow", kw_only=True, gc=False):
    pass


class Share(ViewerEvent, tag="share", kw_only=True, gc=False):
    pass


class OnlineCount(Event, tag="online.count", kw_only=True, gc=False):
    count: Annotated[int, msgspec.Meta(ge=0, le=_MAX_COUNT)]


class Comment(ViewerEvent, tag="comment", kw_only=True, gc=False):
    text: Text


class Like(ViewerEvent, tag="like", kw_only=True, gc=False):
    count: Annotated[int, msgspec.Meta(ge=1, le=_MAX_COUNT)]


class Gift(ViewerEvent, tag="gift", kw_only=True, gc=False):
    gift_name: Text
    quantity: Quantity
    amount_minor: AmountMinor
    currency: Currency
    text: Text | None = None  # paid messages (e.g. Bilibili super chat) carry text


class ProductImpression(Event, tag="product.impression", kw_only=True, gc=False):
    product_id: Id


class ProductClick(ViewerEvent, tag="product.click", kw_only=True, gc=False):
    product_id: Id


class CartAdd(ViewerEvent, tag="cart.add", kw_only=True, gc=False):
    product_id: Id
    quantity: Quantity


class OrderPaid(ViewerEvent, tag="order.paid", kw_only=True, gc=False):
    order_id: Id
    product_id: Id
    quantity: Quantity
    amount_minor: AmountMinor
    currency: Currency


class OrderRefunded(Event, tag="order.refunded", kw_only=True, gc=False):
    order_id: Id
    amount_minor: AmountMinor
    currency: Currency


class PersonaSwitch(Event, tag="host.persona_switch", kw_only=True, gc=False):
    persona_id: Id


class ProductPin(Event, tag="host.product_pin", kw_only=True, gc=False):
    product_id: Id


class PriceChange(Event, tag="price.change", kw_only=True, gc=False):
    product_id: Id
    price_minor: PriceMinor
    currency: Currency


class StockSet(Event, tag="stock.set", kw_only=True, gc=False):
    """The platform or the operator sets a product's stock (units on hand) to a new level."""

    product_id: Id
    stock: Annotated[int, msgspec.Meta(ge=0, le=_MAX_COUNT)]


class PromoStart(Event, tag="promo.start", kw_only=True, gc=False):
    promo_id: Id
    duration_s: DurationS
    product_id: Id | None = None
    discount_pct: Percent | None = None
    price_minor: PriceMinor | None = None

    def __post_init__(self) -> None:
        if self.discount_pct is None and self.price_minor is None:
            msg = "Object missing required field `discount_pct` or `price_minor`"
            raise ValueError(msg)


class PromoEnd(Event, tag="promo.end", kw_only=True, gc=False):
    promo_id: Id


class TrendSnapshot(Event, tag="trend.snapshot", kw_only=True, gc=False):
    keyword: Text
    rank: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    heat: Annotated[float, msgspec.Meta(ge=0)]
    source: Id


class CompetitorPromo(Event, tag="competitor.promo", kw_only=True, gc=False):
    competitor: Text
    category: Text
    discount_pct: Percent


AnyEvent = (
    ViewerJoin
    | ViewerLeave
    | Follow
    | Share
    | OnlineCount
    | Comment
    | Like
    | Gift
    | ProductImpression
    | ProductClick
    | CartAdd
    | OrderPaid
    | OrderRefunded
    | PersonaSwitch
    | ProductPin
    | PriceChange
    | StockSet
    | PromoStart
    | PromoEnd
    | TrendSnapshot
    | CompetitorPromo
)

EVENT_CLASSES: Final[tuple[type[Event], ...]] = get_args(AnyEvent)
EVENT_TYPES: Final[dict[str, type[Event]]] = {
    str(msgspec.inspect.type_info(cls).tag): cls  # type: ignore[attr-defined]
    for cls in EVENT_CLASSES
}


def event_type(event: Event) -> str:
    """The dotted type string of ``event`` (its msgspec tag)."""
    return event.__struct_config__.tag  # type: ignore[return-value]
