"""``GET /api/signals/scan``: the lead-lag scan over HTTP is the library's scan of the same store,
needs a token, and on a store without external signals says why there is no scan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import pytest
from fastapi.testclient import TestClient

from livelens.api.app import create_app
from livelens.api.intelligence_routes import NO_SIGNALS
from livelens.api.server import Service, open_service
from livelens.events.columns import events_to_table
from livelens.events.pseudonymise import Pseudonymiser, load_or_create_key
from livelens.events.reference import ReferenceData
from livelens.ingest import ingest
from livelens.intelligence.leadlag_store import scan_store
from livelens.intelligence.series import trend_series
from livelens.intelligence.signals import BEIJING, WeiboHotSearchFile
from livelens.settings import Settings
from livelens.sources.jsonl import JsonLinesFile
from livelens.sources.simulation.catalog import catalog_specs
from livelens.store.duckdb import DuckDBStore
from livelens.testing import jsonl

NOW: Final = datetime.now(UTC)
START: Final = datetime(2026, 1, 4, tzinfo=BEIJING)
HOURS: Final = 14 * 24


def _prepare(db: Path, shared_data: Path, folder: Path, key: Pseudonymiser) -> None:
    """The catalog, the real boards of 4–17 January 2026, and hourly clicks whose 服装 part
    responds to 羽绒服's heat two hours later."""
    products = [spec.product for spec in catalog_specs(1000)]
    boards = WeiboHotSearchFile(
        shared_data / "trends/weibo_hot_search_hourly.parquet",
        since=date(2026, 1, 4),
        until=date(2026, 1, 17),
    )
    heat = trend_series(
        events_to_table([e for batch in boards for e in batch.events]),
        "羽绒服",
        start=START,
        end=START + timedelta(hours=HOURS),
    ).array("heat")
    lift = np.zeros(HOURS)
    lift[2:] = 2.0 * heat[:-2] / heat.max()
    rng = np.random.default_rng(1)
    records = []
    for product in products:
        rate = 6.0 * (1 + (lift if product.category == "服装" else 0.0))
        for hour, clicks in enumerate(rng.poisson(rate * np.ones(HOURS))):
            ts = (START + timedelta(hours=hour, minutes=10)).isoformat()
            records += [
                {
                    "type": "product.click",
                    "event_id": f"h-{product.product_id}-{hour}-{n}",
                    "ts": ts,
                    "room_id": "history",
                    "session_id": f"history-{hour // 24}",
                    "platform": "douyin",
                    "viewer_id": f"v{n}",
                    "product_id": product.product_id,
                }
                for n in range(clicks)
            ]
    history = folder / "history.jsonl"
    history.write_bytes(jsonl(records))
    with DuckDBStore(db) as store:
        store.put_reference(ReferenceData(products=products))
        ingest([boards, JsonLinesFile(history)], store, key, now=NOW)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("signal-routes")
    db = folder / "s.duckdb"
    settings = Settings(home=folder / "home")
    _prepare(db, shared_data, folder, Pseudonymiser(load_or_create_key(settings.key_path)))
    opened = open_service(db, settings)
    yield opened
    opened.close()


def _bearer(service: Service) -> dict[str, str]:
    issued = service.tokens.issue("test viewer", "viewer", now=NOW)
    return {"Authorization": f"Bearer {issued.token}"}


def test_the_scan_is_the_library_scan(service: Service) -> None:
    with TestClient(create_app(service.hub, service.tokens)) as client:
        answer = client.get(
            "/api/signals/scan", params={"comments": "false"}, headers=_bearer(service)
        )
        assert answer.status_code == 200, answer.text
        assert client.get("/api/signals/scan").status_code == 401
    body = answer.json()["scan"]
    with service.hub.lock:
        expected = scan_store(service.hub.store)
    assert expected is not None
    assert body["tests"] == expected.tests >= 10
    assert [f["text_zh"] for f in body["findings"]] == [f.text_zh for f in expected.findings]
    top = body["findings"][0]
    assert top["subject"] == "category 服装"
    assert top["evidence"]["lag"] == 2


def test_a_store_without_signals_says_why(tmp_path: Path) -> None:
    opened = open_service(tmp_path / "empty.duckdb", Settings(home=tmp_path / "home"))
    try:
        with TestClient(create_app(opened.hub, opened.tokens)) as client:
            answer = client.get("/api/signals/scan", headers=_bearer(opened))
        assert answer.status_code == 200
        assert answer.json() == {"scan": None, "unavailable": NO_SIGNALS}
    finally:
        opened.close()
