"""CUPED: less variance from a covariate measured before the experiment could touch it.

For slice outcomes ``y`` and a pre-period covariate ``x`` of the same slices (the same minutes
of the room's previous session, say), ``y - theta * (x - mean(x))`` with
``theta = cov(x, y) / var(x)`` has the same mean difference between arms in expectation and a
variance smaller by the share ``corr(x, y)**2`` (Deng et al., 2013). ``theta`` is estimated on
both arms pooled, which keeps the adjustment blind to the arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from livelens.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CupedAdjustment:
    theta: float
    adjusted: FloatArray
    variance_reduction: float  # the share of variance removed, corr(x, y) ** 2


def cuped_adjust(outcome: npt.ArrayLike, covariate: npt.ArrayLike) -> CupedAdjustment:
    """Adjust ``outcome`` by ``covariate``; a constant covariate leaves it as it was."""
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(covariate, dtype=np.float64)
    if y.shape != x.shape or y.ndim != 1:
        msg = f"CUPED needs one covariate value per outcome: got {x.shape} for {y.shape}"
        raise InvalidInput(msg)
    if len(y) < 3:
        msg = f"CUPED needs at least 3 slices to estimate theta, got {len(y)}"
        raise InvalidInput(msg)
    x_centred = x - x.mean()
    var_x = float(x_centred @ x_centred)
    if var_x == 0.0:
        return CupedAdjustment(theta=0.0, adjusted=y.copy(), variance_reduction=0.0)
    y_centred = y - y.mean()
    theta = float(x_centred @ y_centred) / var_x
    var_y = float(y_centred @ y_centred)
    reduction = 0.0 if var_y == 0.0 else float(x_centred @ y_centred) ** 2 / (var_x * var_y)
    return CupedAdjustment(
        theta=theta, adjusted=y - theta * x_centred, variance_reduction=reduction
    )
