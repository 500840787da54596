"""One SQLite connection, driven from any event loop: each call runs in the store's own worker
thread, so the loop only awaits while the driver blocks (a commit waiting for the disk never
stalls other requests).

One connection guarded by a lock: SQLite serialises writers anyway, and every statement of the
store is a single-row lookup or write that takes microseconds. Any loop may call it (the tests'
servers and their callers run loops of their own).

One thread, not the loop's default pool: the calls take the one lock in turn anyway, and in a
pool each call woke whichever thread was free, which then often waited on the lock held by
another (measured under bench_dpop's load: the same work cost more CPU per request).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
Db = sqlite3.Connection


class SQLiteThread:
    def __init__(self, db: Db) -> None:
        self.db = db  # in autocommit mode: transactions are begun here
        self.lock = threading.Lock()
        self._own = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._closed = False

    @property
    def executor(self) -> Executor | None:
        """Where calls run: the store's thread; once closed, the loop's default pool (a call
        then meets the closed connection's own error, as callers of a closed store expect)."""
        return None if self._closed else self._own

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` in the store's thread; it takes `lock` itself if it touches `db`."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, call, *args)

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    async def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        found = await self.run(self._fetch, sql, args)
        return found[0] if found else None

    async def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return await self.run(self._fetch, sql, args)

    async def write(self, write: Callable[[Db], T]) -> T:
        """`write(db)` inside one durable transaction."""
        return await self.run(self._in_transaction, write)

    def _in_transaction(self, write: Callable[[Db], T]) -> T:
        with self.transaction() as db:
            return write(db)

    async def changed(self, sql: str, *args: Any) -> bool:
        """One write statement in its own transaction: whether it changed a row."""
        return await self.write(lambda db: db.execute(sql, args).rowcount > 0)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Db]:
        """One write transaction (in a worker thread). `durable=False` commits without waiting
        for the disk; every other commit, before and after, still does."""
        with self.lock:
            if not durable:
                self.db.execute("PRAGMA synchronous = NORMAL")
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
            finally:
                if not durable:
                    self.db.execute("PRAGMA synchronous = FULL")

    async def close(self) -> None:
        await self.run(self._close)
        self._closed = True
        self._own.shutdown(wait=False)  # idle now: its thread ends on its own

    def _close(self) -> None:
        with self.lock:
            self.db.close()
