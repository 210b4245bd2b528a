"""The automatic lead-lag scan on the real Weibo boards of 4–17 January 2026 (羽绒服 on the board
in about a hundred hours) joined to a simulated hourly sales history of the shipped catalog.

Quality requirements: with an injected response of one category's clicks to 羽绒服 two hours
later, the scan finds that pair at lag 2 and reports at most one false finding; with no response
it reports at most one finding at all; with an injected fall of one category's orders after
competitor promotions, it finds that pair with a fall; with evening comments on the pinned
down vest that turn dear after 羽绒服 enters the board, it finds the negative and the price shares
(the hours without comments left out).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from livelens.cli import cli
from livelens.comments.analyze import CommentAnalyzer
from livelens.events.columns import events_to_table
from livelens.events.reference import Product, ReferenceData
from livelens.intelligence.fdr import benjamini_hochberg
from livelens.intelligence.leadlag_scan import SKIP_RARE_SIGNAL, LeadLagScan, scan_lead_lag
from livelens.intelligence.matching import match_trends
from livelens.intelligence.series import analyzer_classifier, competitor_series, trend_series
from livelens.intelligence.signals import BEIJING, WeiboHotSearchFile
from livelens.sources.simulation.catalog import catalog_specs
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl, make_event

START = datetime(2026, 1, 4, tzinfo=BEIJING)
DAYS = 14
END = START + timedelta(days=DAYS)
HOURS = DAYS * 24
BOARDS = Path("trends/weibo_hot_search_hourly.parquet")
INJECTED_CATEGORY = "服装"  # sku-hoodie and sku-down-vest


@pytest.fixture(scope="module")
def catalog() -> list[Product]:
    return [spec.product for spec in catalog_specs(1000)]


@pytest.fixture(scope="module")
def trends(shared_data: Path) -> pa.Table:
    source = WeiboHotSearchFile(
        shared_data / BOARDS, since=START.date(), until=(END - timedelta(days=1)).date()
    )
    return events_to_table([e for batch in source for e in batch.events])


def _history(
    catalog: list[Product], response: dict[str, np.ndarray], seed: int
) -> tuple[pa.Table, list[dict[str, object]]]:
    """Hourly clicks (Poisson 6) and orders (Poisson 0.6) per product, times ``1 + response``
    of the product's category; as an events table and as JSON records for ingest."""
    rng = np.random.default_rng(seed)
    kinds, times, ids, amounts = [], [], [], []
    records: list[dict[str, object]] = []
    for product in catalog:
        lift = response.get(product.category, np.zeros(HOURS))
        clicks = rng.poisson(6.0 * (1 + lift))
        orders = rng.poisson(0.6 * (1 + lift))
        for hour in range(HOURS):
            ts = START + timedelta(hours=hour, minutes=10)
            for kind, count in (("product.click", clicks[hour]), ("order.paid", orders[hour])):
                for n in range(count):
                    kinds.append(kind)
                    times.append(ts)
                    ids.append(product.product_id)
                    amount = 9900 if kind == "order.paid" else None
                    amounts.append(amount)
                    record: dict[str, object] = {
                        "type": kind,
                        "event_id": f"{kind}-{product.product_id}-{hour}-{n}",
                        "ts": ts.isoformat(),
                        "room_id": "room-1",
                        "session_id": f"history-{hour // 24}",
                        "platform": "douyin",
                        "viewer_id": f"v{n}",
                        "product_id": product.product_id,
                    }
                    if kind == "order.paid":
                        record |= {"order_id": record["event_id"], "amount_minor": amount}
                        record |= {"quantity": 1, "currency": "CNY"}
                    records.append(record)
    table = pa.table(
        {
            "type": pa.array(kinds, pa.string()),
            "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
            "product_id": pa.array(ids, pa.string()),
            "amount_minor": pa.array(amounts, pa.int64()),
        }
    )
    return table, records


