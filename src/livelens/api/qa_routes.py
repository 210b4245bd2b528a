"""Live Q&A over HTTP: a session's catalog, questions, autonomy and takeover, the human queue,
the answer log, and the push stream of what the AI host is to say (Server-Sent Events).

Questions come two ways: the comments the API ingests (``POST /api/events``) for a session with a
Q&A catalog, and ``POST /api/qa/{session_id}/questions``. Reading needs ``read``; everything that
changes what the host says needs ``ingest`` (operators, managers, admins). Every answer and
escalation is logged in the store (table ``qa_answers``, keyed by session) with the catalog
version it used; the post-live report reads it from there.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final, Literal

import msgspec
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import _read_body, answers
from livelens.api.stream import HEARTBEAT_S, sse_message
from livelens.api.tokens import TokenInfo, require
from livelens.errors import InvalidInput
from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.catalog_files import catalog_from_json
from livelens.qa.queue import Autonomy
from livelens.qa.records import AnswerRecord
from livelens.qa.sessions import QaSessions, QaState, Said

POLL_S: Final = 0.05  # how often a stream looks for new answers
MAX_TEXT: Final = 2_000


class CatalogLoaded(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    products: int
    catalog_version: int


class Asked(msgspec.Struct, frozen=True, kw_only=True):
    asks: bool  # false: the comment asks nothing (no record)
    say: str | None  # what the host says now for it (None: said already, waiting or escalated)
    record: AnswerRecord | None


class QuestionIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The viewer's comment")
    viewer_id: str | None = Field(default=None, max_length=256, description="Pseudonymous id")


class ControlIn(BaseModel):
    autonomy: Literal["suggest", "auto_undo", "full_auto"] | None = Field(
        default=None, description="suggest only; auto-answer with an undo window; full auto"
    )
    taken_over: bool | None = Field(
        default=None, description="An operator takes over (true) or hands back (false)"
    )
    undo_window_ms: int | None = Field(default=None, ge=0, le=600_000)


class ActionIn(BaseModel):
    answer_id: str = Field(min_length=1, max_length=256)
    action: Literal["approve", "answer", "reject", "undo"] = Field(
        description="approve a suggestion (optionally with text), answer an escalation (text), "
        "reject a suggestion, undo an auto-answer inside its undo window"
    )
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def qa_sessions(hub: LiveHub) -> QaSessions:
    """The Q&A rooms of the hub's sessions, fed by every batch the hub ingests."""
    sessions = QaSessions(
        lambda session_id: DuckDBAnswerLog(hub.store.con, session_id, background=True)
    )

    def fold(events: Any) -> None:  # called under the hub's lock
        if sessions.fold(events):
            sessions.flush()

    hub.listeners.append(fold)
    return sessions


