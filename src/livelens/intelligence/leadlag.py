"""Lead-lag between an external signal x (trend heat) and a business series y (clicks, orders).

Method (docs/intelligence.md):

1. **Prewhitening.** Trend heat is strongly autocorrelated, and the cross-correlation of two
   autocorrelated series is noisy far beyond the textbook ±2/√n. We fit an AR(1) to x by least
   squares (``x_t = c + φ·x_{t-1} + e_t``), take its residuals as the prewhitened x, and pass y
   through the same filter (``y_t − φ·y_{t-1}``) (Box-Jenkins transfer-function identification).
2. **Cross-correlation** of the prewhitened series at lags 0..L (x leads y by k buckets). Under no
   relation each r_k is approximately N(0, 1/(n−k)); the p-value is the two-sided t-test of the
   correlation, and the best lag's p-value is Bonferroni-adjusted for the L+1 lags tried.
3. **Granger-style F-test** at the best lag p = max(k, 1): an AR(p) of y with and without
   x_{t-1..t-p} (plus x_t when k = 0), compared with ``scipy.stats.f``.

A lead is declared significant only when both the adjusted cross-correlation p-value and the
Granger p-value are below ``alpha``. Pure: arrays in, results out.
"""

from __future__ import annotations

import math
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from livelens.information.insight import Insight

FloatArray = npt.NDArray[np.float64]
DEFAULT_ALPHA: Final = 0.05
MIN_POINTS: Final = 24


class LagCorrelation(msgspec.Struct, frozen=True):
    lag: int
    correlation: float
    p_value: float


class LeadLagResult(msgspec.Struct, kw_only=True, frozen=True):
    """What the analysis found; every number a reader needs to check it."""

    lag: int  # buckets by which x leads y at the strongest prewhitened correlation
    correlation: float  # prewhitened cross-correlation at that lag
    raw_correlation: float  # plain Pearson correlation of x_{t-lag} and y_t
    p_value: float  # t-test of the prewhitened correlation at that lag
    p_adjusted: float  # Bonferroni over the lags tried
    granger_f: float
    granger_p: float
    ar1_phi: float  # the AR(1) coefficient used to prewhiten
    n: int  # buckets analysed
    lift_pct: float | None  # mean y after x is "on" vs otherwise, in percent
    significant: bool
    alpha: float
    lags: list[LagCorrelation]


def fit_ar1(x: FloatArray) -> tuple[float, float]:
    """Least-squares ``(c, φ)`` of ``x_t = c + φ·x_{t-1}``; φ is clipped to (−0.99, 0.99)."""
    previous, current = x[:-1], x[1:]
    design = np.column_stack([np.ones(len(previous)), previous])
    (c, phi), *_ = np.linalg.lstsq(design, current, rcond=None)
    return float(c), float(np.clip(phi, -0.99, 0.99))


def prewhiten(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """x's AR(1) residuals and y passed through the same filter (both one shorter), and φ."""
    c, phi = fit_ar1(x)
    return x[1:] - c - phi * x[:-1], y[1:] - phi * y[:-1], phi


def _correlation(a: FloatArray, b: FloatArray) -> float:
    sa, sb = float(np.std(a)), float(np.std(b))
    if sa == 0.0 or sb == 0.0:
        return 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def _correlation_p(r: float, n: int) -> float:
    if n <= 3:
        return 1.0
    r = min(max(r, -0.999_999), 0.999_999)
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), n - 2))


def cross_correlations(x: FloatArray, y: FloatArray, max_lag: int) -> list[LagCorrelation]:
    """``corr(x_t, y_{t+k})`` for k = 0..max_lag with its (unadjusted) p-value."""
    out = []
    for k in range(max_lag + 1):
        a, b = (x, y) if k == 0 else (x[:-k], y[k:])
        r = _correlation(a, b)
        out.append(LagCorrelation(k, r, _correlation_p(r, len(a))))
    return out


def granger_test(
    x: FloatArray, y: FloatArray, order: int, *, contemporaneous: bool = False
) -> tuple[float, float]:
    """F statistic and p-value: does adding x_{t-1..t-order} (and x_t) improve an AR(order) of y?"""
    n = len(y)
    rows = np.arange(order, n)
    own = [y[rows - j] for j in range(1, order + 1)]
    other = [x[rows - j] for j in range(0 if contemporaneous else 1, order + 1)]
    target = y[rows]
    restricted = np.column_stack([np.ones(len(rows)), *own])
    full = np.column_stack([restricted, *other])
    rss_r = float(
        np.sum((target - restricted @ np.linalg.lstsq(restricted, target, rcond=None)[0]) ** 2)
    )
    rss_f = float(np.sum((target - full @ np.linalg.lstsq(full, target, rcond=None)[0]) ** 2))
    extra, dof = len(other), len(rows) - full.shape[1]
    if dof <= 0 or rss_f <= 0.0:
        return 0.0, 1.0
    f = ((rss_r - rss_f) / extra) / (rss_f / dof)
    return float(f), float(stats.f.sf(f, extra, dof))


