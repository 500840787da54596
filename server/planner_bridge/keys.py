"""The signing key ring: asymmetric keys on disk, the newest signs, the others still verify.

Layout in `<data_dir>/keys/`: one PEM file per private key (mode 0600) and `ring.json`, which
lists them oldest to newest with their `kid`, algorithm, creation and retirement times.
A retired key keeps verifying (and stays in the JWKS) until every access token it can have
signed has expired; a *dropped* key (rotated with `drop_old`, e.g. after a leak) stops at once.
Retired keys are kept for the token service's own API tokens, which outlive access tokens.
A running server notices a rotation done by the CLI: it re-reads the ring at most once a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import logs
from .clock import Clock

RELOAD_INTERVAL = 1.0


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
        algorithm = jwt.get_algorithm_by_name(self.alg)
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(self.public_key))
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk


def generate_private_key(alg: str) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported signing algorithm: {alg}")


class KeyRing:
    def __init__(self, directory: Path, clock: Clock, *, alg: str, published_for: float) -> None:
        """`published_for`: how long a retired key must keep verifying (longest token + leeway)."""
        self.directory = directory
        self.clock = clock
        self.alg = alg
        self.published_for = published_for
        self._lock = threading.Lock()
        self._keys: tuple[SigningKey, ...] = ()
        self._by_kid: dict[str, SigningKey] = {}
        self._mtime = -1
        self._next_check = 0.0
        if not self._ring_file.exists():
            self._create()
        self._load()

    @property
    def _ring_file(self) -> Path:
        return self.directory / "ring.json"

    # -- reading ---------------------------------------------------------------------------

    def _load(self) -> None:
        """Read the ring; ValueError naming `ring.json` if it is not one (OSError if unreadable)."""
        mtime = self._ring_file.stat().st_mtime_ns
        try:
            entries = json.loads(self._ring_file.read_text())["keys"]
            keys = tuple(self._read_key(e) for e in entries)
        except (ValueError, KeyError, TypeError) as exc:
            lines = str(exc).splitlines() or [type(exc).__name__]
            reason = f"missing {exc}" if isinstance(exc, KeyError) else lines[0]
            raise ValueError(f"{self._ring_file}: not a valid key ring ({reason})") from None
        if not keys:
            raise ValueError(f"{self._ring_file}: not a valid key ring (no keys)")
        if self._keys and self._keys[-1].kid != keys[-1].kid:  # here, or seen from another process
            logs.event("signing key rotated", kid=keys[-1].kid, previous_kid=self._keys[-1].kid)
        self._keys, self._by_kid, self._mtime = keys, {k.kid: k for k in keys}, mtime

    def _read_key(self, entry: dict[str, Any]) -> SigningKey:
        pem = (self.directory / f"{entry['kid']}.pem").read_bytes()
        private_key = serialization.load_pem_private_key(pem, password=None)
        return SigningKey(
            kid=entry["kid"],
            alg=entry["alg"],
            created=entry["created"],
            retired=entry.get("retired"),
            dropped=entry.get("dropped", False),
            private_key=private_key,
        )

    def refresh(self) -> None:
        """Pick up a rotation done by another process; cheap enough for every request."""
        now = self.clock.now()
        if now < self._next_check:
            return
        self._next_check = now + RELOAD_INTERVAL
        try:
            if self._ring_file.stat().st_mtime_ns != self._mtime:
                self._load()
        except (OSError, ValueError, KeyError):
            pass  # a half-written ring: keep the keys we have and look again later

    @property
    def current(self) -> SigningKey:
        self.refresh()
        return self._keys[-1]

    def verification_key(self, kid: str, *, access_token: bool) -> SigningKey | None:
        """The key for `kid` if it may still verify; access tokens only within their window."""
        self.refresh()
        key = self._by_kid.get(kid)
        if key is None or key.dropped:
            return None
        expired = key.retired is not None and self.clock.now() > key.retired + self.published_for
        if access_token and expired:
            return None
        return key

    def jwks(self) -> dict[str, Any]:
        self.refresh()
        keys = [
            k for k in self._keys if self.verification_key(k.kid, access_token=True) is not None
        ]
        return {"keys": [k.public_jwk() for k in reversed(keys)]}

    # -- writing ---------------------------------------------------------------------------
    # Every change is a read-modify-write of ring.json under an OS lock on `ring.lock`, so a
    # server's first start, a CLI rotation and another CLI rotation never lose each other's
    # keys; and every file is fsynced (then its directory) so a power cut leaves the old ring
    # or the new one, each with all its PEM files, never an empty or dangling ring.

    def rotate(self, *, drop_old: bool = False) -> SigningKey:
        """Make a new current key; retire (or drop) the others. Safe across processes."""
        with self._ring_lock():
            return self._rotate(drop_old)

    async def arotate(self, *, drop_old: bool = False) -> SigningKey:
        """`rotate` from the event loop (the CLI; `shared_keys.SharedKeyRing` too)."""
        return await asyncio.to_thread(lambda: self.rotate(drop_old=drop_old))

    def _create(self) -> None:
        with self._ring_lock():
            if not self._ring_file.exists():  # another process may have made it meanwhile
                self._rotate(drop_old=False)

    @contextmanager
    def _ring_lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "ring.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with self._lock:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor is closed
                yield
        finally:
            os.close(fd)

    def _rotate(self, drop_old: bool) -> SigningKey:
        now = self.clock.now()
        entries = self._entries()
        for entry in entries:
            entry.setdefault("retired", None)
            entry["retired"] = entry["retired"] or now
            if drop_old:
                entry["dropped"] = True
        kid = f"{int(now)}-{secrets.token_hex(4)}"
        private_key = generate_private_key(self.alg)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_synced(self.directory / f"{kid}.pem", pem, exclusive=True)
        entries.append({"kid": kid, "alg": self.alg, "created": now, "retired": None})
        self._write_entries(entries)
        self._load()
        return self._keys[-1]

    def _entries(self) -> list[dict[str, Any]]:
        if not self._ring_file.exists():
            return []
        entries: list[dict[str, Any]] = json.loads(self._ring_file.read_text())["keys"]
        return entries

    def _write_entries(self, entries: list[dict[str, Any]]) -> None:
        # Write then rename, so a reader never sees half a ring; the PEM files it names are
        # already on disk (fsynced, with their directory entries) before it can be read.
        tmp = self.directory / f".ring.{os.getpid()}.tmp"
        _write_synced(tmp, json.dumps({"keys": entries}, indent=2).encode(), exclusive=False)
        os.replace(tmp, self._ring_file)
        _sync_directory(self.directory)


def _write_synced(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write `path` (mode 0600, never briefly world-readable) and wait for the disk."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a created or renamed entry in `directory` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
