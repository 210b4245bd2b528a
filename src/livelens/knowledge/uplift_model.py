"""Expected uplift from a model, for a price action the uplift ledger has not measured yet: what a
discount does to GMV per minute, from the price response of the room's earlier sessions
(:mod:`livelens.knowledge.room_past`, estimated by :mod:`livelens.intelligence.elasticity`).

A cut of ``p`` percent on a product multiplies its orders by the demand ratio ``r(p)`` of the
constant-elasticity curve (:meth:`~livelens.intelligence.elasticity.PriceResponse.demand_ratio`)
and its price by ``1 − p/100``, so its GMV per minute changes by ``g = r·(1 − p/100) − 1``. The
ledger's metric is the whole session's GMV per minute, measured against the ``PRE_MINUTES``
before the action (:func:`livelens.knowledge.uplift.measure_outcome`), so the product's change
is scaled by its share ``s`` of the session's GMV over those minutes: the expected uplift is
``s·g``, its 95% interval from ``r``'s. Two simplifications, said in every basis: other products
are taken as unchanged (no cannibalisation, no halo), and the share as known. A coupon or 福袋
worth ``amount_minor`` on a product is read as the discount it gives off the current price.

Pure: metrics, responses and shares in, figures out.
"""

from __future__ import annotations

from typing import NamedTuple

from livelens.information.metrics import SessionMetrics
from livelens.intelligence.elasticity import PriceResponse
from livelens.knowledge.uplift import PRE_MINUTES


class ModelUplift(NamedTuple):
    """A modelled uplift of session GMV per minute (relative; 95% interval) and its parts."""

    value: float
    low: float
    high: float
    percent: float  # the discount modelled
    demand_ratio: float  # orders of the product at that discount over orders without it
    share: float  # the product's share of the session's GMV before the action
    scope: str  # the price response's scope: a product id or ``category:<name>``
    sessions: int  # earlier sessions the response was estimated from


def gmv_shares(metrics: SessionMetrics, t: int, minutes: int = PRE_MINUTES) -> dict[str, float]:
    """Each product's share of the session's GMV over the ``minutes`` up to and including
    minute ``t`` (the period an outcome is measured against); empty when nothing sold then."""
    recent = slice(max(0, t - minutes + 1), t + 1)
    sold = {pid: sum(s.gmv_minor[recent]) for pid, s in metrics.product_series.items()}
    total = sum(sold.values())
    return {pid: gmv / total for pid, gmv in sold.items() if gmv > 0} if total > 0 else {}


def discount_uplift(
    response: PriceResponse, percent: float, share: float, sessions: int
) -> ModelUplift | None:
    """The modelled uplift of ``percent`` off a product with GMV share ``share``; None when the
    response has no discount elasticity (the data could not support one) or nothing sells."""
    ratio = response.demand_ratio(percent)
    if ratio is None or share <= 0 or not 0 < percent < 100:
        return None
    keep = 1 - percent / 100
    ends = sorted(share * (r * keep - 1) for r in (ratio.low, ratio.high))
    return ModelUplift(
        value=share * (ratio.value * keep - 1),
        low=ends[0],
        high=ends[1],
        percent=percent,
        demand_ratio=ratio.value,
        share=share,
        scope=response.scope,
        sessions=sessions,
    )
