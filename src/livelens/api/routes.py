"""The JSON routes: ingest, sessions, metrics, insights, frames, comment analysis, the stream,
tokens. Each parses, calls one library function (mostly on the hub) and encodes with msgspec."""

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Final, TypedDict

import msgspec
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import ApiError, error_responses
from livelens.api.hub import LiveHub
from livelens.api.stream import Broadcaster, sse_frames
from livelens.api.tokens import ROLES, TokenInfo, TokenRegistry, require
from livelens.comments.analyze import CommentAnalysis
from livelens.dashboard.frame import LiveFrame, LiveInsight
from livelens.events.reference import decode_reference
from livelens.information.metrics import SessionMetrics
from livelens.sources.jsonl import decode_body

MAX_TEXTS: Final = 10_000
MAX_REJECTIONS_LISTED: Final = 1_000


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def answers(kind: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` documenting a JSON answer of ``kind`` (a type msgspec encodes), so that the
    OpenAPI description holds what the route really sends, not an empty schema."""
    schema = msgspec.json.schema(kind)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:  # the description has no $defs: put each in its place
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    content = {"application/json": {"schema": inline(schema)}}
    return {status: {"description": "Successful Response", "content": content}}


class IngestSummary(TypedDict):
    accepted: int
    duplicates: int
    quarantined: dict[str, int]  # reason -> records


class ReferenceCounts(TypedDict):
    products: int
    personas: int


class SessionRow(TypedDict):
    session_id: str
    room_id: str
    platform: str
    at: datetime
    minutes: int
    events: int
    online: int
    gmv_minor: int
    currency: str | None


class NewToken(TokenInfo, kw_only=True, frozen=True):
    token: str  # the only time the secret is shown


class TextsIn(BaseModel):
    texts: list[str] = Field(description="Comments to analyse", max_length=MAX_TEXTS)


class TokenIn(BaseModel):
    name: str = Field(description="Who or what uses the token", min_length=1, max_length=200)
    role: str = Field(
        default="operator", description=", ".join(ROLES), json_schema_extra={"enum": [*ROLES]}
    )
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
    router = APIRouter(prefix="/api", responses=error_responses(401))
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
        responses={**answers(IngestSummary), **error_responses(403, 413, 422)},
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
        summary: IngestSummary = {
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
        responses={**answers(ReferenceCounts), **error_responses(403, 413, 422)},
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
        counts: ReferenceCounts = {"products": len(data.products), "personas": len(data.personas)}
        return _json(counts)

    @router.get(
        "/sessions",
        summary="Sessions, most recently active first",
        responses=answers(list[SessionRow]),
    )
    def sessions() -> Response:
        return _json([_session_row(hub, s) for s in hub.session_ids()])

    session_errors = error_responses(404, 422)

    @router.get(
        "/sessions/{session_id}/metrics",
        summary="Live metrics of a session",
        responses={**answers(SessionMetrics), **session_errors},
    )
    def metrics(session_id: str) -> Response:
        return _json(hub.metrics(session_id))

    @router.get(
        "/sessions/{session_id}/insights",
        summary="Insights detected so far",
        responses={**answers(list[LiveInsight]), **session_errors},
    )
    def insights(session_id: str) -> Response:
        return _json(hub.live_insights(session_id))

    @router.get(
        "/sessions/{session_id}/frame",
        summary="What the live screen shows now",
        responses={**answers(LiveFrame), **session_errors},
    )
    def frame(session_id: str) -> Response:
        return _json(hub.frame(session_id))

    @router.post(
        "/comments/analyze",
        summary="Tokens, intents, sentiment, question, spam",
        responses={**answers(list[CommentAnalysis]), **error_responses(422)},
    )
    def analyze_comments(payload: Annotated[TextsIn, Body()]) -> Response:
        return _json(hub.analyzer.analyze(payload.texts))

    @router.get(
        "/stream",
        summary="Live frames as Server-Sent Events (event: frame)",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **error_responses(422),
        },
    )
    async def stream(session: str | None = None) -> StreamingResponse:
        subscription = broadcaster.subscribe(session)
        first = await run_in_threadpool(_current_frames, hub, session)
        return StreamingResponse(
            sse_frames(broadcaster, subscription, first),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get(
        "/tokens",
        summary="API tokens (admin)",
        responses={**answers(list[TokenInfo]), **error_responses(403)},
    )
    def list_tokens(who: Caller) -> Response:
        require(who, "tokens")
        return _json(tokens.tokens())

    @router.post(
        "/tokens",
        summary="Create an API token (admin); the secret is shown once",
        status_code=201,
        responses={**answers(NewToken, 201), **error_responses(403, 422)},
    )
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
        return _json(NewToken(token=issued.token, **msgspec.structs.asdict(issued.info)), 201)

    @router.delete(
        "/tokens/{token_id}",
        summary="Revoke an API token (admin)",
        responses={**answers(TokenInfo), **error_responses(403, 404, 422)},
    )
    def revoke_token(token_id: str, who: Caller) -> Response:
        require(who, "tokens")
        revoked = tokens.revoke(token_id, now=datetime.now(UTC))
        hub.record(who.token_id, "token.revoke", token_id, {})
        return _json(revoked)

    return router


def _session_row(hub: LiveHub, session_id: str) -> SessionRow:
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
