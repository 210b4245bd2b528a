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
from starlette.exceptions import HTTPException

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


def _http(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


def _validation(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
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
