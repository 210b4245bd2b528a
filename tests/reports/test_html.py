"""The HTML review shows what the analysis found: the numbers, every insight, the names."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from pathlib import Path

import msgspec
import pytest
from report_session import GENERATED_AT, StoredSession

from livelens import __version__
from livelens.comments.intents import INTENT_LABELS
from livelens.events.pseudonymise import Pseudonymiser
from livelens.information.detectors import phrasing as say
from livelens.ingest import ingest
from livelens.reports import Review, build_review, load_review, render_html
from livelens.reports.review import CONCERN_NAMES
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import T0, event_record, jsonl


def _cards(html: str) -> dict[str, str]:
    found = re.findall(r'data-metric="(\w+)">.*?<div class="value">(.*?)</div>', html)
    return dict(found)


def test_headline_numbers_match_the_analysis(
    stored_session: StoredSession, review_html: str
) -> None:
    totals = stored_session.analysis.metrics.totals
    funnel = stored_session.analysis.metrics.funnel
    assert funnel is not None
    assert totals.avg_watch_time_s is not None
    assert None not in (totals.orders, totals.gmv_minor, totals.ctr, totals.gpm_minor)
    minutes, seconds = divmod(round(totals.avg_watch_time_s), 60)
    expected = {
        "viewers": f"{totals.unique_viewers:,}",
        "peak_online": f"{totals.peak_online:,}",
        "avg_watch_time": f"{minutes}分{seconds:02d}秒",
        "comments": f"{totals.comments:,}",
        "orders": f"{totals.orders:,}",
        "gmv": f"¥{(totals.gmv_minor or 0) / 100:,.2f}",
        "ctr": f"{(totals.ctr or 0) * 100:.1f}%",
        "conversion": f"{funnel.ordered / funnel.clicked * 100:.1f}%",
        "gpm": f"¥{(totals.gpm_minor or 0) / 100:,.2f}",
        "aov": f"¥{(totals.aov_minor or 0) / 100:,.2f}",
    }
    assert _cards(review_html) == {key: escape(value) for key, value in expected.items()}


def test_every_insight_is_shown_with_its_evidence(
    stored_session: StoredSession, review_html: str
) -> None:
    insights = stored_session.analysis.insights
    assert len(insights) >= 3
    articles = review_html.split('<article class="insight"')[1:]
    assert len(articles) == len(insights)
    for insight, article in zip(insights, articles, strict=True):
        assert escape(insight.text_zh) in article
        assert escape(insight.text_en) in article
        for key in insight.evidence:
            assert re.search(rf"<th>{re.escape(escape(key))}(\.|\[|<)", article), key
        if insight.confidence is not None:
            assert f"置信度 confidence {say.percent(insight.confidence)}" in article


def test_products_personas_and_concerns_are_named(
    stored_session: StoredSession, review_html: str
) -> None:
    metrics = stored_session.analysis.metrics
    assert metrics.products
    assert metrics.personas
    for product in metrics.products:
        assert escape(stored_session.names[product.product_id]) in review_html
    for persona in metrics.personas:
        assert stored_session.names[persona.persona_id] in review_html
    for zh, en in CONCERN_NAMES.values():
        assert f'{zh} <span class="en">{escape(en)}</span>' in review_html
    for heading in (
        "核心指标",
        "分钟曲线",
        "转化漏斗",
        "商品表现",
        "主播对比",
        "评论关注点",
        "热词",
    ):
        assert f"<h2>{heading} " in review_html


def test_products_are_sorted_by_gmv_with_catalog_titles(
    review: Review, stored_session: StoredSession, review_html: str
) -> None:
    assert review.products
    gmv = [p.gmv_minor for p in review.products]
    assert gmv == sorted(gmv, reverse=True)
    section = review_html.split('<section id="products">', 1)[1].split("</section>", 1)[0]
    positions = [section.index(f"<td>{escape(p.title)}</td>") for p in review.products]
    assert positions == sorted(positions)
    assert {p.title for p in review.products} <= set(stored_session.names.values())


def test_concern_shares_are_of_comments_and_of_questions(
    stored_session: StoredSession, review: Review
) -> None:
    concerns = stored_session.analysis.metrics.series.concerns
    questions = sum(concerns["?"])
    price = next(r for r in review.concerns if r.label == "price")
    assert price.comments == sum(concerns["price"]) > 0
    assert price.share_of_comments == price.comments / review.comments
    assert price.share_of_questions == sum(concerns["?price"]) / questions
    assert {r.label for r in review.concerns} == set(INTENT_LABELS) == set(CONCERN_NAMES)


def test_hot_words_cover_the_session_in_windows(review: Review, review_html: str) -> None:
    assert review.hot_words_window_minutes == 5
    spans = [(w.start_minute, w.end_minute) for w in review.hot_words]
    assert spans == [(0, 5), (5, 10), (10, 15), (15, 20)]
    words = [h.word for w in review.hot_words for h in w.words]
    assert words, "a 20-minute session with a planted peak has hot words"
    assert all(f"{escape(word)}<small>" in review_html for word in words)


def test_the_file_is_self_contained(review_html: str) -> None:
    lowered = review_html.lower()
    for forbidden in ("http://", "https://", "<script", "<link", " src=", "@import"):
        assert forbidden not in lowered, forbidden
    assert re.findall(r"url\((?!#)", lowered) == []
    assert lowered.count("<svg") == 2


def test_footer_says_when_what_and_that_it_is_generated(review_html: str) -> None:
    footer = review_html.split("<footer>", 1)[1]
    assert GENERATED_AT.isoformat(sep=" ") in footer
    assert f"livelens {__version__}" in footer
    assert "sim-3" in footer
    assert "本报告由 livelens 自动生成 (AI-generated analysis)" in footer


def test_text_from_the_data_is_escaped(stored_session: StoredSession, review: Review) -> None:
    product_id = stored_session.analysis.metrics.products[0].product_id  # type: ignore[index]
    names = {**stored_session.names, product_id: '<b onmouseover="x">A&B</b>'}
    html = render_html(
        build_review(
            stored_session.analysis,
            names,
            review.hot_words,
            hot_words_window_minutes=5,
            generated_at=GENERATED_AT,
        )
    )
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;A&amp;B&lt;/b&gt;" in html


def test_generated_at_must_be_timezone_aware(stored_session: StoredSession) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_review(
            stored_session.analysis,
            {},
            [],
            hot_words_window_minutes=5,
            generated_at=datetime(2026, 11, 12, 9, 30),  # noqa: DTZ001 - the error under test
        )


def test_a_recording_without_products_says_why_instead_of_zero(tmp_path: Path) -> None:
    """Like the real Bilibili recording: comments and platform online counts, no shop."""
    records = []
    for second in range(0, 600, 10):
        ts = T0.timestamp() + second
        records.append(event_record("online.count", ts=int(ts * 1000), count=100 + second))
        records.append(event_record("comment", ts=int(ts * 1000), text="多少钱<b>"))
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl(records))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        ingest([JsonLinesFile(path)], store, Pseudonymiser(b"k" * 32), now=GENERATED_AT)
        review = load_review(store, "session-1", generated_at=GENERATED_AT)
    headline = {m.key: m for m in review.headline}
    for key in ("orders", "gmv", "ctr", "conversion", "gpm", "aov"):
        assert headline[key].value is None
        assert "no product events" in (headline[key].note or "")
    assert headline["peak_online"].value == 690
    assert review.products is None
    assert review.funnel is None
    html = render_html(review)
    assert _cards(html)["gmv"] == "—"
    assert html.count("不可用 not available — no product events") >= 2  # funnel and products
    assert "多少钱<b>" not in html
    assert msgspec.json.encode(review)  # the review is plain data, ready for the API
