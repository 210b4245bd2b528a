"""Uplift: the measured outcome of one executed recommendation, and a playbook's running
estimate over all of them.

**Outcome.** The metric (GMV per minute) over the action's window against the ``pre_minutes``
before it: relative effect ``window mean / pre mean − 1`` with a delta-method standard error from
the per-minute variance of both periods. This is a before/after comparison inside a live, which the
session's own rhythm confounds (a discount fired at the peak meets a falling audience); it is
labelled as such. A switchback experiment (``livelens experiment analyze --playbook``) measures
causally; its outcome (the relative effect on GMV per minute, treatment over control slices,
with its slice-level standard error) is labelled ``"switchback experiment"``.

**Estimate.** Normal–normal shrinkage of a playbook's outcomes toward no effect: prior mean 0 with
standard deviation ``PRIOR_SD`` (0.15, a ±30% range of plausible effects), each outcome weighted
by its precision, whatever its design: a switchback's tighter, unconfounded outcome weighs more
than a before/after one of the same spread only through its smaller standard error. The 95%
interval is the posterior's; ``designs`` counts the outcomes of each design behind it.

**Retirement.** A playbook with at least ``RETIRE_AFTER`` outcomes is flagged for retirement when
its interval rules out a worthwhile gain: ``retire_reason`` is ``"hurts"`` when the whole interval
lies below zero, ``"no worthwhile effect"`` when its upper bound lies below ``MIN_WORTHWHILE``
(+2% GMV per minute unless the caller says otherwise) — it measurably does next to nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Literal

import msgspec
import numpy as np

PRIOR_SD: Final = 0.15
RETIRE_AFTER: Final = 3
MIN_WORTHWHILE: Final = 0.02  # relative GMV per minute: a gain below +2% is not worth a playbook
PRE_MINUTES: Final = 10
Z95: Final = 1.959963984540054

BEFORE_AFTER: Final = "before/after within the session"
SWITCHBACK: Final = "switchback experiment"

RetireReason = Literal["hurts", "no worthwhile effect"]


class Outcome(msgspec.Struct, kw_only=True, frozen=True):
    """One measured effect. For a before/after outcome ``window_minutes`` and ``pre_minutes``
    are the action's window and the minutes before it; for a switchback, the measured minutes of
    the treatment and of the control slices."""

    metric: str
    effect: float  # relative, e.g. 0.12 = +12%
    se: float
    window_minutes: int
    pre_minutes: int
    design: str  # BEFORE_AFTER or SWITCHBACK


class UpliftEstimate(msgspec.Struct, kw_only=True, frozen=True):
    playbook_id: str
    outcomes: int
    mean: float
    low: float
    high: float
    retire: bool
    retire_reason: RetireReason | None = None  # why ``retire``; None while the playbook is kept
    designs: dict[str, int] = {}  # outcomes per design, e.g. {"switchback experiment": 2}


def measure_outcome(
    per_minute: Sequence[float], start: int, duration_minutes: int, pre_minutes: int = PRE_MINUTES
) -> Outcome | None:
    """The relative change of ``per_minute`` in [start, start + duration) against the minutes
    before; None when either period is empty or the pre-period has no activity."""
    before = np.asarray(per_minute[max(0, start - pre_minutes) : start], dtype=np.float64)
    window = np.asarray(per_minute[start : start + duration_minutes], dtype=np.float64)
    if len(before) < 2 or len(window) < 2 or before.mean() <= 0:
        return None
    ratio = window.mean() / before.mean()
    # delta method for log(ratio): var ≈ var_w/(n_w·m_w²) + var_b/(n_b·m_b²), then back to ratio
    var_w = window.var(ddof=1) / len(window) / max(window.mean(), 1e-9) ** 2
    var_b = before.var(ddof=1) / len(before) / before.mean() ** 2
    se = float(ratio * math.sqrt(var_w + var_b))
    return Outcome(
        metric="gmv_per_minute",
        effect=float(ratio - 1),
        se=max(se, 1e-6),
        window_minutes=len(window),
        pre_minutes=len(before),
        design=BEFORE_AFTER,
    )


def retire_reason(
    outcomes: int, high: float, min_worthwhile: float = MIN_WORTHWHILE
) -> RetireReason | None:
    """Why a playbook with ``outcomes`` measured outcomes and an interval reaching up to ``high``
    should be retired, or None: too few outcomes to judge, or a worthwhile gain still possible."""
    if outcomes < RETIRE_AFTER:
        return None
    if high < 0:
        return "hurts"
    if high < min_worthwhile:
        return "no worthwhile effect"
    return None


def estimate_uplift(
    playbook_id: str, outcomes: Sequence[Outcome], min_worthwhile: float = MIN_WORTHWHILE
) -> UpliftEstimate:
    """The running estimate over ``outcomes``, shrunk toward no effect, and whether to retire the
    playbook (see the module's docstring; ``min_worthwhile`` is the smallest gain worth having)."""
    precision = 1 / PRIOR_SD**2 + sum(1 / o.se**2 for o in outcomes)
    mean = sum(o.effect / o.se**2 for o in outcomes) / precision
    half = Z95 / math.sqrt(precision)
    high = mean + half
    reason = retire_reason(len(outcomes), high, min_worthwhile)
    designs: dict[str, int] = {}
    for o in outcomes:
        designs[o.design] = designs.get(o.design, 0) + 1
    return UpliftEstimate(
        playbook_id=playbook_id,
        outcomes=len(outcomes),
        mean=mean,
        low=mean - half,
        high=high,
        retire=reason is not None,
        retire_reason=reason,
        designs=dict(sorted(designs.items())),
    )
