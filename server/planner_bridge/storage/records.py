"""What the store keeps, as records: plain frozen dataclasses, times in epoch seconds (the
interface that keeps them is `Store`, in this package's `__init__`). Rows <-> records: `rows.py`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol


@dataclasses.dataclass(frozen=True)
class Entity:
    id: str
    name: str
    origins: tuple[str, ...]
    allow_write: bool
    created: float
    dpop_required: bool = False  # tokens only DPoP-bound, no Bearer at the web services


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """One change to an entity's credentials or settings (`audit.record` writes them): who
    (`actor`: an administrator's username, or "cli"), what (`action`, one of `audit.ACTIONS`)
    and to which object (a key id, token id, origin or username). Never a secret or a token."""

    entity_id: str
    at: float
    actor: str
    action: str
    object_id: str


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


@dataclasses.dataclass(frozen=True)
class Revocation:
    """Tokens refused before they expire (SPEC "Revocation within a second"). `kind` "jti": the
    one token whose jti is `subject`; "client": every token issued at or before `not_before`
    (its `iat`) to `subject`, a client_id (an API key id, or "api-token:ID" for the tokens
    exchanged from that API token); "user": the same for "ENTITY\nUSER". Kept until `expires`,
    when every token it can name has expired anyway."""

    kind: str
    subject: str
    not_before: float
    expires: float

    def merged(self, other: Revocation) -> Revocation:
        """Two revocations of one subject: the later edge and the later end (order-free, so
        hearing one twice or out of order changes nothing)."""
        nb, exp = max(self.not_before, other.not_before), max(self.expires, other.expires)
        return Revocation(self.kind, self.subject, nb, exp)


class RevocationListener(Protocol):
    """Hears `watch_revocations`: the whole current set (at the start, and again after the feed
    was cut and is back), each revocation made anywhere, and that the feed was cut."""

    def reloaded(self, current: list[Revocation]) -> None: ...
    def heard(self, revocation: Revocation) -> None: ...
    def lost(self) -> None: ...


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