def _shifted(x: np.ndarray, lag: int, scale: float) -> np.ndarray:
    out = np.zeros_like(x)
    out[lag:] = scale * x[: len(x) - lag] / x.max()
    return out


def _scan(
    trends: pa.Table, promos: pa.Table, events: pa.Table, catalog: list[Product]
) -> LeadLagScan:
    keywords = list(dict.fromkeys(trends["keyword"].to_pylist()))
    return scan_lead_lag(
        trends=trends,
        promos=promos,
        events=events,
        products=catalog,
        matches=match_trends(keywords, catalog),
        start=START,
        end=END,
    )


def _about_injected(subject: str, catalog: list[Product]) -> bool:
    kind, key = subject.split(" ", 1)
    if kind == "category":
        return key == INJECTED_CATEGORY
    return any(p.product_id == key and p.category == INJECTED_CATEGORY for p in catalog)


def test_benjamini_hochberg_matches_scipy() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.9, 0.049]
    expected = stats.false_discovery_control(p, method="bh")
    assert benjamini_hochberg(p) == pytest.approx(list(expected))
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert benjamini_hochberg([]) == []


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40))
def test_q_values_are_at_least_p_and_keep_the_order(p: list[float]) -> None:
    q = benjamini_hochberg(p)
    assert all(pi <= qi + 1e-12 and qi <= 1.0 for pi, qi in zip(p, q, strict=True))
    ranked = sorted(zip(p, q, strict=True))
    assert all(a[1] <= b[1] + 1e-12 for a, b in itertools.pairwise(ranked))


@pytest.mark.parametrize("seed", [1, 2])
def test_scan_finds_the_injected_trend_lead_and_little_else(
    trends: pa.Table, catalog: list[Product], seed: int
) -> None:
    heat = trend_series(trends, "羽绒服", start=START, end=END).array("heat")
    assert np.count_nonzero(heat) > 80
    events, _ = _history(catalog, {INJECTED_CATEGORY: _shifted(heat, 2, 2.0)}, seed)
    scan = _scan(trends, events_to_table([]), events, catalog)
    assert scan.tests >= 30
    assert scan.skipped.get(SKIP_RARE_SIGNAL, 0) > 0  # board words seen in a hour or two
    found = [
        f
        for f in scan.findings
        if f.evidence["keyword"] == "羽绒服" and f.subject == "category 服装"
    ]
    clicks = next(f for f in found if f.evidence["metric"] == "clicks")
    assert clicks.evidence["lag"] == 2
    assert clicks.evidence["q_value"] < 1e-6
    assert clicks.evidence["tests"] == scan.tests
    assert clicks.text_zh.startswith("微博热搜「羽绒服」上榜后2小时内，服装类点击上升")
    assert f"of {scan.tests} tests" in clicks.text_en
    assert clicks.confidence is not None
    assert clicks.confidence > 0.99
    false = [f for f in scan.findings if not _about_injected(f.subject, catalog)]
    assert len(false) <= 1, [f.text_en for f in false]
    strengths = [abs(f.evidence["correlation"]) for f in scan.findings]
    assert strengths == sorted(strengths, reverse=True)
    assert all(f.evidence["q_value"] <= scan.alpha for f in scan.findings)


def test_scan_without_a_response_finds_at_most_one(
    trends: pa.Table, catalog: list[Product]
) -> None:
    events, _ = _history(catalog, {}, seed=5)
    scan = _scan(trends, events_to_table([]), events, catalog)
    assert scan.tests >= 30
    assert len(scan.findings) <= 1
    assert [r.q_value for r in scan.results] == sorted(r.q_value for r in scan.results)


