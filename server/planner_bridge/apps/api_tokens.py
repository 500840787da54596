"""The API-token routes of the token service: issue, list, disable/enable, delete (signed with the
entity's API key, RFC 9421) and exchange (`Authorization: Bearer <API token>`).

An entity sees and changes only its own tokens; another entity's token id answers 404.
Failed exchanges are counted per client address and braked with 429 + `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..api_tokens import ApiTokens, describe, expires_at
from ..core import Core
from ..errors import InvalidRequest, InvalidToken, MissingCredentials
from .responses import json_response, parse_json_object
from .signed import authenticate_signed, client_address

MAX_BEARER_LENGTH = 4096


def _user(body: dict[str, Any]) -> dict[str, Any]:
    user = body.get("user")
    if not isinstance(user, dict):
        raise InvalidRequest('user must be an object {"id", "name"}')
    return user


def bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`; none at all is RFC 6750's bare 401."""
    header = request.headers.get("authorization")
    if not header:
        raise MissingCredentials()
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_BEARER_LENGTH:
        raise InvalidToken("expected Authorization: Bearer <API token>")
    return token


def routes(core: Core) -> list[BaseRoute]:
    tokens = ApiTokens(core)

    async def create(request: Request) -> Response:
        caller, body = await authenticate_signed(request, core)
        data = parse_json_object(body)
        user = _user(data)
        issued = tokens.issue(
            caller.entity,
            name=data.get("name"),
            user_id=user.get("id"),
            user_name=user.get("name"),
            rights=data.get("rights"),
            # Absent: the default lifetime; an explicit null: never expires (a deliberate choice).
            expires_in_days=data.get("expires_in_days", core.settings.api_token_days),
        )
        record = issued.record
        answer = {
            "id": record.id,
            "name": record.name,
            "token": issued.token,
            "expires_at": expires_at(record),
        }
        return json_response(answer, 201, no_store=True)

    async def list_tokens(request: Request) -> Response:
        caller, _ = await authenticate_signed(request, core)
        records = tokens.of_entity(caller.entity.id)
        return json_response({"api_tokens": [describe(r) for r in records]}, no_store=True)

    async def change(request: Request) -> Response:
        caller, body = await authenticate_signed(request, core)
        disabled = parse_json_object(body).get("disabled")
        if not isinstance(disabled, bool):
            raise InvalidRequest("disabled must be true or false")
        token_id = request.path_params["token_id"]
        record = tokens.set_disabled(token_id, disabled, caller.entity.id)
        return json_response(describe(record), no_store=True)

    async def delete(request: Request) -> Response:
        caller, _ = await authenticate_signed(request, core)
        tokens.delete(request.path_params["token_id"], caller.entity.id)
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    async def exchange(request: Request) -> Response:
        address = f"addr:{client_address(request)}"
        core.exchange_failures.check(address)
        try:
            minted = tokens.exchange(bearer_token(request))
        except InvalidToken:
            core.exchange_failures.record_failure(address)
            raise
        answer = {
            "access_token": minted.token,
            "token_type": "Bearer",
            "expires_in": minted.expires_in,
        }
        return json_response(answer, no_store=True)

    return [
        Route("/v1/api-tokens/exchange", exchange, methods=["POST"]),
        Route("/v1/api-tokens", create, methods=["POST"]),
        Route("/v1/api-tokens", list_tokens, methods=["GET"]),
        Route("/v1/api-tokens/{token_id}", change, methods=["PATCH"]),
        Route("/v1/api-tokens/{token_id}", delete, methods=["DELETE"]),
    ]
