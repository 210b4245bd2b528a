"""Who is calling: the token of a request, from its bearer header or the screen's cookie."""

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from livelens.api.tokens import TokenInfo, TokenRegistry

COOKIE: Final = "livelens_token"

_bearer = HTTPBearer(auto_error=False, description="An API token: llk_<id>_<secret>")

Authenticator = Callable[..., TokenInfo]


def token_of(request: Request) -> str | None:
    """The bearer token of the request, else the screen's cookie."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE)


def authenticator(tokens: TokenRegistry) -> Authenticator:
    """The dependency every route uses (FastAPI runs it once per request, however often named)."""

    def authenticated(
        request: Request,
        _bearer_scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenInfo:
        return tokens.authenticate(token_of(request))

    return authenticated


def link_authenticator(tokens: TokenRegistry) -> Authenticator:
    """For pages opened by software that cannot send headers (a streaming overlay): the token
    may also come as ``?token=`` in the link."""

    def authenticated(
        request: Request,
        _bearer_scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenInfo:
        return tokens.authenticate(token_of(request) or request.query_params.get("token"))

    return authenticated