def _promos(seed: int) -> pa.Table:
    """About two competitor promotions a day in 数码 (10–50% off) and a few in 图书."""
    rng = np.random.default_rng(seed)
    events = []
    for n, hour in enumerate(sorted(rng.choice(HOURS, size=30, replace=False))):
        events.append(
            make_event(
                "competitor.promo",
                ts=(START + timedelta(hours=int(hour), minutes=3)).isoformat(),
                room_id="external",
                session_id="competitor-promos",
                competitor=f"对手{n % 3}",
                category="数码" if n % 5 else "图书",
                discount_pct=float(rng.integers(10, 51)),
                event_id=f"promo-{n}",
            )
        )
    return events_to_table(events)


def test_competitor_series_keeps_the_strongest_discount() -> None:
    at = START + timedelta(minutes=5)
    promos = events_to_table(
        [
            make_event(
                "competitor.promo", ts=at.isoformat(), category="数码", discount_pct=d, event_id=i
            )
            for d, i in ((20.0, "a"), (35.0, "b"))
        ]
    )
    series = competitor_series(promos, "数码", start=START, end=START + timedelta(hours=3))
    assert series.values == {"discount_pct": [35.0, 0.0, 0.0], "promos": [2.0, 0.0, 0.0]}
    assert competitor_series(promos, "图书", start=START, end=END).values["promos"][0] == 0.0


def test_scan_finds_an_injected_fall_after_competitor_promotions(catalog: list[Product]) -> None:
    promos = _promos(seed=11)
    discount = competitor_series(promos, "数码", start=START, end=END).array("discount_pct")
    fall = -0.6 * (_shifted(discount, 1, 1.0) > 0)  # 数码 orders and clicks −60% the hour after
    events, _ = _history(catalog, {"数码": fall}, seed=3)
    scan = _scan(events_to_table([]), promos, events, catalog)
    assert scan.pairs == 2  # 数码 and 图书; no trend word
    found = {f.evidence["metric"]: f for f in scan.findings if f.subject == "category 数码"}
    assert "clicks" in found
    clicks = found["clicks"]
    assert clicks.kind == "competitor_lead"
    assert clicks.evidence["lag"] == 1
    assert clicks.evidence["correlation"] < 0
    assert clicks.text_zh.startswith("竞品「数码」类促销后1小时内，本店数码类点击下降")
    assert all(f.subject == "category 数码" for f in scan.findings)


