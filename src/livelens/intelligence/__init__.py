"""Business intelligence: external signals, their match to the catalog, aligned series, lead-lag."""

from __future__ import annotations

from livelens.intelligence.leadlag import LeadLagResult, analyse_lead_lag, lead_lag_insight
from livelens.intelligence.matching import TrendMatch, TrendMatcher, match_trends
from livelens.intelligence.series import AlignedSeries, sales_series, trend_series
from livelens.intelligence.signals import CompetitorPromoFile, WeiboHotSearchFile

__all__ = [
    "AlignedSeries",
    "CompetitorPromoFile",
    "LeadLagResult",
    "TrendMatch",
    "TrendMatcher",
    "WeiboHotSearchFile",
    "analyse_lead_lag",
    "lead_lag_insight",
    "match_trends",
    "sales_series",
    "trend_series",
]
