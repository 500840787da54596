"""Revocations on PostgreSQL: stored, and pushed to every instance by NOTIFY, the way
`changes` pushes asset changes.

A revocation is written and NOTIFYed in one transaction (NOTIFY is delivered at commit), the
payload being the merged row itself (a few hundred bytes at most, far below NOTIFY's 8000), so
a listener needs no query to apply it. Each process LISTENs on a connection of its own. When
that connection is lost the listener is told at once (`lost`: the verifiers then refuse to
vouch for any token rather than miss a revocation), and as soon as the database is back it
listens again, re-reads the whole current set and hands it over (`reloaded`) before anything
is trusted again: nothing revoked meanwhile is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from . import DatabaseUnavailable, Revocation, RevocationListener, rows
from .changes import RELISTEN_EVERY, ChangeFeed
from .connections import connect_postgresql
from .location import DatabaseLocation
from .postgresql_transactions import reachable

CHANNEL = "planner_bridge_revocations"
UPSERT = (
    "INSERT INTO revocations VALUES ($1, $2, $3, $4) ON CONFLICT (kind, subject) DO UPDATE SET"
    " not_before = GREATEST(revocations.not_before, EXCLUDED.not_before),"
    " expires = GREATEST(revocations.expires, EXCLUDED.expires) RETURNING *"
)


def payload(revocation: Revocation) -> str:
    r = revocation
    return json.dumps([r.kind, r.subject, r.not_before, r.expires])


def parsed(text: object) -> Revocation | None:
    try:
        kind, subject, not_before, expires = json.loads(str(text))
        return Revocation(str(kind), str(subject), float(not_before), float(expires))
    except (ValueError, TypeError):
        return None


class RevocationFeed:
    """One process's LISTEN for revocations, handing them to one listener."""

    def __init__(self, pool: asyncpg.Pool, location: DatabaseLocation) -> None:
        self.pool = pool
        self.location = location
        self._listening: asyncpg.Connection | None = None
        self._listener: RevocationListener | None = None
        self._now: Callable[[], float] = lambda: 0.0
        self._reconnecting: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self, listener: RevocationListener, now: Callable[[], float]) -> None:
        """Listening, and the current set handed over, once this returns."""
        self._listener, self._now = listener, now
        await self._listen()  # first, so nothing committed after the read below goes unheard
        listener.reloaded(await self._current())

    async def stop(self) -> None:
        self._stopped = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        if self._listening is not None and not self._listening.is_closed():
            await self._listening.close()

    async def _current(self) -> list[Revocation]:
        found = await self.pool.fetch("SELECT * FROM revocations WHERE expires > $1", self._now())
        return [rows.revocation(r) for r in found]

    async def _listen(self) -> None:
        conn = await connect_postgresql(self.location)  # failures: DatabaseUnavailable
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(self._cut)
        self._listening = conn

    def _heard(self, _conn: object, _pid: int, _channel: str, text: object) -> None:
        revocation = parsed(text)
        if revocation is not None and self._listener is not None:
            self._listener.heard(revocation)

    def _cut(self, _conn: object) -> None:
        if self._stopped or self._listener is None:
            return
        self._listener.lost()
        if self._reconnecting is None:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Listen again, then re-read the set, until both have worked."""
        try:
            while not self._stopped:
                try:
                    await self._listen()
                    current = await self._current()
                except (
                    DatabaseUnavailable,
                    OSError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ):
                    if self._listening is not None and not self._listening.is_closed():
                        self._listening.terminate()
                    await asyncio.sleep(RELISTEN_EVERY)
                    continue
                assert self._listener is not None
                self._listener.reloaded(current)
                return
        except Exception:
            logging.getLogger(__name__).exception("could not listen for revocations again")
        finally:
            self._reconnecting = None


class PostgresRevocations:
    """Mixed into `PostgresStore`, whose pool and location it uses."""

    _pool: asyncpg.Pool
    location: DatabaseLocation
    _feed: ChangeFeed
    _revocation_feed: RevocationFeed | None = None

    @reachable
    async def add_revocation(self, revocation: Revocation, now: float) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM revocations WHERE expires <= $1", now)
            row: Any = await conn.fetchrow(UPSERT, *rows.revocation_values(revocation))
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload(rows.revocation(row)))

    @reachable
    async def list_revocations(self, now: float) -> list[Revocation]:
        found = await self._pool.fetch("SELECT * FROM revocations WHERE expires > $1", now)
        return [rows.revocation(r) for r in found]

    async def watch_revocations(
        self, listener: RevocationListener, now: Callable[[], float]
    ) -> None:
        if self._revocation_feed is None:
            self._revocation_feed = RevocationFeed(self._pool, self.location)
        await self._revocation_feed.start(listener, now)

    async def stop_feeds(self) -> None:
        """Stop listening, for asset changes and for revocations (before closing the pool)."""
        await self._feed.stop()
        if self._revocation_feed is not None:
            await self._revocation_feed.stop()
