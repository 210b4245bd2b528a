"""One session's analysis: its metrics and the insights detected in them."""

from __future__ import annotations

import msgspec
import pyarrow as pa

from livelens.information.compute import compute_session_metrics
from livelens.information.detectors import detect_all
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics


class Analysis(msgspec.Struct, kw_only=True):
    session_id: str
    metrics: SessionMetrics
    insights: list[Insight]


def analyze_session(events: pa.Table) -> Analysis:
    """Metrics and insights of the events of one session."""
    metrics = compute_session_metrics(events)
    return Analysis(session_id=metrics.session_id, metrics=metrics, insights=detect_all(metrics))
