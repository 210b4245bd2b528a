"""The FastAPI application: every route behind a token, one error shape, a live push channel.

:func:`create_app` wires a :class:`~livelens.api.hub.LiveHub` (ingest → store → engine) and a
:class:`~livelens.api.tokens.TokenRegistry` into routes; building it runs nothing until a server
(uvicorn) serves it. A token arrives as ``Authorization: Bearer <token>`` or, for the browser
screen, as the ``livelens_token`` cookie that ``/login?token=…`` sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import Depends, FastAPI

from livelens import __version__
from livelens.api.alert_routes import alert_routes
from livelens.api.auth import authenticator, link_authenticator
from livelens.api.errors import install_error_handlers
from livelens.api.hub import LiveHub
from livelens.api.intelligence_routes import intelligence_routes
from livelens.api.licence_routes import licence_routes
from livelens.api.live_decision_routes import live_decision_routes
from livelens.api.overlay import overlay_routes
from livelens.api.qa_routes import qa_routes, qa_sessions
from livelens.api.recommendation_routes import recommendation_routes
from livelens.api.routes import data_routes
from livelens.api.screen import screen_routes
from livelens.api.stream import Broadcaster, publishing
from livelens.api.tokens import TokenRegistry

MAX_BODY_BYTES: Final = 16 * 1024 * 1024


def create_app(
    hub: LiveHub,
    tokens: TokenRegistry,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    publish_interval_s: float = 0.2,
    revocation_check_s: float = 5.0,
) -> FastAPI:
    broadcaster = Broadcaster(
        hub, interval_s=publish_interval_s, revocation_check_s=revocation_check_s
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with publishing(broadcaster):
            yield

    authenticated = authenticator(tokens)
    app = FastAPI(
        title="livelens",
        version=__version__,
        summary="Live-commerce rooms: ingest, live metrics, insights, comments, live screen.",
        lifespan=lifespan,
        openapi_url=None,  # served below, behind a token like every other route
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a redirect would answer before the token check
    )
    install_error_handlers(app)
    app.state.hub, app.state.tokens, app.state.broadcaster = hub, tokens, broadcaster
    auth = Depends(authenticated)
    app.include_router(
        data_routes(hub, tokens, broadcaster, authenticated, max_body_bytes), dependencies=[auth]
    )
    app.include_router(licence_routes(hub, authenticated, max_body_bytes), dependencies=[auth])
    app.include_router(alert_routes(hub, authenticated), dependencies=[auth])
    app.include_router(intelligence_routes(hub, authenticated), dependencies=[auth])
    app.include_router(recommendation_routes(hub, authenticated), dependencies=[auth])
    app.state.qa = qa_sessions(hub)
    app.include_router(
        qa_routes(hub, app.state.qa, authenticated, max_body_bytes), dependencies=[auth]
    )
    app.include_router(live_decision_routes(hub, app.state.qa, authenticated), dependencies=[auth])
    app.include_router(screen_routes(tokens, authenticated))
    app.include_router(
        overlay_routes(hub.persona_on_air), dependencies=[Depends(link_authenticator(tokens))]
    )

    @app.get("/openapi.json", include_in_schema=False, dependencies=[auth])
    def openapi() -> dict[str, object]:
        return app.openapi()

    return app
