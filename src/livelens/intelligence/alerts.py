"""Anomaly alerts: minutes outside their band (:mod:`~livelens.intelligence.anomaly`) become
alerts, one per episode, not one per minute.

An episode of one metric opens when either

* the last ``confirm_minutes`` minutes all fell outside the band on the same side (a jump), or
* the last ``drift_minutes`` minutes together sit ``z`` standard deviations off (Stouffer's sum of
  their z-scores over √n) and most of them lean that way by one standard deviation — a drift that
  no single minute shows, such as a small room that stops selling for five minutes (one wild
  minute alone is not a drift: it needs its confirming minute);

and it stays open — updated, never repeated — until ``clear_minutes`` minutes in a row are back
in the band (for a drift: no longer leaning its way by one standard deviation). The alert id is
derived from the room, session, metric, side and opening minute, so scoring the same minutes
again yields the same alerts (the store upserts them by id).

Pure: :class:`AlertBook` takes bands in minute order and returns what changed.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from datetime import datetime, timedelta
from typing import Final, Literal

import msgspec

from livelens.intelligence.anomaly import Z_DEFAULT, Band

Direction = Literal["above", "below"]
Change = Literal["opened", "updated", "resolved"]

_LABELS: Final = {
    "online": ("在线人数", "online viewers"),
    "gmv": ("每分钟GMV", "GMV per minute"),
    "conversion": ("转化率", "conversion"),
}


class AlertRule(msgspec.Struct, kw_only=True, frozen=True):
    z: float = Z_DEFAULT
    confirm_minutes: int = 2
    drift_minutes: int = 5
    clear_minutes: int = 3

    def __post_init__(self) -> None:
        if self.z <= 0 or min(self.confirm_minutes, self.drift_minutes, self.clear_minutes) < 1:
            msg = f"alert rule: z must be > 0 and every minute count ≥ 1, got {self}"
            raise ValueError(msg)


class Alert(msgspec.Struct, kw_only=True, frozen=True):
    alert_id: str
    room_id: str
    session_id: str
    metric: str
    direction: Direction
    trigger: str  # "jump" (minutes outside the band) or "drift" (a run of minutes off together)
    opened_minute: int
    opened_at: datetime
    last_minute: int
    minutes_outside: int
    worst_z: float
    observed: float  # at the worst minute
    expected: float
    low: float
    high: float
    basis: str
    status: Literal["open", "resolved"] = "open"
    resolved_minute: int | None = None

    @property
    def minutes(self) -> int:
        return self.last_minute - self.opened_minute + 1

    @property
    def message_zh(self) -> str:
        name = _LABELS.get(self.metric, (self.metric, self.metric))[0]
        side = "高于" if self.direction == "above" else "低于"
        seen = (
            f"实际{_number(self.metric, self.observed)}，预期{_number(self.metric, self.expected)}"
        )
        if self.trigger == "drift":  # no single minute need leave the band: say how long
            start = f"第{self.opened_minute + 1}分钟起连续{self.minutes}分钟"
            return f"{name}持续{side}预期：{start}，{seen}"
        band = f"{_number(self.metric, self.low)}–{_number(self.metric, self.high)}"
        return f"{name}{side}预期：第{self.opened_minute + 1}分钟起，{seen}（正常区间{band}）"

    @property
    def message_en(self) -> str:
        name = _LABELS.get(self.metric, (self.metric, self.metric))[1]
        seen = f"{_number(self.metric, self.observed)} vs {_number(self.metric, self.expected)}"
        if self.trigger == "drift":
            return (
                f"{name} {self.direction} expected for {self.minutes} minutes "
                f"from minute {self.opened_minute + 1}: {seen}"
            )
        band = f"{_number(self.metric, self.low)}–{_number(self.metric, self.high)}"
        start = f"from minute {self.opened_minute + 1}"
        return f"{name} {self.direction} expected {start}: {seen} (band {band})"


def _number(metric: str, value: float) -> str:
    if metric == "conversion":
        return f"{value:.2%}"
    if metric == "gmv":
        return f"¥{value / 100:,.0f}"
    return f"{value:,.0f}"


def alert_id_of(room_id: str, session_id: str, metric: str, direction: str, minute: int) -> str:
    key = f"{room_id}\x1f{session_id}\x1f{metric}\x1f{direction}\x1f{minute}"
    return "al_" + hashlib.sha256(key.encode()).hexdigest()[:16]


class AlertChange(msgspec.Struct, kw_only=True, frozen=True):
    change: Change
    alert: Alert


def _leans(band: Band, side: Direction) -> bool:
    """The minute sits at least one standard deviation off on ``side``."""
    return band.z_score >= 1.0 if side == "above" else band.z_score <= -1.0


def _drift_start(run: list[Band], side: Direction) -> int:
    """The first minute of the run's unbroken tail of minutes leaning to ``side``."""
    start = run[-1].minute
    for band in reversed(run):
        if not _leans(band, side):
            break
        start = band.minute
    return start


class _Track:
    """One session's metric: recent bands and the open episode, if any."""

    def __init__(self, size: int) -> None:
        self.recent: deque[Band] = deque(maxlen=size)
        self.open: Alert | None = None
        self.calm = 0


