"""RFM (+ live engagement E) scores and segments: a pure function of a summary and ``as_of``.

* Recency R: days from the last purchase day to ``as_of`` (fewer is better).
* Frequency F: purchase days up to ``as_of``.
* Monetary M: total spend up to ``as_of``.
* Engagement E (store only): the rounded mean of the scores of watch time, live sessions attended
  and comments (see :mod:`livelens.crm.engagement`).

Each measure is scored 1..``bins`` (quintiles by default) by its rank among the customers:
``score = 1 + floor(bins × share of customers strictly worse)``. Tied values share a score, the
worst value always scores 1, and a score never exceeds ``bins``. Segments come from R and F·M
(:mod:`livelens.crm.segments`); E is reported beside them, not folded into the segment names, so
a segment means the same from a file and from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.crm.engagement import Engagement
from livelens.crm.segments import SEGMENTS, ScoreArray, assign_segments, segment_sizes
from livelens.crm.summary import CustomerSummary, FloatArray, IntArray
from livelens.errors import InvalidInput

MAX_BINS = 100


def score_quantiles(
    values: npt.NDArray[Any], bins: int = 5, *, higher_is_better: bool = True
) -> ScoreArray:
    """Scores 1..``bins`` by rank: 1 + floor(bins × (customers with a worse value) / n)."""
    check_bins(bins)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    keyed = values if higher_is_better else -np.asarray(values)
    _, inverse, counts = np.unique(keyed, return_inverse=True, return_counts=True)
    worse = np.cumsum(counts) - counts
    per_value = 1 + (bins * worse) // n
    scores: ScoreArray = per_value[inverse].astype(np.int8)
    return scores


def check_bins(bins: int) -> None:
    if not 2 <= bins <= MAX_BINS:
        msg = f"bins must be between 2 and {MAX_BINS} (5 gives quintiles); got {bins}"
        raise InvalidInput(msg)


@dataclass(frozen=True, slots=True, eq=False)
class RfmTable:
    """Per customer (sorted by id): the measures, their scores and the segment code."""

    summary: CustomerSummary
    bins: int
    recency_days: IntArray
    frequency: IntArray
    monetary: FloatArray
    r: ScoreArray
    f: ScoreArray
    m: ScoreArray
    segment: ScoreArray
    engagement: Engagement | None = None
    e: ScoreArray | None = None

    @property
    def customer_id(self) -> pa.Array:
        return self.summary.customer_id

    def __len__(self) -> int:
        return len(self.summary)

    def sizes(self) -> dict[str, int]:
        return segment_sizes(self.segment)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per customer, for JSON output."""
        columns: dict[str, list[Any]] = {
            "customer_id": self.customer_id.to_pylist(),
            "recency_days": self.recency_days.tolist(),
            "frequency": self.frequency.tolist(),
            "monetary": np.round(self.monetary, 2).tolist(),
        }
        if self.engagement is not None and self.e is not None:
            columns["watch_minutes"] = np.round(self.engagement.watch_seconds / 60, 1).tolist()
            columns["sessions"] = self.engagement.sessions.tolist()
            columns["comments"] = self.engagement.comments.tolist()
        columns |= {"r": self.r.tolist(), "f": self.f.tolist(), "m": self.m.tolist()}
        if self.e is not None:
            columns["e"] = self.e.tolist()
        columns["segment"] = [SEGMENTS[code] for code in self.segment]
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def compute_rfm(
    summary: CustomerSummary, *, bins: int = 5, engagement: Engagement | None = None
) -> RfmTable:
    """Score every customer of ``summary`` (the view as of ``summary.as_of``)."""
    check_bins(bins)
    recency = summary.as_of_day - summary.last_day
    r = score_quantiles(recency, bins, higher_is_better=False)
    f = score_quantiles(summary.purchase_days, bins)
    m = score_quantiles(summary.total_amount, bins)
    e = None
    aligned = None
    if engagement is not None:
        aligned = engagement.aligned_to(summary.customer_id)
        parts = [
            score_quantiles(aligned.watch_seconds, bins).astype(np.float64),
            score_quantiles(aligned.sessions, bins).astype(np.float64),
            score_quantiles(aligned.comments, bins).astype(np.float64),
        ]
        e = np.floor(np.mean(parts, axis=0) + 0.5).astype(np.int8) if len(summary) else r[:0]
    return RfmTable(
        summary=summary,
        bins=bins,
        recency_days=recency,
        frequency=summary.purchase_days,
        monetary=summary.total_amount,
        r=r,
        f=f,
        m=m,
        segment=assign_segments(r, f, m, bins),
        engagement=aligned,
        e=e,
    )


def customers_in(table: RfmTable, segment: str) -> pa.Array:
    """The ids of the customers in ``segment`` (a canonical name from :data:`SEGMENTS`)."""
    code = SEGMENTS.index(segment)
    chosen: pa.Array = pc.filter(table.customer_id, pa.array(table.segment == code))
    return chosen
