"""The few statistical tests the detectors need, in numpy and the standard library (no scipy).

- :func:`rate_test` compares two Poisson rates (events per unit of exposure) by conditioning on
  the total: the first count is then Binomial(total, share of exposure) under "equal rates". Exact
  for totals up to a million, normal approximation above. It assumes events are independent given
  the exposure; live rooms are burstier than that, so detectors pair it with a minimum effect size.
- :func:`poisson_upper_tail` is P(X ≥ k) for a Poisson count: how surprising a spike is by count
  noise alone.
- :func:`ratio_estimate` estimates a rate Σy / Σx from per-minute pairs with a confidence interval
  from the between-minute (linearised ratio-estimator) variance, which absorbs overdispersion, and
  for counts never narrower than the Poisson variance, so an evenly spread handful of orders does
  not look certain. Intervals use Student's t with minutes − 1 degrees of freedom.
- :func:`welch_p` tests the difference of two such estimates (Welch–Satterthwaite df).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np

EXACT_LIMIT = 1_000_000  # largest total for which rate_test sums the exact binomial


def normal_two_sided_p(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _continued_fraction(a: float, b: float, x: float) -> float:
    # Lentz's method for the incomplete beta continued fraction (Numerical Recipes, §6.4).
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for aa in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _continued_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's t with ``df`` degrees of freedom (normal when df is infinite)."""
    if math.isinf(df):
        return normal_two_sided_p(t)
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(level: float, df: float) -> float:
    """The two-sided critical value: |T| exceeds it with probability ``1 − level``."""
    alpha = 1.0 - level
    low, high = 0.0, 1.0
    while t_two_sided_p(high, df) > alpha:
        high *= 2.0
    for _ in range(100):
        middle = (low + high) / 2.0
        low, high = (middle, high) if t_two_sided_p(middle, df) > alpha else (low, middle)
    return high


def rate_test(count_a: int, exposure_a: float, count_b: int, exposure_b: float) -> float:
    """Two-sided p-value that the rates count_a/exposure_a and count_b/exposure_b are equal.

    Conditional (binomial) test; exposures are minutes, viewer-minutes or trials. An exposure of
    zero carries no information, so the p-value is 1.
    """
    total = count_a + count_b
    if total == 0 or exposure_a <= 0 or exposure_b <= 0:
        return 1.0
    share = exposure_a / (exposure_a + exposure_b)
    if total > EXACT_LIMIT:
        spread = math.sqrt(total * share * (1.0 - share))
        z = (abs(count_a - total * share) - 0.5) / spread
        return normal_two_sided_p(max(z, 0.0))
    k = np.arange(total + 1, dtype=np.float64)
    steps = np.log(total - k[1:] + 1.0) - np.log(k[1:])
    log_choose = np.concatenate(([0.0], np.cumsum(steps)))
    log_pmf = log_choose + k * math.log(share) + (total - k) * math.log1p(-share)
    observed = log_pmf[count_a]
    tail = np.exp(log_pmf[log_pmf <= observed + 1e-7])
    return float(min(1.0, tail.sum()))


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean), summed term by term over the tail (exact for small tails)."""
    if k <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    last = int(max(k, mean) + 50.0 + 20.0 * math.sqrt(mean))
    i = np.arange(k, last + 1, dtype=np.float64)
    log_factorial_k = math.lgamma(k + 1.0)
    log_factorials = log_factorial_k + np.concatenate(([0.0], np.cumsum(np.log(i[1:]))))
    return float(min(1.0, np.exp(i * math.log(mean) - mean - log_factorials).sum()))


class RatioEstimate(msgspec.Struct, kw_only=True):
    """A rate Σy / Σx over minutes with its standard error and a two-sided interval."""

    value: float
    se: float
    df: float  # degrees of freedom of the interval (inf where only the Poisson variance is known)
    low: float
    high: float


def ratio_estimate(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    counts: bool,
    level: float = 0.95,
) -> RatioEstimate | None:
    """Σy / Σx with a ``level`` interval, or None where Σx is 0 (no exposure, no rate).

    The variance is the linearised ratio-estimator variance n/(n−1)·Σ(y − R·x)² / (Σx)², which
    treats minutes as the independent units; for counts (``counts=True``) it is raised to at least
    the Poisson variance max(Σy, 1) / (Σx)². The lower bound is clipped at 0.
    """
    y = np.asarray(numerators, dtype=np.float64)
    x = np.asarray(denominators, dtype=np.float64)
    exposure = float(x.sum())
    if exposure <= 0.0:
        return None
    value = float(y.sum()) / exposure
    n = len(y)
    variance = 0.0
    df = math.inf
    if n >= 2:
        variance = n / (n - 1) * float(((y - value * x) ** 2).sum()) / exposure**2
        df = float(n - 1)
    if counts:
        poisson = max(float(y.sum()), 1.0) / exposure**2
        if poisson >= variance:
            variance, df = poisson, math.inf
    se = math.sqrt(variance)
    half = t_quantile(level, df) * se if se > 0.0 else 0.0
    return RatioEstimate(value=value, se=se, df=df, low=max(0.0, value - half), high=value + half)


def welch_p(a: RatioEstimate, b: RatioEstimate) -> float:
    """Two-sided p-value that two independent estimates are equal (Welch's t)."""
    spread = math.hypot(a.se, b.se)
    if spread == 0.0:
        return 1.0 if a.value == b.value else 0.0
    t = (a.value - b.value) / spread
    pieces = [e.se**4 / e.df for e in (a, b) if not math.isinf(e.df)]
    df = spread**4 / sum(pieces) if pieces and sum(pieces) > 0.0 else math.inf
    return t_two_sided_p(t, df)
