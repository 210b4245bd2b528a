"""The automatic lead-lag scan: every matched trend word and every competitor category against
the products and categories they concern, over sales and comment metrics, with the false
discoveries of all those tests controlled together.

* **Pairs.** Each trend match (:class:`~livelens.intelligence.matching.TrendMatch` with a
  product or a category and a score of at least ``min_score``) gives a pair (its matched word →
  that target); the word's hourly heat is the heat of every board title containing it. Each
  category with competitor promotions and products in the catalog gives a pair (strongest
  competitor discount in the category → that category). Brand matches are left out (a brand is
  no product or category).
* **Tests.** For each pair and each metric (clicks, orders, GMV, and where comments exist the
  positive / negative share and the share of each shopping concern),
  :func:`~livelens.intelligence.leadlag.analyse_lead_lag` with ``expect="either"``. A test is
  skipped (counted by reason, not run) when the signal is on in fewer than ``min_signal_buckets``
  buckets, when the metric is defined in too few buckets, or when it never varies.
* **False discoveries.** The p-value of a test is the larger of the Bonferroni-adjusted CCF
  p-value and the Granger p-value (both must reject). Benjamini-Hochberg over all tests run gives
  each a q-value; the findings are the tests with ``q ≤ alpha``, so that on average at most a
  fraction ``alpha`` of them are false. The tests share signals and overlap (a product and its
  category), a positive dependence under which Benjamini-Hochberg still holds.

Pure: tables and the catalog in, the scan out; the caller picks the grid (``start``, ``end``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens.comments.lexicon import INTENT_LABELS
from livelens.events.reference import Product
from livelens.information.insight import Insight
from livelens.intelligence.fdr import benjamini_hochberg
from livelens.intelligence.leadlag import (
    DEFAULT_ALPHA,
    FalseDiscovery,
    FloatArray,
    LeadLagResult,
    analyse_lead_lag,
    lead_lag_insight,
    min_points,
)
from livelens.intelligence.matching import TrendMatch
from livelens.intelligence.series import (
    HOUR,
    CommentClassifier,
    comment_share_series,
    competitor_series,
    sales_series,
    trend_series,
)

SALES_METRICS: Final = ("clicks", "orders", "gmv_minor")
SENTIMENT_METRICS: Final = ("positive_share", "negative_share")
# The shopping concerns (the comment layer's labels up to "comparison").
SCAN_CONCERNS: Final = INTENT_LABELS[: INTENT_LABELS.index("comparison") + 1]
_CONCERN_ZH: Final = {
    "price": "价格",
    "discount": "优惠",
    "size": "尺码",
    "shipping": "物流",
    "stock": "库存",
    "quality": "质量",
    "authenticity": "正品",
    "how_to_buy": "购买方式",
    "after_sales": "售后",
    "comparison": "对比",
    "praise": "好评",
    "complaint": "抱怨",
    "interaction": "互动",
    "spam": "广告",
}
DEFAULT_MIN_SCORE: Final = 0.5
MIN_SIGNAL_BUCKETS: Final = 3

SKIP_RARE_SIGNAL: Final = "signal on in too few buckets"
SKIP_UNDEFINED: Final = "metric defined in too few buckets"
SKIP_CONSTANT: Final = "metric never varies"

Signal = Literal["trend", "competitor"]


def metric_names(metric: str) -> tuple[str, str]:
    """How a metric reads in a sentence: (Chinese, English)."""
    fixed = {
        "clicks": ("点击", "clicks"),
        "orders": ("订单", "orders"),
        "gmv_minor": ("成交额", "GMV"),
        "positive_share": ("好评占比", "the positive share of comments"),
        "negative_share": ("差评占比", "the negative share of comments"),
    }
    if metric in fixed:
        return fixed[metric]
    label = metric.removeprefix("concern_")
    zh = _CONCERN_ZH.get(label, label)
    return f"评论中「{zh}」关注占比", f"the share of comments about {label.replace('_', ' ')}"


class ScanTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A product or a category of the catalog, with the products it covers."""

    kind: Literal["product", "category"]
    key: str  # product id or category name
    title: str  # product title or category name
    product_ids: tuple[str, ...]

    @property
    def subject(self) -> str:
        return f"{self.kind} {self.key}"


class ScanTest(msgspec.Struct, frozen=True, kw_only=True):
    """One test the scan ran: which signal, target and metric, and what it found."""

    signal: Signal
    driver: str  # the trend word, or the competitor category
    subject: str
    metric: str
    lag: int
    correlation: float
    p_value: float  # max(Bonferroni CCF p, Granger p)
    q_value: float  # Benjamini-Hochberg over every test run


