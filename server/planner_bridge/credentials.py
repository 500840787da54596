"""API keys and their secrets: minting, deriving and checking them.

Why derive rather than hash: the RFC 9421 signatures on `/v1/tokens` are HMACs, so the server
must hold each secret as a key, not just a hash to compare against. Each secret is therefore
HMAC-SHA256(master key, "api-secret/v1/" + key id): nothing secret is stored in the database,
a stolen database alone is useless, and revoking a key needs no secret at all. The master key
lives in `<data_dir>/master.key` (mode 0600) or `PLANNER_BRIDGE_MASTER_KEY`; several instances
serving together must share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

MASTER_KEY_BYTES = 32
KEY_PREFIX = "pbk_"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write_private_file(path: Path, data: bytes) -> None:
    """Create `path` readable only by its owner, never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def replace_private_file(path: Path, data: bytes) -> None:
    """Owner-only from the first byte, and swapped in whole so a reader never sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    write_private_file(tmp, data)
    os.replace(tmp, path)


def load_master_key(data_dir: Path, configured: str = "") -> bytes:
    """The configured master key, else the data dir's, created on first use."""
    if configured:
        key = b64url_decode(configured)
        if len(key) < MASTER_KEY_BYTES:
            raise ValueError("PLANNER_BRIDGE_MASTER_KEY must encode at least 32 bytes")
        return key
    path = data_dir / "master.key"
    if not path.exists():
        write_private_file(path, b64url(secrets.token_bytes(MASTER_KEY_BYTES)).encode())
    return b64url_decode(path.read_text().strip())


class SecretDeriver:
    """Turns an API key id into its secret; the one place that holds the master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < MASTER_KEY_BYTES:
            raise ValueError("master key must be at least 32 bytes")
        # The keyed state after the fixed prefix, computed once: each derivation copies it
        # (the stdlib's documented way to share a prefix) instead of re-keying the HMAC.
        self._prefixed = hmac.new(master_key, b"api-secret/v1/", hashlib.sha256)

        self._master = master_key

    def subkey(self, purpose: str) -> bytes:
        """A key of its own for `purpose` (e.g. DPoP nonces), derived from the master key, the
        same on every instance that shares it."""
        return hmac.new(self._master, b"subkey/" + purpose.encode(), hashlib.sha256).digest()

    def secret_for(self, key_id: str) -> str:
        mac = self._prefixed.copy()
        mac.update(key_id.encode())
        return b64url(mac.digest())

    def matches(self, key_id: str, presented: str) -> bool:
        return hmac.compare_digest(self.secret_for(key_id).encode(), presented.encode())


def new_key_id() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(18)
