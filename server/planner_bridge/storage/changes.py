"""Asset changes between processes sharing a PostgreSQL database (the live channel's feed).

A write records its change in `asset_changes` and NOTIFYs the row's number, in the write's
own transaction: NOTIFY is delivered at commit, so the others hear of exactly the writes that
happened, and an asset of any size travels (the payload is only the number). Each process
LISTENs on a connection of its own and tells its listener the other processes' changes, one
at a time in commit order. If that connection is lost (the database restarted), it listens
again as soon as it can and catches up with the changes recorded meanwhile.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
import time

import asyncpg

from . import Asset, AssetListener, DatabaseUnavailable
from .connections import connect_postgresql
from .location import DatabaseLocation

CHANNEL = "planner_bridge_asset_changes"
KEPT = 300  # seconds a change is kept: long enough for every process to have read it
RELISTEN_EVERY = 1.0  # seconds between attempts to listen again
LOST = -1  # queued when the listening connection is lost
REMEMBERED = 4096  # recent changes told, so that a catch-up tells none twice


async def announce(conn: asyncpg.Connection, origin: str, asset: Asset, deleted: bool) -> None:
    """Record and notify a change; call it inside the write's transaction."""
    seq = await conn.fetchval(
        "INSERT INTO asset_changes (origin, asset, deleted, created)"
        " VALUES ($1, $2, $3, $4) RETURNING seq",
        origin,
        json.dumps(dataclasses.asdict(asset)),
        deleted,
        time.time(),
    )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, f"{origin} {seq}")


async def forget_old(pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM asset_changes WHERE created <= $1", time.time() - KEPT)


class ChangeFeed:
    def __init__(self, pool: asyncpg.Pool, location: DatabaseLocation, origin: str) -> None:
        self.pool = pool
        self.location = location
        self.origin = origin  # this process's changes: not told (its hub heard them)
        self._listening: asyncpg.Connection | None = None
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._told: collections.deque[int] = collections.deque(maxlen=REMEMBERED)
        self._teller: asyncio.Task[None] | None = None

    async def start(self, listener: AssetListener) -> None:
        """Listening once this returns; then `listener` hears every change of the others."""
        if self._teller is None:
            await self._listen()
            self._teller = asyncio.create_task(self._tell(listener))

    async def stop(self) -> None:
        if self._teller is not None:
            self._teller.cancel()
            await asyncio.gather(self._teller, return_exceptions=True)
        if self._listening is not None and not self._listening.is_closed():
            await self._listening.close()

    async def _listen(self) -> None:
        conn = await connect_postgresql(self.location)  # failures: DatabaseUnavailable
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(lambda _conn: self._queue.put_nowait(LOST))
        self._listening = conn

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        origin, _, seq = str(payload).partition(" ")
        if origin != self.origin and seq.isdigit():
            self._queue.put_nowait(int(seq))

    async def _tell(self, listener: AssetListener) -> None:
        while True:
            seq = await self._queue.get()
            try:
                if seq == LOST:
                    await self._listen_again()
                    await self._catch_up(listener)
                elif seq not in self._told:
                    row = await self.pool.fetchrow(
                        "SELECT seq, asset, deleted FROM asset_changes WHERE seq = $1", seq
                    )
                    self._pass_on(row, listener)
            except Exception:
                logging.getLogger(__name__).exception("could not pass on an asset change")

    async def _listen_again(self) -> None:
        while True:
            try:
                await self._listen()
                return
            except DatabaseUnavailable:
                await asyncio.sleep(RELISTEN_EVERY)

    async def _catch_up(self, listener: AssetListener) -> None:
        """The others' changes recorded since the last one told (none told twice)."""
        since = max(self._told, default=0)
        rows = await self.pool.fetch(
            "SELECT seq, asset, deleted FROM asset_changes"
            " WHERE seq > $1 AND origin <> $2 ORDER BY seq",
            since,
            self.origin,
        )
        for row in rows:
            if row["seq"] not in self._told:
                self._pass_on(row, listener)

    def _pass_on(self, row: asyncpg.Record | None, listener: AssetListener) -> None:
        if row is not None:
            self._told.append(row["seq"])
            listener(Asset(**json.loads(row["asset"])), row["deleted"])
