"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers the
easy way"), fitted by maximum likelihood.

Per customer the data are ``x`` repeat purchases, ``t_x`` the time of the last one and ``T`` the
customer's age, both measured from the first purchase. With parameters ``r, α`` (the gamma
mixture of purchase rates) and ``a, b`` (the beta mixture of drop-out probabilities), the
log-likelihood of one customer is (FHL 2005, eq. 6, written with logs)::

    A1 = lnΓ(r+x) − lnΓ(r) + r ln α
    A2 = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x)
    L3 = −(r+x) ln(α+T)
    L4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)          (only when x > 0)
    LL = A1 + A2 + log(e^L3 + [x>0] e^L4)

The fit maximises the weighted sum in log-parameter space with L-BFGS-B and the analytic
gradient below; the Γ terms depend on ``x`` alone, so they are evaluated once per distinct ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, hyp2f1

from livelens.crm.optimise import minimise
from livelens.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float
    customers: int
    iterations: int


class _Data:
    """Customers as arrays, with the distinct ``x`` values and their total weights."""

    def __init__(
        self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None
    ) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.t_x = np.asarray(t_x, dtype=np.float64)
        self.T = np.asarray(T, dtype=np.float64)
        self.w = np.ones_like(self.x) if weights is None else np.asarray(weights, np.float64)
        self.n = float(self.w.sum())
        self.repeat = self.x > 0
        self.xs, inverse = np.unique(self.x, return_inverse=True)
        self.xw = np.bincount(inverse, weights=self.w, minlength=len(self.xs))
        # Rows with a repeat purchase only, for the L4 term.
        rep = self.repeat
        self.rx, self.rt_x, self.rT, self.rw = self.x[rep], self.t_x[rep], self.T[rep], self.w[rep]
        self.zw, self.zT = self.w[~rep], self.T[~rep]


def _check(x: FloatArray, t_x: FloatArray, T: FloatArray) -> None:
    if not (len(x) == len(t_x) == len(T)):
        msg = "x, t_x and T must have the same length"
        raise InvalidInput(msg)
    if len(x) == 0:
        msg = "no customers to fit the BG/NBD model to"
        raise InvalidInput(msg)
    if (x < 0).any() or (t_x < 0).any() or (t_x > T + 1e-9).any() or (x != np.floor(x)).any():
        msg = "BG/NBD data need whole x ≥ 0 and 0 ≤ t_x ≤ T for every customer"
        raise InvalidInput(msg)
    if (x[t_x == 0] > 0).any():
        msg = "a customer with repeat purchases (x > 0) must have t_x > 0"
        raise InvalidInput(msg)


def _objective(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    """Minus the mean log-likelihood and its gradient in log-parameter space."""
    r, alpha, a, b = np.exp(theta)
    xs, xw = d.xs, d.xw
    log_alpha = np.log(alpha)
    ll = float(
        xw
        @ (
            gammaln(r + xs)
            - gammaln(r)
            + r * log_alpha
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs)
        )
    )
    g_r = float(xw @ (digamma(r + xs) - digamma(r) + log_alpha))
    g_alpha = d.n * r / alpha
    g_a = float(xw @ (digamma(a + b) - digamma(a + b + xs)))
    g_b = float(xw @ (digamma(a + b) + digamma(b + xs) - digamma(b) - digamma(a + b + xs)))
    # Customers without repeat purchases: LL term L3 only.
    log_zT = np.log(alpha + d.zT)
    ll -= r * float(d.zw @ log_zT)
    g_r -= float(d.zw @ log_zT)
    g_alpha -= r * float(d.zw @ (1.0 / (alpha + d.zT)))
    # Repeat customers: log(e^L3 + e^L4) = L3 + softplus(L4 − L3); s = sigmoid(L4 − L3).
    rx, w = d.rx, d.rw
    log_T = np.log(alpha + d.rT)
    log_tx = np.log(alpha + d.rt_x)
    log_bx = np.log(b + rx - 1.0)
    diff = np.log(a) - log_bx - (r + rx) * (log_tx - log_T)
    s = expit(diff)
    ll += float(w @ (np.logaddexp(0.0, diff) - (r + rx) * log_T))
    g_r -= float(w @ ((1.0 - s) * log_T + s * log_tx))
    g_alpha -= float(w @ ((r + rx) * ((1.0 - s) / (alpha + d.rT) + s / (alpha + d.rt_x))))
    g_a += float(w @ s) / a
    g_b -= float(w @ (s / (b + rx - 1.0)))
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
    return -ll / d.n, -grad / d.n


def log_likelihood(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """The (weighted) total log-likelihood of the data under ``params``."""
    d = _Data(x, t_x, T, weights)
    theta = np.log([params.r, params.alpha, params.a, params.b])
    return -_objective(theta, d)[0] * d.n


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters; ``weights`` count identical customers."""
    d = _Data(x, t_x, T, weights)
    _check(d.x, d.t_x, d.T)
    if not d.repeat.any():
        msg = (
            "no customer has a repeat purchase, so the BG/NBD model cannot be fitted: "
            "use a longer period or more customers"
        )
        raise InvalidInput(msg)
    starts = (np.zeros(4), np.log([0.5, max(float(np.mean(d.T)), 1e-3), 1.0, 1.0]))
    best = minimise(_objective, starts, d)
    if not np.isfinite(best.fun):
        msg = f"the BG/NBD fit failed on these data ({best.message})"
        raise InvalidInput(msg)
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BgNbdFit(
        params=BgNbdParams(r=r, alpha=alpha, a=a, b=b),
        log_likelihood=-float(best.fun) * d.n,
        customers=round(d.n),
        iterations=int(best.nit),
    )


def _alive_odds_log(
    params: BgNbdParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """log of (1 − P(alive)) / P(alive); −inf for customers without repeat purchases."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    out = np.full_like(x, -np.inf)
    rep = x > 0
    xr = x[rep]
    out[rep] = (
        np.log(a)
        - np.log(b + xr - 1.0)
        - (r + xr) * (np.log(alpha + t_x[rep]) - np.log(alpha + T[rep]))
    )
    return out


def probability_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x))  (FHL eq. 13)."""
    xa, ta, Ta = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    alive: FloatArray = expit(-_alive_odds_log(params, xa, ta, Ta))
    return alive


def expected_purchases(
    params: BgNbdParams,
    t: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL eq. 10)::

    (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xa, ta, Ta = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    if t <= 0:
        return np.zeros_like(xa)
    z = t / (alpha + Ta + t)
    power = np.exp((r + xa) * (np.log(alpha + Ta) - np.log(alpha + Ta + t)))
    bracket = 1.0 - power * hyp2f1(r + xa, b + xa, a + b + xa - 1.0, z)
    expected: FloatArray = (
        (a + b + xa - 1.0) / (a - 1.0) * bracket * probability_alive(params, xa, ta, Ta)
    )
    return expected
