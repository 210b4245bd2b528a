"""The live screen's routes: the page at ``/``, its assets, and ``/login`` which turns a token in
a link (what ``livelens serve`` and the demo print) into an HTTP-only cookie for the browser."""

import html
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from livelens.api.auth import COOKIE, Authenticator, token_of
from livelens.api.tokens import TokenRegistry
from livelens.dashboard.assets import STATIC_DIR, asset
from livelens.errors import AuthenticationError, NotFound

_LOGIN_PAGE = """<!doctype html><html lang="zh"><meta charset="utf-8"><title>livelens</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>livelens 直播大屏</h1><p>{problem}</p>
<p>请使用 <code>livelens serve</code> 或 <code>make demo</code> 打印的链接打开大屏
（<code>/login?token=…</code>）。<br>Open the screen with the link that <code>livelens serve</code>
or <code>make demo</code> printed (<code>/login?token=…</code>).</p></body></html>"""


def screen_routes(tokens: TokenRegistry, authenticated: Authenticator) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login(token: Annotated[str, Query()], session: str | None = None) -> Response:
        try:
            tokens.authenticate(token)
        except AuthenticationError as error:
            problem = html.escape(str(error))
            return HTMLResponse(_LOGIN_PAGE.format(problem=problem), status_code=401)
        target = "/" + (f"?{urlencode({'session': session})}" if session else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    @router.get("/")
    def page(request: Request) -> Response:
        try:  # an anonymous visitor gets a sign-in hint, not a JSON error
            tokens.authenticate(token_of(request))
        except AuthenticationError as error:
            problem = html.escape(str(error))
            return HTMLResponse(_LOGIN_PAGE.format(problem=problem), status_code=401)
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @router.get("/assets/{name}", dependencies=[Depends(authenticated)])
    def page_asset(name: str) -> Response:
        found = asset(name)
        if found is None:
            msg = f"no screen asset {name!r}"
            raise NotFound(msg)
        path, media_type = found
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})

    return router
