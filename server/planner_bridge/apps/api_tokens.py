"""The API-token routes of the token service: issue, list, disable/enable, delete (signed with the
entity's API key, RFC 9421) and exchange (`Authorization: Bearer <API token>`).

The rules live in `planner_bridge.tokens.api_tokens`; this module only reads requests and writes
answers. An entity sees and changes only its own tokens (another entity's id answers 404).
The exchange reads `Authorization: Bearer` with `apps.bearer.bearer_token`, so it answers as the
web services do: no Bearer credentials 401 without an error code, a malformed header or a token
in the URL 400 `invalid_request`, a refused API token 401 `invalid_token`.
Failed exchanges are counted per client address and braked with 429 + `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from .. import audit
from ..errors import InvalidRequest, InvalidToken, MissingCredentials
from ..metrics import API_TOKEN_EXCHANGE, SIGNED_REQUEST
from ..ratelimit import FailureLimiter
from ..tokens.api_tokens import (
    MAX_DAYS,
    MAX_EXCHANGE_TTL,
    MAX_NAME_LENGTH,
    MAX_USER_ID_LENGTH,
    ApiTokens,
    describe,
    expires_at,
)
from ..tokens.dpop import ProofChecker
from ..tokens.issuer import RIGHTS
from .bearer import bearer_token
from .observed import note_minted
from .openapi_parts import (
    BEARER_ANSWERS,
    DPOP_ERRORS,
    DPOP_PROOF,
    NOT_FOUND,
    NULLABLE_INT,
    RIGHTS_SCHEMA,
    TOKEN_ID,
    TOO_MANY,
    error,
    ok,
    ref,
    request_body,
    signed,
    text,
)
from .responses import NO_STORE, json_response, parse_json_object
from .signed import SignedRequests

EXCHANGE_PATH = "/v1/api-tokens/exchange"
CREATE_FIELDS = frozenset({"name", "user", "expires_in_days", "rights"})
USER_FIELDS = frozenset({"id", "name"})


def json_body(request: Request, body: bytes, fields: frozenset[str]) -> dict[str, Any]:
    """The signed body as a JSON object with only known fields (a typo must not pass silently)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidRequest("the body must be application/json")
    data = parse_json_object(body)
    _only(data, fields, "")
    return data


def _only(data: dict[str, Any], fields: frozenset[str], prefix: str) -> None:
    unknown = set(data) - fields
    if unknown:
        raise InvalidRequest(f"unknown field {prefix + sorted(unknown)[0]!r}")


def _user(data: dict[str, Any]) -> dict[str, Any]:
    user = data.get("user")
    if not isinstance(user, dict):
        raise InvalidRequest('user must be an object {"id", "name"}')
    _only(user, USER_FIELDS, "user.")
    return user


class ApiTokenRoutes:
    def __init__(
        self,
        tokens: ApiTokens,
        signed: SignedRequests,
        exchange_failures: FailureLimiter,
        subject_of: Callable[[Scope], str],
        proofs: ProofChecker,
        *,
        default_days: int,
    ) -> None:
        self.tokens = tokens
        self.proofs = proofs
        self.signed = signed
        # Failed exchanges, counted per client address only.
        self.exchange_failures = exchange_failures
        self.subject_of = subject_of
        self.default_days = default_days

    async def create(self, request: Request) -> Response:
        caller, body = await self.signed.authenticate(request)
        data = json_body(request, body, CREATE_FIELDS)
        user = _user(data)
        issued = await self.tokens.issue(
            caller.entity,
            actor=audit.signed_by(caller.key.key_id),
            name=data.get("name"),
            user_id=user.get("id"),
            user_name=user.get("name"),
            rights=data.get("rights"),
            # Absent: the default lifetime; an explicit null: never expires (a deliberate choice).
            expires_in_days=data.get("expires_in_days", self.default_days),
        )
        record = issued.record
        note_minted(request.scope, "api_token", SIGNED_REQUEST)
        answer = {"id": record.id, "name": record.name, "token": issued.token}
        return json_response({**answer, "expires_at": expires_at(record)}, 201, no_store=True)

    async def list(self, request: Request) -> Response:
        caller, _ = await self.signed.authenticate(request)
        records = await self.tokens.of_entity(caller.entity.id)
        return json_response({"api_tokens": [describe(r) for r in records]}, no_store=True)

    async def change(self, request: Request) -> Response:
        caller, body = await self.signed.authenticate(request)
        disabled = json_body(request, body, frozenset({"disabled"})).get("disabled")
        if not isinstance(disabled, bool):
            raise InvalidRequest("disabled must be true or false")
        token_id = request.path_params["token_id"]
        actor = audit.signed_by(caller.key.key_id)
        record = await self.tokens.set_disabled(token_id, disabled, caller.entity.id, actor=actor)
        return json_response(describe(record), no_store=True)

    async def delete(self, request: Request) -> Response:
        caller, _ = await self.signed.authenticate(request)
        actor = audit.signed_by(caller.key.key_id)
        await self.tokens.delete(request.path_params["token_id"], caller.entity.id, actor=actor)
        return Response(status_code=204, headers=NO_STORE)

    async def exchange(self, request: Request) -> Response:
        address = self.subject_of(request.scope)
        with self.exchange_failures.guarding(address, counts=InvalidToken):
            token = bearer_token(request)  # the web services' parser, so the same answers
            if token is None:
                raise MissingCredentials()  # RFC 6750 §3.1: no Bearer credentials, no code
            # RFC 9449 §5: a DPoP proof binds the user token to the planner's key. Its jti is
            # spent before the API token is checked, on purpose: a proof once presented is never
            # good again, even where its request then failed (§11.1); failures are braked above.
            jkt = await self.proofs.key_for_token(
                request.headers.getlist("dpop"), path=EXCHANGE_PATH
            )
            minted = await self.tokens.exchange(token, jkt=jkt)
        note_minted(request.scope, "user", API_TOKEN_EXCHANGE)
        token_type = "Bearer" if jkt is None else "DPoP"
        answer = {"access_token": minted.token, "token_type": token_type}
        return json_response({**answer, "expires_in": minted.expires_in}, no_store=True)