class AlertBook:
    """Turns bands into alert episodes; feed each (session, metric) its bands in minute order."""

    def __init__(self, rule: AlertRule | None = None) -> None:
        self.rule = rule or AlertRule()
        self._tracks: dict[tuple[str, str], _Track] = {}

    def _side(self, band: Band) -> Direction | None:
        if band.z_score >= self.rule.z and band.outside:
            return "above"
        if band.z_score <= -self.rule.z and band.outside:
            return "below"
        return None

    def _trigger(self, track: _Track) -> tuple[str, Direction] | None:
        rule = self.rule
        recent = list(track.recent)
        jump = recent[-rule.confirm_minutes :]
        if len(jump) == rule.confirm_minutes:
            sides = {self._side(band) for band in jump}
            if len(sides) == 1 and (side := sides.pop()) is not None:
                return "jump", side
        drift = recent[-rule.drift_minutes :]
        if len(drift) == rule.drift_minutes:
            combined = sum(band.z_score for band in drift) / math.sqrt(len(drift))
            way: Direction = "above" if combined > 0 else "below"
            leaning = sum(_leans(band, way) for band in drift)
            if abs(combined) >= rule.z and 2 * leaning > len(drift):
                return "drift", way
        return None

    def observe(
        self, room_id: str, session_id: str, started_at: datetime, band: Band
    ) -> AlertChange | None:
        size = max(self.rule.confirm_minutes, self.rule.drift_minutes)
        track = self._tracks.setdefault((session_id, band.metric), _Track(size))
        if track.recent and band.minute <= track.recent[-1].minute:
            msg = (
                f"{session_id} {band.metric}: minute {band.minute} after minute "
                f"{track.recent[-1].minute}; bands must come in minute order"
            )
            raise ValueError(msg)
        track.recent.append(band)
        triggered = self._trigger(track)
        current = track.open
        if current is None:
            if triggered is None:
                return None
            trigger, side = triggered
            opened_minute = (
                track.recent[-self.rule.confirm_minutes].minute
                if trigger == "jump"
                else _drift_start(list(track.recent)[-self.rule.drift_minutes :], side)
            )
            worst = max(track.recent, key=lambda b: abs(b.z_score))
            track.open = Alert(
                alert_id=alert_id_of(room_id, session_id, band.metric, side, opened_minute),
                room_id=room_id,
                session_id=session_id,
                metric=band.metric,
                direction=side,
                trigger=trigger,
                opened_minute=opened_minute,
                opened_at=started_at + timedelta(minutes=opened_minute),
                last_minute=band.minute,
                minutes_outside=sum(self._side(b) == side for b in track.recent),
                worst_z=worst.z_score,
                observed=worst.observed,
                expected=worst.expected,
                low=worst.low,
                high=worst.high,
                basis=band.basis,
            )
            track.calm = 0
            return AlertChange(change="opened", alert=track.open)
        side_now = self._side(band)
        leaning = _leans(band, current.direction)
        continues = side_now == current.direction or (current.trigger == "drift" and leaning)
        track.calm = 0 if continues else track.calm + 1
        updates: dict[str, object] = {"last_minute": band.minute}
        if side_now == current.direction:
            updates["minutes_outside"] = current.minutes_outside + 1
        if abs(band.z_score) > abs(current.worst_z) and _leans(band, current.direction):
            updates |= {
                "worst_z": band.z_score,
                "observed": band.observed,
                "expected": band.expected,
                "low": band.low,
                "high": band.high,
            }
        if track.calm >= self.rule.clear_minutes:
            updates |= {"status": "resolved", "resolved_minute": band.minute}
            track.open = None
            track.recent.clear()  # a new episode needs minutes of its own
            return AlertChange(change="resolved", alert=msgspec.structs.replace(current, **updates))
        track.open = msgspec.structs.replace(current, **updates)
        return AlertChange(change="updated", alert=track.open)


def changes_of_session(
    room_id: str,
    session_id: str,
    started_at: datetime,
    bands: list[Band],
    rule: AlertRule | None = None,
) -> list[AlertChange]:
    """What the alert book says as one session's bands come in, minute by minute: each change
    carries the alert as it stood then (an opening's ``last_minute`` is the minute that opened
    it)."""
    book = AlertBook(rule)
    changes: list[AlertChange] = []
    for band in sorted(bands, key=lambda b: (b.minute, b.metric)):
        change = book.observe(room_id, session_id, started_at, band)
        if change is not None:
            changes.append(change)
    return changes


def alerts_of_session(
    room_id: str,
    session_id: str,
    started_at: datetime,
    bands: list[Band],
    rule: AlertRule | None = None,
) -> list[Alert]:
    """Every alert episode of one session's bands (in minute order per metric), latest state."""
    latest: dict[str, Alert] = {}
    for change in changes_of_session(room_id, session_id, started_at, bands, rule):
        latest[change.alert.alert_id] = change.alert
    return sorted(latest.values(), key=lambda a: (a.opened_minute, a.metric))
