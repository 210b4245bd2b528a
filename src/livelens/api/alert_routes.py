"""Anomaly alerts over the API: a session scored against its room's history, acknowledgements."""

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import answers
from livelens.api.tokens import TokenInfo, require
from livelens.intelligence.alert_scan import Scan, scan_session
from livelens.intelligence.alert_store import AlertStore, StoredAlert


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), 200, media_type="application/json")


def alert_routes(hub: LiveHub, authenticated: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    @router.get(
        "/sessions/{session_id}/alerts",
        summary="Score a session against its room's earlier sessions; its anomaly alerts",
        responses={**answers(Scan), **error_responses(404, 422)},
    )
    async def session_alerts(session_id: str) -> Response:
        """Every complete minute of viewers, GMV and conversion against the expected band; the
        episodes are stored (idempotent by id), ``new`` lists those this call found first."""

        def scan() -> Scan:
            with hub.lock:
                hub.summarise_sessions()
                return scan_session(hub.store, session_id)

        return _json(await run_in_threadpool(scan))

    @router.get(
        "/alerts",
        summary="Stored alerts, oldest first (optionally one session, or only unacknowledged)",
        responses={**answers(list[StoredAlert]), **error_responses(422)},
    )
    def stored_alerts(session: str | None = None, unacked: bool = False) -> Response:
        with hub.lock:
            return _json(AlertStore(hub.store.con).alerts(session, unacknowledged=unacked))

    @router.post(
        "/alerts/{alert_id}/ack",
        summary="Acknowledge an alert (operators and up); the audit log records it",
        responses={**answers(StoredAlert), **error_responses(403, 404, 422)},
    )
    def acknowledge(alert_id: str, who: Caller) -> Response:
        require(who, "ingest")
        with hub.lock:
            item = AlertStore(hub.store.con).acknowledge(alert_id, who.name, hub.clock())
        details = {"metric": item.alert.metric, "session_id": item.alert.session_id}
        hub.record(who.token_id, "alert.ack", alert_id, details)
        return _json(item)

    return router
