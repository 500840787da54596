"""`POST /v1/tokens` (SPEC "Token service"): the legal-entity or user token a signed JSON body
asks for. The signature was checked before anything here runs (`signatures`); the web layer
hands over the caller and the body as a JSON object, and sends the `TokenAnswer` back.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..errors import InvalidRequest
from ..settings import Settings
from ..storage import ApiKey, Entity
from .client_credentials import ANSWER_HEADERS, TokenAnswer, check_rights_allowed
from .dpop import check_dpop_policy, is_jkt
from .issuer import TokenIssuer, parse_rights

MAX_USER_FIELD = 200
TOKEN_REQUEST_FIELDS = frozenset({"type", "user", "rights", "expires_in", "jkt"})


@dataclasses.dataclass(frozen=True)
class TokenRequest:
    """What a signed `/v1/tokens` body asks for, checked."""

    kind: str
    rights: tuple[str, ...]
    lifetime: int
    user_id: str | None = None
    user_name: str | None = None
    jkt: str | None = None  # the planner's DPoP key: the token is bound to it


def parse_token_request(body: dict[str, Any], settings: Settings) -> TokenRequest:
    unknown = set(body) - TOKEN_REQUEST_FIELDS
    if unknown:
        raise InvalidRequest(f"unknown field {sorted(unknown)[0]!r}")
    kind = body.get("type")
    if kind not in ("legal_entity", "user"):
        raise InvalidRequest('type must be "legal_entity" or "user"')
    rights = parse_rights(body.get("rights"))
    lifetime = token_lifetime(body.get("expires_in"), settings)
    jkt = body.get("jkt")
    if jkt is not None and not is_jkt(jkt):
        raise InvalidRequest("jkt must be a DPoP key's RFC 7638 SHA-256 thumbprint, base64url")
    if kind == "legal_entity":
        if "user" in body:
            raise InvalidRequest("user is only for user tokens")
        return TokenRequest(kind, rights, lifetime, jkt=jkt)
    user_id, user_name = _user(body.get("user"))
    return TokenRequest(kind, rights, lifetime, user_id, user_name, jkt)


def token_lifetime(value: object, settings: Settings) -> int:
    """`expires_in` as asked, within the service's bounds; the default when not asked."""
    if value is None:
        return settings.default_token_ttl
    low, high = settings.min_token_ttl, settings.max_token_ttl
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRequest(f"expires_in must be a whole number of seconds from {low} to {high}")
    return value


def _user(value: object) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise InvalidRequest('user tokens need "user": {"id", "name"}')
    unknown = set(value) - {"id", "name"}
    if unknown:
        raise InvalidRequest(f"unknown field 'user.{sorted(unknown)[0]}'")
    return _user_field(value, "id"), _user_field(value, "name")


def _user_field(user: dict[str, Any], name: str) -> str:
    value = user.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_USER_FIELD:
        raise InvalidRequest(f"user.{name} must be a string of 1 to {MAX_USER_FIELD} characters")
    if not value.isprintable():
        raise InvalidRequest(f"user.{name} must not contain control characters")
    return value


async def issue_token(issuer: TokenIssuer, key: ApiKey, request: TokenRequest) -> dict[str, Any]:
    """Mint the token a checked `/v1/tokens` request asked for; the 201 answer's body."""
    minted = await issuer.mint_access_token(
        entity_id=key.entity_id,
        client_id=key.key_id,
        rights=request.rights,
        lifetime=request.lifetime,
        user_id=request.user_id,
        user_name=request.user_name,
        jkt=request.jkt,
    )
    return {
        "token": minted.token,
        "token_type": "Bearer" if request.jkt is None else "DPoP",
        "type": request.kind,
        "rights": list(request.rights),
        "expires_in": minted.expires_in,
        "expires_at": minted.expires_at,
    }


class SignedTokenGrant:
    """The steps of `/v1/tokens` after the signature: the body, the rights, the token."""

    def __init__(self, issuer: TokenIssuer, settings: Settings) -> None:
        self.issuer = issuer
        self.settings = settings

    async def create_token_response(
        self, key: ApiKey, entity: Entity, body: dict[str, Any]
    ) -> TokenAnswer:
        asked = parse_token_request(body, self.settings)
        check_rights_allowed(asked.rights, entity)
        check_dpop_policy(entity, asked.jkt is not None)
        # As Starlette's JSONResponse renders it (the answer this endpoint always gave).
        answer = json.dumps(
            await issue_token(self.issuer, key, asked),
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        ).encode()
        length = (b"content-length", b"%d" % len(answer))
        return TokenAnswer(201, answer, (*ANSWER_HEADERS, length), asked.kind)
