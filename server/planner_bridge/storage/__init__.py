"""The storage interface: what the token service and the web services keep, and nothing else.

`Store` is the one interface, awaited: SQLite (`sqlite.py`, its I/O in worker threads) and
PostgreSQL (`postgresql.py`, asyncpg) implement it, `opening.open_store` opens either, and
both pass the one shared suite in `tests/test_store.py`. Adding an operation is three edits:
the protocol here, one method per backend (records <-> rows in `rows.py`), and the suite.
Records are plain frozen dataclasses; times are epoch seconds.
No secret and no token string is ever stored: API keys keep only their id (the secret is
derived from the master key), API tokens only their id and metadata, signing keys their
private key only sealed under the master key.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol


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


@dataclasses.dataclass(frozen=True)
class Entity:
    id: str
    name: str
    origins: tuple[str, ...]
    allow_write: bool
    created: float
    dpop_required: bool = False  # tokens only DPoP-bound, no Bearer at the web services


@dataclasses.dataclass(frozen=True)
class ApiKey:
    key_id: str
    entity_id: str
    created: float
    revoked: float | None = None
    comment: str = ""  # what the key is for, for traceability (never a secret)
    last_used: float | None = None  # to the minute: see `EntityRegistry.note_use`

    @property
    def active(self) -> bool:
        return self.revoked is None


@dataclasses.dataclass(frozen=True)
class Administrator:
    """A person who manages one legal entity in the console; the password only as a hash."""

    username: str
    entity_id: str
    password_hash: str = dataclasses.field(repr=False)
    created: float


@dataclasses.dataclass(frozen=True)
class AdminSession:
    """A console session. `id_hash` is the SHA-256 of the cookie's random id: the id itself is
    never stored, so a copy of the database signs nobody in."""

    id_hash: str
    username: str
    entity_id: str
    created: float
    last_seen: float


@dataclasses.dataclass(frozen=True)
class ApiTokenRecord:
    id: str
    entity_id: str
    user_id: str
    user_name: str
    name: str
    rights: tuple[str, ...]
    created: float
    expires: float | None  # None: never expires, a deliberate choice
    last_used: float | None = None
    disabled: bool = False


@dataclasses.dataclass(frozen=True)
class Asset:
    id: str
    entity_id: str
    owner_id: str | None  # None: the entity's catalog
    name: str
    kind: str
    data: dict[str, Any]
    created: float
    updated: float
    version: int


# Hears an asset change: the asset's new state, or its last one and deleted=True.
AssetListener = Callable[[Asset, bool], None]

# A response's header lines, in order, as (name, value) pairs.
Headers = tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class IdempotentAnswer:
    """The first answer to a write, replayed for the same key and the same request."""

    request_hash: str
    status: int
    body: bytes
    created: float
    headers: Headers = ()


@dataclasses.dataclass(frozen=True)
class Reservation:
    """A key reserved for one request. `owner` is a random id drawn by the claim: only the
    request holding it may answer or release the key, so a request whose lease lapsed and was
    taken over can neither answer for nor free the request that took it over."""

    scope: str
    key: str
    owner: str


@dataclasses.dataclass(frozen=True)
class AnswerRecord:
    """The answer to keep for an idempotency key, written in the same transaction as the write
    it answers: either both are stored or neither (a crash between them cannot leave an applied
    write whose key still says "in progress")."""

    scope: str
    key: str
    owner: str  # the `Reservation.owner` of the request that wrote
    status: int
    body: bytes
    expires: float
    headers: Headers = ()


@dataclasses.dataclass(frozen=True)
class SigningKeyRecord:
    """A signing key of the shared ring; `sealed_key` is its private key, encrypted."""

    kid: str
    alg: str
    created: float
    retired: float | None
    dropped: bool
    sealed_key: bytes = dataclasses.field(repr=False)


class Store(Protocol):
    """What the planner origin keeps, awaited: no call makes the event loop wait on I/O."""

    # Legal entities and their API keys.
    async def add_entity(self, entity: Entity) -> None: ...
    async def get_entity(self, entity_id: str) -> Entity | None: ...
    async def list_entities(self) -> list[Entity]: ...
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
    # Drops sessions last seen at or before `seen_before` or opened at or before
    # `opened_before` (the same edges as `SessionBook.resolve`); returns how many.
    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int: ...

    # Signature nonces: `remember_nonce` raises Conflict when (key_id, nonce) is still held.
    async def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> None: ...

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

    async def close(self) -> None: ...
