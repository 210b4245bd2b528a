"""One simulated second's events as columns, before they become Structs.

Each action adds a block of rows (kind code, viewer, product and three payload integers whose
meaning depends on the kind). Rows get a random millisecond within the second; host actions come
at millisecond 0 and the concurrency report at 999, and a stable sort keeps host actions ahead of
whatever else happens in their millisecond (a promo starts before the first discounted order).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from livelens.sources.simulation.schedule import HostAction

IntArray = npt.NDArray[np.int64]

# Kind codes, in the order of KIND_TYPES.
(
    JOIN,
    LEAVE,
    ONLINE,
    COMMENT,
    LIKE,
    GIFT,
    FOLLOW,
    SHARE,
    IMPRESSION,
    CLICK,
    CART,
    ORDER,
    REFUND,
    PERSONA,
    PIN,
    PRICE,
    PROMO_START,
    PROMO_END,
) = range(18)
KIND_TYPES: Final = (
    "viewer.join",
    "viewer.leave",
    "online.count",
    "comment",
    "like",
    "gift",
    "follow",
    "share",
    "product.impression",
    "product.click",
    "cart.add",
    "order.paid",
    "order.refunded",
    "host.persona_switch",
    "host.product_pin",
    "price.change",
    "promo.start",
    "promo.end",
)
_HOST_KINDS: Final = {
    "persona": PERSONA,
    "pin": PIN,
    "price": PRICE,
    "promo_start": PROMO_START,
    "promo_end": PROMO_END,
}
_LAST_MS: Final = 999

Columns = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]


class SecondRows:
    """Blocks of rows for one second; :meth:`in_time_order` joins and sorts them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._blocks: list[Columns] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(
        self,
        kind: int,
        count: int,
        *,
        viewer: IntArray | None = None,
        product: IntArray | None = None,
        a: IntArray | None = None,
        b: IntArray | None = None,
        c: IntArray | None = None,
        ms: IntArray | None = None,
    ) -> None:
        """Add ``count`` rows of ``kind``; a missing column is -1 (viewer, product) or 0."""
        if count == 0:
            return
        none = np.full(count, -1, dtype=np.int64)
        zero = np.zeros(count, dtype=np.int64)
        self._blocks.append(
            (
                np.full(count, kind, dtype=np.int64),
                none if viewer is None else viewer,
                none if product is None else product,
                zero if a is None else a,
                zero if b is None else b,
                zero if c is None else c,
                self._rng.integers(0, _LAST_MS, size=count) if ms is None else ms,
            )
        )
        self._size += count

    def add_host_action(self, action: HostAction) -> None:
        index = np.array([action.index], dtype=np.int64)
        self.add(
            _HOST_KINDS[action.kind],
            1,
            product=index,
            a=index,
            c=np.array([action.price_minor], dtype=np.int64),
            ms=np.zeros(1, dtype=np.int64),
        )

    def add_online_count(self, count: int) -> None:
        self.add(
            ONLINE,
            1,
            a=np.array([count], dtype=np.int64),
            ms=np.full(1, _LAST_MS, dtype=np.int64),
        )

    def in_time_order(self) -> Columns:
        blocks = self._blocks
        joined = [np.concatenate([block[i] for block in blocks]) for i in range(7)]
        order = np.argsort(joined[6], kind="stable")
        kind, viewer, product, a, b, c, ms = (column[order] for column in joined)
        return kind, viewer, product, a, b, c, ms


class CountedRows(SecondRows):
    """Rows that are counted and dropped, for a funnel-only run that never makes events.

    It draws no milliseconds, so such a run's draws differ from a full run's (its law does not).
    """

    def add(
        self,
        kind: int,
        count: int,
        *,
        viewer: IntArray | None = None,
        product: IntArray | None = None,
        a: IntArray | None = None,
        b: IntArray | None = None,
        c: IntArray | None = None,
        ms: IntArray | None = None,
    ) -> None:
        self._size += count
