"""Lead-lag on the real Weibo heat of 羽绒服 joined to simulated sales.

The quality requirement: with an injected response of sales to heat k hours later, the analysis
finds lag k and calls it significant; with sales independent of heat, it calls the (spurious)
best lag significant in at most 10% of seeds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from livelens.events.columns import events_to_table
from livelens.intelligence.leadlag import (
    analyse_lead_lag,
    fit_ar1,
    granger_test,
    lead_lag_insight,
)
from livelens.intelligence.series import (
    HOUR,
    MINUTE,
    comment_share_series,
    merge_series,
    sales_series,
    trend_series,
)
from livelens.intelligence.signals import BEIJING, WeiboHotSearchFile
from livelens.testing import make_event

KEYWORD = "羽绒服"
START = datetime(2025, 11, 1, tzinfo=BEIJING)
END = datetime(2026, 2, 1, tzinfo=BEIJING)
NULL_SEEDS = 200


@pytest.fixture(scope="module")
def heat(shared_data: Path) -> np.ndarray:
    """Hourly heat of 羽绒服 on the real boards, Nov 2025 – Jan 2026 (0 when off the board)."""
    source = WeiboHotSearchFile(
        shared_data / "trends/weibo_hot_search_hourly.parquet",
        since=date(2025, 11, 1),
        until=date(2026, 1, 31),
    )
    table = events_to_table([e for batch in source for e in batch.events])
    series = trend_series(table, KEYWORD, start=START, end=END)
    x = series.array("heat")
    assert len(x) == 92 * 24
    assert 150 < np.count_nonzero(x) < 600  # on the board in a few hundred hours
    return x


def _sales_with_response(x: np.ndarray, lag: int, beta: float, seed: int) -> np.ndarray:
    """Clicks per hour: Poisson baseline + beta·(heat / max heat) shifted by ``lag`` hours."""
    rng = np.random.default_rng(seed)
    response = np.zeros_like(x)
    response[lag:] = beta * x[: len(x) - lag] / x.max()
    return rng.poisson(40 + response).astype(np.float64)


def _ar1_noise(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0, 5, n)
    y = np.empty(n)
    y[0] = shocks[0]
    for t in range(1, n):
        y[t] = phi * y[t - 1] + shocks[t]
    return 40 + y


@pytest.mark.parametrize("lag", [1, 2, 4])
def test_injected_lag_is_found_and_significant(heat: np.ndarray, lag: int) -> None:
    y = _sales_with_response(heat, lag, beta=60.0, seed=lag)
    result = analyse_lead_lag(heat, y, max_lag=6)
    assert result.lag == lag
    assert result.significant
    assert result.p_adjusted < 1e-6
    assert result.granger_p < 1e-6
    assert result.lift_pct is not None
    assert result.lift_pct > 0


def test_insight_states_the_lead_and_its_evidence(heat: np.ndarray) -> None:
    y = _sales_with_response(heat, 2, beta=60.0, seed=7)
    insight = lead_lag_insight(
        analyse_lead_lag(heat, y, max_lag=6),
        keyword=KEYWORD,
        subject="category 服装",
        subject_zh="服装类",
    )
    assert insight.kind == "trend_lead"
    assert insight.text_zh.startswith("微博热搜「羽绒服」上榜后2小时内，服装类点击上升")
    assert "within 2 hours" in insight.text_en
    assert insight.evidence["lag"] == 2
    assert insight.evidence["n"] == len(heat)
    assert insight.evidence["significant"] is True
    assert insight.confidence is not None
    assert insight.confidence > 0.99


@pytest.mark.parametrize("phi", [0.0, 0.8])
def test_independent_sales_are_rarely_called_significant(heat: np.ndarray, phi: float) -> None:
    results = [
        analyse_lead_lag(heat, _ar1_noise(len(heat), phi, seed), max_lag=6)
        for seed in range(NULL_SEEDS)
    ]
    false_positive_rate = sum(r.significant for r in results) / NULL_SEEDS
    assert false_positive_rate <= 0.10
    quiet = next(r for r in results if not r.significant)
    insight = lead_lag_insight(quiet, keyword=KEYWORD, subject="product p", subject_zh="羽绒马甲")
    assert insight.text_en.startswith("Not significant")
    assert "未发现" in insight.text_zh
    assert insight.confidence == 0.0
    assert insight.evidence["significant"] is False


def test_prewhitening_recovers_the_ar1_coefficient() -> None:
    _, phi = fit_ar1(_ar1_noise(5000, 0.7, 1))
    assert phi == pytest.approx(0.7, abs=0.03)


def test_granger_separates_a_lagged_driver_from_noise() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=2000)
    y = np.r_[0.0, 0.5 * x[:-1]] + rng.normal(size=2000)
    assert granger_test(x, y, 1)[1] < 1e-10
    assert granger_test(rng.normal(size=2000), y, 1)[1] > 1e-3


def test_misaligned_or_short_series_are_refused() -> None:
    with pytest.raises(ValueError, match="aligned"):
        analyse_lead_lag(np.zeros(100), np.zeros(99))
    with pytest.raises(ValueError, match="at least"):
        analyse_lead_lag(np.zeros(10), np.zeros(10))


T0 = datetime(2026, 1, 9, 12, tzinfo=UTC)


def _events() -> pa.Table:
    at = [T0 + timedelta(minutes=m) for m in (0, 1, 61, 62, 125)]
    return events_to_table(
        [
            make_event("host.product_pin", ts=at[0], product_id="sku-a", event_id="p1"),
            make_event("comment", ts=at[1], text="好看", event_id="c1"),
            make_event("product.click", ts=at[1], product_id="sku-a", event_id="k1"),
            make_event("comment", ts=at[2], text="多少钱", event_id="c2"),
            make_event("comment", ts=at[2], text="太贵了", event_id="c3"),
            make_event(
                "order.paid", ts=at[3], product_id="sku-a", amount_minor=9900, event_id="o1"
            ),
            make_event("order.paid", ts=at[3], product_id="sku-b", amount_minor=500, event_id="o2"),
            make_event("order.paid", ts=at[4], product_id="sku-a", amount_minor=100, event_id="o3"),
        ]
    )


def test_sales_series_buckets_reconcile_with_totals() -> None:
    hourly = sales_series(_events(), ["sku-a"], start=T0, end=T0 + 3 * HOUR)
    assert hourly.values == {
        "orders": [0.0, 1.0, 1.0],
        "gmv_minor": [0.0, 9900.0, 100.0],
        "clicks": [1.0, 0.0, 0.0],
    }
    minutely = sales_series(_events(), ["sku-a"], start=T0, end=T0 + 3 * HOUR, bucket=MINUTE)
    assert minutely.length == 180
    assert sum(minutely.values["gmv_minor"]) == sum(hourly.values["gmv_minor"]) == 10_000


def test_comment_shares_follow_the_pinned_product() -> None:
    def classify(texts: list[str]) -> list[tuple[str, list[str]]]:
        table = {"好看": ("positive", []), "多少钱": ("neutral", ["price"])}
        return [table.get(t, ("negative", ["price"])) for t in texts]

    shares = comment_share_series(
        _events(), ["sku-a"], classify, concerns=["price"], start=T0, end=T0 + 3 * HOUR
    )
    assert shares.values["comments"] == [1.0, 2.0, 0.0]
    assert shares.values["positive_share"][:2] == [1.0, 0.0]
    assert shares.values["negative_share"][:2] == [0.0, 0.5]
    assert shares.values["concern_price"][:2] == [0.0, 1.0]
    assert np.isnan(shares.values["concern_price"][2])
    merged = merge_series(shares, sales_series(_events(), ["sku-a"], start=T0, end=T0 + 3 * HOUR))
    assert set(merged.values) >= {"clicks", "concern_price"}


def _evening_only(y: np.ndarray) -> np.ndarray:
    """y where a live session runs (18:00–23:59 each day), NaN (no comments) elsewhere."""
    out = y.astype(np.float64).copy()
    out[(np.arange(len(y)) % 24) < 18] = np.nan
    return out


def test_undefined_buckets_are_left_out_not_filled(heat: np.ndarray) -> None:
    share = _evening_only(_sales_with_response(heat, 2, beta=60.0, seed=4) / 100.0)
    result = analyse_lead_lag(heat, share, max_lag=6)
    assert (result.lag, result.significant) == (2, True)
    assert result.n == 92 * 6
    assert result.undefined == 92 * 18
    insight = lead_lag_insight(result, keyword=KEYWORD, subject="product p", subject_zh="p")
    assert insight.evidence["undefined_buckets"] == 92 * 18
    # Filling the gaps with any value would change the answer; leaving them out does not depend
    # on what the gaps held.
    other = share.copy()
    other[np.isnan(other)] = 123.0
    assert analyse_lead_lag(heat, other, max_lag=6).correlation != result.correlation


def test_independent_shares_with_gaps_are_rarely_called_significant(heat: np.ndarray) -> None:
    results = [
        analyse_lead_lag(heat, _evening_only(_ar1_noise(len(heat), 0.5, seed)), max_lag=6)
        for seed in range(100)
    ]
    assert sum(r.significant for r in results) / len(results) <= 0.10
    assert all(r.n == 92 * 6 for r in results)


def test_too_few_defined_buckets_are_refused() -> None:
    y = np.full(200, np.nan)
    y[:10] = 1.0
    with pytest.raises(ValueError, match="defined buckets; got 10"):
        analyse_lead_lag(np.ones(200), y)
    with pytest.raises(ValueError, match="signal x"):
        analyse_lead_lag(np.full(200, np.nan), np.ones(200))


@pytest.mark.parametrize(("expect", "significant"), [("rise", False), ("fall", True)])
def test_expected_direction(heat: np.ndarray, expect: str, significant: bool) -> None:
    y = 200.0 - _sales_with_response(heat, 1, beta=60.0, seed=9)
    result = analyse_lead_lag(heat, y, max_lag=6, expect=expect)  # type: ignore[arg-type]
    assert result.correlation < 0
    assert result.significant is significant
