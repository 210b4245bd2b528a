"""Viewers present per minute: the exposure that rates per viewer-minute divide by.

A stream with viewer.join/leave events counts viewers itself (``series.online``). A recording with
only the platform's online.count (Bilibili) has ``online`` all zero; there the reported count is
used, carried forward over minutes without a report (and backward before the first report).
"""

from __future__ import annotations

from livelens.information.metrics import SessionMetrics


def viewers_present(metrics: SessionMetrics) -> list[int]:
    """Viewers present in each minute of the session, never negative."""
    series = metrics.series
    reported = series.online_reported
    first_report = next((c for c in reported if c is not None), None)
    if metrics.totals.entries > 0 or first_report is None:
        return [max(0, c) for c in series.online]
    present: list[int] = []
    last = first_report
    for value in reported:
        last = value if value is not None else last
        present.append(max(0, last))
    return present