class LeadLagScan(msgspec.Struct, frozen=True, kw_only=True):
    """What a scan ran and what it found; ``findings`` are insights, strongest first."""

    start: datetime
    end: datetime
    bucket_s: int
    max_lag: int
    alpha: float
    pairs: int  # (signal → target) pairs
    tests: int  # tests run (the Benjamini-Hochberg family)
    skipped: dict[str, int]  # tests not run, by reason
    findings: list[Insight]
    results: list[ScanTest]  # every test run, lowest q first


def scan_targets(
    matches: Sequence[TrendMatch], products: Sequence[Product], *, min_score: float
) -> list[tuple[str, ScanTarget]]:
    """(matched word, target) pairs, each once, from matches scoring at least ``min_score``."""
    by_id = {p.product_id: p for p in products}
    pairs: dict[tuple[str, str], ScanTarget] = {}
    for m in matches:
        if m.score < min_score or not m.token:
            continue
        if m.product_id is not None and m.product_id in by_id:
            target = ScanTarget(
                kind="product",
                key=m.product_id,
                title=by_id[m.product_id].title,
                product_ids=(m.product_id,),
            )
        elif m.category is not None:
            target = category_target(m.category, products)
        else:
            continue
        if target.product_ids:
            pairs.setdefault((m.token, target.subject), target)
    # A category of one product is that product: test the product only.
    return [
        (token, target)
        for (token, _), target in pairs.items()
        if not (
            target.kind == "category"
            and len(target.product_ids) == 1
            and (token, f"product {target.product_ids[0]}") in pairs
        )
    ]


def category_target(category: str, products: Sequence[Product]) -> ScanTarget:
    ids = tuple(p.product_id for p in products if p.category == category)
    return ScanTarget(kind="category", key=category, title=category, product_ids=ids)


class _Run(msgspec.Struct, frozen=True):
    signal: Signal
    driver: str
    target: ScanTarget
    metric: str
    result: LeadLagResult


