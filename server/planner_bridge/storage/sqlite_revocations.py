"""Revocations on SQLite: stored, and told to the watchers of this process at once, and to
those of another process on the same file (a server, when the CLI revokes) within `POLL`.

Each write takes the next `seq`; a watcher re-reads the rows past the last `seq` it saw every
`POLL` seconds (one indexed lookup) in a thread of its own: like the store, it belongs to no
event loop, so a core opened on one loop and served on another (the tests' servers) still
hears. Hearing a revocation twice is harmless (`Revocation.merged`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
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


@dataclasses.dataclass
class Watching:
    """This store's watchers: told of its own writes at once, polling for the others'."""

    listeners: list[RevocationListener] = dataclasses.field(default_factory=list)
    threads: list[threading.Thread] = dataclasses.field(default_factory=list)
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)


class SQLiteRevocations:
    """Mixed into `SQLiteStore`, whose `_db` it uses."""

    _db: SQLiteThread
    _watching: Watching | None = None

    async def add_revocation(self, revocation: Revocation, now: float) -> None:
        def add(db: Db) -> None:
            # The new row's seq first, then the sweep: seq must only grow. Swept first, the row
            # of the highest seq (a short jti revocation) could be gone, its seq taken again, and
            # the pollers that saw it would never read the new row (`seq > seen`).
            db.execute(UPSERT, rows.revocation_values(revocation))
            db.execute("DELETE FROM revocations WHERE expires <= ?", (now,))

        await self._db.write(add)
        for listener in self._watching.listeners if self._watching else ():
            listener.heard(revocation)

    async def list_revocations(self, now: float) -> list[Revocation]:
        found = await self._db.all("SELECT * FROM revocations WHERE expires > ?", now)
        return [rows.revocation(r) for r in found]

    async def watch_revocations(
        self, listener: RevocationListener, now: Callable[[], float]
    ) -> None:
        row = await self._db.one("SELECT coalesce(max(seq), 0) AS seq FROM revocations")
        seen = int(row["seq"]) if row else 0
        listener.reloaded(await self.list_revocations(now()))
        watching = self._watching = self._watching or Watching()
        watching.listeners.append(listener)
        poller = threading.Thread(target=self._poll, args=(watching, listener, seen), daemon=True)
        watching.threads.append(poller)
        poller.start()

    async def stop_watching_revocations(self) -> None:
        if self._watching is not None:
            self._watching.stop.set()
            for poller in self._watching.threads:
                await asyncio.to_thread(poller.join)  # not the store's thread: it waits

    def _poll(self, watching: Watching, listener: RevocationListener, seen: int) -> None:
        sql = "SELECT * FROM revocations WHERE seq > ?"
        while not watching.stop.wait(POLL):
            try:
                with self._db.lock:
                    found = self._db.db.execute(sql, (seen,)).fetchall()
            except Exception:
                logging.getLogger(__name__).warning("could not read the revocations")
                continue
            for row in found:
                seen = max(seen, int(row["seq"]))
                try:
                    listener.heard(rows.revocation(row))
                except Exception:  # this thread must live on: the next revocations matter too
                    logging.getLogger(__name__).exception("a revocation could not be applied")
