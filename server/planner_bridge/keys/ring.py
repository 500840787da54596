"""The signing key ring: one ring, kept in the database on either backend.

Keys have the three states Keycloak and itsdangerous give them. The *active* key (the newest
not retired) signs. A *passive* key (retired by a rotation) still verifies and stays in the
JWKS until every access token it can have signed has expired (`published_for`). A *retired*
key is no longer published and verifies no access token; it still verifies the token
service's own API tokens, which outlive access tokens, unless it was dropped (`keys rotate
--drop-old`, e.g. after a leak): a dropped key verifies nothing, at once. What signs goes
through `signing.Signer` (`signer`), so the token code never touches a private key.

Private keys are stored sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
master key, the key id bound in as associated data: the database alone reveals no signing key,
and a sealed key cannot be passed off under another kid. Each process re-reads the ring at most
once a second, in the background of the request that finds it due (`refresh`), so a rotation
made anywhere (`planner-bridge keys rotate`, another instance) reaches every process, and no
request waits on the database for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .. import logs
from ..clock import Clock
from ..storage import SigningKeyRecord, Store
from .signing import LocalSigner, Signer, public_jwk

RELOAD_INTERVAL = 1.0
SEALING_INFO = b"planner-bridge/signing-keys/v1"
NONCE_BYTES = 12


class KeyState(enum.Enum):
    ACTIVE = "active"  # signs (and verifies)
    PASSIVE = "passive"  # verifies, published in the JWKS
    RETIRED = "retired"  # not published; verifies only API tokens, and nothing once dropped


@dataclasses.dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    created: float
    retired: float | None
    dropped: bool
    private_key: Any = dataclasses.field(repr=False, compare=False)

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.kid, self.alg, self.public_key)

    def state(self, now: float, published_for: float) -> KeyState:
        if self.dropped:
            return KeyState.RETIRED
        if self.retired is None:
            return KeyState.ACTIVE
        return KeyState.PASSIVE if now <= self.retired + published_for else KeyState.RETIRED


def generate_private_key(alg: str) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported signing algorithm: {alg}")


def new_kid(now: float) -> str:
    return f"{int(now)}-{secrets.token_hex(4)}"


class KeySealer:
    def __init__(self, master_key: bytes) -> None:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEALING_INFO)
        self._aead = AESGCM(kdf.derive(master_key))

    def seal(self, kid: str, private_key: Any) -> bytes:
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, pem, kid.encode())

    def unseal(self, kid: str, sealed: bytes) -> Any:
        """The private key; cryptography's InvalidTag if sealed under another master key or
        kid, or tampered with."""
        pem = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], kid.encode())
        return serialization.load_pem_private_key(pem, password=None)


class KeyRing:
    def __init__(
        self, store: Store, sealer: KeySealer, clock: Clock, *, alg: str, published_for: float
    ) -> None:
        """`published_for`: how long a passive key keeps verifying (longest token + leeway)."""
        self.store = store
        self.sealer = sealer
        self.clock = clock
        self.alg = alg
        self.published_for = published_for
        self._keys: tuple[SigningKey, ...] = ()
        self._by_kid: dict[str, SigningKey] = {}
        self._current: SigningKey | None = None
        self._unsealed: dict[str, SigningKey] = {}  # each key is unsealed once
        self._signers: dict[str, Signer] = {}
        self._next_check = 0.0
        self._reloading: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the ring, making its first key if it has none (instances starting together
        make one)."""
        await self._add_key(first=True)
        await self.reload()

    # -- reading ---------------------------------------------------------------------------

    async def reload(self) -> None:
        records = await self.store.list_signing_keys()
        self._next_check = self.clock.now() + RELOAD_INTERVAL
        if not records:
            return
        # The active key last, the others oldest first (by creation: the order of rotations,
        # unless two processes' clocks disagree, which can only reorder keys made together).
        keys = tuple(
            sorted((self._key(r) for r in records), key=lambda k: (k.retired is None, k.created))
        )
        active = [k for k in keys if k.retired is None] or list(keys)
        current = active[-1]
        if self._current is not None and self._current.kid != current.kid:
            logs.event("signing key rotated", kid=current.kid, previous_kid=self._current.kid)
        self._keys, self._by_kid, self._current = keys, {k.kid: k for k in keys}, current

    def _key(self, record: SigningKeyRecord) -> SigningKey:
        known = self._unsealed.get(record.kid)
        try:
            private_key = (
                known.private_key if known else self.sealer.unseal(record.kid, record.sealed_key)
            )
        except InvalidTag:
            raise ValueError(
                f"signing key {record.kid} cannot be unsealed with this master key"
                " (every instance needs the same PLANNER_BRIDGE_MASTER_KEY)"
            ) from None
        r = record
        key = SigningKey(r.kid, r.alg, r.created, r.retired, r.dropped, private_key)
        self._unsealed[record.kid] = key
        return key

    def refresh(self) -> None:
        """Re-read the ring if a second has passed, in the background of the calling loop (no
        request waits for it); outside a loop, `await refreshed()` does it."""
        if self.clock.now() < self._next_check or self._reloading is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._next_check = self.clock.now() + RELOAD_INTERVAL
        self._reloading = loop.create_task(self._reload_quietly())

    async def settle(self) -> None:
        """Wait for a re-read under way (before closing the store)."""
        if self._reloading is not None and self._reloading.get_loop() is asyncio.get_running_loop():
            await asyncio.gather(self._reloading, return_exceptions=True)

    async def refreshed(self) -> None:
        """The ring re-read now if it is due."""
        if self.clock.now() >= self._next_check:
            await self.reload()

    async def _reload_quietly(self) -> None:
        try:
            await self.reload()
        except Exception:
            # The database is away or a row is bad: keep signing with the keys we have.
            logging.getLogger(__name__).warning("could not re-read the signing keys")
        finally:
            self._reloading = None

    @property
    def signer(self) -> Signer:
        """What signs with the active key (made once per key)."""
        key = self.current
        signer = self._signers.get(key.kid)
        if signer is None:
            signer = self._signers[key.kid] = LocalSigner(key.kid, key.alg, key.private_key)
        return signer

    @property
    def current(self) -> SigningKey:
        self.refresh()
        if self._current is None:
            raise RuntimeError("the key ring is not loaded (await start())")
        return self._current

    def verification_key(self, kid: str, *, access_token: bool) -> SigningKey | None:
        """The key for `kid` if it may still verify; access tokens only while it is passive."""
        self.refresh()
        key = self._by_kid.get(kid)
        if key is None or key.dropped:
            return None
        if access_token and key.state(self.clock.now(), self.published_for) is KeyState.RETIRED:
            return None
        return key

    def jwks(self) -> dict[str, Any]:
        self.refresh()
        now = self.clock.now()
        keys = [k for k in self._keys if k.state(now, self.published_for) is not KeyState.RETIRED]
        return {"keys": [k.public_jwk() for k in reversed(keys)]}

    # -- writing ---------------------------------------------------------------------------

    async def rotate(self, *, drop_old: bool = False) -> SigningKey:
        """Make a new active key; the others become passive (or dropped). Safe across
        processes: the database settles concurrent rotations."""
        await self._add_key(drop_old=drop_old)
        await self.reload()
        return self.current

    async def _add_key(self, *, drop_old: bool = False, first: bool = False) -> bool:
        now = self.clock.now()
        kid = new_kid(now)
        private_key = await asyncio.to_thread(generate_private_key, self.alg)  # RSA takes a while
        record = SigningKeyRecord(
            kid, self.alg, now, None, False, self.sealer.seal(kid, private_key)
        )
        return await self.store.add_signing_key(record, drop_old=drop_old, first=first)