def test_cli_scan_prints_one_json_object(
    shared_data: Path, tmp_path: Path, trends: pa.Table, catalog: list[Product]
) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as opened:
        opened.put_reference(ReferenceData(products=catalog))
    runner = CliRunner()
    args = ["signals", "import", str(shared_data / BOARDS), "--format", "weibo-hot"]
    args += ["--db", str(db), "--since", START.date().isoformat()]
    args += ["--until", (END - timedelta(days=1)).date().isoformat()]
    assert runner.invoke(cli, args).exit_code == 0
    heat = trend_series(trends, "羽绒服", start=START, end=END).array("heat")
    _, records = _history(catalog, {INJECTED_CATEGORY: _shifted(heat, 2, 2.0)}, seed=1)
    sales = tmp_path / "sales.jsonl"
    sales.write_bytes(jsonl(records))
    result = runner.invoke(cli, ["ingest", str(sales), "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["signals", "scan", "--db", str(db), "--json", "--no-comments"])
    assert result.exit_code == 0, result.output
    scan = json.loads(result.stdout)
    assert scan["tests"] >= 30
    assert datetime.fromisoformat(scan["start"]) == START
    first = scan["findings"][0]
    assert (first["evidence"]["keyword"], first["evidence"]["lag"]) in {("羽绒服", 2), ("羽绒", 2)}
    assert first["subject"] == "category 服装"
    text = runner.invoke(cli, ["signals", "scan", "--db", str(db), "--no-comments"])
    assert f"{scan['tests']} tests" in text.stdout
    assert "微博热搜「羽绒服」上榜后2小时内" in text.stdout

    promos = tmp_path / "promos.csv"
    lines = [
        f"对手,数码,{20 + day},{(START + timedelta(days=day, hours=20)).isoformat()}"
        for day in range(DAYS)
    ]
    promos.write_text("competitor,category,discount_pct,ts\n" + "\n".join(lines) + "\n")
    args = ["signals", "import", str(promos), "--format", "competitor-promos", "--db", str(db)]
    assert runner.invoke(cli, args).exit_code == 0
    args = ["signals", "leadlag", "--db", str(db), "--signal", "competitor", "--category", "数码"]
    result = runner.invoke(cli, [*args, "--metric", "orders"])
    assert result.exit_code == 0, result.output
    insight = json.loads(result.stdout)
    assert insight["kind"] == "competitor_lead"
    assert insight["subject"] == "category 数码"
    assert "竞品「数码」类促销" in insight["text_zh"]
    assert insight["evidence"]["n"] == HOURS
    result = runner.invoke(cli, [*args, "--metric", "negative_share"])
    assert result.exit_code == 1  # no comment in the store: every hour is undefined
    assert "defined buckets; got 0" in result.output


def test_cli_scan_without_signals_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db):
        pass
    result = CliRunner().invoke(cli, ["signals", "scan", "--db", str(db)])
    assert result.exit_code == 1
    assert "no external signals" in result.output


def test_matches_name_the_word_that_matched(catalog: list[Product]) -> None:
    found = match_trends(["羽绒服怎么选不踩雷"], catalog)
    assert {m.token for m in found} == {"羽绒服"}


def test_scan_tests_comment_shares_where_comments_exist(
    trends: pa.Table, catalog: list[Product]
) -> None:
    """Evening sessions (19:00–23:59) pin the down vest; after 羽绒服 enters the board the share
    of comments calling it too dear rises (real comment analyzer). Hours without comments are
    left out, not filled."""
    heat = trend_series(trends, "羽绒服", start=START, end=END).array("heat")
    rng = np.random.default_rng(4)
    events = []
    for day in range(DAYS):
        pinned = START + timedelta(days=day, hours=19)
        events.append(
            make_event(
                "host.product_pin",
                ts=pinned.isoformat(),
                session_id=f"s-{day}",
                product_id="sku-down-vest",
                event_id=f"pin-{day}",
            )
        )
        for hour in range(19, 24):
            index = day * 24 + hour
            dear = 0.15 + (0.6 if index >= 1 and heat[index - 1] > 0 else 0.0)
            for n in range(25):
                text = "太贵了" if rng.random() < dear else "好看"
                at = pinned + timedelta(hours=hour - 19, minutes=2 + 2 * n)
                events.append(
                    make_event(
                        "comment",
                        ts=at.isoformat(),
                        session_id=f"s-{day}",
                        text=text,
                        event_id=f"c-{index}-{n}",
                    )
                )
    table = events_to_table(events)
    keywords = list(dict.fromkeys(trends["keyword"].to_pylist()))
    scan = scan_lead_lag(
        trends=trends,
        promos=events_to_table([]),
        events=table,
        products=catalog,
        matches=match_trends(keywords, catalog),
        start=START,
        end=END,
        classify=analyzer_classifier(CommentAnalyzer(p.title for p in catalog)),
    )
    tested = {(t.subject, t.metric) for t in scan.results if t.driver == "羽绒服"}
    assert ("product sku-down-vest", "negative_share") in tested
    assert ("product sku-down-vest", "concern_price") in tested
    found = {
        f.evidence["metric"]: f
        for f in scan.findings
        if f.subject == "product sku-down-vest" and f.evidence["keyword"] == "羽绒服"
    }
    negative = found["negative_share"]
    assert negative.evidence["lag"] == 1
    assert negative.evidence["n"] == DAYS * 5
    assert negative.evidence["undefined_buckets"] == HOURS - DAYS * 5
    assert "差评占比上升" in negative.text_zh
    assert "concern_price" in found
