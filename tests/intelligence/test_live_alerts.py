"""Alerts while on air: scoring the minutes as they complete gives the alerts a post-live scan
gives, and a stop in sales opens an alert before the session ends."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from livelens.events.columns import events_to_table
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.alerts import alerts_of_session
from livelens.intelligence.anomaly import MinuteHistory, fit_baseline, history_of, session_bands
from livelens.intelligence.live_alerts import LiveAlerter
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulator import build_session


def session_events(seed: int, day: int) -> pa.Table:
    config = SimulationConfig(
        minutes=40,
        peak_viewers=300,
        seed=seed,
        session_id=f"day-{day}",
        start=DEFAULT_START + timedelta(days=day),
    )
    return events_to_table(list(build_session(config).events()))


@pytest.fixture(scope="module")
def history() -> list[MinuteHistory]:
    return [
        history_of(compute_session_metrics(session_events(s, d))) for d, s in enumerate((1, 2, 3))
    ]


@pytest.fixture(scope="module")
def live() -> pa.Table:
    events = session_events(4, 3)
    start = DEFAULT_START + timedelta(days=3)
    stopped = pc.and_(
        pc.equal(events["type"], "order.paid"),
        pc.and_(
            pc.greater_equal(
                events["ts"], pa.scalar(start + timedelta(minutes=20), events["ts"].type)
            ),
            pc.less(events["ts"], pa.scalar(start + timedelta(minutes=30), events["ts"].type)),
        ),
    )
    return events.filter(pc.invert(stopped))


def test_live_scoring_matches_the_post_live_scan(
    history: list[MinuteHistory], live: pa.Table
) -> None:
    asked: list[tuple[str, str]] = []

    def earlier(room_id: str, session_id: str) -> list[MinuteHistory]:
        asked.append((room_id, session_id))
        return history

    alerter = LiveAlerter(earlier)
    start = DEFAULT_START + timedelta(days=3)
    latest = {}
    opened_at_cutoff: dict[str, int] = {}
    for cutoff in range(5, 45, 5):  # the live so far, every 5 minutes
        until = pa.scalar(start + timedelta(minutes=cutoff), live["ts"].type)
        so_far = compute_session_metrics(live.filter(pc.less(live["ts"], until)))
        for change in alerter.update(so_far):
            latest[change.alert.alert_id] = change.alert
            opened_at_cutoff.setdefault(change.alert.alert_id, cutoff)
    assert asked == [("sim-room-1", "day-3")]  # the baseline is fitted once per session
    full = history_of(compute_session_metrics(live))
    batch = alerts_of_session(
        "sim-room-1", "day-3", full.started_at, session_bands(full, fit_baseline(history))
    )
    # the live run never scores the session's last minute (it is still open when the live ends)
    comparable = {a.alert_id for a in batch if a.opened_minute < full.minutes - 2}
    assert comparable <= set(latest)
    stop = [a for a in latest.values() if a.metric == "conversion" and a.direction == "below"]
    assert len(stop) == 1
    assert 20 <= stop[0].opened_minute <= 25
    assert opened_at_cutoff[stop[0].alert_id] <= 30  # raised while the sales were still stopped


def test_open_alerts_and_forget(history: list[MinuteHistory], live: pa.Table) -> None:
    alerter = LiveAlerter(lambda _room, _session: history)
    start = DEFAULT_START + timedelta(days=3)
    until = pa.scalar(start + timedelta(minutes=28), live["ts"].type)
    alerter.update(compute_session_metrics(live.filter(pc.less(live["ts"], until))))
    open_now = alerter.open_alerts("day-3")
    assert any(a.metric == "conversion" and a.direction == "below" for a in open_now)
    assert all(a.status == "open" for a in open_now)
    alerter.forget("day-3")
    assert alerter.open_alerts("day-3") == []
