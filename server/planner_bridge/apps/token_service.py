"""The token service's HTTP face: `/v1/tokens`, `/auth/token`, the JWKS and RFC 8414 metadata.

The rules live in `grants`; this module only reads requests and writes answers. `/auth/token`
is the hot path: see `ClientCredentialsEndpoint` for why it is a bare ASGI app; its steps are
`ClientCredentialsGrant.create_token_response`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..errors import InvalidRequest, ProtocolError
from ..keys.ring import KeyRing
from ..metrics import CLIENT_CREDENTIALS
from ..tokens.client_credentials import ClientCredentialsGrant, FormRequest
from ..tokens.issuer import RIGHTS
from ..tokens.metadata import (
    JWKS_PATH,
    METADATA_PATH,
    SIGNED_TOKEN_PATH,
    TOKEN_PATH,
    authorization_server_metadata,
)
from ..tokens.signed_requests import MAX_USER_FIELD, SignedTokenGrant
from .bearer import TWO_AUTHORIZATIONS
from .observed import note_minted
from .openapi_parts import (
    DPOP_ERRORS,
    DPOP_PROOF,
    RIGHTS_SCHEMA,
    TOO_LARGE,
    TOO_MANY,
    error,
    ok,
    ref,
    request_body,
    signed,
    text,
)
from .responses import error_response, receive_body
from .signed import SignedRequests
from .signed_token import SignedTokenEndpoint

MAX_FORM_BODY = 4096
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


class TokenService:
    """The token endpoints, over the two grants, the signed-request check and the key ring."""

    def __init__(
        self,
        grants: tuple[ClientCredentialsGrant, SignedTokenGrant],
        signed_requests: SignedRequests,
        keyring: KeyRing,
        *,
        issuer: str,
        subject_of: Callable[[Scope], str],
    ) -> None:
        self.grant, self.signed = grants
        self.client_credentials = ClientCredentialsEndpoint(self.grant, subject_of)
        self.signed_token = SignedTokenEndpoint(self.signed, signed_requests)  # bare ASGI too
        self.keyring = keyring
        self.issuer = issuer

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.keyring.jwks(), headers=PUBLIC_CACHE)

    async def metadata(self, request: Request) -> Response:
        body = authorization_server_metadata(self.issuer)
        return JSONResponse(body, headers=PUBLIC_CACHE)


class ClientCredentialsEndpoint:
    """`POST /auth/token` as a bare ASGI app, still matched (and 405 answered) by the router.

    Why bare: one ES256 signature (~22 µs) is the only work this endpoint must do, and
    Starlette's Request, Headers, body stream and JSONResponse added ~16 µs to the ~50 µs an
    answer takes in-process (measured on this same code as a function endpoint). So it takes
    its three headers straight from the scope, hands the body's reading to the grant (which
    checks the brake first) and sends the grant's answer itself. Every refusal is still rendered
    by `responses.error_response`, the one error renderer, exactly as the app's exception
    handler would render it.
    """

    def __init__(self, grant: ClientCredentialsGrant, subject_of: Callable[[Scope], str]) -> None:
        self.grant = grant
        self.brake_subject = subject_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            authorization, content_type, length, dpop = _token_headers(scope["headers"])
            request = FormRequest(
                authorization,
                content_type,
                # The client's address, never the key it claims: a public key id must not let
                # a stranger lock out its holder.
                self.brake_subject(scope),
                lambda: receive_body(receive, length, MAX_FORM_BODY),
                dpop,
            )
            answer = await self.grant.create_token_response(request)
        except ProtocolError as exc:
            await error_response(exc)(scope, receive, send)
            return
        note_minted(scope, answer.kind, CLIENT_CREDENTIALS)
        headers = list(answer.headers)  # a list: middleware may add to it
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


def _token_headers(
    raw: Iterable[tuple[bytes, bytes]],
) -> tuple[str | None, str | None, bytes | None, tuple[str, ...]]:
    """Authorization (refused if sent twice), Content-Type and Content-Length (the first of
    each, as Starlette reads them; ASGI servers hand over lower-cased names), and every DPoP
    header (one is allowed). One pass: this is the hot path's reading of its request."""
    authorization = content_type = length = None
    dpop: tuple[str, ...] = ()
    for name, value in raw:
        if name == b"authorization":
            if authorization is not None:
                raise InvalidRequest(TWO_AUTHORIZATIONS)
            authorization = value.decode("latin-1")
        elif name == b"content-type":
            content_type = value.decode("latin-1") if content_type is None else content_type
        elif name == b"content-length":
            length = value if length is None else length
        elif name == b"dpop":
            dpop = (*dpop, value.decode("latin-1"))
    return authorization, content_type, length, dpop


