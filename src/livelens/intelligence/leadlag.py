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
Granger p-value are below ``alpha`` (and the correlation has the ``expect``-ed sign). Their maximum,
:attr:`LeadLagResult.p_joint`, is a valid p-value of that joint (intersection-union) test, which is
what a scan over many pairs controls the false discoveries of.

**Undefined buckets.** y may hold NaN where it is undefined (a comment share in an hour without
comments). Nothing is filled in: every statistic uses only the buckets where it is defined
(pairwise-complete observations). The filter ``y_t − φ·y_{t-1}`` is NaN when either bucket is; each
lag's correlation is over the pairs defined at that lag, with its own n; the Granger regressions
use only the rows whose target and y lags are all defined. ``n`` is then the defined buckets and
``undefined`` the ones left out. x (the external signal) must be defined everywhere.

Pure: arrays in, results out.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from livelens.information.insight import Insight

FloatArray = npt.NDArray[np.float64]
DEFAULT_ALPHA: Final = 0.05
MIN_POINTS: Final = 24
Expect = Literal["rise", "fall", "either"]


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
    n: int  # buckets analysed (where y is defined)
    lift_pct: float | None  # mean y after x is "on" vs otherwise, in percent
    significant: bool
    alpha: float
    lags: list[LagCorrelation]
    undefined: int = 0  # buckets where y was NaN, left out of every statistic
    expect: Expect = "rise"  # the sign a significant lead must have

    @property
    def p_joint(self) -> float:
        """p-value of "both the CCF and the Granger test reject": the larger of the two."""
        return max(self.p_adjusted, self.granger_p)


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
    defined = np.isfinite(a) & np.isfinite(b)
    if not defined.all():
        a, b = a[defined], b[defined]
    if len(a) < 2:
        return 0.0
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
    """``corr(x_t, y_{t+k})`` for k = 0..max_lag with its (unadjusted) p-value, each over the
    pairs where both are defined."""
    out = []
    for k in range(max_lag + 1):
        a, b = (x, y) if k == 0 else (x[:-k], y[k:])
        r = _correlation(a, b)
        pairs = int(np.count_nonzero(np.isfinite(a) & np.isfinite(b)))
        out.append(LagCorrelation(k, r, _correlation_p(r, pairs)))
    return out


def granger_test(
    x: FloatArray, y: FloatArray, order: int, *, contemporaneous: bool = False
) -> tuple[float, float]:
    """F statistic and p-value: does adding x_{t-1..t-order} (and x_t) improve an AR(order) of y?
    Rows with an undefined (NaN) target or y lag are left out."""
    n = len(y)
    rows = np.arange(order, n)
    defined = np.isfinite(y)
    keep = defined[rows].copy()
    for j in range(1, order + 1):
        keep &= defined[rows - j]
    rows = rows[keep]
    if len(rows) == 0:
        return 0.0, 1.0
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
    defined = np.isfinite(b)
    a, b = a[defined], b[defined]
    on = a > (0.0 if np.mean(a > 0) < 0.5 else float(np.median(a)))
    if on.all() or not on.any():
        return None
    base = float(b[~on].mean())
    return None if base == 0.0 else (float(b[on].mean()) / base - 1.0) * 100.0


def min_points(max_lag: int) -> int:
    """The fewest defined buckets :func:`analyse_lead_lag` accepts for ``max_lag``."""
    return max(MIN_POINTS, 4 * (max_lag + 1))


