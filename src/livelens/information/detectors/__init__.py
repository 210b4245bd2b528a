"""Insight detectors: plain-language findings, each with the numbers that support it.

Every detector is a pure function ``detect_<kind>(metrics, ...) -> list[Insight]`` in its own
module; it returns nothing where the data cannot support its finding. :func:`detect_all` runs them
in a fixed order, so the same metrics always give the same insights in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from livelens.information.detectors.funnel_leak import detect_funnel_leak
from livelens.information.detectors.peak_window import detect_peak_window
from livelens.information.detectors.persona_ranking import detect_persona_ranking
from livelens.information.detectors.promo_effect import detect_promo_effect
from livelens.information.detectors.retention_drop import detect_retention_drop
from livelens.information.detectors.top_concern import detect_top_concern
from livelens.information.detectors.top_product import detect_top_product
from livelens.information.insight import Insight
from livelens.information.metrics import SessionMetrics

DETECTORS: Final[tuple[Callable[[SessionMetrics], list[Insight]], ...]] = (
    detect_top_product,
    detect_peak_window,
    detect_retention_drop,
    detect_funnel_leak,
    detect_persona_ranking,
    detect_promo_effect,
    detect_top_concern,
)


def detect_all(metrics: SessionMetrics) -> list[Insight]:
    """Every detector's insights, in the order of :data:`DETECTORS`."""
    return [insight for detect in DETECTORS for insight in detect(metrics)]


__all__ = [
    "DETECTORS",
    "detect_all",
    "detect_funnel_leak",
    "detect_peak_window",
    "detect_persona_ranking",
    "detect_promo_effect",
    "detect_retention_drop",
    "detect_top_concern",
    "detect_top_product",
]
