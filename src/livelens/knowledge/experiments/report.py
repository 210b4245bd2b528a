"""One switchback's full read-out: the effect, the sample-ratio check, the sequential status.

Pure: the metric per design minute and which minutes hold data go in, a report comes out; the
CLI reads them from a store (:mod:`~livelens.knowledge.experiments.store_metrics`).
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.analysis import EffectEstimate, Metric, analyze_switchback
from livelens.knowledge.experiments.sequential import SequentialStatus, monitor_switchback
from livelens.knowledge.experiments.srm import SampleRatioCheck, check_sample_ratio
from livelens.knowledge.experiments.switchback import SwitchbackSchedule
from livelens.knowledge.uplift import SWITCHBACK, Outcome


class ExperimentReport(msgspec.Struct, kw_only=True, frozen=True):
    effect: EffectEstimate
    sample_ratio: SampleRatioCheck
    sequential: SequentialStatus
    warnings: list[str]


def report_switchback(
    schedule: SwitchbackSchedule,
    per_minute: npt.ArrayLike,
    has_data: npt.ArrayLike,
    metric: Metric = "orders",
    pre_period: npt.ArrayLike | None = None,
    bootstrap: int = 0,
) -> ExperimentReport:
    """Analyse ``per_minute`` under ``schedule``; ``has_data`` marks minutes with any event.

    The sample-ratio check compares the measured minutes that hold data per arm with the
    minutes the design gave each arm.
    """
    present = np.asarray(has_data, dtype=np.bool_)
    arms = schedule.arm_by_minute()
    designed = {"treatment": 0, "control": 0}
    observed = {"treatment": 0, "control": 0}
    for minute, arm in enumerate(arms):
        if arm is not None:
            designed[arm] += 1
            observed[arm] += int(present[minute])
    srm = check_sample_ratio(observed, {arm: float(n) for arm, n in designed.items()})
    effect = analyze_switchback(
        schedule, per_minute, metric=metric, pre_period=pre_period, bootstrap=bootstrap
    )
    sequential = monitor_switchback(schedule, per_minute)
    warnings = [srm.message] if srm.mismatch else []
    if effect.p_value < sequential.alpha and not sequential.stop:
        warnings.append(
            "the fixed-horizon p-value is below alpha but the always-valid one is not: if you"
            " looked before the end, do not call it significant"
        )
    return ExperimentReport(
        effect=effect, sample_ratio=srm, sequential=sequential, warnings=warnings
    )


def switchback_outcome(schedule: SwitchbackSchedule, effect: EffectEstimate) -> Outcome:
    """The effect as an uplift-ledger outcome (design ``"switchback experiment"``).

    The ledger pools relative effects on GMV per minute, so only a GMV analysis qualifies; its
    relative effect and that effect's standard error become the outcome's. ``window_minutes`` and
    ``pre_minutes`` hold the measured minutes of the treatment and of the control slices.
    Raises :class:`~livelens.errors.InvalidInput` for another metric or an effect without a
    relative error (a control arm without GMV, or slices without any spread).
    """
    if effect.metric != "gmv":
        msg = (
            f"the uplift ledger pools effects on GMV per minute, this analysis is of"
            f" {effect.metric!r}; analyse with --metric gmv to record it"
        )
        raise InvalidInput(msg)
    se = effect.relative_standard_error
    if effect.relative_effect is None or se is None or not se > 0:
        msg = (
            "the experiment has no relative effect with a standard error (no GMV in the control"
            " slices, or no spread between slices); it cannot be weighed in the ledger"
        )
        raise InvalidInput(msg)
    arms = schedule.arm_by_minute()
    return Outcome(
        metric="gmv_per_minute",
        effect=effect.relative_effect,
        se=se,
        window_minutes=arms.count("treatment"),
        pre_minutes=arms.count("control"),
        design=SWITCHBACK,
    )
