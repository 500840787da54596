"""The storage interface: what the token service and the web services keep, and nothing else.

`Store` is the one interface, awaited: SQLite (`sqlite.py`, its I/O in worker threads) and
PostgreSQL (`postgresql.py`, asyncpg) implement it, `opening.open_store` opens either, and
both pass the one shared suite in `tests/test_store.py`. Adding an operation is three edits:
the protocol here, one method per backend (records <-> rows in `rows.py`), and the suite.
Records (`records.py`) are plain frozen dataclasses; times are epoch seconds.
No secret and no token string is ever stored: API keys keep only their id (the secret is
derived from the master key), API tokens only their id and metadata, signing keys their
private key only sealed under the master key.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from .records import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AssetListener,
    AuditEvent,
    Entity,
    Headers,
    IdempotentAnswer,
    Reservation,
    Revocation,
    RevocationListener,
    SigningKeyRecord,
)

# The records are this package's names too: `from ..storage import Entity, Store`.
__all__ = [
    "AdminSession",
    "Administrator",
    "AnswerRecord",
    "ApiKey",
    "ApiTokenRecord",
    "Asset",
    "AssetListener",
    "AuditEvent",
    "Conflict",
    "DatabaseUnavailable",
    "Entity",
    "Headers",
    "IdempotentAnswer",
    "Reservation",
    "Revocation",
    "RevocationListener",
    "SigningKeyRecord",
    "Store",
    "driver_errors",
]


class Conflict(Exception):
    """A write that would break a uniqueness rule (e.g. a reused signature nonce)."""


def driver_errors() -> tuple[type[BaseException], ...]:
    """What the PostgreSQL driver raises for a refused statement (a missing privilege, a
    constraint); empty when it was never imported, as then none can have been raised."""
    asyncpg = sys.modules.get("asyncpg")
    return () if asyncpg is None else (asyncpg.PostgresError, asyncpg.InterfaceError)


class DatabaseUnavailable(ConnectionError):
    """The database cannot be reached or refused us; the message names where it is (host and
    port, never the password)."""


class Store(Protocol):
    """What the planner origin keeps, awaited: no call makes the event loop wait on I/O."""

    # Legal entities and their API keys.
    async def add_entity(self, entity: Entity) -> None: ...
    async def get_entity(self, entity_id: str) -> Entity | None: ...
    async def list_entities(self) -> list[Entity]: ...
    # Writes the entity's name, origins and settings (not its id or creation); False if absent.
    async def update_entity(self, entity: Entity) -> bool: ...
    async def add_api_key(self, key: ApiKey) -> None: ...
    async def get_api_key(self, key_id: str) -> ApiKey | None: ...
    async def list_api_keys(self, entity_id: str) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: str, when: float) -> bool: ...
    async def touch_api_key(self, key_id: str, when: float) -> None: ...

    # Console administrators (usernames are unique across entities; `add_admin` raises
    # Conflict for a taken one) and their sessions; deleting an administrator ends its sessions.
    async def add_admin(self, admin: Administrator) -> None: ...
    async def get_admin(self, username: str) -> Administrator | None: ...
    async def list_admins(self, entity_id: str) -> list[Administrator]: ...
    async def delete_admin(self, username: str) -> bool: ...
    async def add_admin_session(self, session: AdminSession) -> None: ...
    async def get_admin_session(self, id_hash: str) -> AdminSession | None: ...
    async def touch_admin_session(self, id_hash: str, when: float) -> None: ...
    async def delete_admin_session(self, id_hash: str) -> bool: ...
    # What the console shows once (a new secret or token), sealed under a key only the
    # session's cookie gives (`admin.shown_once`), kept in the session's row until the page
    # after the redirect takes it: `take_shown_once` reads and clears it atomically.
    async def keep_shown_once(self, id_hash: str, sealed: bytes) -> bool: ...
    async def take_shown_once(self, id_hash: str) -> bytes | None: ...
    # Drops sessions last seen at or before `seen_before` or opened at or before
    # `opened_before` (the same edges as `SessionBook.resolve`); returns how many.
    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int: ...

    # The audit trail: only ever added to; listed newest first (in the order written).
    async def add_audit_event(self, event: AuditEvent) -> None: ...
    async def list_audit_events(self, entity_id: str, limit: int = 100) -> list[AuditEvent]: ...

    # Signature nonces: `remember_nonce` raises Conflict when (key_id, nonce) is still held.
    # Not `async def`: SQLite asks for the nonce at the call (its write starts while the caller
    # goes on, `nonce_batch`); the answer is the awaitable's.
    def remember_nonce(
        self, key_id: str, nonce: str, expires: float, now: float
    ) -> Awaitable[None]: ...

    # API tokens (metadata only).
    async def add_api_token(self, record: ApiTokenRecord) -> None: ...
    async def get_api_token(self, token_id: str) -> ApiTokenRecord | None: ...
    async def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]: ...
    async def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool: ...
    async def touch_api_token(self, token_id: str, when: float) -> None: ...
    async def delete_api_token(self, token_id: str) -> bool: ...

    # Assets. `update_asset` writes only over version `asset.version - 1` (optimistic
    # concurrency); it and `delete_asset` return False when that row is not there.
    # A write given an `answer` also turns that idempotency key's reservation (status 0) into
    # the answer, atomically; when the key holds no reservation by `answer.owner` (never
    # claimed, answered, lapsed and taken over) it raises Conflict and nothing is written.
    # A write that returns False records no answer.
    async def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None: ...
    async def get_asset(self, asset_id: str) -> Asset | None: ...
    async def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]: ...
    async def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool: ...
    async def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool: ...

    # Idempotency keys, scoped by whoever sent them (entity and subject).
    # `claim_idempotency_key` returns a Reservation (with a new random owner) when the key is
    # new (or its reservation lapsed) and is now reserved for this request for `lease` seconds,
    # else the stored answer (status 0 while the first request is still running). The answer
    # itself is written by the asset write it answers (see above); `release` frees a
    # reservation whose write failed, and only while that same reservation holds the key.
    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation: ...
    async def release_idempotency_key(self, reservation: Reservation) -> None: ...

    # The signing key ring, oldest first. `add_signing_key` makes `record` the newest
    # key and, in the same transaction, retires every other (at `record.created`, unless
    # retired already) and drops them too with `drop_old`. With `first`, it does so only if
    # the ring is empty (instances starting together make one first key): False if not.
    async def list_signing_keys(self) -> list[SigningKeyRecord]: ...
    async def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool: ...
    # Keys brought from elsewhere (a data dir's old `ring.json`), in one transaction: those
    # whose kid is new are added as they are into an empty ring, retired at `now` (unless
    # already) into one that has keys, so the ring's active key stays; returns how many.
    async def import_signing_keys(self, records: Sequence[SigningKeyRecord], now: float) -> int: ...

    # From now on, `listener` hears (on this loop) the asset changes other processes make in
    # the same database, in the order they were committed. A store shared by several
    # processes (PostgreSQL) needs it for the live channel; SQLite has nothing to tell.
    async def watch_assets(self, listener: AssetListener) -> None: ...

    # Revocations. `add_revocation` merges with the subject's stored one (`Revocation.merged`)
    # and tells every watcher, in every process; expired ones are swept. `watch_revocations`
    # tells `listener` the current set before it returns, then every change (see
    # RevocationListener); `now` says which have expired.
    async def add_revocation(self, revocation: Revocation, now: float) -> None: ...
    async def list_revocations(self, now: float) -> list[Revocation]: ...
    async def watch_revocations(
        self, listener: RevocationListener, now: Callable[[], float]
    ) -> None: ...

    async def close(self) -> None: ...