class _Metrics:
    """Each target's metric series on the grid, computed once."""

    def __init__(
        self,
        events: pa.Table,
        classify: CommentClassifier | None,
        *,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> None:
        self.events, self.classify = events, classify
        self.start, self.end, self.bucket = start, end, bucket
        self.has_comments = bool(pc.any(pc.equal(events["type"], "comment")).as_py())
        self._cache: dict[str, dict[str, FloatArray]] = {}

    @property
    def names(self) -> tuple[str, ...]:
        if self.classify is None or not self.has_comments:
            return SALES_METRICS
        return (*SALES_METRICS, *SENTIMENT_METRICS, *(f"concern_{c}" for c in SCAN_CONCERNS))

    def of(self, target: ScanTarget) -> dict[str, FloatArray]:
        found = self._cache.get(target.subject)
        if found is not None:
            return found
        start, end, bucket = self.start, self.end, self.bucket
        series = sales_series(self.events, target.product_ids, start=start, end=end, bucket=bucket)
        values = {name: series.array(name) for name in SALES_METRICS}
        if self.classify is not None and self.has_comments:
            shares = comment_share_series(
                self.events,
                target.product_ids,
                self.classify,
                concerns=SCAN_CONCERNS,
                start=start,
                end=end,
                bucket=bucket,
            )
            values |= {name: shares.array(name) for name in self.names if name in shares.values}
        self._cache[target.subject] = values
        return values


def _drivers(
    trends: pa.Table,
    promos: pa.Table,
    pairs: Sequence[tuple[str, ScanTarget]],
    products: Sequence[Product],
    *,
    start: datetime,
    end: datetime,
    bucket: timedelta,
) -> list[tuple[Signal, str, FloatArray, ScanTarget]]:
    heat: dict[str, FloatArray] = {}
    for token in sorted({token for token, _ in pairs}, key=lambda t: (-len(t), t)):
        heat[token] = trend_series(trends, token, start=start, end=end, bucket=bucket).array("heat")
    # Words found in exactly the same board entries (羽绒 in every 羽绒服 title) are one signal,
    # named by the longest word: testing it twice would only repeat the test.
    named: dict[bytes, str] = {}
    for token, x in heat.items():
        named.setdefault(x.tobytes(), token)
    out: list[tuple[Signal, str, FloatArray, ScanTarget]] = []
    seen: set[tuple[str, str]] = set()
    for token, target in pairs:
        driver = named[heat[token].tobytes()]
        if (driver, target.subject) not in seen:
            seen.add((driver, target.subject))
            out.append(("trend", driver, heat[driver], target))
    if promos.num_rows:
        stocked = {p.category for p in products}
        promoted = pc.unique(
            promos.filter(pc.equal(promos["type"], "competitor.promo"))["category"]
        )
        for category in sorted(c for c in promoted.to_pylist() if c in stocked):
            x = competitor_series(promos, category, start=start, end=end, bucket=bucket).array(
                "discount_pct"
            )
            out.append(("competitor", category, x, category_target(category, products)))
    return out


def _insight(run: _Run, fdr: FalseDiscovery, bucket: timedelta) -> Insight:
    metric_zh, metric_en = metric_names(run.metric)
    target = run.target
    unit = (
        {"bucket_zh": "小时", "bucket_en": "hour"}
        if bucket == HOUR
        else {"bucket_zh": "个时段", "bucket_en": "bucket"}
    )
    if run.signal == "trend":
        subject_zh = target.title if target.kind == "product" else f"{target.key}类"
        return lead_lag_insight(
            run.result,
            keyword=run.driver,
            subject=target.subject,
            subject_zh=subject_zh,
            metric_zh=metric_zh,
            metric_en=metric_en,
            metric=run.metric,
            fdr=fdr,
            **unit,
        )
    return lead_lag_insight(
        run.result,
        keyword=run.driver,
        subject=target.subject,
        subject_zh=f"本店{target.key}类",
        metric_zh=metric_zh,
        metric_en=metric_en,
        metric=run.metric,
        signal_zh=f"竞品「{run.driver}」类促销",
        signal_en=f"a competitor runs a promotion in 「{run.driver}」",
        kind="competitor_lead",
        fdr=fdr,
        **unit,
    )


def scan_lead_lag(
    *,
    trends: pa.Table,
    promos: pa.Table,
    events: pa.Table,
    products: Sequence[Product],
    matches: Sequence[TrendMatch],
    start: datetime,
    end: datetime,
    bucket: timedelta = HOUR,
    max_lag: int = 6,
    alpha: float = DEFAULT_ALPHA,
    classify: CommentClassifier | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    min_signal_buckets: int = MIN_SIGNAL_BUCKETS,
) -> LeadLagScan:
    """Lead-lag for every (signal → target) pair and metric, false discoveries controlled.

    ``trends`` holds ``trend.snapshot`` events, ``promos`` ``competitor.promo`` events, ``events``
    the shop's ``product.click`` / ``order.paid`` (and, for the comment metrics, ``comment`` and
    ``host.product_pin``) events; ``classify`` (e.g.
    :func:`~livelens.intelligence.series.analyzer_classifier`) enables the comment metrics.
    """
    pairs = scan_targets(matches, products, min_score=min_score)
    drivers = _drivers(trends, promos, pairs, products, start=start, end=end, bucket=bucket)
    metrics = _Metrics(events, classify, start=start, end=end, bucket=bucket)
    skipped: Counter[str] = Counter()
    runs: list[_Run] = []
    needed = min_points(max_lag)
    for signal, driver, x, target in drivers:
        if np.count_nonzero(x) < min_signal_buckets:
            skipped[SKIP_RARE_SIGNAL] += len(metrics.names)
            continue
        for metric, y in metrics.of(target).items():
            defined = y[np.isfinite(y)]
            if len(defined) < needed:
                skipped[SKIP_UNDEFINED] += 1
                continue
            if float(np.ptp(defined)) == 0.0:
                skipped[SKIP_CONSTANT] += 1
                continue
            result = analyse_lead_lag(x, y, max_lag=max_lag, alpha=alpha, expect="either")
            runs.append(_Run(signal, driver, target, metric, result))
    q_values = benjamini_hochberg([r.result.p_joint for r in runs])
    findings: list[tuple[float, float, Insight]] = []
    results: list[ScanTest] = []
    for run, q in zip(runs, q_values, strict=True):
        results.append(
            ScanTest(
                signal=run.signal,
                driver=run.driver,
                subject=run.target.subject,
                metric=run.metric,
                lag=run.result.lag,
                correlation=run.result.correlation,
                p_value=run.result.p_joint,
                q_value=q,
            )
        )
        if q <= alpha:
            fdr = FalseDiscovery(q_value=q, tests=len(runs), alpha=alpha)
            insight = _insight(run, fdr, bucket)
            insight.evidence["signal"] = run.signal
            findings.append((-abs(run.result.correlation), q, insight))
    findings.sort(key=lambda f: (f[0], f[1], f[2].subject))
    results.sort(key=lambda t: (t.q_value, -abs(t.correlation)))
    return LeadLagScan(
        start=start,
        end=end,
        bucket_s=int(bucket.total_seconds()),
        max_lag=max_lag,
        alpha=alpha,
        pairs=len(drivers),
        tests=len(runs),
        skipped=dict(skipped),
        findings=[f[2] for f in findings],
        results=results,
    )
