"""Retention drop: minutes in which viewers left far faster than is usual for this session.

Exit rate of minute m = exits[m] / viewers at risk, where at risk = online at the end of minute m
plus exits[m]: everyone who was in the room during the minute. With joins and leaves that equals
online at the end of minute m−1 plus entries[m], but it needs no previous minute, so minute 0 is
measured like any other (dividing by the previous minute's online alone would make every opening
look like a mass exodus, since the room was empty before minute 0).

The baseline is the session's own median exit rate, the spread its median absolute deviation (MAD);
a minute is flagged when its modified z-score 0.6745·(rate − median)/MAD (Iglewicz & Hoaglin)
reaches 3.5 and at least ``min_exits`` viewers left, so a handful of exits in a near-empty room
never counts. Where more than half the minutes share one rate (MAD = 0) the mean absolute deviation
×1.2533 stands in. Adjacent flagged minutes are one drop. Median and MAD are not moved by the
spikes themselves, as a mean and standard deviation would be. Two guards for what a 场控 would
call a surge: the rate must be at least ``min_ratio`` (2) times the baseline — in a big, steady
room a z-score of 3.5 can be a 1.5× wobble — and the last minute is skipped when the room ends
empty, since everyone leaving when the broadcast ends is not a drop.

Small counts are skewed and their MAD is coarse, so the z-score alone flags about two minutes in a
thousand of pure Poisson noise (a 60-minute session: one false drop in nine). A minute must also be
beyond count noise: P(X ≥ exits) < ``max_poisson_p`` (1e-4; under 1 % of noise-only hours then show
a false drop) for X ~ Poisson(baseline rate × at risk). In large, bursty rooms the z-score binds; in
small ones the Poisson tail (at 20 exits a minute it takes about 40 to flag).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from livelens.information.detectors import phrasing as say
from livelens.information.detectors.significance import poisson_upper_tail
from livelens.information.insight import Insight
from livelens.information.metrics import MinuteSeries, SessionMetrics

KIND = "retention_drop"
Z_THRESHOLD = 3.5
MIN_EXITS = 10
MAX_POISSON_P = 1e-4  # chance that count noise alone gives this many exits at the baseline rate
MIN_RATIO = 2.0  # a "surge" is at least twice the usual exit rate


def exit_rates(series: MinuteSeries) -> tuple[list[float], list[int]]:
    """Per-minute exit rates and the viewers at risk they divide by (rate 0 where none at risk)."""
    at_risk = [
        max(0, online) + exits for online, exits in zip(series.online, series.exits, strict=True)
    ]
    rates = [e / r if r > 0 else 0.0 for e, r in zip(series.exits, at_risk, strict=True)]
    return rates, at_risk


def robust_z(values: list[float]) -> tuple[list[float], float]:
    """Modified z-scores of ``values`` and their median; all zeros when the values do not vary."""
    data = np.asarray(values, dtype=np.float64)
    median = float(np.median(data))
    deviations = np.abs(data - median)
    mad = float(np.median(deviations))
    if mad > 0.0:
        return [float(z) for z in 0.6745 * (data - median) / mad], median
    mean_ad = float(deviations.mean())
    if mean_ad > 0.0:
        return [float(z) for z in (data - median) / (1.253314 * mean_ad)], median
    return [0.0] * len(values), median


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for minute, flagged in enumerate(flags):
        if not flagged:
            continue
        if runs and runs[-1][1] == minute:
            runs[-1] = (runs[-1][0], minute + 1)
        else:
            runs.append((minute, minute + 1))
    return runs


def _context_zh(persona: str | None, product: str | None, promo: str | None) -> str:
    who = f"主播{say.named_zh(persona)}" if persona else ""
    what = f"正在讲解商品{say.named_zh(product)}" if product else ("在播" if persona else "")
    sale = f"促销{say.named_zh(promo)}正在进行" if promo else ""
    clauses = [c for c in (who + what, sale) if c]
    return "，当时" + "，".join(clauses) if clauses else ""


def _context_en(persona: str | None, product: str | None, promo: str | None) -> str:
    parts = []
    if persona:
        parts.append(f"host {say.named_en(persona)} on air")
    if product:
        parts.append(f"product {say.named_en(product)} pinned")
    if promo:
        parts.append(f"promo {say.named_en(promo)} running")
    return f", with {', '.join(parts)}" if parts else ""


def detect_retention_drop(
    metrics: SessionMetrics,
    z_threshold: float = Z_THRESHOLD,
    min_exits: int = MIN_EXITS,
    max_poisson_p: float = MAX_POISSON_P,
    min_ratio: float = MIN_RATIO,
) -> list[Insight]:
    """One insight per run of minutes whose exit rate spiked against the session's baseline."""
    series = metrics.series
    minutes = len(series.exits)
    rates, at_risk = exit_rates(series)
    usable = [m for m in range(minutes) if at_risk[m] > 0]
    if len(usable) < 3:
        return []
    z_usable, baseline = robust_z([rates[m] for m in usable])
    z = [0.0] * minutes
    for m, score in zip(usable, z_usable, strict=True):
        z[m] = score
    noise_p = [poisson_upper_tail(series.exits[m], baseline * at_risk[m]) for m in range(minutes)]
    flags = [
        z[m] >= z_threshold
        and series.exits[m] >= min_exits
        and noise_p[m] < max_poisson_p
        and rates[m] >= min_ratio * baseline
        for m in range(minutes)
    ]
    if minutes and series.online[-1] == 0:
        flags[-1] = False  # the room emptying in its last minute is the show ending, not a drop
    insights = []
    for start, end in _runs(flags):
        peak = max(range(start, end), key=lambda m: z[m])
        exits = sum(series.exits[start:end])
        ratio = rates[peak] / baseline if baseline > 0 else None
        persona, product = series.persona[peak], series.pinned_product[peak]
        promo = series.promo[peak]
        evidence: dict[str, Any] = {
            "minute": start,
            "end_minute": end,
            "peak_minute": peak,
            "exits": exits,
            "at_risk": at_risk[peak],
            "exit_rate": rates[peak],
            "baseline_rate": baseline,
            "ratio_to_baseline": ratio,
            "z": z[peak],
            "z_threshold": z_threshold,
            "poisson_p": noise_p[peak],
            "persona": persona,
            "pinned_product": product,
            "promo": promo,
        }
        if ratio is not None:
            size_zh = f"流失率为平时的{say.times(ratio)}倍"
            size_en = f"{say.times(ratio)}× the usual exit rate"
        else:
            size_zh = f"流失率{say.percent(rates[peak])}，平时几乎无人离开"
            size_en = f"an exit rate of {say.percent(rates[peak])} against almost none usually"
        insights.append(
            Insight(
                kind=KIND,
                subject=f"minutes {start}-{end}",
                evidence=evidence,
                text_zh=f"{say.minute_range_zh(start, end)}观众流失激增"
                f"（离开{say.count(exits)}人，{size_zh}）{_context_zh(persona, product, promo)}",
                text_en=f"{say.minute_range_en(start, end)}: viewers left in a surge "
                f"({say.count(exits)} exits, {size_en}){_context_en(persona, product, promo)}.",
            )
        )
    return insights
