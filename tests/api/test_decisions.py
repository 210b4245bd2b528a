"""The live decision layer (livelens.api.decisions) on a simulated live fed 15 s at a time into a
real hub over a real DuckDB store, with three earlier sessions of the same room in it: the alerts
it raises are the post-live scan's, the recommendations it records are the replay's, webhooks are
delivered off the ingest path, a room switched to ``auto`` executes what comes next, a pending
recommendation expires when its window passes, an accepted flash discount counts down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import pytest

import livelens.api.decisions
from livelens.api import server
from livelens.api.alert_outbox import Webhook, webhooks_from_env
from livelens.api.decisions import complete_minutes
from livelens.api.hub import LiveHub
from livelens.api.live_recommendations import EXPIRY_ACTOR
from livelens.dashboard.frame import LiveFrame
from livelens.errors import ConfigurationError
from livelens.events.columns import ts_micros
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.schema import Event
from livelens.governance.audit import AuditLog
from livelens.governance.licence_registry import LicenceRegistry
from livelens.information.compute import compute_session_metrics, metrics_of
from livelens.ingest import IngestPolicy, ingest_batch
from livelens.intelligence.alert_scan import scan_session, session_alert_changes
from livelens.intelligence.alert_store import AlertStore, StoredAlert
from livelens.knowledge.autonomy import AUTO_ACTOR
from livelens.knowledge.execution import EXECUTION_SOURCE
from livelens.knowledge.facts import alert_spans
from livelens.knowledge.ledger import EXECUTED, Entry, Ledger
from livelens.knowledge.outcomes import measure_recommendation
from livelens.knowledge.playbooks import parse_playbooks, starter_playbooks
from livelens.knowledge.replay import recommend_session
from livelens.sinks.webhook import verify_signature
from livelens.sources.base import SourceBatch
from livelens.sources.jsonl import decode_body
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulation.licences import simulated_licences
from livelens.sources.simulator import build_session
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl, random_session_records

pytestmark = pytest.mark.slow

SECRET = b"hook-secret"
MINUTES = 40
LIVE = "day-3"
START = DEFAULT_START + timedelta(days=3)
STOP = (START + timedelta(minutes=20), START + timedelta(minutes=30))  # no order is paid
AUTO_AT = START + timedelta(minutes=20)  # a manager switches the room to auto
# a playbook on the alerts (BI): the live and the replay must read them alike
ALERT_CUE = parse_playbooks(
    """
id: sales-stopped-cue
version: 1
title: {zh: 转化骤降提示, en: Conversion dropped}
priority: 80
cooldown_minutes: 10
when: [{fact: alert_open.conversion, op: "==", value: below}]
action:
  kind: script_cue
  duration_s: 60
  script: {zh: 转化率骤降：检查下单链接, en: "Conversion dropped: check the order link"}
