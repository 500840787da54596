"""API tokens for background integrations: issuing, listing, disabling, deleting, exchanging.

An API token is a JWT the token service signs for itself (`typ: pb-api+jwt`, `aud` = issuer),
so no web service accepts it; it is only ever exchanged for a short-lived user access token.
Only its id (`jti`) and metadata are stored, never the string: the token is shown once.
Every exchange looks the record up by `jti`, so disabling or deleting takes effect on the very
next exchange, and no re-encoded or re-signed copy of a token can escape its record.
Expiry: `expires_in_days` absent means the default (30 days); `None` means "never expires",
which callers must ask for explicitly.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from .. import logs
from ..clock import Clock
from ..errors import InvalidRequest, InvalidScope, InvalidToken, NotFound
from ..keys.signing import MintedToken
from ..storage import ApiTokenRecord, Entity, Store
from ..validation import one_line_text
from .dpop import check_dpop_policy
from .issuer import TokenIssuer, parse_rights, scope_of
from .verification import TokenVerifier

MAX_NAME_LENGTH = 200
MAX_USER_ID_LENGTH = 200
MAX_DAYS = 3650
MAX_EXCHANGE_TTL = 900  # the SPEC's ceiling for an exchanged access token
DAY = 86400


@dataclasses.dataclass(frozen=True)
class IssuedApiToken:
    """A new API token: its record and the token string, which is never stored."""

    record: ApiTokenRecord
    token: str = dataclasses.field(repr=False)


def new_token_id() -> str:
    return "apt_" + secrets.token_urlsafe(12)


def expires_at(record: ApiTokenRecord) -> int | None:
    return int(record.expires) if record.expires is not None else None


def describe(record: ApiTokenRecord) -> dict[str, Any]:
    """A token as lists show it: metadata only, never the token."""
    return {
        "id": record.id,
        "name": record.name,
        "user": {"id": record.user_id, "name": record.user_name},
        "rights": list(record.rights),
        "created": int(record.created),
        "expires_at": expires_at(record),
        "never_expires": record.expires is None,
        "last_used": int(record.last_used) if record.last_used is not None else None,
        "disabled": record.disabled,
    }


def _stripped(value: object, field: str, limit: int) -> str:
    """Checked one-line text (see `validation`) without its surrounding blanks."""
    return one_line_text(value, field, limit).strip()


def _days(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidRequest(
            f"expires_in_days must be a whole number from 1 to {MAX_DAYS}, or null"
        )
    return value


def new_record(
    entity: Entity,
    *,
    now: int,
    name: object,
    user_id: object,
    rights: object,
    expires_in_days: object,
    user_name: object = None,
) -> ApiTokenRecord:
    """A checked record; `expires_in_days=None` means "never expires", so callers must pass it."""
    checked_rights = parse_rights(rights)
    if "write" in checked_rights and not entity.allow_write:
        raise InvalidScope("this entity may not grant write rights")
    uid = _stripped(user_id, "user.id", MAX_USER_ID_LENGTH)
    days = _days(expires_in_days)
    return ApiTokenRecord(
        id=new_token_id(),
        entity_id=entity.id,
        user_id=uid,
        user_name=uid if user_name is None else _stripped(user_name, "user.name", MAX_NAME_LENGTH),
        name=_stripped(name, "name", MAX_NAME_LENGTH),
        rights=checked_rights,
        created=now,
        expires=None if days is None else now + days * DAY,
    )


class ApiTokens:
    """The API-token operations, over the store, the issuer, the verifier and the clock."""

    def __init__(
        self,
        store: Store,
        issuer: TokenIssuer,
        verifier: TokenVerifier,
        clock: Clock,
        *,
        exchange_ttl: int,
    ) -> None:
        self.store = store
        self.issuer = issuer
        self.verifier = verifier
        self.clock = clock
        self.exchange_ttl = min(exchange_ttl, MAX_EXCHANGE_TTL)

    async def issue(self, entity: Entity, **fields: object) -> IssuedApiToken:
        """Check, mint and record a token; the fields are those of `new_record`."""
        record = new_record(entity, now=int(self.clock.now()), **fields)
        minted = await self.issuer.mint_api_token(
            token_id=record.id,
            entity_id=record.entity_id,
            user_id=record.user_id,
            rights=record.rights,
            issued_at=int(record.created),
            expires_at=expires_at(record),
        )
        await self.store.add_api_token(record)
        return IssuedApiToken(record, minted.token)

    async def of_entity(self, entity_id: str) -> list[ApiTokenRecord]:
        return await self.store.list_api_tokens(entity_id)

    async def get(self, token_id: str, entity_id: str | None = None) -> ApiTokenRecord:
        """The record, if it exists and (when `entity_id` is given) belongs to that entity.

        Another entity's token answers exactly as an absent one, so ids cannot be probed.
        """
        record = await self.store.get_api_token(token_id)
        if record is None or (entity_id is not None and record.entity_id != entity_id):
            raise _no_such_token(token_id)
        return record

    async def set_disabled(
        self, token_id: str, disabled: bool, entity_id: str | None = None
    ) -> ApiTokenRecord:
        await self.get(token_id, entity_id)
        if not await self.store.set_api_token_disabled(token_id, disabled):
            raise _no_such_token(token_id)
        logs.event("API token disabled" if disabled else "API token enabled", api_token_id=token_id)
        return await self.get(token_id)  # the entity was checked above

    async def delete(self, token_id: str, entity_id: str | None = None) -> None:
        await self.get(token_id, entity_id)
        if not await self.store.delete_api_token(token_id):
            raise _no_such_token(token_id)

    # -- the exchange ------------------------------------------------------------------------

    async def exchange(self, token: str, *, jkt: str | None = None) -> MintedToken:
        """A user access token (≤ 900 s) for a valid API token, bound to the DPoP key `jkt`
        when given; InvalidToken otherwise."""
        claims = self.verifier.verify_api_token(token)
        record = await self._live_record(claims)
        entity = await self.store.get_entity(record.entity_id)
        if entity is None:
            raise InvalidToken("API token's entity no longer exists")
        check_dpop_policy(entity, jkt is not None)
        # Never more than the record grants, nor more than the entity may grant today.
        rights = tuple(r for r in record.rights if r != "write" or entity.allow_write)
        minted = await self.issuer.mint_access_token(
            entity_id=record.entity_id,
            client_id="api-token:" + record.id,
            rights=rights,
            lifetime=self.exchange_ttl,
            user_id=record.user_id,
            user_name=record.user_name,
            jkt=jkt,
        )
        await self.store.touch_api_token(record.id, self.clock.now())
        return minted

    async def _live_record(self, claims: dict[str, Any]) -> ApiTokenRecord:
        """The record named by `jti`: present, enabled, unexpired and agreeing with the claims."""
        # `jti` is required, and PyJWT refuses one that is not a string (tests pin both).
        record = await self.store.get_api_token(claims["jti"])
        if record is None:
            raise InvalidToken("API token is unknown or deleted")
        if record.disabled:
            raise InvalidToken("API token is disabled")
        if record.expires is not None and self.clock.now() >= record.expires:
            raise InvalidToken("API token has expired")
        if not _claims_match(claims, record):
            raise InvalidToken("API token does not match its record")
        return record


def _no_such_token(token_id: str) -> NotFound:
    """Absent, deleted meanwhile or another entity's: all answer alike (the id cut short)."""
    return NotFound(f"no such API token: {token_id[:64]}")


def _claims_match(claims: dict[str, Any], record: ApiTokenRecord) -> bool:
    """A valid signature makes a mismatch impossible; checking anyway costs nothing."""
    return (
        claims.get("entity") == record.entity_id
        and claims.get("sub") == record.user_id
        and claims.get("scope") == scope_of(record.rights)
        and claims.get("iat") == int(record.created)
        and (record.expires is None or claims.get("exp") == int(record.expires))
    )
