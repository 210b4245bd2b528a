"""Calibration / holdout validation of the BG/NBD model (FHL 2005, Figure 4).

Fit on the purchases up to ``calibration_end``; predict, for each customer seen by then, the
purchases (purchase days) in the holdout ``(calibration_end, holdout_end]``; compare with what
they actually bought, in total and per calibration frequency bucket 0, 1, …, 6, 7+. Customers
whose first purchase falls in the holdout are outside the comparison, as in FHL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens.crm.bgnbd import BgNbdFit, expected_purchases
from livelens.crm.clv import fit_bgnbd_inputs, model_inputs
from livelens.crm.summary import summarise
from livelens.errors import InvalidInput

BUCKETS: Final = ("0", "1", "2", "3", "4", "5", "6", "7+")


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    customers: int
    predicted: float
    actual: int


@dataclass(frozen=True, slots=True)
class HoldoutReport:
    calibration_end: date
    holdout_end: date
    time_unit: str
    holdout_length: float
    customers: int
    fit: BgNbdFit
    predicted: float
    actual: int
    buckets: list[Bucket] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Predicted over actual holdout purchases (1.0 is perfect)."""
        return self.predicted / self.actual if self.actual else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "time_unit": self.time_unit,
            "holdout_length": round(self.holdout_length, 4),
            "customers": self.customers,
            "bgnbd": {k: round(v, 6) for k, v in self.fit.params.as_dict().items()},
            "predicted": round(self.predicted, 1),
            "actual": self.actual,
            "ratio": round(self.ratio, 4),
            "buckets": [
                {
                    "frequency": b.label,
                    "customers": b.customers,
                    "predicted": round(b.predicted, 1),
                    "actual": b.actual,
                }
                for b in self.buckets
            ],
        }


def validate_holdout(
    transactions: pa.Table, calibration_end: date, holdout_end: date, *, time_unit: str = "week"
) -> HoldoutReport:
    """Fit on the calibration period and compare predicted with actual holdout purchases."""
    if holdout_end <= calibration_end:
        msg = (
            f"the holdout must end after the calibration period: calibration ends "
            f"{calibration_end}, holdout ends {holdout_end}"
        )
        raise InvalidInput(msg)
    calibration = summarise(transactions, calibration_end)
    overall = summarise(transactions, holdout_end)
    inputs = model_inputs(calibration, time_unit)
    fit = fit_bgnbd_inputs(inputs)
    length = (holdout_end - calibration_end).days / inputs.unit_days
    predicted = expected_purchases(fit.params, length, inputs.x, inputs.t_x, inputs.T)
    index = pc.index_in(calibration.customer_id, value_set=overall.customer_id).to_numpy()
    actual = overall.purchase_days[index] - calibration.purchase_days
    bucket = np.minimum(inputs.x, len(BUCKETS) - 1)
    buckets = [
        Bucket(
            label=label,
            customers=int(np.sum(bucket == k)),
            predicted=float(predicted[bucket == k].sum()),
            actual=int(actual[bucket == k].sum()),
        )
        for k, label in enumerate(BUCKETS)
    ]
    return HoldoutReport(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        holdout_length=length,
        customers=len(calibration),
        fit=fit,
        predicted=float(predicted.sum()),
        actual=int(actual.sum()),
        buckets=buckets,
    )
