"""`POST /oauth/revoke` (RFC 7009): reads the request, hands it to `tokens.token_revocation`,
sends its answer. What revokes what, and how fast: `tokens.revocation`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from ..errors import PayloadTooLarge
from ..tokens.client_credentials import FormRequest
from ..tokens.metadata import REVOCATION_PATH
from ..tokens.token_revocation import TokenRevocation
from .bearer import authorization_header
from .openapi_parts import TOO_LARGE, TOO_MANY, error, ref

MAX_FORM_BODY = 8192  # a token (4096 at most) and the client's credentials


class RevocationEndpoint:
    def __init__(self, revocation: TokenRevocation, subject_of: Callable[[Scope], str]) -> None:
        self.revocation = revocation
        self.subject_of = subject_of

    async def revoke(self, request: Request) -> Response:
        form_request = FormRequest(
            _authorization(request),
            request.headers.get("content-type"),
            self.subject_of(request.scope),  # the client's address, never the key it claims
            lambda: _read_body(request),
        )
        answer = await self.revocation.create_revocation_response(form_request)
        response = Response(answer.body, status_code=answer.status)
        response.raw_headers = list(answer.headers)
        return response


def _authorization(request: Request) -> str | None:
    value = authorization_header(request.scope["headers"])  # sent twice: 400, as everywhere
    return None if value is None else value.decode("latin-1")


async def _read_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():  # ClientDisconnect if the client left (`observed`)
        body += chunk
        if len(body) > MAX_FORM_BODY:
            raise PayloadTooLarge(f"body is larger than {MAX_FORM_BODY} bytes")
    return body


def routes(endpoint: RevocationEndpoint) -> list[BaseRoute]:
    return [Route(REVOCATION_PATH, endpoint.revoke, methods=["POST"])]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

SCHEMAS: dict[str, Any] = {
    "RevocationForm": {
        "type": "object",
        "required": ["token"],
        "properties": {
            "token": {"type": "string", "description": "The access token to revoke"},
            "token_type_hint": {"enum": ["access_token"]},
            "client_id": {"type": "string", "description": "client_secret_post, or checked"},
            "client_secret": {"type": "string", "description": "client_secret_post only"},
        },
    },
}

OPERATIONS: dict[str, Any] = {
    REVOCATION_PATH: {
        "post": {
            "summary": "OAuth2 token revocation (RFC 7009): refused everywhere within 1 s",
            "description": "Client-authenticated as at /auth/token. 200 with an empty body"
            " whether or not the token was known or valid; another entity's token is left"
            " alone.",
            "security": [{"basicAuth": []}, {}],
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": ref("RevocationForm")}},
            },
            "responses": {
                "200": {"description": "Revoked, or nothing to revoke (empty body)"},
                "400": error("Malformed form, no token", "invalid_request"),
                "401": error("Unknown client or wrong secret", "invalid_client", challenge=True),
                "413": TOO_LARGE,
                "429": TOO_MANY,
            },
        }
    },
}
