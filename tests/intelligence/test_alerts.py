"""Alert episodes from bands: a jump needs two minutes, a drift is a run of minutes off together,
an episode is updated (never repeated) until calm, and re-scoring gives the same ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from livelens.intelligence.alerts import AlertBook, AlertRule, alerts_of_session
from livelens.intelligence.anomaly import Band

START = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def band(minute: int, z: float, metric: str = "online") -> Band:
    expected, sd = 1000.0, 50.0
    return Band(
        metric=metric,
        minute=minute,
        observed=expected + z * sd,
        expected=expected,
        low=expected - 3 * sd,
        high=expected + 3 * sd,
        z_score=z,
        basis="history:5 sessions",
    )


def episodes(
    zs: list[float], rule: AlertRule | None = None
) -> list[tuple[str, str, int, int, str]]:
    alerts = alerts_of_session("room", "s1", START, [band(m, z) for m, z in enumerate(zs)], rule)
    return [(a.direction, a.trigger, a.opened_minute, a.last_minute, a.status) for a in alerts]


@pytest.mark.parametrize(
    ("zs", "expected"),
    [
        ([0, 0, 5, 0, 0, 0, 0], []),  # one minute out: no alert
        ([0, 0, -5, -5, -5, 0, 0, 0], [("below", "jump", 2, 7, "resolved")]),
        ([0, 4, 4, 0, 0], [("above", "jump", 1, 4, "open")]),
        ([0, -1.5, -1.5, -1.5, -1.5, -1.5, 0, 0, 0, 0], [("below", "drift", 1, 8, "resolved")]),
        ([0, 1, 1, 1, 1, 1, 0, 0], []),  # 5/√5 = 2.2σ together: not enough
        (
            [-5, -5, 0, 0, 0, 4, 4, 0],
            [("below", "jump", 0, 4, "resolved"), ("above", "jump", 5, 7, "open")],
        ),
    ],
)
def test_episodes(zs: list[float], expected: list[tuple[str, str, int, int, str]]) -> None:
    assert episodes(zs) == expected


def test_an_episode_is_updated_not_repeated_and_keeps_its_worst_minute() -> None:
    book = AlertBook()
    changes = [
        book.observe("room", "s1", START, band(m, z))
        for m, z in enumerate([0, -4, -4, -9, -4, 0, 0, 0])
    ]
    kinds = [c.change if c else None for c in changes]
    assert kinds == [None, None, "opened", "updated", "updated", "updated", "updated", "resolved"]
    final = changes[-1]
    assert final is not None
    assert {c.alert.alert_id for c in changes if c} == {final.alert.alert_id}
    assert final.alert.worst_z == -9
    assert final.alert.minutes_outside == 4
    assert final.alert.resolved_minute == 7


def test_rescoring_gives_the_same_ids_and_sessions_are_separate() -> None:
    zs = [0, 5, 5, 5, 0, 0, 0]
    first = alerts_of_session("room", "s1", START, [band(m, z) for m, z in enumerate(zs)])
    again = alerts_of_session("room", "s1", START, [band(m, z) for m, z in enumerate(zs)])
    other = alerts_of_session("room", "s2", START, [band(m, z) for m, z in enumerate(zs)])
    assert [a.alert_id for a in first] == [a.alert_id for a in again]
    assert {a.alert_id for a in first}.isdisjoint(a.alert_id for a in other)


def test_messages() -> None:
    (alert,) = alerts_of_session(
        "room", "s1", START, [band(m, z) for m, z in enumerate([0, -6, -6])]
    )
    assert (
        alert.message_zh == "在线人数低于预期：第2分钟起，实际700，预期1,000（正常区间850–1,150）"
    )
    assert (
        alert.message_en
        == "online viewers below expected from minute 2: 700 vs 1,000 (band 850–1,150)"
    )
    assert alert.opened_at == datetime(2026, 11, 11, 12, 1, tzinfo=UTC)
    drift_bands = [band(m, z) for m, z in enumerate([0, -1.5, -1.5, -1.5, -1.5, -1.5])]
    (drift,) = alerts_of_session("room", "s1", START, drift_bands)
    assert drift.message_zh == "在线人数持续低于预期：第2分钟起连续5分钟，实际925，预期1,000"
    assert (
        drift.message_en
        == "online viewers below expected for 5 minutes from minute 2: 925 vs 1,000"
    )


def test_bands_out_of_order_and_bad_rules_are_refused() -> None:
    book = AlertBook()
    book.observe("room", "s1", START, band(5, 0))
    with pytest.raises(ValueError, match="minute order"):
        book.observe("room", "s1", START, band(4, 0))
    with pytest.raises(ValueError, match="alert rule"):
        AlertRule(confirm_minutes=0)


def test_a_stricter_rule_needs_more() -> None:
    assert episodes([0, 4, 4, 0], AlertRule(z=5)) == []
    assert episodes([0, 4, 4, 4, 0, 0, 0, 0], AlertRule(confirm_minutes=3)) == [
        ("above", "jump", 1, 6, "resolved")
    ]
