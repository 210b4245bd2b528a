"""Anomaly bands: a live room's expected curve, minute by minute, and how far the live is from it.

Three metrics: online viewers, GMV per minute and conversion (buyers per online viewer). The
expected value of minute ``t`` combines four things, each fitted from the room's own past:

* the **profile** — how a session of this room usually runs by minute since start (the ramp-up,
  the mid-session plateau, the tail): for viewers the per-minute median of past sessions on a log
  scale; for GMV and buyers the pooled amount per online viewer, smoothed over ±2 minutes;
* the **context** of the minute — the persona on air and whether a promotion runs: how far
  minutes in that context sit above or below the profile (a flash discount lifts conversion by
  design; that is not an anomaly), shrunk toward zero when few minutes back it;
* the **time of day** — past sessions that started within two hours of this one set the prior
  level of this session before it has data of its own;
* the session's **own level** — the last 30 minutes of this session against the profile,
  weighted against the prior as minutes accumulate.

Online viewers are modelled as log(1 + x) with a Gaussian residual whose robust scale
(1.4826 · MAD) comes from history, plus the count noise of the minute itself. GMV and buyers
(conversion = buyers per online viewer) are quasi-Poisson with mean ``online · rate`` and
variance ``φ · mean``; φ, measured in history, absorbs the order value for GMV (a minute of a
small room often has no order at all, which a log scale would call a collapse).

The band is the expected value ± ``z`` standard deviations
(default 3), and ``z_score`` says where the minute fell.

A room without past sessions falls back to its own history: the expected value is the level of
the last 30 minutes and the band their spread; no band before 10 minutes of data. It cannot tell
a room's usual ebb from a fall (it has never seen one), so it alerts more: fit history soon.

Pure: callers pass the per-minute series (:class:`MinuteHistory`), nothing reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.information.metrics import SessionMetrics

Metric = Literal["online", "gmv", "conversion"]
METRICS: Final[tuple[Metric, ...]] = ("online", "gmv", "conversion")
Z_DEFAULT: Final = 3.0
WINDOW_MINUTES: Final = 30  # the session's own level comes from this many minutes before t
SMOOTH_MINUTES: Final = 2  # profile smoothing: ±2 minutes
PRIOR_MINUTES: Final = 5.0  # weight of the prior level, in minutes of own data
PRIOR_BUYERS: Final = 5.0  # conversion: weight of the prior rate, in buyers
CONTEXT_SHRINK_MINUTES: Final = 20.0  # an offset backed by n minutes is kept n / (n + 20)
HOUR_SPAN: Final = 2  # past sessions starting within ±2 h inform the prior level
MIN_OWN_MINUTES: Final = 10  # no history: no band before this many minutes
SIGMA_FLOOR: Final = 0.03  # viewers: the least spread of log residuals
MAD_SCALE: Final = 1.4826

FloatArray = npt.NDArray[np.float64]


class MinuteHistory(msgspec.Struct, kw_only=True, frozen=True):
    """What the model reads of one session: per-minute viewers, GMV, buyers and persona."""

    session_id: str
    started_at: datetime
    online: list[int]
    gmv_minor: list[int]
    buyers: list[int]
    persona: list[str | None]
    promo: list[str | None] | None = None  # the promotion running in the minute, if any

    def contexts(self) -> list[str]:
        """Per minute: the persona on air and whether a promotion runs, as one key."""
        promos = self.promo or [None] * self.minutes
        return [
            f"{persona or '-'}{'|promo' if promo else ''}"
            for persona, promo in zip(self.persona, promos, strict=True)
        ]

    @property
    def minutes(self) -> int:
        return len(self.online)


def history_of(metrics: SessionMetrics) -> MinuteHistory:
    series = metrics.series
    return MinuteHistory(
        session_id=metrics.session_id,
        started_at=metrics.started_at,
        online=list(series.online),
        gmv_minor=list(series.gmv_minor),
        buyers=list(series.buyers),
        persona=list(series.persona),
        promo=list(series.promo),
    )


class Baseline(msgspec.Struct, kw_only=True, frozen=True):
    """A room's expected curve, fitted from its past sessions by :func:`fit_baseline`."""

    sessions: int
    profile: dict[str, list[float]]  # online: log1p level; gmv, conversion: log rate; per minute
    scale: dict[str, float]  # online: sd of log residuals; gmv, conversion: dispersion φ
    context_offset: dict[str, dict[str, float]]  # metric -> persona|promo -> log offset
    levels: dict[str, list[tuple[int, float]]]  # metric -> (start hour UTC, session level)


