"""Console administrators: one legal entity each, passwords kept only as scrypt hashes.

The hashing is `passwords`' (also the demo shop's): one home for how this project stores a
password. Generated passwords are shown once by whoever created them.
"""

from __future__ import annotations

import asyncio
import re
import secrets

from .. import audit
from ..clock import Clock
from ..passwords import hash_password, verify_password
from ..storage import Administrator, Conflict, Store

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # scrypt's cost grows with the input; a megabyte is no password
GENERATED_PASSWORD_BYTES = 18  # 24 characters of base64url, 144 bits


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise ValueError(
            "username must be 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)"
        )
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


class AdminBook:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._decoy: str | None = None

    async def create(
        self,
        entity_id: str,
        username: str,
        password: str | None = None,
        *,
        actor: str = audit.CLI,
    ) -> tuple[Administrator, str]:
        """The new administrator and its password (generated unless given): shown once.
        `actor` (here and in `delete`) is who the audit trail names."""
        check_username(username)
        password = check_password(
            password if password is not None else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        )
        if await self.store.get_entity(entity_id) is None:
            raise LookupError(f"no such entity: {entity_id}")
        hashed = await asyncio.to_thread(hash_password, password)  # scrypt: off the loop
        admin = Administrator(username, entity_id, hashed, self.clock.now())
        try:
            await self.store.add_admin(admin)
        except Conflict:
            raise ValueError(f"username {username!r} is taken") from None
        await self._audit(admin, actor, audit.ADMIN_CREATED)
        return admin, password

    async def _audit(self, admin: Administrator, actor: str, action: str) -> None:
        await audit.record(
            self.store, self.clock,
            entity_id=admin.entity_id, actor=actor, action=action, object_id=admin.username,
        )  # fmt: skip

    async def check(self, username: str, password: str) -> Administrator | None:
        """The administrator if the password is right. An unknown name is checked against a
        throw-away hash, so it costs as long as a known one (no probing for usernames).
        The hashing (scrypt) runs in a worker thread, never on the event loop."""
        admin = await self.store.get_admin(username) if USERNAME.fullmatch(username) else None
        if len(password) > MAX_PASSWORD_LENGTH:
            password = ""  # still pays for one hash, never for a huge one
        stored = admin.password_hash if admin else None
        ok = await asyncio.to_thread(self._verify, password, stored)
        return admin if ok and admin else None

    def _verify(self, password: str, stored: str | None) -> bool:
        return verify_password(password, stored if stored is not None else self._decoy_hash())

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = hash_password(secrets.token_urlsafe(16))
        return self._decoy

    async def of_entity(self, entity_id: str) -> list[Administrator]:
        if await self.store.get_entity(entity_id) is None:
            raise LookupError(f"no such entity: {entity_id}")
        return await self.store.list_admins(entity_id)

    async def delete(self, username: str, *, actor: str = audit.CLI) -> None:
        """Deletes the administrator and ends its sessions at once."""
        admin = await self.store.get_admin(username)
        if admin is None or not await self.store.delete_admin(username):
            raise LookupError(f"no such administrator: {username}")
        await self._audit(admin, actor, audit.ADMIN_DELETED)

    async def signed_in(self, admin: Administrator) -> None:
        await self._audit(admin, admin.username, audit.ADMIN_SIGNED_IN)

    async def signed_out(self, username: str, entity_id: str) -> None:
        await audit.record(
            self.store, self.clock,
            entity_id=entity_id, actor=username, action=audit.ADMIN_SIGNED_OUT, object_id=username,
        )  # fmt: skip