def qa_routes(
    hub: LiveHub, sessions: QaSessions, authenticated: Authenticator, max_body_bytes: int
) -> APIRouter:
    router = APIRouter(prefix="/api/qa", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]
    errors = error_responses(404, 422)

    def now_ms() -> int:
        return round(hub.clock().timestamp() * 1000)

    @router.put(
        "/{session_id}/catalog",
        summary="Load or replace the Q&A catalog of a session (products, FAQ, room policies)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
        responses={**answers(CatalogLoaded), **error_responses(403, 413, 422)},
    )
    async def put_catalog(session_id: str, request: Request, who: Caller) -> Response:
        """``{"products": [...], "room": {"faq": [...], "policy": {...}}}``: the catalog JSON of
        ``livelens qa answer --catalog`` with the room file under ``room``. Live price, promo,
        pin and order events of the session update it from then on."""
        require(who, "ingest")
        body = await _read_body(request, max_body_bytes)
        catalog = await run_in_threadpool(catalog_from_json, body, "the request body")

        def load() -> CatalogLoaded:
            with hub.lock:
                sessions.load(session_id, catalog)
            details = {"products": [s.item.product_id for s in catalog.products()]}
            hub.record(who.token_id, "qa.catalog", session_id, details)
            return CatalogLoaded(
                session_id=session_id,
                products=len(catalog.products()),
                catalog_version=catalog.version,
            )

        return _json(await run_in_threadpool(load))

    @router.get(
        "/{session_id}",
        summary="Q&A state of a session: autonomy, takeover, queue, answer rate and latency",
        responses={**answers(QaState), **errors},
    )
    def state(session_id: str) -> Response:
        with hub.lock:
            return _json(sessions.state(session_id))

    @router.put(
        "/{session_id}/control",
        summary="Set the autonomy level, the undo window, or take over / hand back",
        responses={**answers(QaState), **error_responses(403, 404, 422)},
    )
    def control(session_id: str, payload: Annotated[ControlIn, Body()], who: Caller) -> Response:
        require(who, "ingest")
        autonomy = Autonomy(payload.autonomy) if payload.autonomy else None
        with hub.lock:
            sessions.control(
                session_id,
                autonomy=autonomy,
                taken_over=payload.taken_over,
                undo_window_ms=payload.undo_window_ms,
            )
            found = sessions.state(session_id)
        hub.record(who.token_id, "qa.control", session_id, payload.model_dump(exclude_none=True))
        return _json(found)

    @router.post(
        "/{session_id}/questions",
        summary="Ask one question now (answered, merged or escalated)",
        responses={**answers(Asked), **error_responses(403, 404, 422)},
    )
    def ask(session_id: str, payload: Annotated[QuestionIn, Body()], who: Caller) -> Response:
        require(who, "ingest")
        with hub.lock:
            decision = sessions.ask(session_id, payload.text, now_ms(), payload.viewer_id)
            sessions.flush()
        if decision is None:
            return _json(Asked(asks=False, say=None, record=None))
        return _json(Asked(asks=True, say=decision.say, record=decision.record))

    @router.get(
        "/{session_id}/queue",
        summary="What waits for a person: escalations, blocked answers, suggestions, undone",
        responses={**answers(list[AnswerRecord]), **errors},
    )
    def queue(session_id: str) -> Response:
        with hub.lock:
            return _json(sessions.queue(session_id))

    @router.post(
        "/{session_id}/actions",
        summary="An operator approves, answers, rejects or undoes an answer",
        responses={**answers(AnswerRecord), **error_responses(403, 404, 422)},
    )
    def act(session_id: str, payload: Annotated[ActionIn, Body()], who: Caller) -> Response:
        """``answer`` needs ``text`` (checked for banned claims and personal data too)."""
        require(who, "ingest")
        if payload.action == "answer" and payload.text is None:
            msg = "action 'answer' needs the operator's text"
            raise InvalidInput(msg)
        with hub.lock:
            record = sessions.act(
                session_id, payload.answer_id, payload.action, now_ms(), payload.text
            )
            sessions.flush()
        details = {"answer_id": payload.answer_id, "action": payload.action}
        hub.record(who.token_id, "qa.action", session_id, details)
        return _json(record)

    @router.get(
        "/{session_id}/answers",
        summary="The answer log: every answer and escalation with its catalog version",
        responses={**answers(list[AnswerRecord]), **errors},
    )
    def records(session_id: str) -> Response:
        with hub.lock:
            return _json(sessions.records(session_id))

    @router.get(
        "/{session_id}/stream",
        summary="What the AI host is to say, as Server-Sent Events (event: answer)",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **errors,
        },
    )
    def stream(session_id: str, request: Request, after: int = 0) -> StreamingResponse:
        """Each event's data is one :class:`Said` as JSON and its id the feed position; a client
        that reconnects sends ``?after=`` (or ``Last-Event-ID``) and gets what it missed."""
        last = request.headers.get("last-event-id", "")
        after = max(after, int(last)) if last.isdigit() else after
        with hub.lock:
            sessions.said_after(session_id, after)  # 404 before the stream starts
        return StreamingResponse(
            _answers(hub, sessions, session_id, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def _said_after(hub: LiveHub, sessions: QaSessions, session_id: str, seq: int) -> list[Said]:
    with hub.lock:
        return sessions.said_after(session_id, seq)


async def _answers(
    hub: LiveHub, sessions: QaSessions, session_id: str, after: int
) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    seq, idle = after, 0.0
    while True:
        new = await run_in_threadpool(_said_after, hub, sessions, session_id, seq)
        for said in new:
            seq = said.seq
            yield sse_message("answer", msgspec.json.encode(said), said.seq)
        if new:
            idle = 0.0
        elif idle >= HEARTBEAT_S:
            idle = 0.0
            yield b": heartbeat\n\n"
        await asyncio.sleep(POLL_S)
        idle += POLL_S
