"""The Insight record: one plain-language finding with the numbers that support it."""

from __future__ import annotations

from typing import Any

import msgspec


class Insight(msgspec.Struct, kw_only=True):
    """A finding about a session.

    ``kind`` is stable (``top_product``, ``peak_window``, ``retention_drop``, ``funnel_leak``,
    ``persona_ranking``, ``promo_effect``, ...); ``subject`` names what it is about (a product id, a
    persona id, a minute range); ``evidence`` holds the numbers a reader can check.
    """

    kind: str
    subject: str
    evidence: dict[str, Any]
    text_zh: str
    text_en: str
    confidence: float | None = None  # 0..1 where the detector can say how sure it is
