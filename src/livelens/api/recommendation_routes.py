"""The knowledge layer over the API: a session's recommendations (the hub's playbooks — the ones
``livelens serve --playbooks`` loaded, else the starter library — replayed, or the live so far),
recording them in the uplift ledger, setting their fate, and per playbook the running uplift
estimate with its retirement flag. Accepting (or marking executed) a recommendation of a live
session puts its action into the live (``LiveHub.execute``: a flash discount's ``promo.start``, a
pin, a persona switch)."""

from typing import Annotated, Literal, TypedDict

import msgspec
from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import answers
from livelens.api.tokens import TokenInfo, require
from livelens.knowledge.ledger import EXECUTED, Entry, Ledger
from livelens.knowledge.recommender import Replay
from livelens.knowledge.replay import recommend_session
from livelens.knowledge.uplift import UpliftEstimate


class FateIn(BaseModel):
    fate: Literal["accepted", "rejected", "auto_executed", "expired"] = Field(
        description="What happened to the recommendation (set once)"
    )


class Recorded(TypedDict):
    recorded: int  # recommendations new to the ledger


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), 200, media_type="application/json")


def recommendation_routes(hub: LiveHub, authenticated: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    def replay(session_id: str) -> Replay:
        with hub.lock:
            hub.summarise_sessions()
            return recommend_session(hub.store, session_id, hub.playbooks)

    @router.get(
        "/sessions/{session_id}/recommendations",
        summary="The playbooks' recommendations of a session, minute by minute, with evidence",
        responses={**answers(Replay), **error_responses(404, 422)},
    )
    async def recommendations(session_id: str) -> Response:
        """Each with action, target, start, duration_s, expected_uplift (metric, value, low,
        high, source) and its evidence chain; ``withheld`` lists what a constraint stopped."""
        return _json(await run_in_threadpool(replay, session_id))

    @router.post(
        "/sessions/{session_id}/recommendations/record",
        summary="Add the session's recommendations to the uplift ledger (pending)",
        responses={**answers(Recorded), **error_responses(403, 404, 422)},
    )
    async def record(session_id: str, who: Caller) -> Response:
        require(who, "ingest")
        found = await run_in_threadpool(replay, session_id)
        with hub.lock:
            added = Ledger(hub.store.con).record(found.recommendations)
        recorded: Recorded = {"recorded": added}
        return _json(recorded)

    @router.get(
        "/ledger",
        summary="The uplift ledger: recommendations with fate and measured outcome",
        responses={**answers(list[Entry]), **error_responses(422)},
    )
    def ledger(session: str | None = None) -> Response:
        with hub.lock:
            return _json(Ledger(hub.store.con).entries(session))

    @router.get(
        "/playbooks/estimates",
        summary="Per playbook id: the running uplift estimate and whether to retire it",
        responses=answers(dict[str, UpliftEstimate]),
    )
    def estimates() -> Response:
        """Over the ledger's measured outcomes: ``outcomes``, ``mean``, the 95% ``low`` and
        ``high``, ``retire`` and ``retire_reason`` (``hurts``: the interval lies below zero;
        ``no worthwhile effect``: below +2%; null while kept) — what ``livelens ledger
        estimates --format json`` prints."""
        with hub.lock:
            return _json(Ledger(hub.store.con).estimates())

    @router.post(
        "/recommendations/{recommendation_id}/fate",
        summary="Accept, reject, or mark a recommendation executed or expired (once; audited)",
        responses={**answers(Entry), **error_responses(403, 404, 422)},
    )
    def fate(recommendation_id: str, payload: Annotated[FateIn, Body()], who: Caller) -> Response:
        require(who, "ingest")
        with hub.lock:
            entry = Ledger(hub.store.con).set_fate(
                recommendation_id, payload.fate, who.name, hub.clock()
            )
        details = {"fate": payload.fate, "playbook": entry.recommendation.playbook}
        hub.record(who.token_id, "recommendation.fate", recommendation_id, details)
        if payload.fate in EXECUTED:
            hub.execute(recommendation_id)  # its action into the live, while it is live
        return _json(entry)

    return router
