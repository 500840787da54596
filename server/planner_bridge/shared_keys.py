"""The signing key ring kept in a shared database, for instances that serve together.

The same ring as `keys.KeyRing` (the newest signs, retired keys verify for a while, dropped
keys never), but its keys are rows of the store, so a `keys rotate` run anywhere reaches every
instance: each re-reads the ring once a second in a background task (the event loop never
waits on it; signing and verifying read the keys in memory). Private keys are stored sealed
with AES-256-GCM under a key derived (HKDF-SHA256) from the master key, the key id bound in as
associated data: the database alone reveals no signing key, and a sealed key cannot be
passed off under another kid.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .clock import Clock
from .keys import RELOAD_INTERVAL, KeyRing, SigningKey, generate_private_key
from .storage import SigningKeyRecord, Store

SEALING_INFO = b"planner-bridge/signing-keys/v1"
NONCE_BYTES = 12


class KeySealer:
    def __init__(self, master_key: bytes) -> None:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEALING_INFO)
        self._aead = AESGCM(kdf.derive(master_key))

    def seal(self, kid: str, private_key: object) -> bytes:
        pem = private_key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, pem, kid.encode())

    def unseal(self, kid: str, sealed: bytes) -> object:
        """The private key; cryptography's InvalidTag if sealed under another master key or
        kid, or tampered with."""
        pem = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], kid.encode())
        return serialization.load_pem_private_key(pem, password=None)


class SharedKeyRing(KeyRing):
    """A KeyRing whose keys live in the store (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        sealer: KeySealer,
        clock: Clock,
        *,
        alg: str,
        published_for: float,
    ) -> None:
        # Not KeyRing.__init__: nothing here touches the data dir.
        self.store = store
        self.sealer = sealer
        self.clock = clock
        self.alg = alg
        self.published_for = published_for
        self._keys: tuple[SigningKey, ...] = ()
        self._by_kid: dict[str, SigningKey] = {}
        self._unsealed: dict[str, SigningKey] = {}  # each key is unsealed once
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the ring (making its first key if it has none), then follow it."""
        await self.add_key(first=True)
        await self.reload()
        self._watcher = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    def refresh(self) -> None:
        """Nothing to do on the request path: `_follow` keeps the keys current."""

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_INTERVAL)
            try:
                await self.reload()
            except Exception:
                # The database is away or a row is bad: keep signing with the keys we have.
                logging.getLogger(__name__).warning("could not re-read the signing keys")

    async def reload(self) -> None:
        records = await self.store.list_signing_keys()
        if records:
            keys = tuple(self._key(r) for r in records)
            self._keys, self._by_kid = keys, {k.kid: k for k in keys}

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
        key = SigningKey(
            record.kid, record.alg, record.created, record.retired, record.dropped, private_key
        )
        self._unsealed[record.kid] = key
        return key

    async def add_key(self, *, drop_old: bool = False, first: bool = False) -> bool:
        now = self.clock.now()
        kid = f"{int(now)}-{secrets.token_hex(4)}"
        private_key = await asyncio.to_thread(generate_private_key, self.alg)  # RSA takes a while
        sealed = self.sealer.seal(kid, private_key)
        record = SigningKeyRecord(kid, self.alg, now, None, False, sealed)
        return await self.store.add_signing_key(record, drop_old=drop_old, first=first)

    async def arotate(self, *, drop_old: bool = False) -> SigningKey:
        await self.add_key(drop_old=drop_old)
        await self.reload()
        return self._keys[-1]

    def rotate(self, *, drop_old: bool = False) -> SigningKey:
        raise TypeError("a shared key ring rotates with `await arotate()`")
