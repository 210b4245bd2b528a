"""The live decision layer over the API: each room's autonomy level (how far the recommender acts
on its own), and the Q&A sessions whose answers the live screen shows.

Reading needs ``read``; setting the level needs a manager (role ``manager`` or ``admin``, with
``ingest``) and is audited as ``autonomy.set``.
"""

from typing import Annotated, Final

import msgspec
from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from livelens.api.auth import Authenticator
from livelens.api.decision_panels import QaFeed
from livelens.api.errors import error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import answers
from livelens.api.tokens import TokenInfo, require
from livelens.errors import AuthenticationError
from livelens.knowledge.autonomy import Level, RoomAutonomy

MANAGERS: Final = ("manager", "admin")


class AutonomyIn(BaseModel):
    level: Level = Field(
        description="suggest: new recommendations wait for a person (pending); "
        "auto: they are executed at once (auto_executed)"
    )


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), 200, media_type="application/json")


def require_manager(who: TokenInfo) -> None:
    """Refuse (403) a token that is not a manager's (or an admin's) able to act on the room."""
    require(who, "ingest")
    if who.role not in MANAGERS:
        msg = (
            f"setting a room's autonomy needs a manager's permission (role {', '.join(MANAGERS)}); "
            f"token {who.token_id} has the role {who.role}"
        )
        raise AuthenticationError(msg)


def live_decision_routes(hub: LiveHub, qa: QaFeed, authenticated: Authenticator) -> APIRouter:
    """The routes; from now on the frames of ``qa``'s sessions carry their latest answers."""
    hub.decisions.follow_qa(qa)
    router = APIRouter(prefix="/api", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    @router.get(
        "/rooms/{room_id}/autonomy",
        summary="A room's autonomy level for recommendations (suggest unless a manager set it)",
        responses={**answers(RoomAutonomy), **error_responses(422)},
    )
    def get_autonomy(room_id: str) -> Response:
        with hub.lock:
            return _json(hub.decisions.recommender.autonomy.get(room_id))

    @router.put(
        "/rooms/{room_id}/autonomy",
        summary="Set a room's autonomy level (managers); the audit log records it",
        responses={**answers(RoomAutonomy), **error_responses(403, 422)},
    )
    def put_autonomy(room_id: str, payload: Annotated[AutonomyIn, Body()], who: Caller) -> Response:
        """Applies to the recommendations made from then on; earlier ones keep their fate."""
        require_manager(who)
        with hub.lock:
            before = hub.decisions.recommender.autonomy.get(room_id).level
            found = hub.decisions.set_autonomy(room_id, payload.level, who.name, hub.clock())
        hub.record(who.token_id, "autonomy.set", room_id, {"level": found.level, "was": before})
        return _json(found)

    return router
