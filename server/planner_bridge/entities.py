"""Legal entities (shops) and their API keys: registering, listing, issuing and revoking."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from .clock import Clock
from .credentials import SecretDeriver, new_key_id
from .store import ApiKey, Entity, Store

MAX_NAME_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    """An API key with its secret: shown once, never stored."""

    key_id: str
    secret: str = dataclasses.field(repr=False)


def normalize_origin(origin: str) -> str:
    """`scheme://host[:port]`, as browsers send it in `Origin`; anything else is refused."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an origin: {origin!r} (expected scheme://host[:port])")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"not an origin: {origin!r} (no path, query or credentials)")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class EntityRegistry:
    def __init__(self, store: Store, deriver: SecretDeriver, clock: Clock) -> None:
        self.store = store
        self.deriver = deriver
        self.clock = clock

    def create(
        self, name: str, origins: Sequence[str], *, allow_write: bool = False
    ) -> tuple[Entity, IssuedKey]:
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"entity name must be 1 to {MAX_NAME_LENGTH} characters")
        if not origins:
            raise ValueError("an entity needs at least one --origin")
        entity = Entity(
            id="ent_" + secrets.token_urlsafe(9),
            name=name,
            origins=tuple(dict.fromkeys(normalize_origin(o) for o in origins)),
            allow_write=allow_write,
            created=self.clock.now(),
        )
        self.store.add_entity(entity)
        return entity, self.issue_key(entity.id)

    def issue_key(self, entity_id: str) -> IssuedKey:
        if self.store.get_entity(entity_id) is None:
            raise LookupError(f"no such entity: {entity_id}")
        key_id = new_key_id()
        self.store.add_api_key(ApiKey(key_id=key_id, entity_id=entity_id, created=self.clock.now()))
        return IssuedKey(key_id, self.deriver.secret_for(key_id))

    def revoke_key(self, key_id: str) -> None:
        if not self.store.revoke_api_key(key_id, self.clock.now()):
            raise LookupError(f"no such active key: {key_id}")

    def active_key(self, key_id: str) -> tuple[ApiKey, Entity] | None:
        """The key and its entity if the key exists and is not revoked."""
        key = self.store.get_api_key(key_id)
        if key is None or not key.active:
            return None
        entity = self.store.get_entity(key.entity_id)
        return (key, entity) if entity else None
