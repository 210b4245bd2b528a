"""Stock left (剩余库存) of a product at one moment of a session, from its events.

The last ``stock.set`` of the product at or before ``as_of`` sets the level (else the catalog's
stock, taken as the stock the session opened with); every ``order.paid`` of the product after it,
up to ``as_of``, takes its quantity off; the level never goes below zero. This is what the live
Q&A knowledge does event by event (:meth:`livelens.qa.knowledge.Catalog.apply`): the same
events in the same order give the same stock. Events at one instant count in event id order, the
order the store reads them in. Pure: the events and ``as_of`` are passed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.reference import Product

STOCK_EVENT_TYPES: Final = ("stock.set", "order.paid")


class StockLevel(msgspec.Struct, frozen=True, kw_only=True):
    """Units on hand at ``as_of`` and where the level comes from."""

    product_id: str
    units: int
    as_of: datetime
    set_at: datetime | None = None  # the last stock.set counted; None: the catalog's stock
    set_to: int  # that stock.set's level, or the catalog's stock
    sold_since: int = 0  # units paid after it, up to as_of

    @property
    def basis(self) -> str:
        """Where the level comes from, in one phrase."""
        if self.set_at is None:
            return f"catalog stock {self.set_to} less {self.sold_since} unit(s) paid in the session"
        at = self.set_at.isoformat()
        return f"stock.set to {self.set_to} at {at} less {self.sold_since} unit(s) paid since"


def stock_level(events: pa.Table, product: Product, as_of: datetime) -> StockLevel:
    """The product's stock left at ``as_of`` in ``events`` (one session's), with its basis."""
    mine = events.filter(
        pc.and_(
            pc.and_(
                pc.equal(events["product_id"], product.product_id),
                pc.is_in(events["type"], pa.array(STOCK_EVENT_TYPES)),
            ),
            pc.less_equal(events["ts"], pa.scalar(as_of, events.schema.field("ts").type)),
        )
    )
    if mine.num_rows:
        mine = mine.take(pc.sort_indices(mine, [("ts", "ascending"), ("event_id", "ascending")]))
    kinds = mine["type"].to_pylist()
    level, set_at = product.stock, None
    last_set = max((i for i, kind in enumerate(kinds) if kind == "stock.set"), default=-1)
    if last_set >= 0:
        level = int(mine["stock"][last_set].as_py())
        set_at = mine["ts"][last_set].as_py()
    quantities = mine["quantity"].to_pylist()
    sold = sum(
        int(q or 0)
        for kind, q in zip(kinds[last_set + 1 :], quantities[last_set + 1 :], strict=True)
        if kind == "order.paid"
    )
    return StockLevel(
        product_id=product.product_id,
        units=max(0, level - sold),
        as_of=as_of,
        set_at=set_at,
        set_to=level,
        sold_since=sold,
    )


def stock_left(events: pa.Table, product: Product, as_of: datetime) -> int:
    """Units of ``product`` on hand at ``as_of``: the last ``stock.set`` at or before it (else the
    catalog's stock) less the units paid after it, up to ``as_of``, floored at zero."""
    return stock_level(events, product, as_of).units
