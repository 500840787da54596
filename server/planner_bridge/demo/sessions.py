"""The demo shop's login sessions, kept on the server: the cookie carries only a random id.

A signed cookie alone cannot be taken back: after logout a copy of it would still be a session
for as long as its signature is valid. Here logout deletes the record, so the old cookie names
nothing. Every session also ends `LIFETIME` after login (absolute) and `IDLE` after its last
request. Held in memory, per process (the demo runs one); a shop with several processes keeps the
same three operations in its database.
"""

from __future__ import annotations

import dataclasses
import secrets

from ..clock import Clock

LIFETIME = 8 * 3600  # a shopping day, then log in again
IDLE = 30 * 60
MAX_SESSIONS = 100_000  # bounded memory however many logins there are


@dataclasses.dataclass
class _Session:
    user: dict[str, str]
    created: float
    seen: float


class SessionStore:
    def __init__(self, clock: Clock, *, lifetime: float = LIFETIME, idle: float = IDLE) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.idle = idle
        self._sessions: dict[str, _Session] = {}

    def create(self, user: dict[str, str]) -> str:
        """A new session for `user`; its id (256 random bits) is what the cookie holds."""
        if len(self._sessions) >= MAX_SESSIONS:
            self._forget_ended()
        while len(self._sessions) >= MAX_SESSIONS:  # all alive: the oldest login goes first
            del self._sessions[next(iter(self._sessions))]
        session_id = secrets.token_urlsafe(32)
        now = self.clock.now()
        self._sessions[session_id] = _Session(dict(user), created=now, seen=now)
        return session_id

    def user(self, session_id: object) -> dict[str, str] | None:
        """The session's user, if it is still alive (and it is then kept alive: a request)."""
        session = self._sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None:
            return None
        now = self.clock.now()
        if self._ended(session, now):
            self.delete(session_id)
            return None
        session.seen = now
        return dict(session.user)

    def delete(self, session_id: object) -> None:
        if isinstance(session_id, str):
            self._sessions.pop(session_id, None)

    def _ended(self, session: _Session, now: float) -> bool:
        return now >= session.created + self.lifetime or now >= session.seen + self.idle

    def _forget_ended(self) -> None:
        now = self.clock.now()
        for session_id in [k for k, s in self._sessions.items() if self._ended(s, now)]:
            del self._sessions[session_id]
