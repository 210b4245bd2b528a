"""The live frame's demand nowcasts (livelens.api.decisions): a simulated live fed 15 s at a time
into a real hub over a real DuckDB store; each time a minute completes the nowcasts are made once,
and the frame carries, for the top products by expected GMV over the next 15 minutes, exactly what
``GET /api/sessions/{id}/nowcasts?minute=`` answers for that minute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import msgspec
import pytest
from fastapi.testclient import TestClient

import livelens.api.decisions
from livelens.api.app import create_app
from livelens.api.decisions import complete_minutes
from livelens.api.server import open_hub
from livelens.api.tokens import TokenRegistry
from livelens.dashboard.frame import LiveFrame
from livelens.events.columns import ts_micros
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.schema import Event
from livelens.intelligence.nowcast import Nowcast, nowcast_products
from livelens.sources.base import SourceBatch
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulator import build_session
from livelens.store.duckdb import DuckDBStore

pytestmark = pytest.mark.slow

CONFIG: Final = SimulationConfig(minutes=20, peak_viewers=400, seed=5, session_id="live-1")
SLICE: Final = timedelta(seconds=15)
KEY: Final = b"test-key-0123456789abcdef-0123456"
NOW: Final = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def slices(events: list[Event], width: timedelta) -> Iterator[list[Event]]:
    start, width_us = 0, width // timedelta(microseconds=1)
    while start < len(events):
        edge = ts_micros(events[start].ts) + width_us
        end = start
        while end < len(events) and ts_micros(events[end].ts) < edge:
            end += 1
        yield events[start:end]
        start = end


def as_json(value: object) -> Any:
    """``value`` as a client reads it from the wire."""
    return msgspec.json.decode(msgspec.json.encode(value))


def test_each_completed_minute_puts_the_routes_nowcasts_on_the_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = build_session(CONFIG)
    made: list[int] = []

    def counted(metrics: Any, *args: Any, **kwargs: Any) -> list[Nowcast]:
        made.append(kwargs["as_of_minute"])
        return nowcast_products(metrics, *args, **kwargs)

    monkeypatch.setattr(livelens.api.decisions, "nowcast_products", counted)
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        hub = open_hub(store, Pseudonymiser(KEY), clock=lambda: NOW, webhooks=[])
        hub.decisions.decide_every = timedelta(0)  # a run at every completed minute
        hub.put_reference(session.reference)
        tokens = TokenRegistry(store, hub.lock)
        viewer = tokens.issue("test viewer", "viewer", now=NOW)
        headers = {"Authorization": f"Bearer {viewer.token}"}
        client = TestClient(create_app(hub, tokens))  # no lifespan: the test runs decide()
        names = store.display_names()

        shown: list[LiveFrame] = []
        for batch in slices(list(session.events()), SLICE):
            state = hub.engine.sessions.get("live-1")
            before = (
                complete_minutes(state, hub.engine.watermarks["live-1"].value_us) if state else 0
            )
            hub.ingest(SourceBatch("live", batch))
            hub.decide()
            state = hub.engine.sessions["live-1"]
            after = complete_minutes(state, hub.engine.watermarks["live-1"].value_us)
            frame = hub.frame("live-1")
            if after == 0:
                assert frame.nowcasts is None  # no minute is complete yet: nothing to forecast
                continue
            assert frame.nowcasts is not None
            assert frame.nowcasts.from_minute == after  # made when the minute completed
            if after > before:
                shown.append(frame)

        assert made == sorted(set(made))  # once per completed minute, never twice for one
        assert made == [f.nowcasts.from_minute for f in shown if f.nowcasts]
        assert len(shown) >= CONFIG.minutes - 2

        for frame in shown:
            assert frame.nowcasts is not None
            minute = frame.nowcasts.from_minute
            answered = client.get(
                "/api/sessions/live-1/nowcasts", params={"minute": minute}, headers=headers
            )
            assert answered.status_code == 200, answered.text
            routed = answered.json()["nowcasts"]
            by_product: dict[str, list[Any]] = {}
            for nowcast in routed:
                by_product.setdefault(nowcast["product_id"], []).append(nowcast)
            expected = {
                n["product_id"]: n["gmv_minor"]["point"]
                for n in routed
                if n["horizon_minutes"] == 15 and n["gmv_minor"]["point"] > 0
            }
            top = sorted(expected, key=lambda p: (-expected[p], p))
            rows = frame.nowcasts.products
            assert [r.product_id for r in rows] == top[:5]  # none before anything sold
            for row in rows:
                assert row.name == names.get(row.product_id, row.product_id)
                assert [h.horizon_minutes for h in row.horizons] == [5, 15, 30]
                assert as_json(row.horizons) == by_product[row.product_id]

        assert shown[-1].nowcasts is not None
        assert len(shown[-1].nowcasts.products) == 5

        hub.finish()  # the live ended: no forecast past its end
        assert hub.frame("live-1").nowcasts == shown[-1].nowcasts
        assert len(made) == len(shown)