class Band(msgspec.Struct, kw_only=True, frozen=True):
    """Minute ``minute`` of one metric: what was seen, what was expected, and the band."""

    metric: str
    minute: int
    observed: float  # viewers, GMV in minor units, or buyers per viewer
    expected: float
    low: float
    high: float
    z_score: float  # (observed − expected) in standard deviations of the model
    basis: str  # "history:<n> sessions" or "own" (this session only)

    @property
    def outside(self) -> bool:
        return not self.low <= self.observed <= self.high


def _extend(values: FloatArray, minutes: int) -> FloatArray:
    """``values`` cut or padded to ``minutes`` entries (padding holds the last value)."""
    if len(values) >= minutes:
        return values[:minutes]
    pad = values[-1] if len(values) else 0.0
    return np.concatenate([values, np.full(minutes - len(values), pad)])


def _rolling(values: FloatArray, half: int, how: str) -> FloatArray:
    out = np.empty_like(values)
    for i in range(len(values)):
        part = values[max(0, i - half) : i + half + 1]
        out[i] = np.median(part) if how == "median" else part.sum()
    return out


def _mad_scale(residuals: FloatArray) -> float:
    if len(residuals) == 0:
        return 0.0
    return float(MAD_SCALE * np.median(np.abs(residuals - np.median(residuals))))


def _log_online(session: MinuteHistory) -> FloatArray:
    return np.log1p(np.asarray(session.online, dtype=np.float64))


def _counts(session: MinuteHistory, metric: Metric) -> FloatArray:
    """The quasi-Poisson metric's per-minute amount: buyers, or GMV in minor units."""
    raw = session.buyers if metric == "conversion" else session.gmv_minor
    return np.asarray(raw, dtype=np.float64)


def _context_offsets(groups: dict[str, tuple[float, int]]) -> dict[str, float]:
    """Per context: its raw offset and the minutes behind it, shrunk toward zero."""
    return {
        context: raw * minutes / (minutes + CONTEXT_SHRINK_MINUTES)
        for context, (raw, minutes) in groups.items()
    }


def _contexts(session: MinuteHistory, offsets: dict[str, float]) -> FloatArray:
    return np.array([offsets.get(c, 0.0) for c in session.contexts()])


_Fit = tuple[list[float], float, dict[str, float], list[tuple[int, float]]]


def _fit_online(history: Sequence[MinuteHistory]) -> _Fit:
    longest = max(s.minutes for s in history)
    stacked = np.full((len(history), longest), np.nan)
    for row, session in enumerate(history):
        stacked[row, : session.minutes] = _log_online(session)
    profile = np.nanmedian(stacked, axis=0)  # every minute is held by the longest session
    levels: list[tuple[int, float]] = []
    residuals: list[FloatArray] = []
    by_context: dict[str, list[float]] = {}
    for session in history:
        gap = _log_online(session) - profile[: session.minutes]
        level = float(np.median(gap))
        levels.append((session.started_at.hour, level))
        residuals.append(gap - level)
        for context, value in zip(session.contexts(), gap - level, strict=True):
            by_context.setdefault(context, []).append(float(value))
    offsets = _context_offsets({c: (float(np.median(v)), len(v)) for c, v in by_context.items()})
    adjusted = [r - _contexts(s, offsets) for s, r in zip(history, residuals, strict=True)]
    scale = max(_mad_scale(np.concatenate(adjusted)), SIGMA_FLOOR)
    return profile.tolist(), scale, offsets, levels