def analyse_lead_lag(
    x: FloatArray,
    y: FloatArray,
    *,
    max_lag: int = 6,
    alpha: float = DEFAULT_ALPHA,
    expect: Expect = "rise",
) -> LeadLagResult:
    """Does x lead y, by how many buckets, and how sure is that? (See the module docstring.)

    ``expect``: a significant lead must raise y (``rise``, the default), lower it (``fall``), or
    either. NaN in y marks undefined buckets (left out); x must be finite.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        msg = f"x and y must be aligned: got {len(x)} and {len(y)} buckets"
        raise ValueError(msg)
    if not np.isfinite(x).all():
        msg = "the signal x must be defined in every bucket (0 where absent), not NaN"
        raise ValueError(msg)
    defined = int(np.count_nonzero(np.isfinite(y)))
    if defined < min_points(max_lag):
        msg = f"lead-lag needs at least {min_points(max_lag)} defined buckets; got {defined}"
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
        n=defined,
        lift_pct=_lift(x, y, k),
        significant=p_adjusted < alpha and granger_p < alpha and _signed(best.correlation, expect),
        alpha=alpha,
        lags=lags,
        undefined=len(y) - defined,
        expect=expect,
    )


def _signed(correlation: float, expect: Expect) -> bool:
    if expect == "rise":
        return correlation > 0
    if expect == "fall":
        return correlation < 0
    return correlation != 0


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.3f}"


class FalseDiscovery(msgspec.Struct, kw_only=True, frozen=True):
    """A test's place in a scan: its Benjamini-Hochberg q-value among ``tests`` tests."""

    q_value: float
    tests: int
    alpha: float


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
    signal_zh: str | None = None,
    signal_en: str | None = None,
    kind: str = "trend_lead",
    fdr: FalseDiscovery | None = None,
    metric: str | None = None,
) -> Insight:
    """The finding as an Insight (kind ``trend_lead`` by default) with its evidence and how sure
    it is.

    ``signal_zh``/``signal_en`` name the event that leads (default: the keyword entering the
    Weibo hot-search board). With ``fdr`` (a scan's q-value) the claim rests on ``q ≤ alpha``
    and the confidence is ``1 − q``; alone, on ``result.significant`` and ``1 −`` the larger
    p-value. ``metric`` is the metric's key in the evidence (default: ``metric_en``).
    """
    signal_zh = signal_zh or f"微博热搜「{keyword}」上榜"
    signal_en = signal_en or f"「{keyword}」 enters the Weibo hot-search board"
    evidence: dict[str, Any] = {
        "keyword": keyword,
        "metric": metric or metric_en,
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
        "undefined_buckets": result.undefined,
        "lift_pct": None if result.lift_pct is None else round(result.lift_pct, 1),
        "method": "AR(1) prewhitened CCF, Bonferroni over lags; Granger F-test",
        "significant": result.significant,
    }
    # How sure the lead is: 1 − the larger p-value when significant; 0 when not (no claim made).
    significant = result.significant
    confidence = max(0.0, 1.0 - result.p_joint) if significant else 0.0
    stats_text = f"r={result.correlation:.2f}, {_p(result.p_adjusted)}, n={result.n}"
    if fdr is not None:
        significant = fdr.q_value <= fdr.alpha
        confidence = max(0.0, 1.0 - fdr.q_value) if significant else 0.0
        evidence |= {
            "q_value": fdr.q_value,
            "tests": fdr.tests,
            "fdr_alpha": fdr.alpha,
            "method": evidence["method"] + "; Benjamini-Hochberg over the scan's tests",
            "significant": significant,
        }
        stats_text = (
            f"r={result.correlation:.2f}, q={fdr.q_value:.3g} of {fdr.tests} tests, n={result.n}"
        )
    plural = "" if result.lag == 1 else "s"
    if significant:
        change = result.lift_pct if result.lift_pct is not None else 0.0
        if result.lift_pct is None:
            change = 1.0 if result.correlation >= 0 else -1.0
        verb_zh, verb_en = ("上升", "rise") if change >= 0 else ("下降", "fall")
        amount_zh = f"{abs(change):.0f}%" if result.lift_pct is not None else ""
        amount_en = f" {abs(change):.0f}%" if result.lift_pct is not None else ""
        text_zh = (
            f"{signal_zh}后{result.lag}{bucket_zh}内，{subject_zh}{metric_zh}"
            f"{verb_zh}{amount_zh}（{stats_text}）"
        )
        text_en = (
            f"After {signal_en}, {metric_en} of {subject} {verb_en}{amount_en} within "
            f"{result.lag} {bucket_en}{plural} ({stats_text})"
        )
    else:
        text_zh = (
            f"未发现{signal_zh}对{subject_zh}{metric_zh}的显著领先作用"
            f"（最强滞后{result.lag}{bucket_zh}，{stats_text}，Granger "
            f"{_p(result.granger_p)}），不宜据此调整"
        )
        text_en = (
            f"Not significant: no reliable lead on {metric_en} of {subject} when {signal_en} "
            f"(strongest lag {result.lag} {bucket_en}{plural}, {stats_text}, Granger "
            f"{_p(result.granger_p)}); do not act on it"
        )
    return Insight(
        kind=kind,
        subject=subject,
        evidence=evidence,
        text_zh=text_zh,
        text_en=text_en,
        confidence=round(confidence, 4),
    )