def _lift(x: FloatArray, y: FloatArray, lag: int) -> float | None:
    a, b = (x, y) if lag == 0 else (x[:-lag], y[lag:])
    on = a > (0.0 if np.mean(a > 0) < 0.5 else float(np.median(a)))
    if on.all() or not on.any():
        return None
    base = float(b[~on].mean())
    return None if base == 0.0 else (float(b[on].mean()) / base - 1.0) * 100.0


def analyse_lead_lag(
    x: FloatArray, y: FloatArray, *, max_lag: int = 6, alpha: float = DEFAULT_ALPHA
) -> LeadLagResult:
    """Does x lead y, by how many buckets, and how sure is that? (See the module docstring.)"""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        msg = f"x and y must be aligned: got {len(x)} and {len(y)} buckets"
        raise ValueError(msg)
    if len(x) < max(MIN_POINTS, 4 * (max_lag + 1)):
        msg = f"lead-lag needs at least {max(MIN_POINTS, 4 * (max_lag + 1))} buckets; got {len(x)}"
        raise ValueError(msg)
    xw, yw, phi = prewhiten(x, y)
    lags = cross_correlations(xw, yw, max_lag)
    best = max(lags, key=lambda c: (abs(c.correlation), -c.lag))
    p_adjusted = min(1.0, best.p_value * (max_lag + 1))
    granger_f, granger_p = granger_test(x, y, max(best.lag, 1), contemporaneous=best.lag == 0)
    k = best.lag
    raw = _correlation(x, y) if k == 0 else _correlation(x[:-k], y[k:])
    return LeadLagResult(
        lag=k,
        correlation=best.correlation,
        raw_correlation=raw,
        p_value=best.p_value,
        p_adjusted=p_adjusted,
        granger_f=granger_f,
        granger_p=granger_p,
        ar1_phi=phi,
        n=len(x),
        lift_pct=_lift(x, y, k),
        significant=p_adjusted < alpha and granger_p < alpha and best.correlation > 0,
        alpha=alpha,
        lags=lags,
    )


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.3f}"


def lead_lag_insight(
    result: LeadLagResult,
    *,
    keyword: str,
    subject: str,
    subject_zh: str,
    metric_zh: str = "点击",
    metric_en: str = "clicks",
    bucket_zh: str = "小时",
    bucket_en: str = "hour",
) -> Insight:
    """The finding as an Insight (kind ``trend_lead``) with its evidence and how sure it is."""
    evidence = {
        "keyword": keyword,
        "metric": metric_en,
        "lag": result.lag,
        "lag_unit": bucket_en,
        "correlation": round(result.correlation, 4),
        "raw_correlation": round(result.raw_correlation, 4),
        "p_value": result.p_value,
        "p_adjusted": result.p_adjusted,
        "granger_f": round(result.granger_f, 3),
        "granger_p": result.granger_p,
        "ar1_phi": round(result.ar1_phi, 4),
        "n": result.n,
        "lift_pct": None if result.lift_pct is None else round(result.lift_pct, 1),
        "method": "AR(1) prewhitened CCF, Bonferroni over lags; Granger F-test",
        "significant": result.significant,
    }
    # How sure the lead is: 1 − the larger p-value when significant; 0 when not (no claim made).
    weakest = max(result.p_adjusted, result.granger_p)
    confidence = max(0.0, 1.0 - weakest) if result.significant else 0.0
    plural = "" if result.lag == 1 else "s"
    stats_text = f"r={result.correlation:.2f}, {_p(result.p_adjusted)}, n={result.n}"
    if result.significant:
        change = result.lift_pct if result.lift_pct is not None else 0.0
        verb_zh, verb_en = ("上升", "rise") if change >= 0 else ("下降", "fall")
        text_zh = (
            f"微博热搜「{keyword}」上榜后{result.lag}{bucket_zh}内，{subject_zh}{metric_zh}"
            f"{verb_zh}{abs(change):.0f}%（{stats_text}）"
        )
        text_en = (
            f"After 「{keyword}」 enters the Weibo hot-search board, {metric_en} of "
            f"{subject} {verb_en} {abs(change):.0f}% within {result.lag} "
            f"{bucket_en}{plural} ({stats_text})"
        )
    else:
        text_zh = (
            f"未发现微博热搜「{keyword}」对{subject_zh}{metric_zh}的显著领先作用"
            f"（最强滞后{result.lag}{bucket_zh}，{stats_text}，Granger "
            f"{_p(result.granger_p)}），不宜据此调整"
        )
        text_en = (
            f"Not significant: no reliable lead of 「{keyword}」 on {metric_en} of {subject} "
            f"(strongest lag {result.lag} {bucket_en}{plural}, {stats_text}, Granger "
            f"{_p(result.granger_p)}); do not act on it"
        )
    return Insight(
        kind="trend_lead",
        subject=subject,
        evidence=evidence,
        text_zh=text_zh,
        text_en=text_en,
        confidence=round(confidence, 4),
    )
