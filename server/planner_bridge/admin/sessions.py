"""Console sessions, kept server-side in the store: a random id in the cookie, only its hash
stored; 30 minutes idle and 8 hours in all, whichever comes first; signing out deletes the row.

The CSRF token of a session is an HMAC of a fixed label keyed by the session id: every form of
the session carries it, it is checked in constant time, and it dies with the session. Nothing
here knows of HTTP: `apps.admin` sets the cookie and reads the forms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..clock import Clock
from ..storage import Administrator, AdminSession, Store

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
TOUCH_EVERY = 30.0  # last_seen is written at most this often: idle time to the half-minute
SESSION_ID_BYTES = 32
MAX_SESSION_ID_LENGTH = 64


def id_hash(session_id: str) -> str:
    """What the store keeps: a 256-bit random id needs no slow hash, only a one-way one."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"planner-bridge admin csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, token: str) -> bool:
    return hmac.compare_digest(csrf_token(session_id).encode(), token.encode())


class SessionBook:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def open(self, admin: Administrator) -> str:
        """A new session for `admin`; the id returned goes into the cookie and nowhere else."""
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        now = self.clock.now()
        # Sessions nobody signed out of would otherwise stay forever; sign-ins are rare.
        await self.store.sweep_admin_sessions(now - IDLE_SECONDS, now - ABSOLUTE_SECONDS)
        row = AdminSession(id_hash(session_id), admin.username, admin.entity_id, now, now)
        await self.store.add_admin_session(row)
        return session_id

    async def resolve(self, session_id: str | None) -> AdminSession | None:
        """The live session for a cookie's id; an expired one is deleted and answers None."""
        if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
            return None
        hashed = id_hash(session_id)
        session = await self.store.get_admin_session(hashed)
        if session is None:
            return None
        now = self.clock.now()
        if now - session.last_seen >= IDLE_SECONDS or now - session.created >= ABSOLUTE_SECONDS:
            await self.store.delete_admin_session(hashed)
            return None
        if now - session.last_seen >= TOUCH_EVERY:
            await self.store.touch_admin_session(hashed, now)
        return session

    async def close(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= MAX_SESSION_ID_LENGTH:
            await self.store.delete_admin_session(id_hash(session_id))
