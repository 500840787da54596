"""The demo shop's own accounts: passwords kept only as scrypt hashes, checked in constant time.

This is the integrator's side (the shop logs its users in), not the token service's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from pathlib import Path

from .credentials import replace_private_file

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


class UserBook:
    """The shop's accounts, read once from the users file."""

    def __init__(self, path: Path) -> None:
        self.users: dict[str, dict[str, str]] = json.loads(path.read_text())["users"]
        # Unknown names are checked against a throw-away hash so they take as long as known ones.
        self._decoy = hash_password(secrets.token_urlsafe(16))

    def check(self, username: str, password: str) -> dict[str, str] | None:
        """The user `{"id", "name"}` if the password is right, else None."""
        record = self.users.get(username)
        ok = verify_password(password, record["hash"] if record else self._decoy)
        return {"id": username, "name": record["name"]} if ok and record else None


def write_users(path: Path, accounts: Mapping[str, tuple[str, str]]) -> None:
    """The users file `UserBook` reads, for {username: (display name, password)}: owner-only,
    passwords as scrypt hashes only."""
    users = {
        name: {"name": shown, "hash": hash_password(pw)} for name, (shown, pw) in accounts.items()
    }
    replace_private_file(path, json.dumps({"users": users}, indent=2).encode())
