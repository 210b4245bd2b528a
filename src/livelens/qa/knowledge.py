"""What the host may say: the catalog state at this moment, versioned.

:class:`Catalog` starts from the room's products (:class:`CatalogProduct`, loaded by
:mod:`livelens.qa.catalog_files`) and room knowledge (:class:`RoomKnowledge`: room FAQ and
policies) and is updated by live events: ``price.change`` (the live price), ``promo.start`` and
``promo.end`` (flash discounts, per product or room-wide), ``order.paid`` (stock goes down),
``stock.set`` (the platform or the operator sets the stock), ``host.product_pin`` (the product
being explained now) and ``host.persona_switch``. Every change bumps
:attr:`Catalog.version`; every answer records the version it was built from.

Time is passed in (epoch milliseconds), never read from the clock: a promo's remaining time and
whether it is still running are functions of the state and ``at_ms``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

import msgspec

from livelens.errors import InvalidEvent, InvalidReferenceData
from livelens.events.reference import FaqEntry, Product
from livelens.events.schema import (
    Event,
    OrderPaid,
    PersonaSwitch,
    PriceChange,
    ProductPin,
    PromoEnd,
    PromoStart,
    StockSet,
)

MAJOR_MINOR: Final = 100  # minor units per yuan (CNY fen)


# The live events :meth:`Catalog.apply` follows (the catalog state they change).
CATALOG_EVENTS: Final = (
    "price.change",
    "stock.set",
    "promo.start",
    "promo.end",
    "host.product_pin",
    "host.persona_switch",
    "order.paid",
)


class RoomPolicy(msgspec.Struct, kw_only=True, frozen=True):
    """Room-wide terms that answer a question when no product says otherwise."""

    after_sales: str | None = None  # returns and exchanges
    warranty: str | None = None
    shipping: str | None = None
    how_to_buy: str | None = None
    authenticity: str | None = None
    coupon: str | None = None
    gift: str | None = None


class RoomKnowledge(msgspec.Struct, kw_only=True, frozen=True):
    """The optional room file: room FAQ, policies, product aliases and link numbers."""

    faq: list[FaqEntry] = []
    policy: RoomPolicy = RoomPolicy()
    aliases: dict[str, list[str]] = {}  # product_id -> names viewers use ("卫衣", "连帽衫")
    links: dict[str, int] = {}  # product_id -> the shopping-cart link number (小黄车 N 号)


class CatalogProduct(msgspec.Struct, kw_only=True, frozen=True):
    """A product with how the room refers to it: display name, aliases, link number."""

    product: Product
    name: str  # what the host calls it in answers
    aliases: tuple[str, ...]  # what viewers may call it (the name and title included)
    link_no: int  # position in the shopping cart, 1-based

    @property
    def product_id(self) -> str:
        return self.product.product_id


class Promo(msgspec.Struct, kw_only=True, frozen=True):
    promo_id: str
    product_id: str | None  # None: room-wide
    started_ms: int
    ends_ms: int
    price_minor: int | None = None
    discount_pct: float | None = None

    def price_for(self, base_minor: int) -> int:
        if self.price_minor is not None:
            return self.price_minor
        pct = self.discount_pct or 0.0
        return round(base_minor * (100.0 - pct) / 100.0)


class PriceQuote(msgspec.Struct, kw_only=True, frozen=True):
    """The price a viewer pays now, and where it comes from."""

    price_minor: int  # what the viewer pays now (promo applied)
    live_price_minor: int  # the room's price before any promo (price.change, else list)
    list_price_minor: int
    floor_price_minor: int
    currency: str
    promo: Promo | None
    promo_remaining_s: int | None


class ProductState(msgspec.Struct, kw_only=True, frozen=True):
    item: CatalogProduct
    live_price_minor: int
    stock: int
    version: int  # the catalog version of this product's last change


class CatalogSnapshot(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the live screen needs to show the Q&A's view of the catalog."""

    version: int
    pinned: str | None
    persona_id: str | None
    products: list[ProductState]
    promos: list[Promo]


