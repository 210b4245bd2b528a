"""The API's one error shape and the handlers that produce it.

Every failure answers ``{"error": {"status": int, "code": str, "message": str, "details": ...}}``
— livelens errors, HTTP errors and request-validation errors alike — so a client parses one shape.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from livelens.api.auth import token_of
from livelens.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidEvent,
    InvalidInput,
    InvalidReferenceData,
    LivelensError,
    NotFound,
    StoreError,
)

_STATUS: Final[tuple[tuple[type[LivelensError], int, str], ...]] = (
    (AuthenticationError, 401, "unauthenticated"),
    (NotFound, 404, "not_found"),
    (InvalidInput, 422, "invalid_input"),
    (InvalidEvent, 422, "invalid_event"),
    (InvalidReferenceData, 422, "invalid_reference_data"),
    (StoreError, 503, "store_unavailable"),
    (ConfigurationError, 500, "misconfigured"),
)


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status of the answer, repeated")
    code: str = Field(
        description="unauthenticated, forbidden, not_found, payload_too_large, invalid_records, "
        "empty_body, invalid_request, invalid_input, licence_refused, store_unavailable, …"
    )
    message: str = Field(description="What failed, where, and how to fix it")
    details: Any = Field(description="The problems, when there is more to say (else null)")


class ErrorBody(BaseModel):
    """The one error shape, as the OpenAPI description documents it."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


_MEANING: Final = {
    401: "No valid API token: missing, unknown, revoked or expired (unauthenticated)",
    403: "The token's role or scopes do not allow this (forbidden)",
    404: "No such session, token or licence (not_found)",
    413: "The body is over the limit (payload_too_large)",
    422: "The request, its body or its records are not valid",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status documented with the one error shape."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


class ApiError(LivelensError):
    """An error with its own status and code (e.g. 413 for an oversized body)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.details = status, code, details


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body = {"error": {"status": status, "code": code, "message": message, "details": details}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(
        msgspec.json.encode(body), status, headers=headers, media_type="application/json"
    )


def _livelens(_request: Request, error: Exception) -> Response:
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, str(error), error.details)
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            if status == 401 and "permission" in str(error):
                status, code = 403, "forbidden"
            return error_response(status, code, str(error))
    return error_response(500, "internal", str(error))


def _unauthenticated(request: Request) -> Response | None:
    """The 401 of an ``/api`` request without a valid token, else None.

    FastAPI parses a JSON body before it runs a route's dependencies, and routing fails before
    them too, so such failures would reach an anonymous caller before the token check does. The
    API answers 401 all the same: what it does with a request is none of an anonymous caller's
    business (and the parse or routing error would tell it the route's shape)."""
    tokens = getattr(request.app.state, "tokens", None)
    if tokens is None or not request.url.path.startswith("/api/"):
        return None
    try:
        tokens.authenticate(token_of(request))
    except AuthenticationError as error:
        return _livelens(request, error)
    return None


def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    refused = _unauthenticated(request)
    if refused is not None:
        return refused
    if error.status_code == 400:  # FastAPI could not parse the body (e.g. JSON that is not UTF-8)
        message = f"the request is not valid: body: {error.detail}"
        return error_response(
            422, "invalid_request", message, [{"where": "body", "problem": error.detail}]
        )
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


def _validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    refused = _unauthenticated(request)
    if refused is not None:
        return refused
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in error.errors()
    ]
    where = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
    return error_response(422, "invalid_request", f"the request is not valid: {where}", problems)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LivelensError, _livelens)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