def routes(service: TokenService) -> list[BaseRoute]:
    return [
        # The hot path first: the router tries routes in order.
        Route(TOKEN_PATH, service.client_credentials, methods=["POST"]),
        Route(SIGNED_TOKEN_PATH, service.signed_token, methods=["POST"]),
        Route(JWKS_PATH, service.jwks, methods=["GET"]),
        Route(METADATA_PATH, service.metadata, methods=["GET"]),
    ]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

USER = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": text(MAX_USER_FIELD), "name": text(MAX_USER_FIELD)},
}
SCHEMAS: dict[str, Any] = {
    "TokenRequest": {
        "type": "object",
        "required": ["type"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": ["legal_entity", "user"]},
            "user": {**USER, "description": "Only (and required) for user tokens"},
            "rights": RIGHTS_SCHEMA,
            "expires_in": {"type": "integer", "description": "Seconds; default 3600"},
            "jkt": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{43}$",
                "description": "The planner's DPoP key (RFC 7638 thumbprint): the token is bound"
                " to it (cnf.jkt, token_type DPoP); required for entities that require DPoP",
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "type", "rights", "expires_in", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": "A JWT (typ at+jwt)"},
            "token_type": {"enum": ["Bearer", "DPoP"]},
            "type": {"enum": ["legal_entity", "user"]},
            "rights": {"type": "array", "items": {"enum": list(RIGHTS)}},
            "expires_in": {"type": "integer"},
            "expires_at": {"type": "integer", "description": "Epoch seconds"},
        },
    },
    "ClientCredentialsForm": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"const": "client_credentials"},
            "scope": {"type": "string", "description": 'Space-separated: "read", "read write"'},
            "client_id": {"type": "string", "description": "client_secret_post, or checked"},
            "client_secret": {"type": "string", "description": "client_secret_post only"},
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"enum": ["Bearer", "DPoP"]},
            "expires_in": {"type": "integer", "maximum": 86400},
            "scope": {"enum": ["read", "read write"]},
        },
    },
}

OPERATIONS: dict[str, Any] = {
    TOKEN_PATH: {
        "post": {
            "summary": "OAuth2 client credentials (RFC 6749 §4.4): a legal-entity token",
            "security": [{"basicAuth": []}, {}],
            "parameters": [DPOP_PROOF],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": ref("ClientCredentialsForm")}
                },
            },
            "responses": {
                "200": ok("The token", ref("AccessToken")),
                "400": {
                    **error(
                        "Malformed form, credentials in both places, unknown grant or scope, a"
                        " refused DPoP proof (or none, for an entity that requires DPoP)",
                        "invalid_request",
                        "unsupported_grant_type",
                        "invalid_scope",
                        *DPOP_ERRORS,
                    ),
                    "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                },
                "401": error("Unknown client or wrong secret", "invalid_client", challenge=True),
                "413": TOO_LARGE,
                "429": TOO_MANY,
            },
        }
    },
    SIGNED_TOKEN_PATH: {
        "post": signed(
            {
                "summary": "A legal-entity or user token, for a signed request",
                "requestBody": request_body("TokenRequest"),
                "responses": {
                    "201": ok("The token", ref("Token")),
                    "400": error(
                        "Malformed body; no jkt for an entity that requires DPoP",
                        "invalid_request",
                    ),
                    "403": error("Write rights not allowed", "invalid_scope"),
                },
            }
        )
    },
    JWKS_PATH: {
        "get": {
            "summary": "The token service's public keys (RFC 7517), with kid",
            "responses": {"200": ok("The key set", {"type": "object", "required": ["keys"]})},
        }
    },
    METADATA_PATH: {
        "get": {
            "summary": "RFC 8414 authorization server metadata",
            "responses": {"200": ok("The metadata", {"type": "object", "required": ["issuer"]})},
        }
    },
}
