"""Aligned time series per product or category: sales, clicks, comment shares and trend signals.

Every series shares one grid of buckets ``[start + i·bucket, start + (i+1)·bucket)`` (hourly, or
per minute where live sessions exist), so that lead-lag analysis compares like with like. Buckets
with no event hold 0 (counts, GMV, heat) or NaN (shares of no comments). Pure: tables in,
arrays out.

Competitor promotions (``competitor.promo``, a point in time each) give per bucket the strongest
discount announced in a category and the number of promotions.

Comment shares: a comment is attributed to the product the host had pinned (``host.product_pin``)
in that session at that moment; ``classify`` (e.g. the comment layer's analyzer) gives each text a
sentiment label and its concerns, and the share is over the attributed comments of the bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.lexicon import INTENT_LABELS
from livelens.events.reference import Product

HOUR: Final = timedelta(hours=1)
MINUTE: Final = timedelta(minutes=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

FloatArray = npt.NDArray[np.float64]
# text → (sentiment label "positive"/"negative"/…, concern labels)
CommentClassifier = Callable[[Sequence[str]], list[tuple[str, Sequence[str]]]]
# The comment layer's labels that a share series can follow ("other" is no concern).
CONCERN_LABELS: Final = tuple(label for label in INTENT_LABELS if label != "other")


class AlignedSeries(msgspec.Struct, kw_only=True):
    """Named series on one grid; ``values[name][i]`` belongs to the bucket starting at
    ``start + i * bucket``."""

    start: datetime
    bucket: timedelta
    values: dict[str, list[float]]

    def array(self, name: str) -> FloatArray:
        return np.asarray(self.values[name], dtype=np.float64)

    @property
    def length(self) -> int:
        return len(next(iter(self.values.values()), []))


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _bucket_index(
    table: pa.Table, start: datetime, bucket: timedelta, n: int
) -> npt.NDArray[np.int64]:
    ts = table["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    width = _micros(_EPOCH + bucket)
    index = (ts - _micros(start)) // width
    return np.where((index >= 0) & (index < n), index, -1).astype(np.int64)


def _bucket_count(start: datetime, end: datetime, bucket: timedelta) -> int:
    if end <= start:
        msg = f"series end {end.isoformat()} is not after start {start.isoformat()}"
        raise ValueError(msg)
    return -(-(end - start) // bucket)


def _accumulate(index: npt.NDArray[np.int64], weights: FloatArray, n: int) -> FloatArray:
    keep = index >= 0
    return np.bincount(index[keep], weights=weights[keep], minlength=n).astype(np.float64)


def products_of(
    products: Sequence[Product], *, product_id: str | None = None, category: str | None = None
) -> list[str]:
    """The product ids a target names: one product, or every product of a category."""
    if product_id is not None:
        return [product_id]
    return [p.product_id for p in products if p.category == category]


def trend_series(
    trends: pa.Table, keyword: str, *, start: datetime, end: datetime, bucket: timedelta = HOUR
) -> AlignedSeries:
    """Heat (max over entries whose keyword contains ``keyword``) and best rank per bucket.

    ``on_board`` is 1 where the keyword was on a board in that bucket; ``rank`` is NaN where not.
    """
    n = _bucket_count(start, end, bucket)
    rows = trends.filter(pc.equal(trends["type"], "trend.snapshot"))
    rows = rows.filter(pc.match_substring(rows["keyword"], keyword))
    index = _bucket_index(rows, start, bucket, n)
    heat = np.zeros(n)
    rank = np.full(n, np.nan)
    heats = rows["heat"].to_numpy(zero_copy_only=False).astype(np.float64)
    ranks = rows["rank"].to_numpy(zero_copy_only=False).astype(np.float64)
    keep = index >= 0
    np.maximum.at(heat, index[keep], heats[keep])
    np.fmin.at(rank, index[keep], ranks[keep])
    on_board = (~np.isnan(rank)).astype(np.float64)
    values = {"heat": heat.tolist(), "rank": rank.tolist(), "on_board": on_board.tolist()}
    return AlignedSeries(start=start, bucket=bucket, values=values)


def sales_series(
    events: pa.Table,
    product_ids: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    bucket: timedelta = HOUR,
) -> AlignedSeries:
    """Orders and GMV (``order.paid``) and clicks (``product.click``) of the products per bucket."""
    n = _bucket_count(start, end, bucket)
    mine = events.filter(pc.is_in(events["product_id"], pa.array(list(product_ids), pa.string())))
    paid = mine.filter(pc.equal(mine["type"], "order.paid"))
    clicks = mine.filter(pc.equal(mine["type"], "product.click"))
    paid_index = _bucket_index(paid, start, bucket, n)
    amounts = pc.fill_null(paid["amount_minor"], 0).to_numpy(zero_copy_only=False)
    click_index = _bucket_index(clicks, start, bucket, n)
    values = {
        "orders": _accumulate(paid_index, np.ones(len(paid_index)), n).tolist(),
        "gmv_minor": _accumulate(paid_index, amounts.astype(np.float64), n).tolist(),
        "clicks": _accumulate(click_index, np.ones(len(click_index)), n).tolist(),
    }
    return AlignedSeries(start=start, bucket=bucket, values=values)


def competitor_series(
    events: pa.Table,
    category: str,
    *,
    start: datetime,
    end: datetime,
    bucket: timedelta = HOUR,
) -> AlignedSeries:
    """Per bucket, the strongest competitor discount (``discount_pct``, 0 without a promotion)
    and the number of promotions (``promos``) announced in ``category``."""
    n = _bucket_count(start, end, bucket)
    rows = events.filter(pc.equal(events["type"], "competitor.promo"))
    rows = rows.filter(pc.equal(rows["category"], category))
    index = _bucket_index(rows, start, bucket, n)
    discounts = pc.fill_null(rows["discount_pct"], 0.0).to_numpy(zero_copy_only=False)
    strongest = np.zeros(n)
    keep = index >= 0
    np.maximum.at(strongest, index[keep], discounts.astype(np.float64)[keep])
    values = {
        "discount_pct": strongest.tolist(),
        "promos": _accumulate(index, np.ones(len(index)), n).tolist(),
    }
    return AlignedSeries(start=start, bucket=bucket, values=values)


def analyzer_classifier(analyzer: CommentAnalyzer) -> CommentClassifier:
    """The comment layer's analyzer as a :data:`CommentClassifier`: each text's sentiment label
    and the labels of its intents (its concerns)."""

    def classify(texts: Sequence[str]) -> list[tuple[str, Sequence[str]]]:
        return [(a.sentiment.label, list(a.intents)) for a in analyzer.analyze(texts)]

    return classify


def _pinned_product(events: pa.Table) -> list[str | None]:
    """For each row (sorted by session, ts), the product pinned in its session at that time."""
    pinned: dict[str, str | None] = {}
    out: list[str | None] = []
    for kind, session, product in zip(
        events["type"].to_pylist(),
        events["session_id"].to_pylist(),
        events["product_id"].to_pylist(),
        strict=True,
    ):
        if kind == "host.product_pin":
            pinned[session] = product
        out.append(pinned.get(session))
    return out


def comment_share_series(
    events: pa.Table,
    product_ids: Sequence[str],
    classify: CommentClassifier,
    *,
    concerns: Sequence[str],
    start: datetime,
    end: datetime,
    bucket: timedelta = HOUR,
) -> AlignedSeries:
    """Per bucket: comments on the products (by pin), and the share that is positive, negative,
    or raises each concern (``concern_<label>``); NaN where a bucket has no such comment."""
    n = _bucket_count(start, end, bucket)
    wanted = events.filter(pc.is_in(events["type"], pa.array(["comment", "host.product_pin"])))
    wanted = wanted.sort_by([("session_id", "ascending"), ("ts", "ascending")])
    pinned = _pinned_product(wanted)
    targets = set(product_ids)
    rows = [
        i
        for i, (kind, product) in enumerate(zip(wanted["type"].to_pylist(), pinned, strict=True))
        if kind == "comment" and product in targets
    ]
    comments = wanted.take(pa.array(rows, pa.int64()))
    index = _bucket_index(comments, start, bucket, n)
    labels = classify([t or "" for t in comments["text"].to_pylist()])
    total = _accumulate(index, np.ones(len(index)), n)
    shares: dict[str, list[float]] = {"comments": total.tolist()}
    columns: dict[str, list[float]] = {"positive_share": [], "negative_share": []}
    for label in concerns:
        columns[f"concern_{label}"] = []
    for sentiment, raised in labels:
        columns["positive_share"].append(1.0 if sentiment == "positive" else 0.0)
        columns["negative_share"].append(1.0 if sentiment == "negative" else 0.0)
        for label in concerns:
            columns[f"concern_{label}"].append(1.0 if label in raised else 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, hits in columns.items():
            count = _accumulate(index, np.asarray(hits, dtype=np.float64), n)
            shares[name] = np.where(total > 0, count / total, np.nan).tolist()
    return AlignedSeries(start=start, bucket=bucket, values=shares)


def merge_series(*parts: AlignedSeries) -> AlignedSeries:
    """Several series on the same grid as one."""
    first = parts[0]
    values: dict[str, list[float]] = {}
    for part in parts:
        if (part.start, part.bucket, part.length) != (first.start, first.bucket, first.length):
            msg = "series to merge must share start, bucket and length"
            raise ValueError(msg)
        values.update(part.values)
    return AlignedSeries(start=first.start, bucket=first.bucket, values=values)
