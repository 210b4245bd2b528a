"""The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model
of Monetary Value"; Colombo & Jiang 1999), fitted by maximum likelihood.

A customer's spends are gamma(p, ν) with ν ~ gamma(q, v) across customers. Given ``x`` repeat
transactions with mean spend ``m``, the log-likelihood of one customer is::

    LL = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln v + (px−1) ln m + px ln x − (px+q) ln(v + x m)

fitted on the customers with x > 0 and m > 0 in log-parameter space with L-BFGS-B and the
analytic gradient. The expected spend per transaction of a customer is the posterior mean::

    E[M | x, m] = p (v + x m) / (p x + q − 1)

which is the population mean p v / (q − 1) for a customer without repeat purchases. The model
assumes spend is independent of purchase frequency; :attr:`GammaGammaFit.frequency_spend_corr`
reports the correlation of ``x`` and ``m`` so that a user can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from livelens.crm.optimise import minimise
from livelens.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
MIN_CUSTOMERS = 3


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def population_mean(self) -> float:
        return self.p * self.v / (self.q - 1.0)


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    customers: int
    iterations: int
    frequency_spend_corr: float


class _Data:
    def __init__(self, x: FloatArray, m: FloatArray) -> None:
        self.x, self.m = x, m
        self.n = float(len(x))
        self.xs, inverse = np.unique(x, return_inverse=True)
        self.xw = np.bincount(inverse, minlength=len(self.xs)).astype(np.float64)
        log_m = np.log(m)
        # Σ (px − 1) ln m = p Σ x ln m − Σ ln m: constants of the data.
        self.sum_x_log_m = float(x @ log_m)
        self.sum_log_m = float(log_m.sum())
        self.x_log_x = float(self.xw @ (self.xs * np.log(self.xs)))


def _objective(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    """Minus the mean log-likelihood and its gradient in log-parameter space."""
    p, q, v = np.exp(theta)
    xs, xw = d.xs, d.xw
    px = p * xs
    log_v = np.log(v)
    log_vxm = np.log(v + d.x * d.m)
    ll = float(xw @ (gammaln(px + q) - gammaln(px))) - d.n * (gammaln(q) - q * log_v)
    ll += p * (d.sum_x_log_m + d.x_log_x) - d.sum_log_m
    ll -= float((p * d.x + q) @ log_vxm)
    g_p = float(xw @ (xs * (digamma(px + q) - digamma(px))))
    g_p += d.sum_x_log_m + d.x_log_x - float(d.x @ log_vxm)
    g_q = float(xw @ digamma(px + q)) - d.n * (digamma(q) - log_v) - float(log_vxm.sum())
    g_v = d.n * q / v - float(np.sum((p * d.x + q) / (v + d.x * d.m)))
    grad = np.array([g_p * p, g_q * q, g_v * v])
    return -ll / d.n, -grad / d.n


def _prepared(x: npt.ArrayLike, m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa = np.asarray(x, dtype=np.float64)
    ma = np.asarray(m, dtype=np.float64)
    if xa.shape != ma.shape:
        msg = "x and m must have the same length"
        raise InvalidInput(msg)
    keep = (xa > 0) & (ma > 0)
    return xa[keep], ma[keep]


def log_likelihood(params: GammaGammaParams, x: npt.ArrayLike, m: npt.ArrayLike) -> float:
    """The total log-likelihood of the customers with x > 0 and m > 0."""
    d = _Data(*_prepared(x, m))
    return -_objective(np.log([params.p, params.q, params.v]), d)[0] * d.n


def fit_gamma_gamma(x: npt.ArrayLike, m: npt.ArrayLike) -> GammaGammaFit:
    """Fit on the customers with repeat purchases (x > 0) and a positive mean spend (m > 0);
    the others carry no information about spend variation and are left out."""
    xr, mr = _prepared(x, m)
    if len(xr) < MIN_CUSTOMERS:
        msg = (
            f"the Gamma-Gamma model needs at least {MIN_CUSTOMERS} customers with repeat purchases "
            f"and positive spend; these data have {len(xr)}: use a longer period or more customers"
        )
        raise InvalidInput(msg)
    d = _Data(xr, mr)
    mean_m = float(mr.mean())
    best = minimise(_objective, (np.zeros(3), np.log([1.0, 2.0, mean_m])), d)
    p, q, v = (float(value) for value in np.exp(best.x))
    if not np.isfinite(best.fun) or q <= 1.0:
        msg = (
            f"the Gamma-Gamma fit gives q = {q:.3g} ≤ 1 (no finite mean spend) on these data; "
            "spend is too heavy-tailed or too few customers repeat"
        )
        raise InvalidInput(msg)
    corr = float(np.corrcoef(xr, mr)[0, 1]) if len(np.unique(xr)) > 1 else 0.0
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, v=v),
        log_likelihood=-float(best.fun) * d.n,
        customers=len(xr),
        iterations=int(best.nit),
        frequency_spend_corr=corr,
    )


def expected_spend(params: GammaGammaParams, x: npt.ArrayLike, m: npt.ArrayLike) -> FloatArray:
    """E[M | x, m] = p (v + x m) / (p x + q − 1); the population mean where x = 0."""
    xa = np.asarray(x, dtype=np.float64)
    ma = np.where(xa > 0, np.asarray(m, dtype=np.float64), 0.0)
    expected: FloatArray = params.p * (params.v + xa * ma) / (params.p * xa + params.q - 1.0)
    return expected
