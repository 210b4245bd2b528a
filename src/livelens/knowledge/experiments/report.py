"""One switchback's full read-out: the effect, the sample-ratio check, the sequential status.

Pure: the metric per design minute and which minutes hold data go in, a report comes out; the
CLI reads them from a store (:mod:`~livelens.knowledge.experiments.store_metrics`).
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.knowledge.experiments.analysis import EffectEstimate, Metric, analyze_switchback
from livelens.knowledge.experiments.sequential import SequentialStatus, monitor_switchback
from livelens.knowledge.experiments.srm import SampleRatioCheck, check_sample_ratio
from livelens.knowledge.experiments.switchback import SwitchbackSchedule


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
