"""The alert facts (business intelligence in playbook conditions): an alert counts from the minute
after the scoring that raised it until the minute after the scoring that resolved it — what the
live knew when each minute began, never later knowledge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pyarrow as pa
import pytest

from livelens.comments.analyze import CommentAnalyzer
from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.alerts import Alert, AlertChange
from livelens.intelligence.stock import StockMoves, stock_left
from livelens.knowledge.facts import AlertSpan, alert_facts, alert_spans, facts_at
from livelens.knowledge.playbooks import parse_playbooks
from livelens.knowledge.recommender import Context, replay_session
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulator import build_session
from livelens.testing import make_event

START = datetime(2026, 11, 11, 12, tzinfo=UTC)


def alert(metric: str, direction: str, opened: int, last: int, **changes: object) -> Alert:
    found = Alert(
        alert_id=f"al-{metric}-{opened}",
        room_id="r",
        session_id="s",
        metric=metric,
        direction=direction,  # type: ignore[arg-type]
        trigger="drift",
        opened_minute=opened,  # a drift is dated back to where it began
        opened_at=START + timedelta(minutes=opened),
        last_minute=last,
        minutes_outside=0,
        worst_z=-4.0,
        observed=0.0,
        expected=1.0,
        low=0.5,
        high=1.5,
        basis="test",
    )
    return msgspec.structs.replace(found, **changes)


CHANGES = [
    AlertChange(change="opened", alert=alert("online", "below", opened=5, last=9)),
    AlertChange(change="updated", alert=alert("online", "below", opened=5, last=10)),
    AlertChange(change="opened", alert=alert("gmv", "above", opened=11, last=12)),
    AlertChange(
        change="resolved",
        alert=alert("online", "below", opened=5, last=14, status="resolved", resolved_minute=14),
    ),
]


def test_alert_spans_keep_when_the_live_knew() -> None:
    assert alert_spans(CHANGES) == [
        AlertSpan(
            alert_id="al-online-5",
            metric="online",
            direction="below",
            raised_minute=9,
            resolved_minute=14,
        ),
        AlertSpan(alert_id="al-gmv-11", metric="gmv", direction="above", raised_minute=12),
    ]


@pytest.mark.parametrize(
    ("minute", "expected"),
    [
        (5, {"alert_open": False}),  # the drift began here, but nobody knew yet
        (9, {"alert_open": False}),  # minute 9's scoring raises it once minute 9 is complete
        (10, {"alert_open": True, "alert_open.online": "below"}),
        (13, {"alert_open": True, "alert_open.online": "below", "alert_open.gmv": "above"}),
        (14, {"alert_open": True, "alert_open.online": "below", "alert_open.gmv": "above"}),
        (15, {"alert_open": True, "alert_open.gmv": "above"}),
    ],
)
def test_alert_facts_at_each_minute(minute: int, expected: dict[str, object]) -> None:
    assert alert_facts(alert_spans(CHANGES), minute) == expected


def test_a_playbook_on_an_alert_fires_once_it_is_known() -> None:
    config = SimulationConfig(minutes=20, peak_viewers=200, seed=3)
    session = build_session(config)
    names = [p.title for p in session.reference.products]
    metrics = compute_session_metrics(
        events_to_table(list(session.events())), comment_intents=CommentAnalyzer(names).intents
    )
    cue = parse_playbooks(
        """
id: viewers-leaving
version: 1
title: {zh: 观众流失, en: Viewers leaving}
cooldown_minutes: 1
when: [{fact: alert_open.online, op: "==", value: below}]
action: {kind: script_cue, script: {zh: 留人, en: Hold them}}
""",
        "test",
    )
    context = Context(
        room_id=metrics.room_id,
        platform=metrics.platform,
        session_id=metrics.session_id,
        started_at=metrics.started_at,
        products={p.product_id: p for p in session.reference.products},
        personas={},
        licences={},
        prices={},
        uplift={},
    )
    spans = alert_spans(CHANGES)
    fired = replay_session(cue, metrics, session.reference, context, alerts=spans)
    assert [r.minute for r in fired.recommendations] == [10, 11, 12, 13, 14]
    assert replay_session(cue, metrics, session.reference, context).recommendations == []
    assert (
        facts_at(metrics, 12, session.reference, stock=StockMoves())["alert_open"] is False
    )  # none followed


def test_the_hot_products_stock_follows_stock_set_and_the_units_paid() -> None:
    session = build_session(SimulationConfig(minutes=20, peak_viewers=300, seed=3))
    names = [p.title for p in session.reference.products]
    events = events_to_table(list(session.events()))
    metrics = compute_session_metrics(events, comment_intents=CommentAnalyzer(names).intents)
    t = 12
    hot = facts_at(metrics, t, session.reference, stock=StockMoves())["hot_product"]
    product = next(p for p in session.reference.products if p.product_id == hot)
    minute_start = metrics.started_at.replace(second=0, microsecond=0) + timedelta(minutes=t)
    restock = make_event(
        "stock.set",
        event_id="restock",
        ts=minute_start.isoformat(),
        room_id=metrics.room_id,
        session_id=metrics.session_id,
        platform=metrics.platform,
        product_id=hot,
        stock=150,
    )
    stock = StockMoves()
    stock.add(events)
    stock.add(events_to_table([restock]))  # arrives late: it takes its place by time
    with_restock = pa.concat_tables([events, events_to_table([restock])])

    def paid_units(start: datetime, end: datetime) -> int:
        orders = [
            e
            for e in session.events()
            if e.__struct_config__.tag == "order.paid"
            and getattr(e, "product_id", None) == hot
            and start <= e.ts < end  # type: ignore[operator]
        ]
        return sum(e.quantity for e in orders)  # type: ignore[attr-defined]

    before = facts_at(metrics, t - 1, session.reference, stock=stock)["hot_product.stock"]
    assert before == max(0, product.stock - paid_units(metrics.started_at, minute_start))
    after = facts_at(metrics, t, session.reference, stock=stock)["hot_product.stock"]
    in_minute = paid_units(minute_start, minute_start + timedelta(minutes=1))
    assert after == 150 - in_minute
    # the same rule as the price suggestions' stock left
    assert after == stock_left(with_restock, product, minute_start + timedelta(seconds=59.999999))
    assert facts_at(metrics, t, session.reference, stock=StockMoves())["hot_product.stock"] == (
        product.stock  # no moves given: the catalog stock stands
    )
