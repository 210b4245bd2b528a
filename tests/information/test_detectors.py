"""Insight detectors: each finds a planted effect, stays quiet on noise, and survives edge cases.

Sessions are built by the factories below (overridable defaults; Poisson noise from a fixed seed),
so every planted effect is known exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from livelens.information.detectors import (
    detect_all,
    detect_funnel_leak,
    detect_peak_window,
    detect_persona_ranking,
    detect_promo_effect,
    detect_retention_drop,
    detect_top_product,
)
from livelens.information.detectors import phrasing as say
from livelens.information.detectors.peak_window import find_peak_window, window_width
from livelens.information.detectors.significance import (
    rate_test,
    ratio_estimate,
    t_quantile,
    t_two_sided_p,
)
from livelens.information.insight import Insight
from livelens.information.metrics import (
    Funnel,
    MinuteSeries,
    ProductMetrics,
    ProductSeries,
    PromoMetrics,
    SessionMetrics,
    Totals,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LABEL_COLUMNS = ("persona", "pinned_product", "promo")
INT_COLUMNS = [
    f.name
    for f in msgspec.structs.fields(MinuteSeries)
    if f.name not in (*LABEL_COLUMNS, "online_reported", "concerns")
]
KINDS = [
    "top_product", "peak_window", "retention_drop", "funnel_leak", "persona_ranking", "promo_effect"
]  # fmt: skip
# Poisson means per minute of a busy, steady room of about 1,000 viewers.
BUSY = {"entries": 20, "exits": 20, "comments": 40, "likes": 300, "impressions": 200, "clicks": 60}
BUSY |= {"clickers": 50, "carts": 20, "orders": 8}


def make_series(minutes: int, **columns: Any) -> MinuteSeries:
    """All-zero (unlabelled) minutes, with any column replaced."""
    values: dict[str, Any] = {name: [0] * minutes for name in INT_COLUMNS}
    values |= {name: [None] * minutes for name in (*LABEL_COLUMNS, "online_reported")}
    values |= columns
    return MinuteSeries(**values)


def busy_series(minutes: int = 60, seed: int = 7, **columns: Any) -> MinuteSeries:
    """A steady room: Poisson counts around :data:`BUSY`, 1,000 online; columns override."""
    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {
        name: rng.poisson(mean, minutes).tolist() for name, mean in BUSY.items()
    }
    values["online"] = [1000] * minutes
    values["buyers"] = values["orders"]
    values["gmv_minor"] = [n * 9900 for n in values["orders"]]
    values |= columns
    return make_series(minutes, **values)


def noisy(mean: float, minutes: int, seed: int = 11) -> list[int]:
    return np.random.default_rng(seed).poisson(mean, minutes).tolist()


def planted(
    base: float, lifted: float, minutes: int, start: int, end: int, seed: int = 11
) -> list[int]:
    """Poisson counts with mean ``lifted`` in [start, end) and ``base`` elsewhere."""
    means = np.full(minutes, base)
    means[start:end] = lifted
    return np.random.default_rng(seed).poisson(means).tolist()


def product(pid: str, clicks: int, gmv_minor: int, orders: int = 1) -> ProductMetrics:
    return ProductMetrics(
        product_id=pid, impressions=clicks * 5, clicks=clicks, carts=clicks // 3, orders=orders,
        units=orders, gmv_minor=gmv_minor, refunds_minor=0, clickers=clicks, buyers=orders,
        ctr=0.2, conversion=None,
    )  # fmt: skip


DEFAULT_PRODUCTS = [product("sku-a", 900, 300_000), product("sku-b", 400, 120_000)]


def make_metrics(
    series: MinuteSeries | None = None,
    *,
    products: list[ProductMetrics] | None = DEFAULT_PRODUCTS,
    promos: list[PromoMetrics] | None = None,
    funnel: Funnel | None = None,
    currency: str | None = "CNY",
) -> SessionMetrics:
    """A session around ``series`` (default: an hour of :func:`busy_series`).

    ``products=None`` is a room without a shop: no products, funnel or order totals.
    """
    series = busy_series() if series is None else series
    minutes = len(series.online)
    shop = products is not None
    orders, gmv = sum(series.orders), sum(series.gmv_minor)
    start = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
    totals = Totals(
        events=0, unique_viewers=2000, peak_online=max(series.online, default=0),
        entries=sum(series.entries), exits=sum(series.exits), avg_watch_time_s=None,
        comments=sum(series.comments), likes=sum(series.likes), gifts_minor=0,
        impressions=sum(series.impressions) if shop else None,
        clicks=sum(series.clicks) if shop else None, ctr=None,
        carts=sum(series.carts) if shop else None, orders=orders if shop else None,
        gmv_minor=gmv if shop else None, refunds_minor=0 if shop else None,
        gpm_minor=None, uv_value_minor=None, aov_minor=None,
    )  # fmt: skip
    if funnel is None and shop:
        funnel = Funnel(entered=2000, clicked=900, carted=400, ordered=200)
    return SessionMetrics(
        session_id="s-1", room_id="r-1", platform="sim", started_at=start,
        ended_at=start + timedelta(minutes=minutes), minutes=minutes, currency=currency,
        totals=totals, series=series, funnel=funnel if shop else None, products=products,
        personas=None, promos=promos or [],
    )  # fmt: skip


def assert_well_formed(insights: list[Insight]) -> None:
    for insight in insights:
        assert CHINESE.search(insight.text_zh), insight.text_zh
        assert insight.text_en.strip(), insight
        assert insight.subject
        msgspec.json.encode(insight)  # evidence is plain JSON: no numpy scalars, no NaN surprises
        assert insight.confidence is None or 0.0 <= insight.confidence <= 1.0


# --- peak_window --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "leading", "words"),
    [
        ({"comments": planted(40, 160, 60, 20, 35)}, "comments", "条评论"),
        ({"likes": planted(300, 1500, 60, 20, 35)}, "likes", "次点赞"),
        (
            {"clicks": planted(60, 240, 60, 20, 35), "comments": planted(40, 120, 60, 20, 35, 3)},
            "clicks",
            "次商品点击",
        ),
    ],
    ids=["comments", "likes", "clicks+comments"],
)
def test_peak_window_finds_the_planted_window_exactly(
    columns: dict[str, list[int]], leading: str, words: str
) -> None:
    [insight] = detect_peak_window(make_metrics(busy_series(**columns)))
    assert insight.evidence["leading_component"] == leading
    assert words in insight.text_zh
    assert (insight.evidence["start_minute"], insight.evidence["end_minute"]) == (20, 35)
    assert insight.evidence["lift"] > 1.3
    assert insight.evidence["interactions_per_minute"] > insight.evidence["session_average"]
    assert "第20–35分钟是观众互动高峰时段" in insight.text_zh
    assert "Minutes 20–35" in insight.text_en
    assert_well_formed([insight])


def test_peak_window_at_the_opening_says_so() -> None:
    series = busy_series(comments=planted(40, 200, 60, 0, 15))
    [insight] = detect_peak_window(make_metrics(series))
    assert insight.evidence["start_minute"] == 0
    assert insight.text_zh.startswith("开场15分钟是观众互动高峰时段")


@pytest.mark.parametrize(("minutes", "width"), [(60, 15), (30, 15), (29, 7), (8, 2), (3, 1)])
def test_peak_window_width_shrinks_for_short_sessions(minutes: int, width: int) -> None:
    assert window_width(minutes) == width


def test_peak_window_is_quiet_on_a_thin_recording() -> None:
    comments = [0] * 60
    comments[21] = comments[25] = comments[30] = 2  # six comments in an hour: no peak to speak of
    assert detect_peak_window(make_metrics(make_series(60, comments=comments))) == []


def test_peak_window_is_quiet_on_a_flat_session() -> None:
    flat = make_series(60, comments=[40] * 60, likes=[300] * 60, online=[1000] * 60)
    assert detect_peak_window(make_metrics(flat)) == []


@given(
    values=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=80
    ),
    data=st.data(),
)
def test_peak_window_search_returns_a_maximal_window(
    values: list[float], data: st.DataObject
) -> None:
    width = data.draw(st.integers(min_value=1, max_value=len(values)))
    start, total = find_peak_window(values, width)
    assert 0 <= start <= len(values) - width
    assert total == pytest.approx(sum(values[start : start + width]), rel=1e-9, abs=1e-6)
    for other in range(len(values) - width + 1):
        assert total >= sum(values[other : other + width]) * (1 - 1e-9) - 1e-6
        if other < start:  # ties go to the earliest window
            assert sum(values[other : other + width]) < total * (1 + 1e-9) + 1e-6


def test_peak_window_search_rejects_an_impossible_width() -> None:
    with pytest.raises(ValueError, match="window width"):
        find_peak_window([1.0, 2.0], 3)


# --- retention_drop -----------------------------------------------------------------------------


def test_retention_drop_flags_a_planted_exit_spike_with_its_context() -> None:
    minutes = 60
    persona = ["p-xiaoxue"] * 30 + ["p-aqiang"] * 30
    pinned = ["sku-a"] * 40 + ["sku-b"] * 20
    series = busy_series(
        exits=planted(20, 90, minutes, 42, 43), persona=persona, pinned_product=pinned
    )
    [insight] = detect_retention_drop(make_metrics(series))
    e = insight.evidence
    assert (e["minute"], e["end_minute"]) == (42, 43)
    assert e["z"] >= 3.5
    assert e["ratio_to_baseline"] > 3
    assert (e["persona"], e["pinned_product"], e["promo"]) == ("p-aqiang", "sku-b", None)
    assert insight.text_zh.startswith("第42分钟观众流失激增")
    assert "「sku-b」" in insight.text_zh
    assert_well_formed([insight])


def test_retention_drop_merges_adjacent_spike_minutes() -> None:
    series = busy_series(exits=planted(20, 100, 60, 42, 45))
    [insight] = detect_retention_drop(make_metrics(series))
    assert (insight.evidence["minute"], insight.evidence["end_minute"]) == (42, 45)
    assert insight.text_zh.startswith("第42–45分钟")


@pytest.mark.parametrize("seed", range(5))
def test_retention_drop_ignores_ordinary_noise(seed: int) -> None:
    assert detect_retention_drop(make_metrics(busy_series(seed=seed))) == []


@pytest.mark.parametrize(
    ("spike", "flagged"), [(300, False), (380, False), (420, True)], ids=["1.5x", "1.9x", "2.1x"]
)
def test_retention_drop_needs_twice_the_usual_rate_in_a_big_room(spike: int, flagged: bool) -> None:
    exits = noisy(200, 60)
    exits[30] = spike  # far beyond noise at 200 a minute, but only a surge from 2x up
    series = make_series(60, online=[10_000] * 60, entries=exits, exits=exits)
    assert bool(detect_retention_drop(make_metrics(series))) is flagged


def test_retention_drop_ignores_the_room_emptying_when_the_show_ends() -> None:
    series = busy_series(online=[1000] * 59 + [0], exits=[*noisy(20, 59), 1000])
    assert detect_retention_drop(make_metrics(series)) == []


def test_retention_drop_ignores_a_spike_in_a_near_empty_room() -> None:
    exits = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1] * 3
    exits[12] = 8  # a big jump in rate, but under ten people
    series = make_series(30, online=[30] * 30, entries=[1] * 30, exits=exits)
    assert detect_retention_drop(make_metrics(series)) == []


# --- funnel_leak --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "columns"),
    [
        ("enter_to_click", {"clickers": planted(50, 15, 60, 50, 60)}),
        ("click_to_cart", {"carts": planted(20, 6, 60, 50, 60)}),
        ("cart_to_order", {"orders": planted(8, 2, 60, 50, 60)}),
    ],
)
def test_funnel_leak_finds_the_planted_step(step: str, columns: dict[str, list[int]]) -> None:
    [insight] = detect_funnel_leak(make_metrics(busy_series(**columns)))
    e = insight.evidence
    assert e["step"] == insight.subject == step
    assert e["relative_change"] <= -0.2
    assert e["p_value"] < 0.05
    assert e["rate_now"] < e["rate_before"]
    assert e["now"]["start_minute"] == 50
    assert insight.text_zh.startswith("最近10分钟")
    assert_well_formed([insight])


@pytest.mark.parametrize(
    "columns",
    [{}, {"orders": planted(8, 7, 60, 50, 60)}, {"orders": planted(8, 20, 60, 50, 60)}],
    ids=["steady", "small-dip", "improvement"],
)
def test_funnel_leak_is_quiet_without_a_material_drop(columns: dict[str, list[int]]) -> None:
    assert detect_funnel_leak(make_metrics(busy_series(**columns))) == []


def test_funnel_leak_needs_a_significant_drop_in_a_small_room() -> None:
    # The order rate halves (4 of 8 carts before, 1 of 4 now), but chance explains that.
    orders = [1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    series = make_series(12, online=[50] * 12, clicks=[1] * 12, carts=[1] * 12, orders=orders)
    assert detect_funnel_leak(make_metrics(series)) == []


# --- persona_ranking ----------------------------------------------------------------------------


def test_persona_ranking_ranks_a_clear_winner_as_significant() -> None:
    persona = (["p-aqiang"] * 10 + ["p-xiaoxue"] * 10) * 3
    orders = [
        int(n) for n in np.where(np.array(persona) == "p-xiaoxue", noisy(12, 60), noisy(6, 60, 5))
    ]
    [insight] = detect_persona_ranking(make_metrics(busy_series(persona=persona, orders=orders)))
    e = insight.evidence
    assert insight.subject == "p-xiaoxue"
    assert e["personas"] == ["p-xiaoxue", "p-aqiang"]
    assert e["significant"] is True
    assert e["p_value"] < 0.05
    top = e["per_persona"]["p-xiaoxue"]["orders_per_1k_viewer_minutes"]
    assert top["low"] < top["value"] < top["high"]
    assert 9.0 < top["value"] < 15.0
    assert "显著高于「p-aqiang」" in insight.text_zh
    assert_well_formed([insight])


def test_persona_ranking_says_not_significant_for_a_tiny_gap_over_few_minutes() -> None:
    series = make_series(
        6, online=[1000] * 6, orders=[5, 6, 5, 5, 5, 5], persona=["a"] * 3 + ["b"] * 3
    )
    [insight] = detect_persona_ranking(make_metrics(series))
    assert insight.evidence["personas"] == ["a", "b"]
    assert insight.evidence["significant"] is False
    assert "不显著" in insight.text_zh
    assert "not significantly" in insight.text_en


def test_persona_ranking_breaks_conversion_ties_by_gmv_per_minute() -> None:
    series = make_series(
        6,
        online=[100] * 6,
        orders=[2] * 6,
        gmv_minor=[100] * 3 + [900] * 3,
        persona=["a"] * 3 + ["b"] * 3,
    )
    [insight] = detect_persona_ranking(make_metrics(series))
    assert insight.evidence["personas"] == ["b", "a"]
    assert "持平" in insight.text_zh


@pytest.mark.parametrize(
    "persona", [["solo"] * 60, ["solo"] * 58 + ["guest"] * 2], ids=["one", "one-and-a-cameo"]
)
def test_persona_ranking_needs_two_personas_on_air_long_enough(persona: list[str]) -> None:
    assert detect_persona_ranking(make_metrics(busy_series(persona=persona))) == []


# --- promo_effect -------------------------------------------------------------------------------


def flash(start: float, end: float, **overrides: Any) -> PromoMetrics:
    fields: dict[str, Any] = {"promo_id": "flash-1", "product_id": "sku-a", "discount_pct": 20.0}
    fields |= {"price_minor": None, "start_minute": start, "end_minute": end} | overrides
    return PromoMetrics(**fields)


def test_promo_effect_detects_a_planted_lift() -> None:
    orders = planted(8, 20, 60, 30, 35)
    series = busy_series(orders=orders, gmv_minor=[n * 9900 for n in orders])
    [insight] = detect_promo_effect(make_metrics(series, promos=[flash(30.0, 35.0)]))
    e = insight.evidence
    assert e["scope"] == "session"
    assert e["baseline"] == "before"
    assert (e["before"]["start_minute"], e["during"]["start_minute"], e["after"]["end_minute"]) == (
        25,
        30,
        40,
    )
    assert e["lift"] > 1.8
    assert e["significant"] is True
    assert insight.text_zh.startswith("商品「sku-a」限时5分钟8折期间")
    assert "倍" in insight.text_zh
    assert_well_formed([insight])


def test_promo_effect_without_a_lift_is_not_significant() -> None:
    [insight] = detect_promo_effect(make_metrics(busy_series(), promos=[flash(30.0, 35.0)]))
    assert insight.evidence["significant"] is False
    assert "变化不显著" in insight.text_zh


@pytest.mark.parametrize(
    ("promo", "baseline", "during"),
    [
        (flash(0.0, 5.0), "after", (0, 5)),
        (flash(57.0, 70.0), "before", (57, 60)),
        (flash(10.2, 12.9, discount_pct=None, price_minor=8800), "before", (10, 13)),
    ],
    ids=["at-opening", "past-the-end", "fractional-minutes"],
)
def test_promo_effect_windows_are_clipped_to_the_session(
    promo: PromoMetrics, baseline: str, during: tuple[int, int]
) -> None:
    [insight] = detect_promo_effect(make_metrics(promos=[promo]))
    e = insight.evidence
    assert e["baseline"] == baseline
    assert (e["during"]["start_minute"], e["during"]["end_minute"]) == during
    assert_well_formed([insight])


def test_promo_effect_needs_promos_and_orders() -> None:
    assert detect_promo_effect(make_metrics()) == []
    assert detect_promo_effect(make_metrics(products=None, promos=[flash(30.0, 35.0)])) == []


# --- top_product --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("products", "expected"),
    [
        ([product("sku-b", 100, 5_000), product("sku-c", 1234, 567_800)], [("sku-c", "gmv", 1, 1)]),
        (
            [product("sku-a", 2000, 100_000), product("sku-b", 500, 900_000)],
            [("sku-b", "gmv", 1, 2), ("sku-a", "clicks", 2, 1)],
        ),
        ([product("sku-z", 10, 5_000), product("sku-a", 10, 5_000)], [("sku-a", "gmv", 1, 1)]),
        ([product("sku-a", 50, 0, orders=0)], [("sku-a", "clicks", 1, 1)]),
        ([product("sku-a", 0, 0, orders=0)], []),
        ([], []),
        (None, []),
    ],
    ids=[
        "leads-both",
        "click-leader-differs",
        "tie-by-id",
        "clicks-only",
        "nothing",
        "empty",
        "none",
    ],
)
def test_top_product(
    products: list[ProductMetrics] | None, expected: list[tuple[str, str, int, int]]
) -> None:
    insights = detect_top_product(make_metrics(products=products))
    got = [
        (i.subject, i.evidence["led_by"], i.evidence["rank_by_gmv"], i.evidence["rank_by_clicks"])
        for i in insights
    ]
    assert got == expected
    assert_well_formed(insights)


def test_top_product_sentence_and_evidence() -> None:
    products = [product("sku-b", 100, 5_000), product("sku-c", 1234, 567_800)]
    [insight] = detect_top_product(make_metrics(products=products))
    assert insight.text_zh == (
        "商品「sku-c」是本场直播最受欢迎的产品（点击1,234次，GMV ¥5,678.00，均为全场第一）"
    )
    e = insight.evidence
    assert e["share_of_gmv"] == pytest.approx(567_800 / 572_800)
    assert e["share_of_clicks"] == pytest.approx(1234 / 1334)
    assert e["runner_up"] == {"product_id": "sku-b", "clicks": 100, "gmv_minor": 5_000}


def test_top_product_tie_is_named() -> None:
    tied = [product("sku-z", 10, 5_000), product("sku-a", 10, 5_000)]
    [insight] = detect_top_product(make_metrics(products=tied))
    assert insight.evidence["tied_with"] == ["sku-z"]
    assert "并列" in insight.text_zh


# --- whole session and edge cases ---------------------------------------------------------------


def test_detect_all_runs_every_detector_in_a_stable_order() -> None:
    minutes = 60
    orders = planted(8, 20, minutes, 30, 35)
    series = busy_series(
        comments=planted(40, 160, minutes, 20, 35),
        exits=planted(20, 90, minutes, 42, 43),
        orders=orders,
        gmv_minor=[n * 9900 for n in orders],
        carts=planted(20, 6, minutes, 50, 60),
        persona=(["p-aqiang"] * 10 + ["p-xiaoxue"] * 10) * 3,
    )
    metrics = make_metrics(series, promos=[flash(30.0, 35.0)])
    insights = detect_all(metrics)
    kinds = [i.kind for i in insights]
    assert kinds == sorted(kinds, key=KINDS.index)
    assert set(kinds) == set(KINDS)
    assert detect_all(metrics) == insights
    assert_well_formed(insights)


@pytest.mark.parametrize("minutes", [0, 1, 2])
def test_tiny_sessions_give_no_time_based_insights(minutes: int) -> None:
    series = busy_series(minutes, persona=["a", "b"][:minutes] if minutes else [])
    insights = detect_all(make_metrics(series, promos=[flash(0.0, 1.0)]))
    assert {i.kind for i in insights} <= {"top_product", "promo_effect"}
    assert_well_formed(insights)


def test_an_all_zero_session_has_nothing_to_say() -> None:
    series = make_series(30, persona=["a"] * 15 + ["b"] * 15)
    products = [product("sku-a", 0, 0, orders=0)]
    assert detect_all(make_metrics(series, products=products)) == []
    # A promo is still reported, as a promo that changed nothing.
    [promo] = detect_all(make_metrics(series, products=products, promos=[flash(10.0, 15.0)]))
    assert promo.evidence["significant"] is False
    assert_well_formed([promo])


def test_no_shop_means_no_product_funnel_persona_or_promo_insights() -> None:
    series = busy_series(persona=(["a"] * 10 + ["b"] * 10) * 3, carts=planted(20, 6, 60, 50, 60))
    insights = detect_all(make_metrics(series, products=None, promos=[flash(30.0, 35.0)]))
    assert {i.kind for i in insights} <= {"peak_window", "retention_drop"}


def test_reported_online_is_the_exposure_without_joins() -> None:
    # A Bilibili-style recording: no joins, online from online.count only.
    series = make_series(
        6, online_reported=[None, 800, None, 1000, 1000, None], orders=[4, 4, 4, 1, 1, 1],
        persona=["a"] * 3 + ["b"] * 3,
    )  # fmt: skip
    [insight] = detect_persona_ranking(make_metrics(series))
    stats = insight.evidence["per_persona"]
    assert stats["a"]["viewer_minutes"] == 800 * 3
    assert stats["b"]["viewer_minutes"] == 1000 * 3


# --- statistics and phrasing --------------------------------------------------------------------

# Golden values from scipy 1.17.1: 2 * stats.t.sf(t, df), stats.t.ppf, stats.binomtest(...).pvalue.


@pytest.mark.parametrize(
    ("t", "df", "p"),
    [
        (2.228, 10, 0.05001177181711132),
        (1.0, 3, 0.3910022189557705),
        (5.0, 2, 0.037749551350623724),
    ],
)
def test_t_test_matches_scipy(t: float, df: float, p: float) -> None:
    assert t_two_sided_p(t, df) == pytest.approx(p, rel=1e-10)


def test_t_quantile_matches_scipy() -> None:
    assert t_quantile(0.95, 10) == pytest.approx(2.228138851986274, rel=1e-10)
    assert t_quantile(0.95, 1) == pytest.approx(12.706204736174694, rel=1e-10)


@pytest.mark.parametrize(
    ("a", "ea", "b", "eb", "p"),
    [
        (10, 5, 3, 5, 0.09228515625),
        (30, 10, 20, 15, 0.005557527020269432),
        (7, 3.5, 1, 10, 0.00048695927031432195),
        (0, 0, 5, 2, 1.0),
    ],
)
def test_rate_test_matches_scipy_binomtest(a: int, ea: float, b: int, eb: float, p: float) -> None:
    assert rate_test(a, ea, b, eb) == pytest.approx(p, rel=1e-9)


def test_ratio_estimate_interval_is_never_narrower_than_poisson() -> None:
    even = ratio_estimate([5, 5, 5, 5], [1000] * 4, counts=True)
    assert even is not None
    assert even.value == pytest.approx(0.005)
    assert even.se == pytest.approx(np.sqrt(20) / 4000)
    assert ratio_estimate([1], [0], counts=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (say.money(567_800, "CNY"), "¥5,678.00"),
        (say.money(1234, "USD"), "$12.34"),
        (say.money(1234, "JPY"), "¥1,234"),
        (say.money(1234, "SEK"), "12.34 SEK"),
        (say.money(1234, None), "12.34"),
        (say.count(1234567), "1,234,567"),
        (say.percent(0.1234), "12.3%"),
        (say.discount_zh(20.0), "8折"),
        (say.discount_zh(15.0), "8.5折"),
        (say.times(2.14), "2.1"),
        (say.minute_span_zh(0, 15, 60), "开场15分钟"),
        (say.minute_span_zh(45, 60, 60), "最后15分钟"),
        (say.minute_span_zh(20, 35, 60), "第20–35分钟"),
    ],
)
def test_phrasing(text: str, expected: str) -> None:
    assert text == expected


def test_promo_effect_uses_the_promoted_products_own_minutes() -> None:
    """Session-wide orders stay flat while the promoted product's own orders jump."""
    flat = [20] * 60
    own = planted(1, 12, 60, 30, 35)
    metrics = msgspec.structs.replace(
        make_metrics(busy_series(orders=flat), promos=[flash(30.0, 35.0)]),
        product_series={
            "sku-a": ProductSeries(clicks=[0] * 60, orders=own, gmv_minor=[n * 100 for n in own])
        },
    )
    [insight] = detect_promo_effect(metrics)
    assert insight.evidence["scope"] == "product"
    assert insight.evidence["lift"] > 5
    assert insight.evidence["significant"] is True
    assert "该商品" in insight.text_zh
