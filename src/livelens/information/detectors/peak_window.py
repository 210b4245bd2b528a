"""Peak window: the contiguous stretch of the session with the most audience interaction.

Interaction index, per minute: the mean over comments, likes and clicks of each count divided by its
own session mean. Normalising each component by its mean makes them comparable — a like is a batch
of taps counted in the tens, a comment is one sentence — so no component drowns the others, and a
component the session never had (no shop → no clicks) is left out. By construction the index
averages 1.0 over the session, so a window's mean index is directly its lift over the average.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from livelens.information.detectors import phrasing as say
from livelens.information.insight import Insight
from livelens.information.metrics import MinuteSeries, SessionMetrics

KIND = "peak_window"
DEFAULT_WIDTH = 15
MIN_LIFT = 1.2  # a "peak" less than 20 % above the average is not worth a sentence
MIN_WINDOW_COUNT = 30  # comments + likes + clicks in the window; fewer is too thin to call a peak
# component -> (Chinese unit and noun, English noun), for the sentence's one concrete number
COMPONENT_WORDS = {
    "comments": ("条评论", "comments"),
    "likes": ("次点赞", "likes"),
    "clicks": ("次商品点击", "product clicks"),
}

INDEX_DESCRIPTION = (
    "mean of comments, likes and clicks per minute, each divided by its session mean"
)


def window_width(minutes: int, default: int = DEFAULT_WIDTH) -> int:
    """``default`` minutes, or a quarter of a session shorter than two defaults (at least 1)."""
    return default if minutes >= 2 * default else max(1, minutes // 4)


def interaction_index(series: MinuteSeries) -> list[float]:
    """Per-minute interaction index (see the module docstring); all zeros without interactions."""
    minutes = len(series.comments)
    parts = []
    for counts in (series.comments, series.likes, series.clicks):
        column = np.asarray(counts, dtype=np.float64)
        mean = float(column.mean()) if minutes else 0.0
        if mean > 0.0:
            parts.append(column / mean)
    if not parts:
        return [0.0] * minutes
    return [float(v) for v in np.mean(parts, axis=0)]


def find_peak_window(values: Sequence[float], width: int) -> tuple[int, float]:
    """(start, sum) of the ``width``-long window with the largest sum; the earliest on ties."""
    if not 1 <= width <= len(values):
        msg = f"window width must be between 1 and {len(values)} (the series length); got {width}"
        raise ValueError(msg)
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(values, dtype=np.float64), width)
    sums = windows.sum(axis=1)
    start = int(np.argmax(sums))
    return start, float(sums[start])


def _rates(series: MinuteSeries, start: int, end: int) -> dict[str, float]:
    span = end - start
    return {
        name: sum(getattr(series, name)[start:end]) / span
        for name in ("comments", "likes", "clicks")
    }


def detect_peak_window(
    metrics: SessionMetrics,
    width: int | None = None,
    min_lift: float = MIN_LIFT,
    min_window_count: int = MIN_WINDOW_COUNT,
) -> list[Insight]:
    """The engagement peak, if the session is longer than the window and the peak stands out.

    Nothing when the best window is under ``min_lift`` × the average or holds fewer than
    ``min_window_count`` interactions (a recording with a dozen comments has no peak to speak of).
    The sentence quotes the component that rose most in the window.
    """
    minutes = len(metrics.series.comments)
    span = window_width(minutes) if width is None else width
    if minutes < 2 or span >= minutes:
        return []
    index = interaction_index(metrics.series)
    session_average = sum(index) / minutes
    if session_average <= 0.0:
        return []
    start, total = find_peak_window(index, span)
    end = start + span
    per_minute = total / span
    lift = per_minute / session_average
    window_rates = _rates(metrics.series, start, end)
    if lift < min_lift or sum(window_rates.values()) * span < min_window_count:
        return []
    session_rates = _rates(metrics.series, 0, minutes)
    leading = max(
        (name for name in COMPONENT_WORDS if session_rates[name] > 0),
        key=lambda name: window_rates[name] / session_rates[name],
    )
    evidence: dict[str, Any] = {
        "start_minute": start,
        "end_minute": end,
        "width_minutes": span,
        "interactions_per_minute": per_minute,
        "session_average": session_average,
        "lift": lift,
        "index": INDEX_DESCRIPTION,
        "window": window_rates,
        "session": session_rates,
        "leading_component": leading,
    }
    amount = say.decimal(window_rates[leading], 0)
    noun_zh, noun_en = COMPONENT_WORDS[leading]
    lift_text = say.times(lift)
    return [
        Insight(
            kind=KIND,
            subject=f"minutes {start}-{end}",
            evidence=evidence,
            text_zh=f"{say.minute_span_zh(start, end, minutes)}是观众互动高峰时段"
            f"（互动量为全场平均的{lift_text}倍，每分钟约{amount}{noun_zh}）",
            text_en=f"{say.minute_span_en(start, end, minutes)} {'was' if span == 1 else 'were'} "
            "the engagement peak "
            f"({lift_text}× the session average, about {amount} {noun_en} a minute).",
        )
    ]
