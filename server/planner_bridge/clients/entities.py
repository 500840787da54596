"""Legal entities (shops) and their API keys: registering, listing, issuing and revoking."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import secrets
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from .. import logs
from ..background import BackgroundWrites
from ..clock import Clock
from ..credentials import SecretDeriver, new_key_id
from ..storage import ApiKey, Entity, Store
from ..validation import ascii_number, one_line_text

MAX_NAME_LENGTH = 200
MAX_COMMENT_LENGTH = 200
# A key's last use is written at most this often: authentication stays free of writes on the
# hot path (`/auth/token` answers from a 1 s cache), and "last used" to the minute is enough.
LAST_USE_RESOLUTION = 60.0
MAX_USES_TRACKED = 10_000
# The token endpoints' hot path (`/auth/token`, signed requests) remembers an active key this
# long (`recent_active_key`): a revocation made through this registry is seen at once, one made
# elsewhere (the CLI, another instance) within the second SPEC allows.
KEY_CACHE_SECONDS = 1.0
KEY_CACHE_SIZE = 10_000
# Only the characters an origin may hold; each part is then checked on its own.
ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]+))?/?",
    re.IGNORECASE,
)
LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_HOST_LENGTH = 253
MAX_PORT = 65535
DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = TypeVar("IPAddress", ipaddress.IPv4Address, ipaddress.IPv6Address)


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    """An API key with its secret: shown once, never stored."""

    key_id: str
    secret: str = dataclasses.field(repr=False)


def normalize_origin(origin: str) -> str:
    """`scheme://host[:port]` rebuilt from checked parts, as browsers send it in `Origin`.

    Registered origins go into the planner page's CSP header, so nothing but a real origin may
    pass: an LDH host name (ASCII; xn-- for others), a dotted-quad IPv4 or a bracketed IPv6,
    an explicit port of 1-65535 (dropped when it is the scheme's default); no credentials,
    path, query, whitespace or separators (`;`, `,`) that could add a CSP directive or source.
    """
    found = ORIGIN.fullmatch(origin)
    if found is None:
        raise ValueError(f"not an origin: {origin!r} (expected scheme://host[:port])")
    scheme, host, port = found["scheme"].lower(), _host(found["host"].lower()), _port(found["port"])
    if host is None or port is None:
        raise ValueError(f"not an origin: {origin!r} (bad host name or port)")
    if port in (0, DEFAULT_PORTS[scheme]):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str:
    """The origin of an http(s) URL (such as the issuer), normalized; ValueError if none."""
    parts = urlsplit(url)  # raises ValueError itself for some malformed URLs ("http://[::1")
    return normalize_origin(f"{parts.scheme}://{parts.netloc}")


def _host(host: str) -> str | None:
    """The host in its canonical form, or None: bracketed IPv6, dotted-quad IPv4, LDH name.
    (ORIGIN already limited it to hex digits, `:` and `.` in brackets, else letters, digits,
    `.` and `-`.)"""
    if host.startswith("["):
        ipv6 = _ip_address(host[1:-1], ipaddress.IPv6Address)
        return None if ipv6 is None else f"[{ipv6.compressed}]"
    labels = host.split(".")
    if labels[-1].isdigit():  # browsers read such a host as IPv4, so it must be a canonical one
        ipv4 = _ip_address(host, ipaddress.IPv4Address)
        return host if ipv4 is not None and str(ipv4) == host else None
    if len(host) > MAX_HOST_LENGTH or not all(LDH_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def _ip_address(text: str, kind: type[IPAddress]) -> IPAddress | None:
    try:
        return kind(text)
    except ValueError:
        return None


def _port(text: str | None) -> int | None:
    """The port, 0 for none given, None for an invalid one."""
    if text is None:
        return 0
    port = ascii_number(text, max_digits=5)
    return port if port is not None and 1 <= port <= MAX_PORT else None


class EntityRegistry:
    def __init__(self, store: Store, deriver: SecretDeriver, clock: Clock) -> None:
        self.store = store
        self.deriver = deriver
        self.clock = clock
        self._noted: dict[str, float] = {}  # key id -> when its use was last written
        self._uses = BackgroundWrites()
        self._known: dict[str, tuple[float, ApiKey, Entity]] = {}  # key id -> until, key, entity
        self._policies: dict[str, tuple[float, bool]] = {}  # entity id -> until, requires DPoP

    async def create(
        self,
        name: str,
        origins: Sequence[str],
        *,
        allow_write: bool = False,
        dpop_required: bool = False,
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
            dpop_required=dpop_required,
        )
        await self.store.add_entity(entity)
        return entity, await self.issue_key(entity.id)

    async def issue_key(self, entity_id: str, comment: str = "") -> IssuedKey:
        if comment.strip():  # optional; when given, checked like every other text field
            comment = one_line_text(comment, "comment", MAX_COMMENT_LENGTH).strip()
        if await self.store.get_entity(entity_id) is None:
            raise LookupError(f"no such entity: {entity_id}")
        key_id = new_key_id()
        key = ApiKey(key_id=key_id, entity_id=entity_id, created=self.clock.now(), comment=comment)
        await self.store.add_api_key(key)
        return IssuedKey(key_id, self.deriver.secret_for(key_id))

    def note_use(self, key: ApiKey) -> None:
        """Record that `key` just authenticated, writing at most once a LAST_USE_RESOLUTION
        per key and process (a dict lookup otherwise). The write runs as a background task of
        the running loop: the request that authenticated never waits for it."""
        now = self.clock.now()
        noted = self._noted.get(key.key_id)
        if noted is not None and now - noted < LAST_USE_RESOLUTION:
            return
        if len(self._noted) >= MAX_USES_TRACKED:
            self._noted.clear()
        self._noted[key.key_id] = now
        self._uses.start(self.store.touch_api_key(key.key_id, now))

    async def settle(self) -> None:
        """Wait for the last-use writes under way (before closing the store, and in tests)."""
        await self._uses.settle()

    async def revoke_key(self, key_id: str) -> None:
        if not await self.store.revoke_api_key(key_id, self.clock.now()):
            raise LookupError(f"no such active key: {key_id}")
        self._known.pop(key_id, None)
        logs.event("key revoked", key_id=key_id)  # a key id is public (every token's client_id)

    async def active_key(self, key_id: str) -> tuple[ApiKey, Entity] | None:
        """The key and its entity if the key exists and is not revoked."""
        key = await self.store.get_api_key(key_id)
        if key is None or not key.active:
            return None
        entity = await self.store.get_entity(key.entity_id)
        return (key, entity) if entity else None

    async def requires_dpop(self, entity_id: str) -> bool:
        """Whether the entity takes only DPoP-bound tokens, as it was at most
        KEY_CACHE_SECONDS ago (asked on every web-service call made with a Bearer token)."""
        now = self.clock.now()
        known = self._policies.get(entity_id)
        if known is not None and known[0] > now:
            return known[1]
        entity = await self.store.get_entity(entity_id)
        required = entity is not None and entity.dpop_required
        if len(self._policies) >= KEY_CACHE_SIZE:
            self._policies.clear()
        self._policies[entity_id] = (now + KEY_CACHE_SECONDS, required)
        return required

    async def recent_active_key(self, key_id: str) -> tuple[ApiKey, Entity] | None:
        """`active_key`, as it was at most KEY_CACHE_SECONDS ago. Only keys found active are
        remembered: callers ask only once a signature made with the key's secret verified."""
        now = self.clock.now()
        known = self._known.get(key_id)
        if known is not None and known[0] > now:
            return known[1], known[2]
        found = await self.active_key(key_id)
        if found is None:
            self._known.pop(key_id, None)
            return None
        if len(self._known) >= KEY_CACHE_SIZE:
            self._known.clear()
        self._known[key_id] = (now + KEY_CACHE_SECONDS, *found)
        return found
