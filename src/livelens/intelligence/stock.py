"""Stock left (剩余库存) of a product at one moment of a session, from its events.

The last ``stock.set`` of the product at or before ``as_of`` sets the level (else the catalog's
stock, taken as the stock the session opened with); every ``order.paid`` of the product after it,
up to ``as_of``, takes its quantity off; the level never goes below zero. This is what the live
Q&A knowledge does event by event (:meth:`livelens.qa.knowledge.Catalog.apply`): the same
events in the same order give the same stock. Events at one instant count in event id order, the
order the store reads them in. Pure: the events and ``as_of`` are passed in.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.columns import ts_micros
from livelens.events.reference import Product

STOCK_EVENT_TYPES: Final = ("stock.set", "order.paid")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


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


class StockMoves:
    """Each product's stock moves in one session, in event order: the levels ``stock.set`` sets
    and the units ``order.paid`` takes. Fed batch by batch (the live) or with a whole session;
    events may arrive late: each takes its place by (time, event id)."""

    def __init__(self) -> None:
        # product -> sorted (ts µs, event id, is a stock.set, level or units paid)
        self._moves: dict[str, list[tuple[int, str, bool, int]]] = {}

    def add(self, events: pa.Table) -> None:
        """Take the ``stock.set`` and ``order.paid`` events of ``events`` (others are ignored)."""
        rows = events.filter(pc.is_in(events["type"], pa.array(STOCK_EVENT_TYPES)))
        if rows.num_rows == 0:
            return
        columns = (rows[c].to_pylist() for c in ("event_id", "type", "product_id", "stock"))
        for ts, event_id, kind, product_id, level, units in zip(
            rows["ts"].cast(pa.int64()).to_pylist(),
            *columns,
            rows["quantity"].to_pylist(),
            strict=True,
        ):
            if product_id is None:
                continue
            is_set = kind == "stock.set"
            move = (ts, event_id or "", is_set, int(level or 0) if is_set else int(units or 0))
            bisect.insort(self._moves.setdefault(product_id, []), move)

    def level(self, product: Product, as_of: datetime) -> StockLevel:
        """The product's stock left at ``as_of`` (events at or before it), with its basis."""
        as_of_us = ts_micros(as_of)
        moves = self._moves.get(product.product_id, [])
        upto = bisect.bisect_right(moves, (as_of_us, "\U0010ffff", True, 0))
        level, set_at, sold = product.stock, None, 0
        for ts, _, is_set, value in moves[:upto]:
            if is_set:
                level, set_at, sold = value, ts, 0
            else:
                sold += value
        return StockLevel(
            product_id=product.product_id,
            units=max(0, level - sold),
            as_of=as_of,
            set_at=None if set_at is None else _EPOCH + timedelta(microseconds=set_at),
            set_to=level,
            sold_since=sold,
        )


def stock_level(events: pa.Table, product: Product, as_of: datetime) -> StockLevel:
    """The product's stock left at ``as_of`` in ``events`` (one session's), with its basis."""
    moves = StockMoves()
    moves.add(events.filter(pc.equal(events["product_id"], product.product_id)))
    return moves.level(product, as_of)


def stock_left(events: pa.Table, product: Product, as_of: datetime) -> int:
    """Units of ``product`` on hand at ``as_of``: the last ``stock.set`` at or before it (else the
    catalog's stock) less the units paid after it, up to ``as_of``, floored at zero."""
    return stock_level(events, product, as_of).units
