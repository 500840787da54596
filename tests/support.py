"""What tests share besides fixtures: a planner origin's handle and a registered shop.

Fixtures live in conftest.py; these plain names live here so that test modules import them by a
module name of their own (pytest loads every conftest.py as "conftest", and playwright/ has one).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from http_message_signatures import HTTPSignatureKeyResolver

from planner_bridge.clock import Clock
from planner_bridge.core import Core
from planner_bridge.keys.ring import KeyRing, KeySealer, SigningKey
from planner_bridge.serving import blocking
from planner_bridge.storage import Entity
from planner_bridge.storage.sqlite import SQLiteStore

HOST_ORIGIN = "http://localhost:8000"


@dataclasses.dataclass
class PlannerServer:
    url: str
    core: Core


@dataclasses.dataclass
class Shop:
    """A registered legal entity and its API key/secret, as its back-end would hold them."""

    entity: Entity
    key_id: str
    secret: str


def register_shop(core: Core, *, allow_write: bool = True, name: str = "Demo Store") -> Shop:
    entity, key = blocking(core.entities.create(name, [HOST_ORIGIN], allow_write=allow_write))
    return Shop(entity, key.key_id, key.secret)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `condition` until it is truthy and return its value; fail after `timeout` seconds.
    The one way tests wait for something another thread or process does: on a condition with a
    deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)  # the poll interval, not a wait for an outcome
    raise AssertionError("condition not met before the deadline")


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _with_s(token: str, high: bool) -> str:
    head, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    if (s > P256_ORDER // 2) != high:
        s = P256_ORDER - s  # the same signature's twin: (r, n - s) verifies as well
    encoded = base64.urlsafe_b64encode(r + s.to_bytes(32, "big")).rstrip(b"=").decode()
    return f"{head}.{payload}.{encoded}"


def high_s(token: str) -> str:
    """The same ES256 JWS with s in the upper half: a second string, made without the key."""
    return _with_s(token, high=True)


def low_s(token: str) -> str:
    """The same ES256 JWS with s in low-S form, as the issuer writes it. Tests that sign with
    PyJWT (which leaves s as it comes) use it, or half their tokens would be refused for that
    reason alone and hide what the test is about."""
    return _with_s(token, high=False)


def s_is_low(token: str) -> bool:
    return low_s(token) == token


class SharedSecret(HTTPSignatureKeyResolver):
    """The http-message-signatures library's key resolver for one API key: RFC 9421 HMAC signs
    and verifies with the secret's UTF-8 bytes (SPEC). Any other key id is a test's mistake."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id, self.secret = key_id, secret

    def resolve_private_key(self, key_id: str) -> bytes:
        assert key_id == self.key_id
        return self.secret.encode()

    def resolve_public_key(self, key_id: str) -> bytes:
        return self.resolve_private_key(key_id)


TEST_MASTER_KEY = hashlib.sha256(b"planner-bridge tests: the key rings' master key").digest()


def key_ring(path: Path, clock: Clock, *, alg: str = "ES256", published_for: float) -> KeyRing:
    """A key ring of its own, on a SQLite database at `path` (made if missing), started."""

    async def started() -> KeyRing:
        store = await SQLiteStore.open(path)
        ring = KeyRing(
            store, KeySealer(TEST_MASTER_KEY), clock, alg=alg, published_for=published_for
        )
        await ring.start()
        return ring

    return blocking(started())


def rotate(ring: KeyRing, *, drop_old: bool = False) -> SigningKey:
    """`await ring.rotate()` from a test that runs on no event loop."""
    return blocking(ring.rotate(drop_old=drop_old))
