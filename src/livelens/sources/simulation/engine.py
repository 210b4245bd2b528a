"""The simulation proper: one second at a time, from the room's state to typed events.

Each second the host acts (from the plan), leavers leave, funnel steps that are due happen, the
present viewers act, newcomers arrive and, every fifth second, the room reports its concurrency.
How many viewers do each thing is a Poisson draw on the number present and who does it is a
uniform draw of positions, all vectorised; the second's rows are then put in time order and turned
into Structs in one tight loop, which is where the time goes.

A newcomer acts from the second after their join and a leaver's last act is in the second before
their leave, so every viewer event lies strictly between that viewer's join and leave.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from livelens.events.schema import Event
from livelens.sources.simulation.audience import Audience
from livelens.sources.simulation.comments import CONCERNS
from livelens.sources.simulation.config import cumulative_shares, draw_categories
from livelens.sources.simulation.factories import GIFTS, Factory, make_factories
from livelens.sources.simulation.funnel import FunnelQueue, Stage, Steps
from livelens.sources.simulation.rows import (
    CART,
    CLICK,
    COMMENT,
    FOLLOW,
    GIFT,
    IMPRESSION,
    JOIN,
    KIND_TYPES,
    LEAVE,
    LIKE,
    ORDER,
    REFUND,
    SHARE,
    Columns,
    CountedRows,
    SecondRows,
)
from livelens.sources.simulation.world import (
    FOLLOWS_PER_MIN,
    GIFTS_PER_MIN,
    PINNED_SHARE_OF_COMMENTS,
    SHARES_PER_MIN,
    World,
    pinned_impression_share,
)

IntArray = npt.NDArray[np.int64]

ONLINE_EVERY_S: Final = 5
MAX_BATCH_EVENTS: Final = 16_384
REFUND_SHARE: Final = 0.04
# Delays, in whole seconds, from one funnel step to the next: [low, high).
CLICK_DELAY_S: Final = (1, 9)
CART_DELAY_S: Final = (3, 31)
ORDER_DELAY_S: Final = (5, 46)
REFUND_DELAY_S: Final = (120, 901)
ORDER_QUANTITIES: Final = np.array([1, 2, 3])
ORDER_QUANTITY_SHARE: Final = np.array([0.8, 0.15, 0.05])
LIKE_BATCH_P: Final = 0.12  # geometric: about 8 taps a batch
GIFT_QUANTITY_P: Final = 0.6  # geometric: mostly one gift, sometimes a handful
GIFT_PRICE_MINOR: Final = np.array([price for _, price, _ in GIFTS])
GIFT_SHARE: Final = np.array([share for _, _, share in GIFTS])
_QUANTITY_CDF: Final = cumulative_shares(ORDER_QUANTITY_SHARE)
_GIFT_CDF: Final = cumulative_shares(GIFT_SHARE)
_MILLISECONDS: Final = tuple(timedelta(milliseconds=ms) for ms in range(1000))


class SessionRun:
    """One pass over a session. Iterate :meth:`batches`; the tallies cover what was produced."""

    def __init__(
        self, world: World, rng: np.random.Generator, *, funnel_only: bool = False
    ) -> None:
        self._world = world
        self._funnel_only = funnel_only
        self._rng = rng
        self._audience = Audience(world.scenario.seconds, rng)
        self._queue = FunnelQueue()
        self._next_event = 0
        self._next_order = 0
        self._texts: list[str] = []
        self._kind_counts = np.zeros(len(KIND_TYPES), dtype=np.int64)
        self._concern_counts = np.zeros(len(CONCERNS), dtype=np.int64)
        self.max_online = 0
        self.orders = 0
        self.gmv_minor = 0
        # Paid orders and their GMV by second: an experiment's outcome without decoding events.
        self.orders_by_second = np.zeros(world.scenario.seconds, dtype=np.int64)
        self.gmv_minor_by_second = np.zeros(world.scenario.seconds, dtype=np.int64)
        self._factories = self._make_factories()
        self._event_prefix = f"{world.scenario.session_id}-"

    def event_counts(self) -> dict[str, int]:
        return {
            KIND_TYPES[kind]: int(count)
            for kind, count in enumerate(self._kind_counts.tolist())
            if count
        }

    def concern_counts(self) -> dict[str, int]:
        return {concern: int(n) for concern, n in zip(CONCERNS, self._concern_counts, strict=True)}

    def simulate_outcomes(self) -> None:
        """Run the whole session without making events: only the tallies are kept.

        With the same draws as :meth:`batches`, the tallies equal those of the events it would
        yield. A ``funnel_only`` run skips the comments, likes, gifts, follows and shares, which
        never feed the audience or the funnel, and only counts its rows: its orders follow the
        same law, from other draws. For experiments over many seeds, where the rest is wasted.
        """
        for second in range(self._world.scenario.seconds):
            self._simulate_second(second)

    def batches(self) -> Iterator[list[Event]]:
        """The session's events in time order, in lists of at most ``MAX_BATCH_EVENTS``.

        A list never spans two simulated seconds; a busy second (the whole audience leaving when
        the stream ends) is cut into several lists, so that memory stays bounded.
        """
        start = self._world.scenario.config.start
        for second in range(self._world.scenario.seconds):
            rows = self._simulate_second(second)
            if not len(rows):
                continue
            second_ts = start + timedelta(seconds=second)
            columns = rows.in_time_order()
            for first in range(0, len(rows), MAX_BATCH_EVENTS):
                part = slice(first, first + MAX_BATCH_EVENTS)
                yield self._materialise(_slice(columns, part), second_ts)

    def _simulate_second(self, t: int) -> SecondRows:
        world, audience = self._world, self._audience
        rows = CountedRows(self._rng) if self._funnel_only else SecondRows(self._rng)
        for action in world.plan.actions.get(t, ()):
            rows.add_host_action(action)
        departed = audience.depart(t)
        rows.add(LEAVE, len(departed), viewer=departed)
        self._advance_funnel(t, rows)
        if audience.count:
            self._act(t, rows)
        arrivals = audience.arrivals_due(t, len(departed), float(world.target[t]))
        viewers, sources = audience.admit(t, arrivals)
        rows.add(JOIN, arrivals, viewer=viewers, a=sources)
        if t % ONLINE_EVERY_S == 0:
            rows.add_online_count(audience.count)
            self.max_online = max(self.max_online, audience.count)
        return rows

    def _advance_funnel(self, t: int, rows: SecondRows) -> None:
        due = self._queue.pop(t)
        if (clicks := due.get("click")) is not None:
            self._click(t, clicks, rows)
        if (carts := due.get("cart")) is not None:
            self._add_to_cart(t, carts, rows)
        if (orders := due.get("order")) is not None:
            self._pay(t, orders, rows)
        if (refunds := due.get("refund")) is not None:
            rows.add(REFUND, len(refunds), a=refunds.order_number, c=refunds.amount_minor)

    def _click(self, t: int, clicks: Steps, rows: SecondRows) -> None:
        rows.add(CLICK, len(clicks), viewer=clicks.viewer, product=clicks.product)
        rate = self._world.cart_rate[t, clicks.product]
        carting = clicks.take(np.flatnonzero(self._rng.random(len(clicks)) < rate))
        quantity = ORDER_QUANTITIES[draw_categories(self._rng, _QUANTITY_CDF, len(carting))]
        steps = Steps.of(carting.viewer, carting.product, carting.leave_s, quantity=quantity)
        self._follow_up("cart", t, CART_DELAY_S, steps)

    def _add_to_cart(self, t: int, carts: Steps, rows: SecondRows) -> None:
        rows.add(CART, len(carts), viewer=carts.viewer, product=carts.product, a=carts.quantity)
        rate = self._world.order_rate[t, carts.product]
        buying = carts.take(np.flatnonzero(self._rng.random(len(carts)) < rate))
        self._follow_up("order", t, ORDER_DELAY_S, buying)

    def _pay(self, t: int, orders: Steps, rows: SecondRows) -> None:
        count = len(orders)
        numbers = np.arange(self._next_order, self._next_order + count, dtype=np.int64)
        self._next_order += count
        amount = self._world.plan.paid_price_by_second[t, orders.product] * orders.quantity
        rows.add(
            ORDER,
            count,
            viewer=orders.viewer,
            product=orders.product,
            a=numbers,
            b=orders.quantity,
            c=amount,
        )
        self.orders += count
        self.gmv_minor += int(amount.sum())
        self.orders_by_second[t] = count
        self.gmv_minor_by_second[t] = int(amount.sum())
        refunded = np.flatnonzero(self._rng.random(count) < REFUND_SHARE)
        due = t + self._rng.integers(*REFUND_DELAY_S, size=len(refunded))
        in_session = due < self._world.scenario.seconds
        refunded, due = refunded[in_session], due[in_session]
        steps = Steps.of(
            orders.viewer[refunded],
            orders.product[refunded],
            orders.leave_s[refunded],
            order_number=numbers[refunded],
            amount_minor=amount[refunded],
        )
        self._queue.schedule("refund", due, steps)

    def _follow_up(self, stage: Stage, t: int, delay_s: tuple[int, int], steps: Steps) -> None:
        """Schedule the next step for those who will still be present when it falls due."""
        if not len(steps):  # no draws to make: the same stream as making none
            return
        due = t + self._rng.integers(*delay_s, size=len(steps))
        keep = np.flatnonzero(due < steps.leave_s)
        self._queue.schedule(stage, due[keep], steps.take(keep))

    def _act(self, t: int, rows: SecondRows) -> None:
        world, rng, audience = self._world, self._rng, self._audience
        n = audience.count
        pinned = int(world.plan.pinned_by_second[t])
        products = len(world.specs)
        if not self._funnel_only:
            self._interact(t, rows)

        k = int(rng.poisson(world.impression_rate[t] * n))
        if k:
            shown = _products_near(rng, pinned, products, k, pinned_impression_share(products))
            positions = audience.pick(k)
            viewers = audience.viewer[positions]
            rows.add(IMPRESSION, k, viewer=viewers, product=shown)
            clicked = np.flatnonzero(rng.random(k) < world.click_through[t, shown])
            self._follow_up(
                "click",
                t,
                CLICK_DELAY_S,
                Steps.of(viewers[clicked], shown[clicked], audience.leave_s[positions[clicked]]),
            )

    def _interact(self, t: int, rows: SecondRows) -> None:
        """Comments, likes, gifts, follows and shares: none of them feeds the funnel."""
        world, rng, audience = self._world, self._rng, self._audience
        n = audience.count
        pinned = int(world.plan.pinned_by_second[t])
        products = len(world.specs)

        k = int(rng.poisson(world.comment_rate[t] * n))
        if k:
            weights = world.bank.weights(world.plan.promo_by_second[t] >= 0, bool(world.in_peak[t]))
            concerns = draw_categories(rng, cumulative_shares(weights), k)
            about = _products_near(rng, pinned, products, k, PINNED_SHARE_OF_COMMENTS)
            self._texts = world.bank.draw(concerns, about, rng.integers(0, 2**31, size=k))
            self._concern_counts += np.bincount(concerns, minlength=len(CONCERNS))
            rows.add(
                COMMENT, k, viewer=audience.viewer[audience.pick(k)], a=np.arange(k, dtype=np.int64)
            )

        k = int(rng.poisson(world.like_rate[t] * n))
        if k:
            taps = np.minimum(rng.geometric(LIKE_BATCH_P, size=k), 300)
            rows.add(LIKE, k, viewer=audience.viewer[audience.pick(k)], a=taps)

        k = int(rng.poisson(GIFTS_PER_MIN / 60 * n))
        if k:
            gift = draw_categories(rng, _GIFT_CDF, k)
            quantity = np.minimum(rng.geometric(GIFT_QUANTITY_P, size=k), 99)
            unit = GIFT_PRICE_MINOR[gift]
            rows.add(
                GIFT,
                k,
                viewer=audience.viewer[audience.pick(k)],
                a=gift,
                b=quantity,
                c=unit * quantity,
            )

        k = int(rng.poisson(FOLLOWS_PER_MIN / 60 * n))
        if k:
            followers = audience.first_follows(audience.pick(k))
            rows.add(FOLLOW, len(followers), viewer=followers)

        k = int(rng.poisson(SHARES_PER_MIN / 60 * n))
        if k:
            rows.add(SHARE, k, viewer=audience.viewer[audience.pick(k)])

    def _materialise(self, columns: Columns, second_ts: datetime) -> list[Event]:
        kinds, viewer, product, a, b, c, ms = columns
        self._kind_counts += np.bincount(kinds, minlength=len(KIND_TYPES))
        factories = self._factories
        prefix = self._event_prefix
        number = self._next_event
        events: list[Event] = []
        append = events.append
        for kind, v, p, x, y, z, offset in zip(
            kinds.tolist(),
            viewer.tolist(),
            product.tolist(),
            a.tolist(),
            b.tolist(),
            c.tolist(),
            ms.tolist(),
            strict=True,
        ):
            ts = second_ts + _MILLISECONDS[offset]
            append(factories[kind](ts, f"{prefix}{number:09d}", v, p, x, y, z))
            number += 1
        self._next_event = number
        return events

    def _make_factories(self) -> tuple[Factory, ...]:
        world = self._world
        return make_factories(
            room_id=world.scenario.config.room_id,
            session_id=world.scenario.session_id,
            product_ids=[spec.product.product_id for spec in world.specs],
            persona_ids=[persona.persona_id for persona in world.personas],
            promos=world.plan.promos,
            comment_texts=lambda: self._texts,
        )


def _slice(columns: Columns, part: slice) -> Columns:
    kinds, viewer, product, a, b, c, ms = columns
    return kinds[part], viewer[part], product[part], a[part], b[part], c[part], ms[part]


def _products_near(
    rng: np.random.Generator, pinned: int, products: int, k: int, pinned_share: float
) -> IntArray:
    """Products for ``k`` actions: the pinned one with ``pinned_share``, else any other."""
    other = rng.integers(0, products - 1, size=k)
    other += other >= pinned
    return np.where(rng.random(k) < pinned_share, pinned, other)
