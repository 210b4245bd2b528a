"""Maximum likelihood in log-parameter space, shared by the BG/NBD and Gamma-Gamma fits.

L-BFGS-B with the analytic gradient, from each start in turn until one converges to a finite
optimum. BLAS is held to one thread: the dot products are small, and BLAS threads waiting for
a busy core made each fit about 10× slower on a loaded 2-core machine (bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy.optimize import OptimizeResult, minimize
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray, Any], tuple[float, FloatArray]]

LOG_BOUND: Final = 20.0  # parameters stay within e^±20
_OPTIONS: Final = {"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9}


def minimise(objective: Objective, starts: Sequence[FloatArray], data: Any) -> OptimizeResult:
    """The best L-BFGS-B result over ``starts``, stopping at the first that converges."""
    results = []
    with threadpool_limits(limits=1, user_api="blas"):
        for start in starts:
            result = minimize(
                objective,
                start,
                args=(data,),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
                options=_OPTIONS,
            )
            results.append(result)
            if result.success and np.isfinite(result.fun):
                break
    return min(results, key=lambda result: float(result.fun))
