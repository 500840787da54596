"""The one place that turns core results and `errors.ProtocolError` into HTTP answers."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive

from ..errors import (
    DPoPRefusal,
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    MissingCredentials,
    PayloadTooLarge,
    ProtocolError,
    TemporarilyUnavailable,
    TooManyRequests,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_JSON_BODY = 64 * 1024 + 4096  # an asset's 64 KiB document plus its envelope


def error_response(exc: ProtocolError, *, dpop: bool = False) -> Response:
    """`dpop`: the request came with `Authorization: DPoP` (`bearer.is_dpop`), so a token's
    refusal names that scheme (RFC 9449 §7.1), as a Bearer call's names Bearer."""
    headers = dict(NO_STORE)
    challenge = _challenge(exc, dpop)
    if challenge:
        headers["WWW-Authenticate"] = challenge
    if isinstance(exc, DPoPRefusal) and exc.nonce:
        headers["DPoP-Nonce"] = exc.nonce
    if isinstance(exc, TooManyRequests | TemporarilyUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, MissingCredentials):
        return Response(status_code=exc.status_code, headers=headers)
    body = {"error": exc.error, "error_description": exc.description or exc.error}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _challenge(exc: ProtocolError, dpop: bool = False) -> str | None:
    if isinstance(exc, DPoPRefusal):  # RFC 9449 §7.1; at a token endpoint (400) none
        return f'DPoP error="{exc.error}", algs="ES256"' if exc.status_code == 401 else None
    if isinstance(exc, InvalidClient):
        return exc.scheme if exc.scheme != "Basic" else 'Basic realm="planner-bridge"'
    if isinstance(exc, MissingCredentials):
        return 'Bearer realm="planner"'
    if isinstance(exc, InvalidToken) or exc.error == "insufficient_scope":
        if dpop:
            return f'DPoP error="{exc.error}", algs="ES256"'
        return f'Bearer realm="planner", error="{exc.error}"'
    return None


def server_error_response() -> Response:
    """An unexpected failure (a bug): coded, as every error is, and saying nothing more."""
    body = {"error": "server_error", "error_description": "internal server error"}
    return JSONResponse(body, status_code=500, headers=NO_STORE)


# Seconds a client waits before retrying while the database is away.
UNAVAILABLE_RETRY_AFTER = 2


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """The database is away (storage.DatabaseUnavailable): 503, retry shortly."""
    return unavailable_response()


def unavailable_response() -> Response:
    return error_response(
        TemporarilyUnavailable("the database is unavailable", retry_after=UNAVAILABLE_RETRY_AFTER)
    )


async def protocol_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, method not allowed) in the same JSON shape, so a
    client of the planner origin never has to parse a text/plain error."""
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "invalid_request"
    body = {"error": code, "error_description": str(exc.detail).lower()}
    headers = {**NO_STORE, **(exc.headers or {})}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def json_response(body: Any, status_code: int = 200, *, no_store: bool = False) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers=NO_STORE if no_store else None)


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The raw body, refused with 413 as soon as it grows past `limit`."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_body(receive: Receive, declared: bytes | None, limit: int) -> bytes:
    """`read_body` for a bare ASGI endpoint (its Content-Length as given, `declared`): the whole
    body, refused with 413 as soon as it is known to be past `limit`. If the client left, it
    raises `ClientDisconnect`, as Starlette's `Request.stream` does (`observed` records it)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes")
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise ClientDisconnect()
        body += message.get("body", b"")
        if len(body) > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes")
        if not message.get("more_body", False):
            return body


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting: 400, not 500
        raise InvalidRequest("body must be a JSON object") from None
    if not isinstance(value, dict):
        raise InvalidRequest("body must be a JSON object")
    return value
