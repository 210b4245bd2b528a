"""外部信号与销售 External signals and sales: the review lists the lead-lag scan's findings about
the session's products and categories, or says plainly why there are none.

The store with signals is a copy of the shared simulated session's store, plus the real Weibo
boards of 4–17 January 2026 and a simulated hourly sales history of the catalog whose 服装
clicks respond to 羽绒服's heat two hours later (as in tests/intelligence/test_leadlag_scan.py).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from report_session import GENERATED_AT, StoredSession

from livelens.events.columns import events_to_table
from livelens.events.pseudonymise import Pseudonymiser
from livelens.ingest import ingest
from livelens.intelligence.series import trend_series
from livelens.intelligence.signals import BEIJING, WeiboHotSearchFile
from livelens.reports import Review, load_review, render_html
from livelens.reports.decisions.signals import NO_SIGNALS
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl

START = datetime(2026, 1, 4, tzinfo=BEIJING)
HOURS = 14 * 24
KEY = Pseudonymiser(b"report-test-key-0123456789abcdef")


def _section(html: str) -> str:
    return html.split('<section id="signals">', 1)[1].split("</section>", 1)[0]


def _history(categories: dict[str, str], lift: np.ndarray, seed: int) -> bytes:
    """Hourly clicks (Poisson 6 × (1 + lift) in 服装, Poisson 6 elsewhere) of every product."""
    rng = np.random.default_rng(seed)
    records = []
    for product_id, category in sorted(categories.items()):
        rate = 6.0 * (1 + (lift if category == "服装" else 0.0))
        for hour, clicks in enumerate(rng.poisson(rate * np.ones(HOURS))):
            ts = (START + timedelta(hours=hour, minutes=10)).isoformat()
            records += [
                {
                    "type": "product.click",
                    "event_id": f"h-{product_id}-{hour}-{n}",
                    "ts": ts,
                    "room_id": "history",
                    "session_id": f"history-{hour // 24}",
                    "platform": "douyin",
                    "viewer_id": f"v{n}",
                    "product_id": product_id,
                }
                for n in range(clicks)
            ]
    return jsonl(records)


def _store_with_signals(
    stored_session: StoredSession, shared_data: Path, folder: Path, *, respond: bool
) -> Review:
    db = folder / "signals.duckdb"
    shutil.copy(stored_session.db, db)
    boards = WeiboHotSearchFile(
        shared_data / "trends/weibo_hot_search_hourly.parquet",
        since=date(2026, 1, 4),
        until=date(2026, 1, 17),
    )
    with DuckDBStore(db) as store:
        ingest([boards], store, KEY, now=GENERATED_AT)
        categories = {p.product_id: p.category for p in store.reference().products}
    trends = events_to_table([e for batch in boards for e in batch.events])
    heat = trend_series(trends, "羽绒服", start=START, end=START + HOURS * timedelta(hours=1))
    lift = np.zeros(HOURS)
    if respond:
        x = heat.array("heat")
        lift[2:] = 2.0 * x[:-2] / x.max()
    path = folder / "history.jsonl"
    path.write_bytes(_history(categories, lift, seed=1))
    with DuckDBStore(db) as store:
        ingest([JsonLinesFile(path)], store, KEY, now=GENERATED_AT)
        return load_review(store, stored_session.session_id, generated_at=GENERATED_AT)


def test_a_store_without_signals_says_so(review: Review, review_html: str) -> None:
    assert review.signals is not None
    assert review.signals.unavailable == NO_SIGNALS
    body = _section(review_html)
    assert "外部信号与销售" in body
    assert "no external signals stored" in body


@pytest.mark.parametrize("respond", [True, False])
def test_findings_about_the_session_catalog_are_listed(
    stored_session: StoredSession, shared_data: Path, tmp_path: Path, respond: bool
) -> None:
    review = _store_with_signals(stored_session, shared_data, tmp_path, respond=respond)
    section = review.signals
    assert section is not None
    assert section.unavailable is None
    assert section.tests >= 10  # clicks of the matched pairs (orders never vary here)
    body = _section(render_html(review))
    if not respond:
        assert len(section.findings) <= 1
        if not section.findings:
            assert f"共检验 {section.tests} 项，没有涉及本场商品或类目的显著发现" in body
            assert f"{section.tests} tests, none significant" in body
        return
    top = section.findings[0]
    assert top.subject == "category 服装"
    assert "上榜后2小时内，服装类点击上升" in top.text_zh
    assert top.q_value < 1e-6
    assert top.confidence is not None
    assert top.confidence > 0.99
    assert "上榜后2小时内，服装类点击上升" in body
    assert 'data-kind="trend_lead"' in body
    assert "q_value" in body  # the evidence table
