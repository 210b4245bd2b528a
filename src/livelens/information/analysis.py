"""One session's analysis: its metrics and the insights detected in them."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
import pyarrow as pa

from livelens.engine.session_state import CommentIntents
from livelens.information.compute import compute_session_metrics
from livelens.information.detectors import detect_all
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics


class Analysis(msgspec.Struct, kw_only=True):
    session_id: str
    metrics: SessionMetrics
    insights: list[Insight]


def with_display_names(insight: Insight, names: Mapping[str, str]) -> Insight:
    """The insight with ids in its sentences replaced by display names (evidence keeps ids).

    Detectors quote every id as 「id」 in Chinese and "id" in English
    (:mod:`livelens.information.detectors.phrasing`), so the replacement is exact.
    """
    text_zh, text_en = insight.text_zh, insight.text_en
    for identifier, name in names.items():
        text_zh = text_zh.replace(f"「{identifier}」", f"「{name}」")
        text_en = text_en.replace(f'"{identifier}"', f'"{name}"')
    return msgspec.structs.replace(insight, text_zh=text_zh, text_en=text_en)


def analyze_session(
    events: pa.Table,
    names: Mapping[str, str] | None = None,
    comment_intents: CommentIntents | None = None,
) -> Analysis:
    """Metrics and insights of the events of one session.

    ``names`` maps product and persona ids to what viewers and managers call them (the catalog's
    titles, the personas' display names); ``comment_intents`` classifies comments into concerns
    (e.g. :meth:`livelens.comments.analyze.CommentAnalyzer.intents`).
    """
    metrics = compute_session_metrics(events, comment_intents=comment_intents)
    insights = detect_all(metrics)
    if names:
        insights = [with_display_names(i, names) for i in insights]
    return Analysis(session_id=metrics.session_id, metrics=metrics, insights=insights)