def _fit_rate(history: Sequence[MinuteHistory], metric: Metric) -> _Fit:
    longest = max(s.minutes for s in history)
    amount, online = np.zeros(longest), np.zeros(longest)
    for session in history:
        amount[: session.minutes] += _counts(session, metric)
        online[: session.minutes] += session.online
    pooled_amount = _rolling(amount, SMOOTH_MINUTES, "sum")
    pooled_online = _rolling(online, SMOOTH_MINUTES, "sum")
    unit = max(1.0, float(amount.sum()) / max(1.0, float(np.count_nonzero(amount))))
    profile = np.log((pooled_amount + 0.5 * unit) / (pooled_online + 1.0))
    levels: list[tuple[int, float]] = []
    fitted: list[tuple[FloatArray, FloatArray]] = []
    sums: dict[str, list[float]] = {}  # context -> [amount, expected, minutes]
    for session in history:
        seen = _counts(session, metric)
        mean = np.asarray(session.online, dtype=np.float64) * np.exp(profile[: session.minutes])
        level = math.log((seen.sum() + 0.5 * unit) / (mean.sum() + 0.5 * unit))
        levels.append((session.started_at.hour, level))
        mean = mean * math.exp(level)
        fitted.append((seen, mean))
        for context, got, want in zip(session.contexts(), seen, mean, strict=True):
            total = sums.setdefault(context, [0.0, 0.0, 0.0])
            total[0], total[1], total[2] = total[0] + got, total[1] + want, total[2] + 1
    offsets = _context_offsets(
        {
            p: (math.log((a + 0.5 * unit) / (e + 0.5 * unit)), int(n))
            for p, (a, e, n) in sums.items()
        }
    )
    pearson: list[float] = []
    for session, (seen, mean) in zip(history, fitted, strict=True):
        mu = mean * np.exp(_contexts(session, offsets))
        keep = mu > 0
        pearson.extend(((seen[keep] - mu[keep]) ** 2 / mu[keep]).tolist())
    floor = 1.0 if metric == "conversion" else unit  # GMV: at least one typical order's worth
    dispersion = max(floor, float(np.mean(pearson))) if pearson else floor
    return profile.tolist(), dispersion, offsets, levels


def fit_baseline(history: Sequence[MinuteHistory]) -> Baseline | None:
    """The room's expected curve from its past sessions; None without any (minutes > 0)."""
    usable = [s for s in history if s.minutes > 0]
    if not usable:
        return None
    profile: dict[str, list[float]] = {}
    scale: dict[str, float] = {}
    offsets: dict[str, dict[str, float]] = {}
    levels: dict[str, list[tuple[int, float]]] = {}
    for metric in METRICS:
        fit = _fit_online(usable) if metric == "online" else _fit_rate(usable, metric)
        profile[metric], scale[metric], offsets[metric], levels[metric] = fit
    return Baseline(
        sessions=len(usable), profile=profile, scale=scale, context_offset=offsets, levels=levels
    )


def _prior_level(levels: Sequence[tuple[int, float]], hour: int) -> float:
    near = [
        level
        for start, level in levels
        if min(abs(start - hour), 24 - abs(start - hour)) <= HOUR_SPAN
    ]
    chosen = near or [level for _, level in levels]
    return float(np.median(chosen)) if chosen else 0.0


def _shape(baseline: Baseline, metric: Metric, live: MinuteHistory, minutes: int) -> FloatArray:
    """The profile plus the context offsets, over the live session's first ``minutes``."""
    profile = _extend(np.asarray(baseline.profile[metric]), minutes)
    return profile + _contexts(live, baseline.context_offset[metric])[:minutes]


def _online_band(
    live: MinuteHistory, minute: int, baseline: Baseline | None, z: float
) -> Band | None:
    values = _log_online(live)[: minute + 1]
    start = max(0, minute - WINDOW_MINUTES)
    if baseline is None:
        if minute < MIN_OWN_MINUTES:
            return None
        window = values[start:minute]
        expected = float(np.median(window))
        sd = max(_mad_scale(window), SIGMA_FLOOR)
        basis = "own"
    else:
        shape = _shape(baseline, "online", live, minute + 1)
        own = values[start:minute] - shape[start:minute]
        prior = _prior_level(baseline.levels["online"], live.started_at.hour)
        k = len(own)
        level = (
            (k * float(np.median(own)) + PRIOR_MINUTES * prior) / (k + PRIOR_MINUTES)
            if k
            else prior
        )
        expected = float(shape[minute] + level)
        sd = baseline.scale["online"] * math.sqrt(1.0 + 1.0 / (k + PRIOR_MINUTES))
        basis = f"history:{baseline.sessions} sessions"
    sd = math.sqrt(sd**2 + 1.0 / (math.expm1(max(expected, 0.0)) + 1.0))  # the count's own noise
    observed = float(values[minute])
    return Band(
        metric="online",
        minute=minute,
        observed=float(np.expm1(observed)),
        expected=float(np.expm1(expected)),
        low=max(0.0, float(np.expm1(expected - z * sd))),
        high=float(np.expm1(expected + z * sd)),
        z_score=(observed - expected) / sd,
        basis=basis,
    )


