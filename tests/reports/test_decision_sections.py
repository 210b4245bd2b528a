"""The review's decision sections show what the intelligence and knowledge modules find — the
alerts of a scan, the estimator's price response and suggestion, the nowcasts' record, the
replay's recommendations and the ledger — and each says plainly when its data are missing."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import msgspec
import numpy as np
import pytest
from report_session import GENERATED_AT, StoredRoom, StoredSession

from livelens.events.pseudonymise import Pseudonymiser
from livelens.information.compute import compute_session_metrics
from livelens.ingest import ingest
from livelens.intelligence.alert_scan import scan_session
from livelens.intelligence.alert_store import AlertStore
from livelens.intelligence.nowcast import nowcast_products
from livelens.intelligence.price_guardrails import Guardrails
from livelens.intelligence.pricing import suggest_for_product
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.playbooks import starter_playbooks
from livelens.knowledge.replay import recommend_session
from livelens.knowledge.uplift import Outcome, estimate_uplift
from livelens.reports import Review, build_review, load_review, render_html
from livelens.reports.decisions.nowcasts import WARMUP_MINUTES
from livelens.reports.decisions.pricing import PRICED_PRODUCTS
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.duckdb import DuckDBStore
from livelens.testing import T0, event_record, jsonl

HEADINGS = ("异常告警", "价格与弹性", "需求预测", "跨场需求预测", "建议与结果", "外部信号与销售")


def _section(html: str, anchor: str) -> str:
    return html.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]


def _copy(stored_room: StoredRoom, folder: Path) -> Path:
    db = folder / "copy.duckdb"
    shutil.copy(stored_room.db, db)
    return db


def _tables(db: Path) -> set[str]:
    with DuckDBStore(db) as store:
        found = store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    return {row[0] for row in found}


def test_alert_rows_are_what_the_scan_finds_with_who_acknowledged(
    stored_room: StoredRoom, tmp_path: Path
) -> None:
    db = _copy(stored_room, tmp_path)
    with DuckDBStore(db) as store:
        scan = scan_session(store, stored_room.second)
        assert scan.alerts, "the fixture's second session has alerts to show"
        acked = scan.alerts[0]
        AlertStore(store.con).acknowledge(acked.alert_id, "场控小王", GENERATED_AT)
        review = load_review(store, stored_room.second, generated_at=GENERATED_AT)
    section = review.alerts
    assert section is not None
    assert section.history == scan.history == [stored_room.first]
    assert [row.alert for row in section.rows] == scan.alerts
    assert section.stored_only == []
    assert {row.alert.alert_id: row.acked_by for row in section.rows} == {
        a.alert_id: "场控小王" if a is acked else None for a in scan.alerts
    }
    marks = [(s.start_minute, s.end_minute, s.key) for s in review.curves.alerts]
    assert marks == [(a.opened_minute, a.last_minute + 1, a.metric) for a in scan.alerts]
    html = _section(render_html(review), "alerts")
    assert html.count("<tr>") == 1 + len(scan.alerts)
    for alert in scan.alerts:
        assert escape(alert.message_zh) in html
        assert escape(alert.message_en) in html
        assert f"第{alert.opened_minute + 1}–{alert.last_minute + 1}分钟" in html
    assert "场控小王" in html
    assert html.count("未确认") == len(scan.alerts) - 1
    assert f"之前的 1 场直播（{stored_room.first}）" in html


def test_writing_a_review_stores_no_alert(stored_room: StoredRoom, room_review: Review) -> None:
    assert room_review.alerts is not None
    assert room_review.alerts.rows
    assert "alerts" not in _tables(stored_room.db)


def test_the_first_session_of_a_room_has_no_baseline_and_says_so(
    review: Review, review_html: str
) -> None:
    assert review.alerts is not None
    assert review.alerts.history == []
    html = _section(review_html, "alerts")
    assert "本直播间没有更早的场次，因此没有基线" in html
    assert "This room has no earlier sessions, so there is no baseline" in html


def test_price_rows_are_the_estimators_own(stored_room: StoredRoom, room_review: Review) -> None:
    """Over the room's sessions up to this one, with every event (the report hands the estimator
    only the rows it reads): the same response and suggestion, product by product."""
    section = room_review.pricing
    assert section is not None
    assert section.unavailable is None
    assert section.sessions == [stored_room.first, stored_room.second]
    assert room_review.products is not None
    shown = [p.product_id for p in room_review.products][:PRICED_PRODUCTS]
    assert [row.product_id for row in section.rows] == shown
    with DuckDBStore(stored_room.db) as store:
        products = store.reference().products
        ended = next(s.ended_at for s in store.sessions() if s.session_id == stored_room.second)
        sessions = [store.events(stored_room.first), store.events(stored_room.second)]
    for row in section.rows:
        floor = next(p.floor_price_minor for p in products if p.product_id == row.product_id)
        response, suggestion = suggest_for_product(
            sessions,
            products,
            row.product_id,
            session_events=sessions[-1],
            as_of=ended,
            rails=Guardrails(floor_price_minor=floor),
        )
        assert row.response == response, row.product_id
        assert row.suggestion == suggestion, row.product_id
    html = _section(render_html(room_review), "pricing")
    statuses = {row.response.status for row in section.rows}
    assert statuses == {"ok", "insufficient"}, "the fixture has products of both kinds"
    for row in section.rows:
        assert escape(row.suggestion.reason) in html
        effect = row.response.discount_effect
        if effect is not None:
            assert f"×{effect.value:.2f} <small>[{effect.low:.2f} – {effect.high:.2f}]" in html
        if row.response.status == "insufficient":
            assert escape(row.response.reason or "?") in html
    assert html.count("cannot support an estimate") == sum(
        row.response.status == "insufficient" for row in section.rows
    )


def test_nowcast_coverage_matches_an_independent_count(
    stored_room: StoredRoom, room_review: Review
) -> None:
    """Each minute's nowcast from the public per-product call on the minutes before it, counted
    here one by one against the orders that followed."""
    section = room_review.nowcasts
    assert section is not None
    assert section.unavailable is None
    with DuckDBStore(stored_room.db) as store:
        metrics = compute_session_metrics(store.events(stored_room.second))
    complete = metrics.minutes - 1
    assert section.complete_minutes == complete == 29
    assert section.too_short == [30]
    nowcasts = {t: nowcast_products(metrics, as_of_minute=t) for t in range(WARMUP_MINUTES, 30)}
    pooled: dict[int, list[bool]] = {}
    for score in section.scores:
        h = score.horizon_minutes
        if score.product_id is None:
            assert score.coverage80 == pytest.approx(np.mean(pooled[h]))
            continue
        inside80, inside95, errors = [], [], []
        for t in range(WARMUP_MINUTES, complete - h + 1):
            made = next(
                n.orders
                for n in nowcasts[t]
                if n.product_id == score.product_id and n.horizon_minutes == h
            )
            actual = sum(metrics.product_series[score.product_id].orders[t : t + h])
            inside80.append(made.lo80 <= actual <= made.hi80)
            inside95.append(made.lo95 <= actual <= made.hi95)
            errors.append(abs(made.point - actual))
        pooled.setdefault(h, []).extend(inside80)
        assert score.checks == len(inside80) > 0
        assert 0.0 <= score.coverage80 <= 1.0
        assert score.coverage80 == pytest.approx(np.mean(inside80))
        assert score.coverage95 == pytest.approx(np.mean(inside95))
        assert score.mae == pytest.approx(np.mean(errors), abs=1e-3)  # points kept to 3 places
    assert sorted(pooled) == [5, 15]
    html = _section(render_html(room_review), "nowcasts")
    assert html.count("<tr>") == 1 + len(section.scores)
    assert "本场太短，无法检验 30 分钟的预测" in html


def test_recommendations_are_the_replays_with_their_fate_and_outcome(
    stored_room: StoredRoom, tmp_path: Path
) -> None:
    db = _copy(stored_room, tmp_path)
    playbooks = starter_playbooks()
    outcome = Outcome(
        metric="gmv_per_minute",
        effect=0.125,
        se=0.05,
        window_minutes=5,
        pre_minutes=10,
        design="before/after within the session",
    )
    with DuckDBStore(db) as store:
        first = recommend_session(store, stored_room.second, playbooks)
        assert first.recommendations, "the fixture's second session has recommendations"
        chosen = first.recommendations[0]
        ledger = Ledger(store.con)
        ledger.record(first.recommendations)
        ledger.set_fate(chosen.recommendation_id, "accepted", "经理李", GENERATED_AT)
        ledger.set_outcome(chosen.recommendation_id, outcome)
        replay = recommend_session(store, stored_room.second, playbooks)  # now with an estimate
        review = load_review(store, stored_room.second, generated_at=GENERATED_AT)
    section = review.recommendations
    assert section is not None
    assert section.unavailable is None
    assert section.playbooks == [p.key for p in playbooks]
    assert section.recommendations == replay.recommendations
    assert section.withheld == replay.withheld
    fates = {e.recommendation.recommendation_id: (e.fate, e.fate_by) for e in section.ledger}
    assert fates[chosen.recommendation_id] == ("accepted", "经理李")
    assert {fate for fate, _ in fates.values()} == {"accepted", "pending"}
    playbook_id = chosen.playbook.split("@")[0]
    assert section.estimates == [estimate_uplift(playbook_id, [outcome])]
    html = _section(render_html(review), "recommendations")
    table = html.split('<table class="recommendations">', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(replay.recommendations)
    for made, row in zip(replay.recommendations, rows, strict=True):
        assert escape(made.text_zh) in row
        assert '<div class="why">为什么' in row  # the evidence chain, in words
        for item in made.evidence:
            assert f'<li>{escape(item["zh"])} <span class="en">{escape(item["en"])}</span>' in row
        assert escape(made.playbook) in row
        assert f"第{made.minute + 1}分钟 <small>" in row
        if made.expected_uplift.source == "unknown":
            assert "未知 <span" in row
        else:
            assert f"{made.expected_uplift.value:+.1%}" in row
        if made.recommendation_id == chosen.recommendation_id:
            assert "已采纳" in row
            assert "经理李" in row
            assert "+12.5% ± 9.8%" in row
        else:
            assert "待定" in row
    for withheld in replay.withheld:
        assert escape(withheld.reason) in html
    estimate = section.estimates[0]
    assert f"{estimate.mean:+.1%} <small>[{estimate.low:+.1%}, {estimate.high:+.1%}]" in html
    assert html.count("尚无测量结果") == len(playbooks) - 1


def test_a_session_without_catalog_or_products_says_so_in_every_section(tmp_path: Path) -> None:
    records = []
    for second in range(0, 600, 10):
        ts = int((T0.timestamp() + second) * 1000)
        records.append(event_record("online.count", ts=ts, count=100 + second))
        records.append(event_record("comment", ts=ts, text="多少钱"))
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl(records))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        ingest([JsonLinesFile(path)], store, Pseudonymiser(b"k" * 32), now=GENERATED_AT)
        review = load_review(store, "session-1", generated_at=GENERATED_AT)
    assert review.alerts is not None
    assert review.alerts.minutes_scored == 0
    assert review.pricing is not None
    assert (
        review.pricing.unavailable == "the store has no catalog (no floor prices to guard a price)"
    )
    assert review.nowcasts is not None
    assert review.nowcasts.unavailable == "no product events in this session"
    assert review.recommendations is not None
    assert "the store has no catalog" in (review.recommendations.unavailable or "")
    html = render_html(review)
    assert "No minute could be scored" in _section(html, "alerts")
    for anchor, reason in (
        ("pricing", review.pricing.unavailable),
        ("nowcasts", review.nowcasts.unavailable),
        ("recommendations", review.recommendations.unavailable),
    ):
        assert f"不可用 not available — {escape(reason or '?')}" in _section(html, anchor)


def test_a_review_built_without_its_store_says_the_sections_were_not_read(
    stored_session: StoredSession, review: Review
) -> None:
    bare = build_review(
        stored_session.analysis,
        stored_session.names,
        review.hot_words,
        hot_words_window_minutes=5,
        generated_at=GENERATED_AT,
    )
    assert bare.alerts is bare.pricing is bare.nowcasts is bare.recommendations is None
    assert bare.outlook is bare.signals is None
    html = render_html(bare)
    for heading in HEADINGS:
        assert f"<h2>{heading} " in html
    assert html.count("not read: the review was built without its store") == 6


def test_every_decision_heading_is_in_the_review(review_html: str) -> None:
    for heading in HEADINGS:
        assert f"<h2>{heading} " in review_html
    assert "not read" not in review_html
    assert review_html.index("<h2>建议与结果 ") < review_html.index("<h2>洞察与证据 ")


def test_the_review_with_its_decisions_is_plain_data(room_review: Review) -> None:
    """Ready to be served as JSON by the API: it encodes and decodes back to itself."""
    encoded = msgspec.json.encode(room_review)
    assert msgspec.json.decode(encoded, type=Review) == room_review


def test_a_session_missing_from_the_session_list_still_gets_its_review(
    stored_session: StoredSession, tmp_path: Path
) -> None:
    """Events stored but the session list not refreshed: each decision section says why."""
    db = tmp_path / "stale.duckdb"
    shutil.copy(stored_session.db, db)
    with DuckDBStore(db) as store:
        store.con.execute("DELETE FROM sessions")
        review = load_review(store, stored_session.session_id, generated_at=GENERATED_AT)
    assert review.alerts is not None
    assert review.pricing is not None
    assert review.recommendations is not None
    reasons = [
        review.alerts.unavailable,
        review.pricing.unavailable,
        review.recommendations.unavailable,
    ]
    assert all(reasons), reasons
    html = render_html(review)
    for anchor, reason in zip(("alerts", "pricing", "recommendations"), reasons, strict=True):
        assert f"不可用 not available — {escape(reason or '?')}" in _section(html, anchor)
    assert review.nowcasts is not None
    assert review.nowcasts.scores  # read from the events, not the session list
