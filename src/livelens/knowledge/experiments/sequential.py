"""Sequential monitoring: look after every slice without inflating false positives.

Re-running a fixed-horizon test at every look and stopping at the first p < 0.05 rejects a true
null far more often than 5 %. The mixture sequential probability ratio test (mSPRT; Johari et
al., "Always valid inference", 2017) gives p-values that stay valid however often one looks:
with an estimate ``d`` of the effect, its variance ``v`` and a normal mixing distribution of
scale ``tau`` over effects,

    Lambda = sqrt(v / (v + tau**2)) * exp(tau**2 * d**2 / (2 * v * (v + tau**2)))

and the always-valid p-value is the running minimum of ``1 / Lambda``. Stopping when it falls
below ``alpha`` keeps the false-positive rate at most ``alpha``, exactly for normal estimates with
known variance and approximately when the variance is estimated from a handful of slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.analysis import slice_outcomes
from livelens.knowledge.experiments.switchback import SwitchbackSchedule

DEFAULT_ALPHA: Final = 0.05
DEFAULT_TAU_RELATIVE: Final = 0.2  # the mixing scale: effects of about 20 % of the control mean


class SequentialStatus(msgspec.Struct, kw_only=True, frozen=True):
    looks: int  # completed blocks at which the test looked
    alpha: float
    tau: float  # mixing scale, in the metric's units
    p_values: list[float]  # always-valid p-value after each look
    p_value: float
    stop: bool  # the effect is significant at ``alpha`` whenever one stops
    stopped_at_look: int | None


def always_valid_p_values(
    estimates: Sequence[float], variances: Sequence[float], tau: float
) -> list[float]:
    """The mSPRT p-value after each look, from the effect estimate and its variance there."""
    if tau <= 0:
        msg = f"mSPRT mixing scale tau must be above 0, got {tau}"
        raise InvalidInput(msg)
    p_values: list[float] = []
    running = 1.0
    for estimate, variance in zip(estimates, variances, strict=True):
        if variance > 0:
            spread = variance + tau**2
            log_lambda = 0.5 * np.log(variance / spread) + tau**2 * estimate**2 / (
                2 * variance * spread
            )
            running = min(running, float(np.exp(-log_lambda)))
        p_values.append(min(1.0, running))
    return p_values


def monitor_switchback(
    schedule: SwitchbackSchedule,
    per_minute: npt.ArrayLike,
    alpha: float = DEFAULT_ALPHA,
    tau: float | None = None,
) -> SequentialStatus:
    """Look after every completed block (once each arm has 2 slices); report the always-valid p.

    ``tau`` defaults to ``DEFAULT_TAU_RELATIVE`` times the control mean at the first look.
    Minutes after the data ends count as missing only if ``per_minute`` is shorter: pass the
    minutes observed so far padded with NaN to monitor a session still in progress.
    """
    series = np.asarray(per_minute, dtype=np.float64)
    outcomes, treated = slice_outcomes(schedule, np.nan_to_num(series))
    complete = [
        item.end_minute <= len(series)
        and not np.isnan(series[item.start_minute : item.end_minute]).any()
        for item in schedule.slices
    ]
    estimates: list[float] = []
    variances: list[float] = []
    chosen_tau = tau
    blocks = sorted({item.block for item in schedule.slices})
    for block in blocks:
        members = [i for i, item in enumerate(schedule.slices) if item.block <= block]
        if not all(complete[i] for i in members):
            break
        arm = treated[members]
        if min(int(arm.sum()), int((~arm).sum())) < 2:
            continue
        y_t, y_c = outcomes[members][arm], outcomes[members][~arm]
        if chosen_tau is None:
            chosen_tau = max(DEFAULT_TAU_RELATIVE * float(y_c.mean()), 1e-9)
        estimates.append(float(y_t.mean() - y_c.mean()))
        variances.append(float(y_t.var(ddof=1) / len(y_t) + y_c.var(ddof=1) / len(y_c)))
    p_values = always_valid_p_values(estimates, variances, chosen_tau or 1.0)
    stopped = next((i + 1 for i, p in enumerate(p_values) if p <= alpha), None)
    return SequentialStatus(
        looks=len(p_values),
        alpha=alpha,
        tau=chosen_tau or 0.0,
        p_values=p_values,
        p_value=p_values[-1] if p_values else 1.0,
        stop=stopped is not None,
        stopped_at_look=stopped,
    )
