"""The demo shop's own accounts: passwords kept only as scrypt hashes (see `passwords`), and the
brakes on guessing them.

This is the integrator's side (the shop logs its users in), not the token service's.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..clock import Clock
from ..credentials import replace_private_file
from ..passwords import hash_password, verify_password
from ..ratelimit import FailureLimiter

MAX_USERNAME = 200


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


class LoginBrakes:
    """Brakes on guessing the shop's passwords (SPEC "Under attack"): the one who fails pays.

    - per address: `ADDRESS_FAILURES` a minute, whatever the usernames, then 429 there;
    - per (address, username): `PAIR_FAILURES` a minute, then 429 for that pair;
    - per username, all addresses together: never a refusal (that would let anyone who knows a
      username lock its owner out), only a delay before the password is checked, doubling with
      each failure past `PAIR_FAILURES` up to `MAX_DELAY`. A correct password from an address
      that has not failed is therefore accepted, at worst a second late, while others guess.
    """

    ADDRESS_FAILURES = 20
    PAIR_FAILURES = 5
    MAX_DELAY = 1.0

    def __init__(self, clock: Clock, window: float = 60.0) -> None:
        self.addresses = FailureLimiter(
            clock, max_failures=self.ADDRESS_FAILURES, window=window, brake="shop sign-in"
        )
        self.pairs = FailureLimiter(
            clock, max_failures=self.PAIR_FAILURES, window=window, brake="shop sign-in, one user"
        )
        self.accounts = FailureLimiter(clock, max_failures=64, window=window)  # counted only

    def check(self, address: str, username: str) -> float:
        """Raise TooManyRequests for a braked address or pair; else the delay to wait first."""
        self.addresses.check(address)
        self.pairs.check(_pair(address, username))
        return self.delay(self.accounts.recent(_account(username)))

    def failed(self, address: str, username: str) -> None:
        self.addresses.record_failure(address)
        self.pairs.record_failure(_pair(address, username))
        self.accounts.record_failure(_account(username))

    @classmethod
    def delay(cls, failures: int) -> float:
        if failures < cls.PAIR_FAILURES:
            return 0.0
        return min(cls.MAX_DELAY, 0.05 * 2 ** (failures - cls.PAIR_FAILURES))


def _account(username: str) -> str:
    return "user:" + username[:MAX_USERNAME]  # bounded memory per key, whatever is sent


def _pair(address: str, username: str) -> str:
    return f"{address}|{_account(username)}"
