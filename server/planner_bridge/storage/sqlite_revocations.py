"""Revocations on SQLite: stored, and told to the watchers of this process at once, and to
those of another process on the same file (a server, when the CLI revokes) within `POLL`.

Each write takes the next `seq`; a watcher re-reads the rows past the last `seq` it saw every
`POLL` seconds (one indexed lookup, in a worker thread). Hearing a revocation twice is
harmless (`Revocation.merged`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from . import Revocation, RevocationListener, rows
from .sqlite_thread import Db, SQLiteThread

POLL = 0.25  # seconds: well inside the SPEC's one second, for about 4 lookups a second
UPSERT = (
    "INSERT INTO revocations VALUES (?, ?, ?, ?,"
    " (SELECT coalesce(max(seq), 0) + 1 FROM revocations))"
    " ON CONFLICT (kind, subject) DO UPDATE SET"
    " not_before = max(not_before, excluded.not_before),"
    " expires = max(expires, excluded.expires), seq = excluded.seq"
)


class SQLiteRevocations:
    """Mixed into `SQLiteStore`, whose `_db` it uses."""

    _db: SQLiteThread
    _revocation_watchers: list[asyncio.Task[None]]
    _revocation_listeners: list[RevocationListener]

    async def add_revocation(self, revocation: Revocation, now: float) -> None:
        def add(db: Db) -> None:
            db.execute("DELETE FROM revocations WHERE expires <= ?", (now,))
            db.execute(UPSERT, rows.revocation_values(revocation))

        await self._db.write(add)
        for listener in self._listeners():
            listener.heard(revocation)

    async def list_revocations(self, now: float) -> list[Revocation]:
        found = await self._db.all("SELECT * FROM revocations WHERE expires > ?", now)
        return [rows.revocation(r) for r in found]

    async def watch_revocations(
        self, listener: RevocationListener, now: Callable[[], float]
    ) -> None:
        seen = await self._last_seq()
        listener.reloaded(await self.list_revocations(now()))
        self._listeners().append(listener)
        watcher = asyncio.create_task(self._poll(listener, seen))
        self._watchers().append(watcher)

    async def stop_watching_revocations(self) -> None:
        for watcher in self._watchers():
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher

    async def _last_seq(self) -> int:
        row = await self._db.one("SELECT coalesce(max(seq), 0) AS seq FROM revocations")
        return int(row["seq"]) if row else 0

    async def _poll(self, listener: RevocationListener, seen: int) -> None:
        while True:
            await asyncio.sleep(POLL)
            try:
                found = await self._db.all("SELECT * FROM revocations WHERE seq > ?", seen)
            except Exception:
                logging.getLogger(__name__).warning("could not read the revocations")
                continue
            for row in found:
                seen = max(seen, int(row["seq"]))
                listener.heard(rows.revocation(row))

    def _listeners(self) -> list[RevocationListener]:
        if not hasattr(self, "_revocation_listeners"):
            self._revocation_listeners = []
        return self._revocation_listeners

    def _watchers(self) -> list[asyncio.Task[None]]:
        if not hasattr(self, "_revocation_watchers"):
            self._revocation_watchers = []
        return self._revocation_watchers