def _rate_band(
    live: MinuteHistory, minute: int, metric: Metric, baseline: Baseline | None, z: float
) -> Band | None:
    online_now = live.online[minute]
    start = max(0, minute - WINDOW_MINUTES)
    counts = _counts(live, metric)
    seen = counts[start:minute]
    online = np.asarray(live.online[start:minute], dtype=np.float64)
    if baseline is None:
        if minute < MIN_OWN_MINUTES or online.sum() <= 0:
            return None
        unit = max(1.0, float(seen.sum()) / max(1.0, float(np.count_nonzero(seen))))
        rate = (seen.sum() + 0.5 * unit) / (online.sum() + 1.0)
        window_mean = online * rate
        keep = window_mean > 0
        pearson = (seen[keep] - window_mean[keep]) ** 2 / window_mean[keep]
        floor = 1.0 if metric == "conversion" else unit
        dispersion = max(floor, float(pearson.mean())) if keep.any() else floor
        mean = online_now * rate
        weight = seen.sum() + 0.5 * unit  # the amount the rate rests on
        basis = "own"
    else:
        shape = _shape(baseline, metric, live, minute + 1)
        window_mean = online * np.exp(shape[start:minute])
        dispersion = baseline.scale[metric]
        prior_weight = PRIOR_BUYERS * (1.0 if metric == "conversion" else dispersion)
        prior = _prior_level(baseline.levels[metric], live.started_at.hour)
        level = math.log(
            (seen.sum() + prior_weight * math.exp(prior)) / (window_mean.sum() + prior_weight)
        )
        mean = online_now * math.exp(float(shape[minute]) + level)
        weight = window_mean.sum() + prior_weight
        basis = f"history:{baseline.sessions} sessions"
    sd = math.sqrt(max(dispersion * mean * (1.0 + mean / weight), 1e-12))
    observed = float(counts[minute])
    per = online_now if metric == "conversion" else 1
    return Band(
        metric=metric,
        minute=minute,
        observed=observed / per,
        expected=float(mean / per),
        low=max(0.0, float((mean - z * sd) / per)),
        high=float((mean + z * sd) / per),
        z_score=float((observed - mean) / sd),
        basis=basis,
    )


def band_at(
    live: MinuteHistory,
    minute: int,
    metric: Metric,
    baseline: Baseline | None,
    z: float = Z_DEFAULT,
) -> Band | None:
    """The band of ``metric`` at ``minute`` of the live session, from the minutes before it only.

    None where the model has nothing to say yet (no history and under 10 minutes of data, or no
    viewers online for a conversion rate)."""
    if not 0 <= minute < live.minutes:
        msg = f"minute {minute} is outside the session's {live.minutes} minutes"
        raise ValueError(msg)
    if metric == "online":
        return _online_band(live, minute, baseline, z)
    if metric == "conversion" and live.online[minute] <= 0:
        return None
    return _rate_band(live, minute, metric, baseline, z)


def session_bands(
    live: MinuteHistory, baseline: Baseline | None, z: float = Z_DEFAULT
) -> list[Band]:
    """Every complete minute's band of every metric, each computed as it would have been live.

    The last minute is left out: the session ended inside it, so it is partial by nature."""
    bands: list[Band] = []
    for minute in range(live.minutes - 1):
        for metric in METRICS:
            band = band_at(live, minute, metric, baseline, z)
            if band is not None:
                bands.append(band)
    return bands
