"""`POST /v1/tokens` (SPEC "Token service"): the legal-entity or user token a signed JSON body
asks for. The signature was checked before anything here runs (`signatures`); the web layer
hands over the caller and the body as a JSON object, and sends the `TokenAnswer` back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import InvalidRequest
from ..keys.signing import MintedToken, UnsignedToken
from ..names import check_name
from ..settings import Settings
from ..storage import ApiKey, Entity
from .client_credentials import ANSWER_HEADERS, TokenAnswer, check_rights_allowed
from .dpop import check_dpop_policy, is_jkt
from .issuer import TokenIssuer, parse_rights

MAX_USER_FIELD = 200
TOKEN_REQUEST_FIELDS = frozenset({"type", "user", "rights", "expires_in", "jkt"})
# The rights `parse_rights` answers with, as JSON arrays.
RIGHTS_JSON = {("read",): b'["read"]', ("read", "write"): b'["read","write"]'}
ANSWER = b'{"token":"%s","token_type":"%s","type":"%s","rights":%s,"expires_in":%d,"expires_at":%d}'


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
    return check_name(user.get(name), f"user.{name}", MAX_USER_FIELD)


def prepare_token(issuer: TokenIssuer, key: ApiKey, request: TokenRequest) -> UnsignedToken:
    """The token a checked `/v1/tokens` request asked for, all but signed (`await .sign()`,
    batched with the other signatures of the loop turn, as `/auth/token` does)."""
    return issuer.prepare_access_token(
        entity_id=key.entity_id,
        client_id=key.key_id,
        rights=request.rights,
        lifetime=request.lifetime,
        user_id=request.user_id,
        user_name=request.user_name,
        jkt=request.jkt,
    )


def render_answer(minted: MintedToken, request: TokenRequest) -> bytes:
    """The 201 answer's body, byte for byte as Starlette's JSONResponse rendered it (`json.dumps`,
    compact, no ASCII escaping), formatted directly: `json.dumps` cost as much as the rest of
    this grant's own steps. Nothing in it needs escaping: the token is a compact JWS (base64url
    and dots), the type and the rights are checked words, the rest integers."""
    return ANSWER % (
        minted.token.encode("ascii"),
        b"Bearer" if request.jkt is None else b"DPoP",
        request.kind.encode("ascii"),
        RIGHTS_JSON[request.rights],
        minted.expires_in,
        minted.expires_at,
    )


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
        minted = await prepare_token(self.issuer, key, asked).sign()
        answer = render_answer(minted, asked)
        length = (b"content-length", b"%d" % len(answer))
        return TokenAnswer(201, answer, (*ANSWER_HEADERS, length), asked.kind)
