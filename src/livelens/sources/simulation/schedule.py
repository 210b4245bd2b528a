"""The host's run of show: who presents, which product is pinned, its price, the flash discounts.

The plan is drawn once, before any viewer arrives, as a real room's run of show is. It is kept as
per-second arrays so that what the engine asks every simulated second (who hosts now, what is
pinned, what does this product cost now) is an array lookup.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from livelens.events.reference import Product
from livelens.sources.simulation.catalog import ProductSpec

IntArray = npt.NDArray[np.int64]

PROMO_DURATION_S: Final = 300
DISCOUNT_CHOICES_PCT: Final = (10, 15, 20, 25, 30)
_PRICE_DROP_CHANCE: Final = 0.25
_LIVE_PRICE_SHARE: Final = (0.82, 0.95)  # the everyday live price, as a share of list price
_PRICE_DROP_SHARE: Final = (0.90, 0.97)

HostActionKind = Literal["persona", "pin", "price", "promo_start", "promo_end"]


@dataclass(frozen=True, slots=True)
class Promo:
    promo_id: str
    product_index: int
    discount_pct: int
    start_s: int
    end_s: int  # exclusive: the discount holds for start_s <= t < end_s


@dataclass(frozen=True, slots=True)
class HostAction:
    second: int
    kind: HostActionKind
    index: int  # the persona, product or promo it concerns
    price_minor: int = 0  # for "price": the new live price


@dataclass(frozen=True, slots=True)
class PersonaSegment:
    persona_index: int
    start_s: int
    end_s: int


@dataclass(frozen=True, slots=True)
class HostPlan:
    persona_by_second: IntArray
    pinned_by_second: IntArray
    # Index into ``promos``, or -1; when an experiment discounts every product at once, the
    # second's first promo.
    promo_by_second: IntArray
    live_price_by_second: IntArray  # (seconds, products): the live price, before any discount
    paid_price_by_second: IntArray  # (seconds, products): what one unit costs an order then
    promos: tuple[Promo, ...]
    persona_segments: tuple[PersonaSegment, ...]
    actions: Mapping[int, tuple[HostAction, ...]]  # by second, in the order they happen


def discounted_price_minor(price_minor: int, discount_pct: int, floor_price_minor: int) -> int:
    """A flash-discount price, rounded half up to the fen and never below the floor price."""
    return max(floor_price_minor, (price_minor * (100 - discount_pct) + 50) // 100)


def _segment_lengths(seconds: int, low: float, high: float, rng: np.random.Generator) -> list[int]:
    """Random lengths that tile ``seconds``, with no sliver under ``low / 2`` at the end."""
    lengths: list[int] = []
    remaining = seconds
    while remaining > 0:
        length = min(remaining, int(rng.uniform(low, high)))
        if remaining - length < low / 2:
            length = remaining
        lengths.append(length)
        remaining -= length
    return lengths


def _persona_segments(
    seconds: int, personas: int, rng: np.random.Generator
) -> tuple[PersonaSegment, ...]:
    """Personas take turns in a fixed rotation, 10 % to 17 % of the session each turn."""
    rotation = rng.permutation(personas)
    segments: list[PersonaSegment] = []
    start = 0
    lengths = _segment_lengths(seconds, max(60.0, seconds * 0.10), max(60.0, seconds * 0.167), rng)
    for turn, length in enumerate(lengths):
        segments.append(PersonaSegment(int(rotation[turn % personas]), start, start + length))
        start += length
    return tuple(segments)


def everyday_price_minor(product: Product) -> int:
    """The room's everyday live price (日常价) of ``product``: below list, in the ¥…9.9 style
    that live rooms use, and the same in every session — it depends on the catalog entry only.

    Each session opens at it, so consecutive sessions of a room show no raise that the room never
    made; a raise back to it after an earlier session's cut is a real one.
    """
    low, high = _LIVE_PRICE_SHARE
    share = low + (high - low) * zlib.crc32(product.product_id.encode()) / 2**32
    price = int(product.list_price_minor * share) // 100 * 100 - 10
    return min(product.list_price_minor, max(product.floor_price_minor, price))


def _live_price(spec: ProductSpec, rng: np.random.Generator) -> int:
    """The opening live price: the everyday price. The plan's draw for it is still made (and not
    used), so that every later draw — pins, cuts, flash discounts — is what it was for a seed."""
    rng.uniform(*_LIVE_PRICE_SHARE)
    return everyday_price_minor(spec.product)


def plan_host(
    seconds: int,
    specs: Sequence[ProductSpec],
    persona_count: int,
    session_id: str,
    rng: np.random.Generator,
) -> HostPlan:
    """Draw the run of show: persona turns, product pins with price cuts, flash discounts."""
    products = len(specs)
    segments = _persona_segments(seconds, persona_count, rng)
    actions: defaultdict[int, list[HostAction]] = defaultdict(list)
    persona_by_second = np.empty(seconds, dtype=np.int64)
    for segment in segments:
        persona_by_second[segment.start_s : segment.end_s] = segment.persona_index
        actions[segment.start_s].append(
            HostAction(segment.start_s, "persona", segment.persona_index)
        )

    price_by_second = np.empty((seconds, products), dtype=np.int64)
    for index, spec in enumerate(specs):
        price_by_second[:, index] = price = _live_price(spec, rng)
        actions[0].append(HostAction(0, "price", index, price))

    pin_low, pin_high = max(20.0, seconds * 0.035), max(40.0, seconds * 0.065)
    promo_s = PROMO_DURATION_S if seconds >= 4 * PROMO_DURATION_S else max(30, seconds // 4)
    lead_s = max(5, promo_s // 20)  # the host pins the product, then announces the deal
    promo_gap_s = max(promo_s + 2 * int(pin_low), seconds // 5)
    next_promo_s = promo_gap_s // 2
    order = rng.permutation(products)
    promos: list[Promo] = []
    pinned_by_second = np.empty(seconds, dtype=np.int64)
    promo_by_second = np.full(seconds, -1, dtype=np.int64)
    start = 0
    turn = 0
    while start < seconds:
        product = int(order[turn % products])
        turn += 1
        actions[start].append(HostAction(start, "pin", product))
        if start >= next_promo_s and start + 2 * lead_s + promo_s < seconds:
            promo = Promo(
                promo_id=f"{session_id}-promo-{len(promos) + 1}",
                product_index=product,
                discount_pct=int(rng.choice(DISCOUNT_CHOICES_PCT)),
                start_s=start + lead_s,
                end_s=start + lead_s + promo_s,
            )
            promo_by_second[promo.start_s : promo.end_s] = len(promos)
            actions[promo.start_s].append(HostAction(promo.start_s, "promo_start", len(promos)))
            actions[promo.end_s].append(HostAction(promo.end_s, "promo_end", len(promos)))
            promos.append(promo)
            end = promo.end_s + lead_s
            next_promo_s = end + promo_gap_s
        else:
            end = start + int(rng.uniform(pin_low, pin_high))
            if start > 0 and rng.random() < _PRICE_DROP_CHANCE:
                _cut_price(specs[product], product, start, price_by_second, actions, rng)
        if seconds - end < pin_low / 2:
            end = seconds
        pinned_by_second[start:end] = product
        start = end

    return HostPlan(
        persona_by_second=persona_by_second,
        pinned_by_second=pinned_by_second,
        promo_by_second=promo_by_second,
        live_price_by_second=price_by_second,
        paid_price_by_second=with_discounts(price_by_second, promos, specs),
        promos=tuple(promos),
        persona_segments=segments,
        actions={second: tuple(found) for second, found in actions.items()},
    )


def _cut_price(
    spec: ProductSpec,
    product: int,
    second: int,
    price_by_second: IntArray,
    actions: defaultdict[int, list[HostAction]],
    rng: np.random.Generator,
) -> None:
    current = int(price_by_second[second, product])
    share = rng.uniform(*_PRICE_DROP_SHARE)
    price = max(spec.product.floor_price_minor, round(current * share / 10) * 10)
    if price < current:
        price_by_second[second:, product] = price
        actions[second].append(HostAction(second, "price", product, price))


def with_discounts(
    price_by_second: IntArray, promos: Sequence[Promo], specs: Sequence[ProductSpec]
) -> IntArray:
    """The price an order pays: the live price, or its flash-discount price during a promo."""
    paid = price_by_second.copy()
    for promo in promos:
        floor = specs[promo.product_index].product.floor_price_minor
        live = price_by_second[promo.start_s : promo.end_s, promo.product_index]
        paid[promo.start_s : promo.end_s, promo.product_index] = np.maximum(
            floor, (live * (100 - promo.discount_pct) + 50) // 100
        )
    return paid
