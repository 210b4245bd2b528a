"""External signals: the two import formats through real ingest, catalog matching, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelens.cli import EXIT_QUARANTINED, cli
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.reference import Product, ReferenceData
from livelens.ingest import ingest
from livelens.intelligence.matching import TrendMatcher, match_trends
from livelens.intelligence.signals import CompetitorPromoFile, WeiboHotSearchFile
from livelens.sources.simulation.catalog import catalog_specs
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl

NOW = datetime(2026, 11, 28, tzinfo=UTC)
BOARDS = Path("trends/weibo_hot_search_hourly.parquet")


@pytest.fixture(scope="module")
def catalog() -> list[Product]:
    return [spec.product for spec in catalog_specs(1000)]


def _weibo(shared_data: Path, day: date) -> WeiboHotSearchFile:
    return WeiboHotSearchFile(shared_data / BOARDS, since=day, until=day)


def test_weibo_day_imports_once_with_the_external_convention(
    shared_data: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    source = _weibo(shared_data, date(2025, 11, 11))
    first = ingest([source], store, pseudonymiser, now=NOW)
    assert first.accepted > 1000  # ~24 boards of ~52 entries
    assert first.quarantined == {}
    assert first.sessions == ["weibo-hot-2025-11-11"]
    again = ingest([source], store, pseudonymiser, now=NOW)
    assert (again.accepted, again.duplicates) == (0, first.accepted)
    row = store.con.execute(
        "SELECT room_id, platform, source, rank, heat, ts FROM events "
        "WHERE event_id = 'weibo-hot:2025-11-11T20:1'"
    ).fetchone()
    assert row is not None
    assert row[:4] == ("external", "other", "weibo-hot", 1)
    assert row[4] > 0
    assert row[5] == datetime(2025, 11, 11, 12, tzinfo=UTC)  # 20:00 Beijing time


def test_bad_board_rows_are_quarantined_with_reasons(
    tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / "boards.csv"
    path.write_text(
        "date,hour,position,title,hot\n"
        "2025-11-11,20,1,羽绒服涨价,1200000\n"
        "2025-11-11,20,2,,900000\n"
        "2025-11-11,25,3,卫衣,800000\n"
        "2025-11-11,20,4,面膜,-5\n",
        encoding="utf-8",
    )
    report = ingest([WeiboHotSearchFile(path)], store, pseudonymiser, now=NOW)
    assert report.accepted == 1
    assert report.quarantined == {"invalid_value": 1, "missing_field": 1, "out_of_range": 1}
    reasons = {q["reason"]: q for q in store.quarantined()}
    assert reasons["invalid_value"]["location"] == "board 2025-11-11 25h position 3"
    assert "hour must be in 0..23" in reasons["invalid_value"]["detail"]


PROMOS_CSV = (
    "competitor,category,discount_pct,ts\n"
    "品牌甲,服装,30,2025-11-11T20:00:00+08:00\n"
    "品牌乙,个护,0,2025-11-11T20:00:00+08:00\n"
    ",服装,20,2025-11-11T21:00:00+08:00\n"
    "品牌丙,数码,15,2025-11-11 21:00\n"
)


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_competitor_promos_import_and_quarantine(
    suffix: str, tmp_path: Path, store: DuckDBStore, pseudonymiser: Pseudonymiser
) -> None:
    path = tmp_path / f"promos.{suffix}"
    if suffix == "csv":
        path.write_text(PROMOS_CSV, encoding="utf-8")
    else:
        lines = PROMOS_CSV.splitlines()
        header = lines[0].split(",")
        records = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
        path.write_bytes(jsonl(records) + b"{not json\n")
    report = ingest([CompetitorPromoFile(path)], store, pseudonymiser, now=NOW)
    expected = {"invalid_value": 1, "missing_field": 1, "out_of_range": 1}
    if suffix == "jsonl":
        expected["malformed_json"] = 1
    assert (report.accepted, report.quarantined) == (1, expected)
    assert report.sessions == ["competitor-promos-2025-11-11"]
    again = ingest([CompetitorPromoFile(path)], store, pseudonymiser, now=NOW)
    assert (again.accepted, again.duplicates) == (0, 1)


@pytest.mark.parametrize(
    ("keyword", "target", "reason"),
    [
        ("羽绒服涨价狂潮", "product sku-down-vest", "token 羽绒服 = title synonym (羽绒)"),
        ("羽绒服涨价狂潮", "category 服装", "token 羽绒服 → category 服装 (hint for 羽绒服)"),
        ("连帽衫怎么搭", "product sku-hoodie", "token 连帽衫 = title synonym (卫衣)"),
        ("卫衣穿搭", "product sku-hoodie", "token 卫衣 in product title"),
        ("暖织上新", "brand 暖织", "token 暖织 = brand"),
        ("洗发露测评", "product sku-shampoo", "token 洗发露 = title synonym (洗发水)"),
    ],
)
def test_trend_matches_keep_their_reason(
    catalog: list[Product], keyword: str, target: str, reason: str
) -> None:
    found = {m.target: m for m in match_trends([keyword], catalog)}
    assert target in found
    assert found[target].reason == reason
    assert 0 < found[target].score <= 1


def test_unrelated_keywords_match_nothing(catalog: list[Product]) -> None:
    matcher = TrendMatcher(catalog)
    assert matcher.match("以色列总理涉嫌战争罪被申请逮捕令") == []
    assert matcher.match("今天天气很好") == []


def test_real_board_titles_with_down_jackets_match_the_vest(
    shared_data: Path, catalog: list[Product]
) -> None:
    titles = [
        e.keyword  # type: ignore[attr-defined]
        for batch in _weibo(shared_data, date(2026, 1, 9))
        for e in batch.events
    ]
    down = [t for t in dict.fromkeys(titles) if "羽绒服" in t]
    assert down
    matched = {m.keyword for m in match_trends(titles, catalog) if m.product_id == "sku-down-vest"}
    assert set(down) <= matched


def _sales_jsonl(path: Path, start: datetime, hours: int) -> None:
    records = []
    for hour in range(hours):
        ts = start + timedelta(hours=hour, minutes=5)
        for n in range(3 + hour % 4):
            records.append(
                {
                    "type": "product.click",
                    "event_id": f"c-{hour}-{n}",
                    "ts": ts.isoformat(),
                    "room_id": "room-1",
                    "session_id": f"s-{hour // 24}",
                    "platform": "douyin",
                    "viewer_id": f"v{n}",
                    "product_id": "sku-down-vest",
                }
            )
    path.write_bytes(jsonl(records))


def test_cli_import_match_and_leadlag(
    shared_data: Path, tmp_path: Path, catalog: list[Product]
) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as opened:
        opened.put_reference(ReferenceData(products=catalog))
    runner = CliRunner()
    args = ["signals", "import", str(shared_data / BOARDS), "--format", "weibo-hot"]
    args += ["--db", str(db), "--since", "2026-01-09", "--until", "2026-01-10", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] > 2000

    result = runner.invoke(cli, ["signals", "match", "--db", str(db), "--min-score", "0.7"])
    assert result.exit_code == 0, result.output
    assert "→  product sku-down-vest  (token 羽绒服 = title synonym (羽绒))" in result.stdout

    sales = tmp_path / "sales.jsonl"
    _sales_jsonl(sales, datetime(2026, 1, 8, 16, tzinfo=UTC), hours=48)
    assert runner.invoke(cli, ["ingest", str(sales), "--db", str(db)]).exit_code == 0
    args = ["signals", "leadlag", "--db", str(db), "--keyword", "羽绒服"]
    result = runner.invoke(cli, [*args, "--category", "服装", "--max-lag-hours", "3"])
    assert result.exit_code == 0, result.output
    insight = json.loads(result.stdout)
    assert insight["kind"] == "trend_lead"
    assert insight["subject"] == "category 服装"
    assert insight["evidence"]["n"] == 48
    assert {"lag", "correlation", "p_adjusted", "granger_p"} <= set(insight["evidence"])
    assert 0 <= insight["confidence"] <= 1


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "promos.csv"
    bad.write_text("competitor,category,discount_pct,ts\n,,,\n", encoding="utf-8")
    db = str(tmp_path / "s.duckdb")
    args = ["signals", "import", str(bad), "--format", "competitor-promos", "--db", db]
    assert runner.invoke(cli, args).exit_code == EXIT_QUARANTINED
    result = runner.invoke(cli, ["signals", "leadlag", "--db", db, "--keyword", "x"])
    assert result.exit_code == 2  # neither --product nor --category
    missing = str(tmp_path / "none.duckdb")
    result = runner.invoke(cli, ["signals", "match", "--db", missing])
    assert result.exit_code == 1
    assert "does not exist" in result.output
