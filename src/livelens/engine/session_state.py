"""The incremental state of one live session, updated one columnar micro-batch at a time.

Counting work is vectorised per batch (NumPy ``bincount`` per event type, Arrow ``group_by`` per
product); only order-sensitive joins/leaves (:mod:`livelens.engine.viewers`) and the few host
events (persona switches, pins, promos) are handled one by one. Everything here is commutative
except the viewer sessions, which wait for the watermark, so results do not depend on batch size
or on arrival order within the allowed lateness.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.engine.counters import CountersSnapshot, MinuteCounters
from livelens.engine.distinct_minutes import DistinctPerMinute
from livelens.engine.viewers import JOIN, LEAVE, ViewerSessions, ViewerSnapshot
from livelens.engine.windows import MICROS, MINUTE_US, Int64Array

COUNTED: Final = (
    "events",
    "comments",
    "likes",
    "gifts_minor",
    "impressions",
    "clicks",
    "carts",
    "orders",
    "gmv_minor",
    "refunds_minor",
)
# The columns each event type's update reads (taking fewer columns makes the split cheaper).
_COLUMNS_OF: Final = {
    "comment": ["viewer_id", "text"],
    "like": ["count"],
    "gift": ["amount_minor"],
    "viewer.join": ["viewer_id"],
    "viewer.leave": ["viewer_id"],
    "online.count": ["count"],
    "product.impression": ["product_id", "viewer_id"],
    "product.click": ["product_id", "viewer_id"],
    "cart.add": ["product_id", "viewer_id"],
    "order.paid": [
        "product_id",
        "viewer_id",
        "order_id",
        "quantity",
        "amount_minor",
        "currency",
    ],
    "order.refunded": ["order_id", "amount_minor"],
}
_HOST_COLUMNS: Final = [
    "persona_id",
    "product_id",
    "promo_id",
    "duration_s",
    "discount_pct",
    "price_minor",
]
PRODUCT_MINUTE_FIELDS: Final = ("clicks", "orders", "gmv_minor")
PRODUCT_FIELDS: Final = (
    "impressions",
    "clicks",
    "carts",
    "orders",
    "units",
    "gmv_minor",
    "refunds",
)


class Promo(msgspec.Struct, kw_only=True):
    promo_id: str
    start_us: int
    duration_s: int
    product_id: str | None
    discount_pct: float | None
    price_minor: int | None
    end_us: int | None = None


class SessionSnapshot(msgspec.Struct, kw_only=True):
    session_id: str
    room_id: str
    platform: str
    first_us: int
    last_us: int
    counters: CountersSnapshot
    online_reported: dict[int, int]
    viewers: ViewerSnapshot
    seen: list[str]
    clicked: list[str]
    carted: list[str]
    ordered: list[str]
    clickers_by_minute: list[tuple[int, str]]
    buyers_by_minute: list[tuple[int, str]]
    products: dict[str, dict[str, int]]
    product_clickers: dict[str, list[str]]
    product_buyers: dict[str, list[str]]
    order_products: dict[str, str]
    unmatched_refunds: dict[str, int]
    product_minutes: dict[str, CountersSnapshot]
    concerns: dict[str, dict[int, int]]
    personas: list[tuple[int, str]]
    pins: list[tuple[int, str]]
    promos: dict[str, Promo]
    currency: str | None


def _column(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist()  # type: ignore[no-any-return]


# Classifies comment texts: per comment, its intent labels (label -> confidence) and whether it
# is a question. Injected (livelens.comments.analyze.CommentAnalyzer.intents) so the engine stays
# free of the NLP layer's dependencies.
CommentIntents = Callable[[list[str]], list[tuple[dict[str, float], bool]]]


class SessionState:
    def __init__(
        self,
        session_id: str,
        room_id: str,
        platform: str,
        timeout_us: int,
        comment_intents: CommentIntents | None = None,
    ) -> None:
        self.session_id, self.room_id, self.platform = session_id, room_id, platform
        self.first_us: int = 2**62
        self.last_us: int = -(2**62)
        self.counters = MinuteCounters(COUNTED)
        self.online_reported: dict[int, int] = {}
        self.viewers = ViewerSessions(timeout_us)
        self.seen: set[str] = set()
        self.clicked: set[str] = set()
        self.carted: set[str] = set()
        self.ordered: set[str] = set()
        self.clickers_by_minute = DistinctPerMinute()  # who clicked, minute by minute
        self.buyers_by_minute = DistinctPerMinute()  # who paid
        self.products: dict[str, dict[str, int]] = {}
        self.product_clickers: dict[str, set[str]] = {}
        self.product_buyers: dict[str, set[str]] = {}
        self.order_products: dict[str, str] = {}
        self.unmatched_refunds: dict[str, int] = {}
        self.product_minutes: dict[str, MinuteCounters] = {}
        self.comment_intents = comment_intents
        # Per minute: comments with each intent ("label") and questions with it ("?label").
        self.concerns: dict[str, dict[int, int]] = {}
        self.personas: list[tuple[int, str]] = []
        self.pins: list[tuple[int, str]] = []
        self.promos: dict[str, Promo] = {}
        self.currency: str | None = None

    @property
    def last_at(self) -> datetime:
        """The session's latest event time: when the live is now, in its own clock."""
        return datetime.fromtimestamp(self.last_us / MICROS, UTC)

    # Update -------------------------------------------------------------------------------
    def add(self, batch: pa.Table, ts_us: Int64Array, watermark_us: int) -> None:
        """Fold one batch of this session's events (``ts_us``: their times in µs) into the state."""
        self.first_us = min(self.first_us, int(ts_us.min()))
        self.last_us = max(self.last_us, int(ts_us.max()))
        minutes = ts_us // MINUTE_US
        self.counters.add("events", minutes)
        encoded = batch["type"].combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        for code, kind in enumerate(encoded.dictionary.to_pylist()):
            rows = np.flatnonzero(codes == code)
            if len(rows):
                needed = batch.select(_COLUMNS_OF.get(kind, _HOST_COLUMNS))
                self._add_kind(kind, needed.take(rows), ts_us[rows], minutes[rows], watermark_us)
        # Activity per distinct viewer (their latest time in the batch), computed in Arrow.
        acting = pa.table({"viewer_id": batch["viewer_id"], "ts": ts_us}).filter(
            batch["viewer_id"].is_valid()
        )
        if acting.num_rows:
            latest = acting.group_by("viewer_id").aggregate([("ts", "max")])
            viewers = latest["viewer_id"].to_pylist()
            self.seen.update(viewers)
            self.viewers.observe(viewers, latest["ts_max"].to_pylist())

    def _add_kind(
        self, kind: str, rows: pa.Table, ts_us: Int64Array, minutes: Int64Array, watermark: int
    ) -> None:
        counters = self.counters
        if kind == "comment":
            counters.add("comments", minutes)
            if self.comment_intents is not None:
                self._add_concerns(_column(rows, "text"), minutes.tolist())
        elif kind == "like":
            counters.add("likes", minutes, rows["count"].to_numpy(zero_copy_only=False))
        elif kind == "gift":
            counters.add("gifts_minor", minutes, rows["amount_minor"].to_numpy())
        elif kind in ("viewer.join", "viewer.leave"):
            code = JOIN if kind == "viewer.join" else LEAVE
            viewers = _column(rows, "viewer_id")
            self.viewers.offer([code] * len(viewers), viewers, ts_us.tolist(), watermark)
        elif kind == "online.count":
            for minute, count in zip(minutes.tolist(), _column(rows, "count"), strict=True):
                self.online_reported[minute] = max(count, self.online_reported.get(minute, 0))
        elif kind in ("product.impression", "product.click", "cart.add", "order.paid"):
            self._add_commerce(kind, rows, minutes)
        elif kind == "order.refunded":
            counters.add("refunds_minor", minutes, rows["amount_minor"].to_numpy())
            for order_id, amount in zip(
                _column(rows, "order_id"), _column(rows, "amount_minor"), strict=True
            ):
                product = self.order_products.get(order_id)
                if product is not None:
                    self._product(product)["refunds"] += amount
                else:  # the refund overtook its order: attribute it when the order arrives
                    self.unmatched_refunds[order_id] = (
                        self.unmatched_refunds.get(order_id, 0) + amount
                    )
        else:
            self._add_host(kind, rows, ts_us)

    def _add_commerce(self, kind: str, rows: pa.Table, minutes: Int64Array) -> None:
        products = _column(rows, "product_id")
        viewers = _column(rows, "viewer_id")
        if kind == "product.impression":
            self.counters.add("impressions", minutes)
            self._tally(rows["product_id"], "impressions")
        elif kind == "product.click":
            self.counters.add("clicks", minutes)
            self._add_product_minutes(rows["product_id"], "clicks", minutes)
            self._tally(rows["product_id"], "clicks")
            self.clicked.update(viewers)
            self.clickers_by_minute.add(minutes, viewers)
            for product, viewer in zip(products, viewers, strict=True):
                self.product_clickers.setdefault(product, set()).add(viewer)
        elif kind == "cart.add":
            self.counters.add("carts", minutes)
            self._tally(rows["product_id"], "carts")
            self.carted.update(viewers)
        else:
            amounts = rows["amount_minor"].to_numpy()
            self.counters.add("orders", minutes)
            self.counters.add("gmv_minor", minutes, amounts)
            self._add_product_minutes(rows["product_id"], "orders", minutes)
            self._add_product_minutes(rows["product_id"], "gmv_minor", minutes, amounts)
            self.ordered.update(viewers)
            self.buyers_by_minute.add(minutes, viewers)
            self.currency = self.currency or rows["currency"][0].as_py()
            grouped = rows.group_by("product_id").aggregate(
                [("quantity", "sum"), ("amount_minor", "sum"), ("order_id", "count")]
            )
            for product, units, gmv, orders in zip(
                *(grouped[c].to_pylist() for c in grouped.column_names[:4]), strict=True
            ):
                tally = self._product(product)
                tally["units"] += units
                tally["gmv_minor"] += gmv
                tally["orders"] += orders
            for order_id, product, viewer in zip(
                _column(rows, "order_id"), products, viewers, strict=True
            ):
                self.order_products[order_id] = product
                self.product_buyers.setdefault(product, set()).add(viewer)
                if order_id in self.unmatched_refunds:
                    self._product(product)["refunds"] += self.unmatched_refunds.pop(order_id)

    def _add_host(self, kind: str, rows: pa.Table, ts_us: Int64Array) -> None:
        times = ts_us.tolist()
        if kind == "host.persona_switch":
            self.personas.extend(zip(times, _column(rows, "persona_id"), strict=True))
            self.personas.sort()
        elif kind == "host.product_pin":
            self.pins.extend(zip(times, _column(rows, "product_id"), strict=True))
            self.pins.sort()
        elif kind == "promo.start":
            for ts, row in zip(times, rows.to_pylist(), strict=True):
                self.promos[row["promo_id"]] = Promo(
                    promo_id=row["promo_id"],
                    start_us=ts,
                    duration_s=row["duration_s"],
                    product_id=row["product_id"],
                    discount_pct=row["discount_pct"],
                    price_minor=row["price_minor"],
                    end_us=self.promos[row["promo_id"]].end_us
                    if row["promo_id"] in self.promos
                    else None,
                )
        elif kind == "promo.end":
            for ts, promo_id in zip(times, _column(rows, "promo_id"), strict=True):
                promo = self.promos.get(promo_id)
                if promo is not None:
                    promo.end_us = ts

    def _add_concerns(self, texts: list[str], minutes: list[int]) -> None:
        assert self.comment_intents is not None  # noqa: S101 - checked by the caller
        concerns = self.concerns
        for (intents, question), minute in zip(self.comment_intents(texts), minutes, strict=True):
            keys = [*intents, "?"] if question else list(intents)
            if question:
                keys += [f"?{label}" for label in intents]
            for key in keys:
                per_minute = concerns.setdefault(key, {})
                per_minute[minute] = per_minute.get(minute, 0) + 1

    def _add_product_minutes(
        self,
        products: pa.ChunkedArray,
        field: str,
        minutes: Int64Array,
        weights: npt.NDArray[np.int64] | None = None,
    ) -> None:
        encoded = products.combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        for code, product in enumerate(encoded.dictionary.to_pylist()):
            rows = np.flatnonzero(codes == code)
            counters = self.product_minutes.get(product)
            if counters is None:
                counters = self.product_minutes[product] = MinuteCounters(PRODUCT_MINUTE_FIELDS)
            counters.add(field, minutes[rows], None if weights is None else weights[rows])

    def _tally(self, products: pa.ChunkedArray, field: str) -> None:
        for item in pc.value_counts(products).to_pylist():
            self._product(item["values"])[field] += item["counts"]

    def _product(self, product_id: str) -> dict[str, int]:
        tally = self.products.get(product_id)
        if tally is None:
            tally = self.products[product_id] = dict.fromkeys(PRODUCT_FIELDS, 0)
        return tally

    # Checkpointing -------------------------------------------------------------------------
    def snapshot(self) -> SessionSnapshot:
        return SessionSnapshot(
            session_id=self.session_id,
            room_id=self.room_id,
            platform=self.platform,
            first_us=self.first_us,
            last_us=self.last_us,
            counters=self.counters.snapshot(),
            online_reported=dict(self.online_reported),
            viewers=self.viewers.snapshot(),
            seen=sorted(self.seen),
            clicked=sorted(self.clicked),
            carted=sorted(self.carted),
            ordered=sorted(self.ordered),
            clickers_by_minute=self.clickers_by_minute.snapshot(),
            buyers_by_minute=self.buyers_by_minute.snapshot(),
            products={k: dict(v) for k, v in self.products.items()},
            product_clickers={k: sorted(v) for k, v in self.product_clickers.items()},
            product_buyers={k: sorted(v) for k, v in self.product_buyers.items()},
            order_products=dict(self.order_products),
            unmatched_refunds=dict(self.unmatched_refunds),
            product_minutes={k: c.snapshot() for k, c in self.product_minutes.items()},
            concerns={k: dict(v) for k, v in self.concerns.items()},
            personas=list(self.personas),
            pins=list(self.pins),
            promos={k: msgspec.structs.replace(v) for k, v in self.promos.items()},
            currency=self.currency,
        )

    @classmethod
    def restore(
        cls, snap: SessionSnapshot, comment_intents: CommentIntents | None = None
    ) -> SessionState:
        state = cls(
            snap.session_id, snap.room_id, snap.platform, snap.viewers.timeout_us, comment_intents
        )
        state.concerns = {k: dict(v) for k, v in snap.concerns.items()}
        state.first_us, state.last_us = snap.first_us, snap.last_us
        state.counters = MinuteCounters.restore(snap.counters)
        state.online_reported = dict(snap.online_reported)
        state.viewers = ViewerSessions.restore(snap.viewers)
        state.seen, state.clicked = set(snap.seen), set(snap.clicked)
        state.carted, state.ordered = set(snap.carted), set(snap.ordered)
        state.clickers_by_minute = DistinctPerMinute.restore(snap.clickers_by_minute)
        state.buyers_by_minute = DistinctPerMinute.restore(snap.buyers_by_minute)
        state.products = {k: dict(v) for k, v in snap.products.items()}
        state.product_clickers = {k: set(v) for k, v in snap.product_clickers.items()}
        state.product_buyers = {k: set(v) for k, v in snap.product_buyers.items()}
        state.order_products = dict(snap.order_products)
        state.unmatched_refunds = dict(snap.unmatched_refunds)
        state.product_minutes = {
            k: MinuteCounters.restore(c) for k, c in snap.product_minutes.items()
        }
        state.personas = [tuple(p) for p in snap.personas]  # type: ignore[misc]
        state.pins = [tuple(p) for p in snap.pins]  # type: ignore[misc]
        state.promos = dict(snap.promos)
        state.currency = snap.currency
        return state
