"""False discovery rate control over a family of tests (Benjamini & Hochberg, 1995).

With m tests, sort the p-values p_(1) ≤ … ≤ p_(m); the q-value of the i-th is
``min(1, min_{j ≥ i} p_(j) · m / j)``. Keeping the tests with q ≤ α keeps the expected share of
false findings among those kept at or under α, for independent or positively dependent tests.
The same numbers as R's ``p.adjust(p, "BH")`` and ``scipy.stats.false_discovery_control``.
Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values (step-up adjusted p-values), in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    q = np.empty(m)
    q[order] = q_sorted
    return [float(v) for v in q]