""",
    "test",
)
PLAYBOOKS = [*starter_playbooks(), *ALERT_CUE]
SLICE = timedelta(seconds=15)
LATENESS = timedelta(seconds=10)  # the engine's watermark lag
KEY = b"test-key-0123456789abcdef-0123456"


class Clock:
    """The hub's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Receiver:
    """A webhook endpoint that takes each delivery, then holds its answer until released."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "delivery": self.headers["X-Livelens-Delivery"],
                        "payload": msgspec.json.decode(body),
                        "valid": verify_signature(
                            SECRET,
                            body,
                            self.headers["X-Livelens-Timestamp"],
                            self.headers["X-Livelens-Signature"],
                            time.time(),
                        ),
                    }
                )
                receiver.release.wait(60)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def simulated(day: int, seed: int, room: str = "sim-room-1") -> list[Event]:
    config = SimulationConfig(
        minutes=MINUTES,
        peak_viewers=300,
        seed=seed,
        room_id=room,
        session_id=f"day-{day}",
        start=DEFAULT_START + timedelta(days=day),
    )
    return list(build_session(config).events())


def slices(events: list[Event], width: timedelta) -> Iterator[list[Event]]:
    start, width_us = 0, width // timedelta(microseconds=1)
    while start < len(events):
        edge = ts_micros(events[start].ts) + width_us
        end = start
        while end < len(events) and ts_micros(events[end].ts) < edge:
            end += 1
        yield events[start:end]
        start = end


def open_hub(store: DuckDBStore, clock: Clock, webhooks: list[Webhook]) -> LiveHub:
    hub = server.open_hub(
        store, Pseudonymiser(KEY), clock=clock, webhooks=webhooks, playbooks=PLAYBOOKS
    )
    hub.decisions.decide_every = timedelta(0)  # a run at every completed minute
    return hub


def history_store(path: Path) -> DuckDBStore:
    """A store holding the catalog, licences and three earlier 40-minute sessions of the room.
    The earlier sessions keep their flash discounts and orders but not their ``price.change``
    events: each simulated session cuts prices and the next opens back at the everyday price, a
    raise that the recommender's no-先涨后降 guardrail (which reads the room's past) would hold
    against every flash discount of the live — and this test needs one accepted."""
    store = DuckDBStore(path)
    pseudonymiser = Pseudonymiser(KEY)
    store.bind_key(pseudonymiser.key_id)
    reference = build_session(SimulationConfig(minutes=MINUTES, seed=1)).reference
    store.put_reference(reference)
    registry = LicenceRegistry(store)
    for licence in simulated_licences(reference.personas, DEFAULT_START):
        registry.put(licence)
    at = datetime(2026, 11, 20, tzinfo=UTC)
    for day, seed in enumerate((1, 2, 3)):
        kept = [e for e in simulated(day, seed) if e.__struct_config__.tag != "price.change"]
        batch = SourceBatch("history", kept)
        ingest_batch(batch, store, pseudonymiser, now=at, policy=IngestPolicy())
    store.refresh_sessions([f"day-{day}" for day in range(3)])
    return store


@dataclass
class Fed:
    hub: LiveHub
    store: DuckDBStore
    receiver: Receiver
    batches: int = 0
    runs: int = 0  # decision runs (each computes the session's metrics once)
    completions: int = 0  # batches after which one more minute was complete
    received_while_feeding: int = 0
    # per recommendation: (fate, event time) each time its fate on the frame changed
    fates: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    alerts_first_shown: dict[str, datetime] = field(default_factory=dict)
    accepted: str | None = None
    countdown: tuple[int | None, int | None, int | None] = (None, None, None)
    audit_before_auto: int = 0
    executed_on_accept: int = 0  # events the accepted flash discount put into the live


def accept(fed: Fed, rec_id: str, clock: Clock) -> None:
    """What POST /api/recommendations/{id}/fate does: the ledger, the audit log, then the action
    into the live."""
    hub = fed.hub
    with hub.lock:
        entry = Ledger(hub.store.con).set_fate(rec_id, "accepted", "manager-li", clock())
    details = {"fate": "accepted", "playbook": entry.recommendation.playbook}
    hub.record("tok_manager", "recommendation.fate", rec_id, details)
    fed.executed_on_accept = hub.execute(rec_id)


def observe(fed: Fed, frame: LiveFrame, clock: Clock) -> None:
    for row in frame.recommendations:
        seen = fed.fates.setdefault(row.recommendation.recommendation_id, [])
        if not seen or seen[-1][0] != row.fate:
            seen.append((row.fate, frame.at))
        action = row.recommendation.action
        if action == "flash_discount" and row.fate == "pending" and fed.accepted is None:
            fed.accepted = row.recommendation.recommendation_id
            accept(fed, fed.accepted, clock)
            shown = next(
                r for r in fed.hub.frame(LIVE).recommendations if r.recommendation.action == action
            )
            clock.now += timedelta(seconds=120)
            later = next(
                r for r in fed.hub.frame(LIVE).recommendations if r.recommendation.action == action
            )
            clock.now += timedelta(seconds=200)
            over = next(
                r for r in fed.hub.frame(LIVE).recommendations if r.recommendation.action == action
            )
            fed.countdown = (shown.remaining_s, later.remaining_s, over.remaining_s)
            assert (shown.fate, shown.fate_by) == ("accepted", "manager-li")
    for row in frame.alerts:
        fed.alerts_first_shown.setdefault(row.alert.alert_id, frame.at)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fed]:
    store = history_store(tmp_path_factory.mktemp("decisions") / "s.duckdb")
    receiver = Receiver()
    clock = Clock()
    hub = open_hub(store, clock, [Webhook(receiver.url, SECRET)])
    result = Fed(hub=hub, store=store, receiver=receiver)
    events = [
        e
        for e in simulated(3, 4)
        if not (e.__struct_config__.tag == "order.paid" and STOP[0] <= e.ts < STOP[1])
    ]
    runs = 0

    def counted(state: Any) -> Any:
        nonlocal runs
        runs += 1
        return metrics_of(state)

    switched = False
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(livelens.api.decisions, "metrics_of", counted)
        for batch in slices(events, SLICE):
            state = hub.engine.sessions.get(LIVE)
            before = complete_minutes(state, hub.engine.watermarks[LIVE].value_us) if state else 0
            hub.ingest(SourceBatch("live", batch))
            hub.decide()
            state = hub.engine.sessions[LIVE]
            after = complete_minutes(state, hub.engine.watermarks[LIVE].value_us)
            result.completions += after > before
            result.batches += 1
            clock.now += timedelta(seconds=1)
            observe(result, hub.frame(LIVE), clock)
            if not switched and batch[-1].ts >= AUTO_AT:
                switched = True
                result.audit_before_auto = len(AuditLog(store).entries())
                with hub.lock:
                    hub.decisions.set_autonomy("sim-room-1", "auto", "manager-li", clock())
                hub.record("tok_manager", "autonomy.set", "sim-room-1", {"level": "auto"})
                assert hub.frame(LIVE).autonomy == "auto"
        result.runs = runs
    waited = time.monotonic() + 30  # the outbox's thread may not have posted the first one yet
    while not receiver.received and time.monotonic() < waited:
        time.sleep(0.05)
    result.received_while_feeding = len(receiver.received)
    receiver.release.set()
    hub.decisions.outbox.join()
    hub.finish()  # the session ended: its last minute is decided too
    yield result
    receiver.close()
    store.close()


def test_alerts_raised_live_are_the_post_live_scan(fed: Fed) -> None:
    live = [s.alert for s in AlertStore(fed.store.con).alerts(LIVE)]
    scan = scan_session(fed.store, LIVE)
    assert scan.history == ["day-0", "day-1", "day-2"]
    assert live == scan.alerts
    assert scan.new == []  # the live had stored every one of them
    stop = [a for a in live if a.metric == "conversion" and a.direction == "below"]
    assert len(stop) == 1
    assert 20 <= stop[0].opened_minute <= 24
    # on the screen while the sales were still stopped
    assert fed.alerts_first_shown[stop[0].alert_id] < STOP[1]


def test_alert_changes_reach_the_webhooks_without_holding_up_ingest(fed: Fed) -> None:
    # the receiver held its first answer until the feed was over: the rest of the live went on
    assert fed.received_while_feeding == 1
    stored = {s.alert.alert_id: s.alert for s in AlertStore(fed.store.con).alerts(LIVE)}
    expected = []
    for alert_id, alert in stored.items():
        expected.append(alert_id)
        if alert.status == "resolved":
            expected.append(f"{alert_id}:resolved")
    received = fed.receiver.received
    assert sorted(r["delivery"] for r in received) == sorted(expected)
    assert all(r["valid"] for r in received)
    first = received[0]["payload"]
    assert (first["kind"], first["change"]) == ("livelens.alert", "opened")
    assert first["message_zh"].startswith("转化率")
    assert first["message_en"].startswith("conversion")


def test_recommendations_recorded_live_are_the_replay(fed: Fed) -> None:
    ledger = [e.recommendation for e in Ledger(fed.store.con).entries(LIVE)]
    replay = recommend_session(fed.store, LIVE, PLAYBOOKS).recommendations
    assert {r.action for r in replay} >= {"flash_discount", "pin_product", "lucky_bag"}
    assert ledger == sorted(replay, key=lambda r: (r.minute, r.playbook))


def test_the_alerts_the_playbooks_read_live_are_the_replay(fed: Fed) -> None:
    """The ``alert_open`` facts: the live's alert spans are the replay's, and a playbook on them
    fires the minute after the scoring that raised the sales-stop alert, not before."""
    live = alert_spans(fed.hub.decisions._live[LIVE].changes)
    assert live == alert_spans(session_alert_changes(fed.store, LIVE))
    stop = next(s for s in live if (s.metric, s.direction) == ("conversion", "below"))
    cues = [
        e.recommendation
        for e in Ledger(fed.store.con).entries(LIVE)
        if e.recommendation.playbook == "sales-stopped-cue@v1"
    ]
    assert cues
    assert cues[0].minute == stop.raised_minute + 1
    assert cues[0].evidence[0]["observed"] == "below"


def test_a_pending_recommendation_expires_when_its_window_passes(fed: Fed) -> None:
    entries = {e.recommendation.recommendation_id: e for e in Ledger(fed.store.con).entries(LIVE)}
    expired = [e for e in entries.values() if e.fate == "expired"]
    assert expired, {k: e.fate for k, e in entries.items()}
    for entry in expired:
        recommendation = entry.recommendation
        ends = recommendation.start + timedelta(seconds=recommendation.duration_s)
        seen = fed.fates[recommendation.recommendation_id]
        assert seen[0][0] == "pending"
        assert all(at < ends for fate, at in seen if fate == "pending")
        expired_at = next(at for fate, at in seen if fate == "expired")
        # checked as each minute completes: within a minute and the watermark's lag of the end
        assert ends <= expired_at <= ends + timedelta(minutes=1) + LATENESS + SLICE
        assert entry.fate_by == EXPIRY_ACTOR
    audited = {
        e.subject for e in AuditLog(fed.store).entries() if e.action == "recommendation.fate"
    }
    assert not audited & {e.recommendation.recommendation_id for e in expired}  # nothing was done


def test_an_accepted_flash_discount_counts_down_and_never_expires(fed: Fed) -> None:
    assert fed.accepted is not None
    entry = Ledger(fed.store.con).entry(fed.accepted)
    assert (entry.fate, entry.fate_by) == ("accepted", "manager-li")
    assert [fate for fate, _at in fed.fates[fed.accepted]] == ["pending", "accepted"]
    # 300 s from its acceptance on the hub's clock; the frame built 120 s later shows 180
    assert fed.countdown == (300, 180, None)


def test_executed_actions_reach_the_live_and_are_measured_there(fed: Fed) -> None:
    """The accepted flash discount is a ``promo.start`` of its product, percent and price; what
    ``auto`` executed is in the session too; each executed recommendation's outcome was measured
    live, as ``livelens ledger measure`` measures it on the stored session."""
    assert fed.executed_on_accept == 1
    entries = [e for e in Ledger(fed.store.con).entries(LIVE) if e.fate in EXECUTED]
    acted = fed.store.events(LIVE, ["promo.start", "host.product_pin", "host.persona_switch"])
    by_id = {row["event_id"]: row for row in acted.to_pylist()}
    accepted = next(
        e.recommendation for e in entries if e.recommendation.recommendation_id == fed.accepted
    )
    promo = by_id[f"{EXECUTION_SOURCE}:{fed.accepted}"]
    assert (promo["type"], promo["promo_id"], promo["product_id"]) == (
        "promo.start",
        fed.accepted,
        accepted.target["product"],
    )
    assert promo["discount_pct"] == accepted.target["percent"]
    assert promo["price_minor"] == accepted.target["price_minor"]
    assert promo["duration_s"] == accepted.duration_s
    with_events = [
        e
        for e in entries
        if e.recommendation.action in ("flash_discount", "pin_product", "switch_persona")
    ]
    assert with_events  # the accepted flash discount at least
    assert fed.hub.decisions.recommender.take_executions() == []  # every one was ingested
    assert all(
        f"{EXECUTION_SOURCE}:{e.recommendation.recommendation_id}" in by_id for e in with_events
    )
    gmv = compute_session_metrics(fed.store.events(LIVE)).series.gmv_minor
    measured = [e for e in entries if e.outcome is not None]
    assert measured
    for e in entries:
        assert e.outcome == measure_recommendation(e.recommendation, gmv)


def test_after_the_switch_to_auto_new_recommendations_are_executed(fed: Fed) -> None:
    entries: list[Entry] = Ledger(fed.store.con).entries(LIVE)
    after = [e for e in entries if e.recommendation.start >= AUTO_AT]
    before = [e for e in entries if e.recommendation.start < AUTO_AT]
    assert after
    assert before
    assert all((e.fate, e.fate_by) == ("auto_executed", AUTO_ACTOR) for e in after)
    assert all(e.fate != "auto_executed" for e in before)
    audit = AuditLog(fed.store).entries()[fed.audit_before_auto :]
    assert ("autonomy.set", "sim-room-1") in {(e.action, e.subject) for e in audit}
    executed = [
        e.subject for e in audit if e.action == "recommendation.fate" and e.actor == AUTO_ACTOR
    ]
    assert sorted(executed) == sorted(e.recommendation.recommendation_id for e in after)


def test_the_work_runs_when_a_minute_completes_not_per_batch(fed: Fed) -> None:
    assert fed.batches >= 4 * (MINUTES - 1)
    assert fed.runs == fed.completions  # one run per completed minute, none in between
    assert MINUTES - 2 <= fed.runs <= MINUTES


def test_decisions_wait_between_runs_when_minutes_complete_fast(tmp_path: Path) -> None:
    clock = Clock()
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        hub = open_hub(store, clock, [])
        hub.decisions.decide_every = timedelta(seconds=1)
        body = jsonl(random_session_records(3, viewers=40, minutes=6))
        events = decode_body("test", body).events
        paced = list(slices(events, timedelta(seconds=30)))
        hub.ingest(SourceBatch("live", [e for part in paced[:4] for e in part]))
        hub.decide()
        ran = hub.decisions.last_run("session-1")
        assert ran == clock.now
        hub.ingest(SourceBatch("live", [e for part in paced[4:8] for e in part]))
        hub.decide()  # a minute completed, but within a second of the last run: it waits
        assert hub.undecided == {"session-1"}
        assert hub.decisions.last_run("session-1") == ran
        clock.now += timedelta(seconds=1)
        hub.decide()
        assert hub.undecided == set()
        assert hub.decisions.last_run("session-1") == clock.now


def test_a_backfill_is_caught_up_without_acting(tmp_path: Path) -> None:
    store = history_store(tmp_path / "s.duckdb")
    try:
        hub = open_hub(store, Clock(), [])
        hub.ingest(SourceBatch("backfill", simulated(3, 4)))  # a whole past session at once
        assert hub.undecided == frozenset()  # caught up on at once: nothing left to decide
        hub.decide()
        evaluated = hub.decisions.recommender.evaluated(LIVE)
        assert evaluated >= MINUTES - 1  # its minutes were evaluated (cooldowns, episodes)
        assert Ledger(store.con).entries(LIVE) == []  # … and nothing was recorded
        assert AlertStore(store.con).alerts(LIVE) == list[StoredAlert]()
        frame = hub.frame(LIVE)
        assert (frame.alerts, frame.recommendations) == ([], [])
        hub.finish()  # the end of input does not make a backfill live either
        assert Ledger(store.con).entries(LIVE) == []
    finally:
        store.close()


def test_what_was_recorded_after_the_fact_is_left_to_the_reviewer(tmp_path: Path) -> None:
    store = history_store(tmp_path / "s.duckdb")
    try:
        hub = open_hub(store, Clock(), [])
        events = simulated(3, 4)
        hub.ingest(SourceBatch("backfill", events))
        with hub.lock:  # what POST /api/sessions/{id}/recommendations/record does
            hub.summarise_sessions()
            replayed = recommend_session(store, LIVE, starter_playbooks()).recommendations
            Ledger(store.con).record(replayed)
        assert replayed
        # a price change a minute after the session: the session is live again, its minutes
        # complete, and every replayed recommendation's window has long passed …
        late = msgspec.structs.replace(
            next(e for e in events if e.__struct_config__.tag == "price.change"),
            event_id="late-price",
            ts=events[-1].ts + timedelta(minutes=1),
        )
        hub.ingest(SourceBatch("live", [late]))
        assert hub.undecided == {LIVE}
        hub.decide()
        hub.finish()
        # … yet they are the reviewer's: still pending, and not on the live screen
        assert {e.fate for e in Ledger(store.con).entries(LIVE)} == {"pending"}
        assert hub.frame(LIVE).recommendations == []
    finally:
        store.close()


def test_webhooks_come_from_the_environment() -> None:
    found = webhooks_from_env(
        {"LIVELENS_ALERT_WEBHOOKS": "http://a/x, http://b/y", "LIVELENS_WEBHOOK_SECRET": "s"}
    )
    assert [w.url for w in found] == ["http://a/x", "http://b/y"]
    assert webhooks_from_env({}) == []
    with pytest.raises(ConfigurationError, match="LIVELENS_WEBHOOK_SECRET"):
        webhooks_from_env({"LIVELENS_ALERT_WEBHOOKS": "http://a/x"})
