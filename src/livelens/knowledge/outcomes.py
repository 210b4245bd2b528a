"""When and how an executed recommendation is measured: its window is the ``duration_s`` from the
minute after it was made (the live makes it when a minute completes; acting on it takes until the
next), measured by :func:`livelens.knowledge.uplift.measure_outcome` on GMV per minute against the
minutes before. One rule for ``livelens ledger measure`` and the live, which measures each
executed recommendation as soon as its window's minutes are complete."""

from __future__ import annotations

from collections.abc import Sequence

from livelens.knowledge.recommender import Recommendation
from livelens.knowledge.uplift import Outcome, measure_outcome


def action_window(recommendation: Recommendation) -> tuple[int, int]:
    """(first minute, minutes) of the recommendation's action window."""
    return recommendation.minute + 1, max(1, recommendation.duration_s // 60)


def window_complete(recommendation: Recommendation, complete_minutes: int) -> bool:
    """Whether every minute of the action window is complete."""
    start, minutes = action_window(recommendation)
    return start + minutes <= complete_minutes


def measure_recommendation(
    recommendation: Recommendation, gmv_per_minute: Sequence[float]
) -> Outcome | None:
    """The outcome of the executed recommendation on the session's GMV per minute; None when it
    cannot be measured (no activity before it, or no window)."""
    start, minutes = action_window(recommendation)
    return measure_outcome(gmv_per_minute, start, minutes)