def routes(api: ApiTokenRoutes) -> list[BaseRoute]:
    return [
        # Before `{token_id}`, so "exchange" is never taken for an id.
        Route(EXCHANGE_PATH, api.exchange, methods=["POST"]),
        Route("/v1/api-tokens", api.create, methods=["POST"]),
        Route("/v1/api-tokens", api.list, methods=["GET"]),
        Route("/v1/api-tokens/{token_id}", api.change, methods=["PATCH"]),
        Route("/v1/api-tokens/{token_id}", api.delete, methods=["DELETE"]),
    ]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

SCHEMAS: dict[str, Any] = {
    "ApiTokenRequest": {
        "type": "object",
        "required": ["name", "user"],
        "additionalProperties": False,
        "properties": {
            "name": text(MAX_NAME_LENGTH),
            "user": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": text(MAX_USER_ID_LENGTH), "name": text(MAX_NAME_LENGTH)},
            },
            "expires_in_days": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_DAYS,
                "description": "Default 30; null: never expires",
            },
            "rights": RIGHTS_SCHEMA,
        },
    },
    "NewApiToken": {
        "type": "object",
        "required": ["id", "name", "token", "expires_at"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "token": {"type": "string", "description": "Shown this once only"},
            "expires_at": NULLABLE_INT,
        },
    },
    "ApiToken": {
        "type": "object",
        "required": ["id", "name", "user", "rights", "created", "expires_at", "disabled"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "user": {"type": "object", "properties": {"id": {}, "name": {}}},
            "rights": {"type": "array", "items": {"enum": list(RIGHTS)}},
            "created": {"type": "integer"},
            "expires_at": NULLABLE_INT,
            "never_expires": {"type": "boolean"},
            "last_used": NULLABLE_INT,
            "disabled": {"type": "boolean"},
        },
    },
    "ApiTokenList": {
        "type": "object",
        "required": ["api_tokens"],
        "properties": {"api_tokens": {"type": "array", "items": ref("ApiToken")}},
    },
    "ApiTokenChange": {
        "type": "object",
        "required": ["disabled"],
        "additionalProperties": False,
        "properties": {"disabled": {"type": "boolean"}},
    },
}

OPERATIONS: dict[str, Any] = {
    "/v1/api-tokens": {
        "post": signed(
            {
                "summary": "Create a long-lived API token (shown once)",
                "requestBody": request_body("ApiTokenRequest"),
                "responses": {
                    "201": ok("The new token", ref("NewApiToken")),
                    "403": error("Write rights not allowed", "invalid_scope"),
                },
            }
        ),
        "get": signed(
            {
                "summary": "The entity's API tokens, without secrets",
                "responses": {"200": ok("The list", ref("ApiTokenList"))},
            }
        ),
    },
    "/v1/api-tokens/{token_id}": {
        "parameters": [TOKEN_ID],
        "patch": signed(
            {
                "summary": "Disable or enable an API token",
                "requestBody": request_body("ApiTokenChange"),
                "responses": {"200": ok("The token", ref("ApiToken")), "404": NOT_FOUND},
            }
        ),
        "delete": signed(
            {
                "summary": "Delete an API token",
                "responses": {"204": {"description": "Deleted"}, "404": NOT_FOUND},
            }
        ),
    },
    "/v1/api-tokens/exchange": {
        "post": {
            "summary": f"Trade an API token for a user access token (≤ {MAX_EXCHANGE_TTL} s)",
            "security": [{"apiTokenAuth": []}],
            "parameters": [DPOP_PROOF],  # RFC 9449 §5: binds the user token to its key
            "responses": {
                "200": ok("The access token", ref("AccessToken")),
                **BEARER_ANSWERS,
                "400": {
                    **error(
                        "Malformed Authorization header, token in the URL, a refused DPoP proof"
                        " (or none, for an entity that requires DPoP)",
                        "invalid_request",
                        *DPOP_ERRORS,
                    ),
                    "headers": {"DPoP-Nonce": {"schema": {"type": "string"}}},
                },
                "429": TOO_MANY,
            },
        }
    },
}
