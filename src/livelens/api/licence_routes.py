"""Likeness licences over HTTP: the registry (compliance), the go-live gate (operators),
violations and royalty statements (everyone who reads)."""

import uuid
from typing import Annotated, Final, TypedDict

import msgspec
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import ApiError, ErrorBody, error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import answers
from livelens.api.tokens import TokenInfo, require
from livelens.events.codec import convert_event
from livelens.governance.licence_registry import decode_licences
from livelens.governance.licences import Licence, RoyaltyLine, describe
from livelens.governance.violations import Violation
from livelens.sources.base import SourceBatch


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2_000, description="Why, kept with the licence")


class LicenceCount(TypedDict):
    licences: int


class OnAir(TypedDict):
    on_air: str
    event_id: str | None


class GoLiveIn(BaseModel):
    persona_id: str = Field(min_length=1, max_length=256)
    room_id: str | None = Field(default=None, description="Needed when the session is not live")
    platform: str | None = Field(default=None, description="Needed when the session is not live")


# The body of PUT /api/licences: one licence object or a list of them.
_ONE_OR_MANY_OBJECTS: Final = {
    "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]
}


def _json(value: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def licence_routes(hub: LiveHub, authenticated: Authenticator, max_body_bytes: int) -> APIRouter:
    router = APIRouter(prefix="/api", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    @router.get(
        "/licences",
        summary="Likeness licences in the registry",
        responses=answers(list[Licence]),
    )
    def licences() -> Response:
        with hub.lock:
            return _json(list(hub.compliance.licences.values()))

    @router.put(
        "/licences",
        summary="Register or replace licences (compliance)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ONE_OR_MANY_OBJECTS}},
            }
        },
        responses={**answers(LicenceCount), **error_responses(403, 413, 422)},
    )
    async def put_licences(request: Request, who: Caller) -> Response:
        """One licence object or a list; each replaces the licence with the same id."""
        require(who, "licences")
        body = await request.body()
        if len(body) > max_body_bytes:
            msg = f"the body is over the limit of {max_body_bytes:,} bytes"
            raise ApiError(413, "payload_too_large", msg)
        found = decode_licences(body, "the request body")

        def store() -> None:
            with hub.lock:
                for licence in found:
                    hub.compliance.put(licence)
            for licence in found:
                details = msgspec.to_builtins(licence)
                hub.record(who.token_id, "licence.grant", licence.licence_id, details)

        await run_in_threadpool(store)
        count: LicenceCount = {"licences": len(found)}
        return _json(count)

    @router.post(
        "/licences/{licence_id}/revoke",
        summary="Revoke a licence (compliance)",
        responses={**answers(Licence), **error_responses(403, 404, 422)},
    )
    def revoke(licence_id: str, payload: Annotated[RevokeIn, Body()], who: Caller) -> Response:
        """Takes effect at once: a persona on air under it is flagged within seconds."""
        require(who, "licences")
        with hub.lock:
            revoked = hub.compliance.revoke(licence_id, payload.reason)
        hub.record(who.token_id, "licence.revoke", licence_id, {"reason": payload.reason})
        return _json(revoked)

    @router.get(
        "/licences/violations",
        summary="Licence violations found (optionally one session)",
        responses={**answers(list[Violation]), **error_responses(422)},
    )
    def violations(session: str | None = None) -> Response:
        with hub.lock:
            return _json(hub.compliance.registry.violations(session))

    @router.post(
        "/sessions/{session_id}/persona",
        summary="Put a persona on air (the go-live gate); refused without a valid licence",
        status_code=201,
        responses={
            **answers(OnAir, 201),
            **error_responses(404, 422),
            403: {
                "model": ErrorBody,
                "description": "No licence valid for this room, category and time "
                "(licence_refused), or the token may not ingest (forbidden)",
            },
        },
    )
    def go_live(session_id: str, payload: Annotated[GoLiveIn, Body()], who: Caller) -> Response:
        """Starting a session with a persona, or switching to one, passes the licence gate: the
        licence must cover the room, platform, the pinned product's category and brand, and now.
        Allowed: a ``host.persona_switch`` event is ingested. Refused: 403 with the problems."""
        require(who, "ingest")
        appearance, problems = hub.go_live_problems(
            session_id, payload.persona_id, payload.room_id, payload.platform
        )
        if problems:
            zh, en = describe(problems)
            raise ApiError(
                403,
                "licence_refused",
                f"persona {payload.persona_id} may not go live here: {en} ({zh})",
                {"problems": problems, "appearance": msgspec.to_builtins(appearance)},
            )
        event = convert_event(
            {
                "type": "host.persona_switch",
                "event_id": f"golive-{uuid.uuid4().hex}",
                "ts": appearance.at.isoformat(),
                "room_id": appearance.room_id,
                "session_id": session_id,
                "platform": appearance.platform,
                "persona_id": payload.persona_id,
            }
        )
        result = hub.ingest(SourceBatch(f"api:{who.token_id}", [event]))
        if result.rejections:
            rejection = result.rejections[0]
            raise ApiError(422, "invalid_records", f"{rejection.reason}: {rejection.detail}")
        on_air: OnAir = {"on_air": payload.persona_id, "event_id": event.event_id}
        return _json(on_air, 201)

    @router.get(
        "/sessions/{session_id}/royalties",
        summary="Royalty statement per talent",
        responses={**answers(list[RoyaltyLine]), **error_responses(404, 422)},
    )
    def royalties(session_id: str) -> Response:
        return _json(hub.royalties(session_id))

    return router