class Catalog:
    """The mutable catalog state of one room. Not thread-safe: one room, one writer."""

    def __init__(
        self, products: Iterable[CatalogProduct], room: RoomKnowledge | None = None
    ) -> None:
        self.room = room or RoomKnowledge()
        self.version = 1
        self.pinned: str | None = None
        self.persona_id: str | None = None
        self._states: dict[str, ProductState] = {}
        for item in products:
            if item.product_id in self._states:
                msg = f"product {item.product_id} appears twice in the catalog; keep one"
                raise InvalidReferenceData(msg)
            self._states[item.product_id] = ProductState(
                item=item,
                live_price_minor=item.product.list_price_minor,
                stock=item.product.stock,
                version=self.version,
            )
        self._promos: dict[str, Promo] = {}

    # -- reading ---------------------------------------------------------------------------

    def products(self) -> list[ProductState]:
        return list(self._states.values())

    def get(self, product_id: str) -> ProductState | None:
        return self._states.get(product_id)

    def quote(self, product_id: str, at_ms: int) -> PriceQuote:
        """The lowest price among the promos running at ``at_ms`` (or the live price)."""
        state = self._states[product_id]
        product = state.item.product
        best: Promo | None = None
        price = state.live_price_minor
        for promo in self._promos.values():
            if promo.product_id not in (None, product_id):
                continue
            if not promo.started_ms <= at_ms < promo.ends_ms:
                continue
            candidate = promo.price_for(state.live_price_minor)
            if candidate < price:
                best, price = promo, candidate
        remaining = None if best is None else math.ceil((best.ends_ms - at_ms) / 1000)
        return PriceQuote(
            price_minor=price,
            live_price_minor=state.live_price_minor,
            list_price_minor=product.list_price_minor,
            floor_price_minor=product.floor_price_minor,
            currency=product.currency,
            promo=best,
            promo_remaining_s=remaining,
        )

    def active_promos(self, at_ms: int) -> list[Promo]:
        return [p for p in self._promos.values() if p.started_ms <= at_ms < p.ends_ms]

    def snapshot(self, at_ms: int) -> CatalogSnapshot:
        return CatalogSnapshot(
            version=self.version,
            pinned=self.pinned,
            persona_id=self.persona_id,
            products=self.products(),
            promos=self.active_promos(at_ms),
        )

    # -- updating --------------------------------------------------------------------------

    def _bump(self) -> int:
        self.version += 1
        return self.version

    def _known(self, product_id: str, event: str) -> ProductState:
        state = self._states.get(product_id)
        if state is None:
            msg = (
                f"{event} names product {product_id!r}, which is not in the catalog; "
                "add it to the catalog file or fix the event"
            )
            reason = "unknown_product"
            raise InvalidEvent(reason, msg)
        return state

    def _replace(self, state: ProductState, **changes: int) -> None:
        self._states[state.item.product_id] = msgspec.structs.replace(
            state, version=self._bump(), **changes
        )

    def set_price(self, product_id: str, price_minor: int) -> None:
        state = self._known(product_id, "price.change")
        self._replace(state, live_price_minor=price_minor)

    def set_stock(self, product_id: str, stock: int) -> None:
        """Set the stock of ``product_id`` (what a ``stock.set`` event does)."""
        if stock < 0:
            msg = f"stock of {product_id} must be >= 0, got {stock}"
            reason = "invalid_stock"
            raise InvalidEvent(reason, msg)
        self._replace(self._known(product_id, "stock.set"), stock=stock)

    def start_promo(self, promo: Promo) -> None:
        if promo.product_id is not None:
            self._known(promo.product_id, "promo.start")
        self._promos[promo.promo_id] = promo
        self._bump()

    def end_promo(self, promo_id: str, at_ms: int) -> bool:
        promo = self._promos.get(promo_id)
        if promo is None or promo.ends_ms <= at_ms:
            return False
        self._promos[promo_id] = msgspec.structs.replace(promo, ends_ms=at_ms)
        self._bump()
        return True

    def pin(self, product_id: str | None) -> None:
        if product_id is not None:
            self._known(product_id, "host.product_pin")
        if product_id != self.pinned:
            self.pinned = product_id
            self._bump()

    def apply(self, event: Event) -> bool:
        """Apply one live event; whether it is one the Q&A knowledge follows.

        Raises :class:`~livelens.errors.InvalidEvent` (``unknown_product``) for an event about a
        product the catalog does not have: the caller quarantines it.
        """
        at_ms = event_ms(event)
        if isinstance(event, PriceChange):
            self.set_price(event.product_id, event.price_minor)
        elif isinstance(event, PromoStart):
            self.start_promo(
                Promo(
                    promo_id=event.promo_id,
                    product_id=event.product_id,
                    started_ms=at_ms,
                    ends_ms=at_ms + event.duration_s * 1000,
                    price_minor=event.price_minor,
                    discount_pct=event.discount_pct,
                )
            )
        elif isinstance(event, PromoEnd):
            self.end_promo(event.promo_id, at_ms)
        elif isinstance(event, StockSet):
            self.set_stock(event.product_id, event.stock)
        elif isinstance(event, ProductPin):
            self.pin(event.product_id)
        elif isinstance(event, PersonaSwitch):
            if event.persona_id != self.persona_id:
                self.persona_id = event.persona_id
                self._bump()
        elif isinstance(event, OrderPaid):
            state = self._states.get(event.product_id)
            if state is None:
                return False  # an order for a product outside this catalog changes nothing here
            self._replace(state, stock=max(0, state.stock - event.quantity))
        else:
            return False
        return True


def event_ms(event: Event) -> int:
    """An event's time as epoch milliseconds (events carry a datetime or epoch ms)."""
    ts = event.ts
    if isinstance(ts, int):
        return ts
    return round(ts.timestamp() * 1000)


def yuan(amount_minor: int) -> str:
    """9900 → "99", 4990 → "49.9", 12345 → "123.45": how a host says a price."""
    major, minor = divmod(amount_minor, MAJOR_MINOR)
    if minor == 0:
        return str(major)
    return f"{major}.{minor:02d}".rstrip("0")
