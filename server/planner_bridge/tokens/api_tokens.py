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
from collections.abc import Callable
from typing import Any

from .. import audit, logs
from ..clock import Clock
from ..errors import InvalidFields, InvalidRequest, InvalidScope, InvalidToken, NotFound
from ..keys.signing import MintedToken
from ..names import check_name
from ..storage import ApiTokenRecord, Entity, Store
from .dpop import check_dpop_policy
from .issuer import TokenIssuer, parse_rights, scope_of
from .revocation import Revoker
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
    """A checked name (see `names`) without its surrounding blanks."""
    return check_name(value, field, limit).strip()


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
    """A checked record; `expires_in_days=None` means "never expires", so callers must pass it.
    Every field is checked: several refused at once raise InvalidFields naming each."""
    problems: list[str] = []

    def checked(check: Callable[..., Any], *args: object) -> Any:
        try:
            return check(*args)
        except InvalidRequest as refused:
            problems.append(refused.description)
            return None

    checked_rights = checked(parse_rights, rights)
    uid = checked(_stripped, user_id, "user.id", MAX_USER_ID_LENGTH)
    uname = (
        None if user_name is None else checked(_stripped, user_name, "user.name", MAX_NAME_LENGTH)
    )
    token_name = checked(_stripped, name, "name", MAX_NAME_LENGTH)
    days = checked(_days, expires_in_days)
    if problems:
        raise problems_refused(problems)
    if "write" in checked_rights and not entity.allow_write:
        raise InvalidScope("this entity may not grant write rights")
    return ApiTokenRecord(
        id=new_token_id(),
        entity_id=entity.id,
        user_id=uid,
        user_name=uname or uid,
        name=token_name,
        rights=checked_rights,
        created=now,
        expires=None if days is None else now + days * DAY,
    )


def problems_refused(problems: list[str]) -> InvalidRequest:
    """One refusal as it always was; several as InvalidFields."""
    return InvalidRequest(problems[0]) if len(problems) == 1 else InvalidFields(problems)


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
        revoker: Revoker | None = None,
    ) -> None:
        self.store = store
        self.revoker = revoker  # disabling or deleting also revokes what was exchanged
        self.issuer = issuer
        self.verifier = verifier
        self.clock = clock
        self.exchange_ttl = min(exchange_ttl, MAX_EXCHANGE_TTL)

    async def issue(
        self, entity: Entity, *, actor: str = audit.CLI, **fields: object
    ) -> IssuedApiToken:
        """Check, mint and record a token; the fields are those of `new_record`. `actor`, here
        and below, is who the audit trail names (`audit.record`)."""
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
        await self._audit(record, actor, audit.API_TOKEN_CREATED)
        return IssuedApiToken(record, minted.token)

    async def _audit(self, record: ApiTokenRecord, actor: str, action: str) -> None:
        await audit.record(
            self.store, self.clock,
            entity_id=record.entity_id, actor=actor, action=action, object_id=record.id,
        )  # fmt: skip

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
        self, token_id: str, disabled: bool, entity_id: str | None = None, *, actor: str = audit.CLI
    ) -> ApiTokenRecord:
        record = await self.get(token_id, entity_id)
        if not await self.store.set_api_token_disabled(token_id, disabled):
            raise _no_such_token(token_id)
        logs.event("API token disabled" if disabled else "API token enabled", api_token_id=token_id)
        if disabled:
            await self._revoke_exchanged(record, "api-token disabled", actor)
        record = await self.get(token_id)  # the entity was checked above
        await self._audit(
            record, actor, audit.API_TOKEN_DISABLED if disabled else audit.API_TOKEN_ENABLED
        )
        return record

    async def delete(
        self, token_id: str, entity_id: str | None = None, *, actor: str = audit.CLI
    ) -> None:
        record = await self.get(token_id, entity_id)
        if not await self.store.delete_api_token(token_id):
            raise _no_such_token(token_id)
        await self._revoke_exchanged(record, "api-token deleted", actor)
        await self._audit(record, actor, audit.API_TOKEN_DELETED)

    async def _revoke_exchanged(self, record: ApiTokenRecord, way: str, actor: str) -> None:
        if self.revoker is not None:
            entity = record.entity_id
            await self.revoker.revoke_api_token(record.id, entity, way=way, actor=actor)

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
