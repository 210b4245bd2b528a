"""The JSON routes: ingest, sessions, metrics, insights, frames, comment analysis, the stream,
tokens. Each parses, calls one library function (mostly on the hub) and encodes with msgspec."""

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import msgspec
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import ApiError
from livelens.api.hub import LiveHub
from livelens.api.stream import Broadcaster, sse_frames
from livelens.api.tokens import ROLES, TokenInfo, TokenRegistry, require
from livelens.events.reference import decode_reference
from livelens.sources.jsonl import decode_body

MAX_TEXTS: Final = 10_000
MAX_REJECTIONS_LISTED: Final = 1_000


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


class TextsIn(BaseModel):
    texts: list[str] = Field(description="Comments to analyse", max_length=MAX_TEXTS)


class TokenIn(BaseModel):
    name: str = Field(description="Who or what uses the token", min_length=1, max_length=200)
    role: str = Field(default="operator", description=", ".join(ROLES))
    expires_at: datetime | None = Field(default=None, description="When the token stops working")
    scopes: list[str] | None = Field(
        default=None, description="Narrow the role to these permissions (read, ingest, …)"
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        msg = f"the body is {int(declared):,} bytes; the limit is {limit:,}: send smaller batches"
        raise ApiError(413, "payload_too_large", msg)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            msg = f"the body is over the limit of {limit:,} bytes: send smaller batches"
            raise ApiError(413, "payload_too_large", msg)
        chunks.append(chunk)
    return b"".join(chunks)


def data_routes(
    hub: LiveHub,
    tokens: TokenRegistry,
    broadcaster: Broadcaster,
    authenticated: Authenticator,
    max_body_bytes: int,
) -> APIRouter:
    router = APIRouter(prefix="/api")
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    @router.post(
        "/events",
        summary="Ingest a batch of events (JSON Lines body)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            }
        },
        responses={413: {"description": "Body too large"}, 422: {"description": "Bad records"}},
    )
    async def ingest_events(request: Request, who: Caller) -> Response:
        """Validate, pseudonymise and store each line; idempotent by ``event_id``. Bad records
        are quarantined with their reasons (422 lists them); the good ones of the batch are kept."""
        require(who, "ingest")
        body = await _read_body(request, max_body_bytes)
        if not body.strip():
            msg = "the body holds no records: send JSON Lines, one event per line"
            raise ApiError(422, "empty_body", msg)
        batch = await run_in_threadpool(decode_body, f"api:{who.token_id}", body)
        result = await run_in_threadpool(hub.ingest, batch)
        summary = {
            "accepted": result.new.num_rows,
            "duplicates": result.duplicates,
            "quarantined": dict(Counter(r.reason for r in result.rejections)),
        }
        if not result.rejections:
            return _json(summary)
        listed = [
            {"location": r.location, "reason": r.reason, "detail": r.detail}
            for r in result.rejections[:MAX_REJECTIONS_LISTED]
        ]
        message = (
            f"{len(result.rejections)} record(s) were quarantined; "
            f"{result.new.num_rows} valid new event(s) of the batch were stored"
        )
        raise ApiError(422, "invalid_records", message, {**summary, "rejections": listed})

    @router.put(
        "/reference",
        summary="Store the catalog and persona registry (the JSON of `livelens ingest --catalog`)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def put_reference(request: Request, who: Caller) -> Response:
        """Products (titles, prices, stock, attributes, FAQ) and personas; replaces by id."""
        require(who, "ingest")
        body = await _read_body(request, max_body_bytes)
        data = decode_reference(body, "the request body")
        await run_in_threadpool(hub.put_reference, data)
        ids = {
            "products": [p.product_id for p in data.products],
            "personas": [p.persona_id for p in data.personas],
        }
        await run_in_threadpool(hub.record, who.token_id, "catalog.update", "reference", ids)
        return _json({"products": len(data.products), "personas": len(data.personas)})

    @router.get("/sessions", summary="Sessions, most recently active first")
    def sessions() -> Response:
        return _json([_session_row(hub, s) for s in hub.session_ids()])

    @router.get("/sessions/{session_id}/metrics", summary="Live metrics of a session")
    def metrics(session_id: str) -> Response:
        return _json(hub.metrics(session_id))

    @router.get("/sessions/{session_id}/insights", summary="Insights detected so far")
    def insights(session_id: str) -> Response:
        return _json(hub.live_insights(session_id))

    @router.get("/sessions/{session_id}/frame", summary="What the live screen shows now")
    def frame(session_id: str) -> Response:
        return _json(hub.frame(session_id))

    @router.post("/comments/analyze", summary="Tokens, intents, sentiment, question, spam")
    def analyze_comments(payload: Annotated[TextsIn, Body()]) -> Response:
        return _json(hub.analyzer.analyze(payload.texts))

    @router.get("/stream", summary="Live frames as Server-Sent Events (event: frame)")
    async def stream(session: str | None = None) -> StreamingResponse:
        subscription = broadcaster.subscribe(session)
        first = await run_in_threadpool(_current_frames, hub, session)
        return StreamingResponse(
            sse_frames(broadcaster, subscription, first),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/tokens", summary="API tokens (admin)")
    def list_tokens(who: Caller) -> Response:
        require(who, "tokens")
        return _json(tokens.tokens())

    @router.post("/tokens", summary="Create an API token (admin); the secret is shown once")
    def create_token(payload: Annotated[TokenIn, Body()], who: Caller) -> Response:
        require(who, "tokens")
        issued = tokens.issue(
            payload.name,
            payload.role,
            now=datetime.now(UTC),
            expires_at=payload.expires_at,
            scopes=payload.scopes,
        )
        details = {"name": payload.name, "role": payload.role}
        hub.record(who.token_id, "token.create", issued.info.token_id, details)
        return _json({"token": issued.token, **msgspec.structs.asdict(issued.info)}, 201)

    @router.delete("/tokens/{token_id}", summary="Revoke an API token (admin)")
    def revoke_token(token_id: str, who: Caller) -> Response:
        require(who, "tokens")
        revoked = tokens.revoke(token_id, now=datetime.now(UTC))
        hub.record(who.token_id, "token.revoke", token_id, {})
        return _json(revoked)

    return router


def _session_row(hub: LiveHub, session_id: str) -> dict[str, Any]:
    frame = hub.frame(session_id)
    return {
        "session_id": frame.session_id,
        "room_id": frame.room_id,
        "platform": frame.platform,
        "at": frame.at,
        "minutes": frame.minute + 1,
        "events": frame.events,
        "online": frame.online,
        "gmv_minor": frame.gmv_minor,
        "currency": frame.currency,
    }


def _current_frames(hub: LiveHub, session_id: str | None) -> list[tuple[str, bytes]]:
    wanted = [session_id] if session_id else hub.session_ids()
    live = set(hub.session_ids())
    return [(s, msgspec.json.encode(hub.frame(s))) for s in wanted if s in live]
