"""Opening connections, the bottom of `storage/`: the backends, the migrations and the change
feed all get theirs here, so none of them imports another to reach its database.

SQLite: one connection in autocommit mode (the store begins its own transactions), WAL, and
every commit waiting for the disk unless a write says otherwise (`sqlite.SQLiteStore`).
PostgreSQL: asyncpg connections and pools, whose failures become one `DatabaseUnavailable`
line naming host and port; asyncpg is imported only by those who use it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import DatabaseUnavailable
from .location import DatabaseLocation

if TYPE_CHECKING:
    import asyncpg

CONNECT_TIMEOUT = 10  # seconds
BUSY_SECONDS = 5  # how long SQLite waits for another process's write to end


def open_sqlite(path: Path | str) -> sqlite3.Connection:
    """The SQLite file at `path` (made, with its directory, if missing), ready for the store."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")  # the CLI may write beside a server
    if str(path) != ":memory:":
        _use_wal(db)
    db.execute("PRAGMA foreign_keys = ON")
    # Spelled out: under WAL, FULL makes every commit wait for the disk (~0.4 ms here), so an
    # answered revocation or asset write survives a power cut.
    db.execute("PRAGMA synchronous = FULL")
    return db


def _use_wal(db: sqlite3.Connection) -> None:
    """WAL mode. SQLite does not wait (`busy_timeout`) to change the journal mode: a process
    opening a new file while another is making it (two first starts) tries again, as long as
    `busy_timeout` would have waited."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def open_sqlite_read_only(path: Path) -> sqlite3.Connection:
    """An existing SQLite file, for reading only (`db status` never creates a database)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


async def connect_postgresql(location: DatabaseLocation) -> asyncpg.Connection:
    """One connection, outside any pool (migrations, status, listening for changes)."""
    import asyncpg

    with unavailable_as_one_line(location):
        return await asyncpg.connect(location.dsn, timeout=CONNECT_TIMEOUT)


async def postgresql_pool(location: DatabaseLocation, max_connections: int) -> asyncpg.Pool:
    import asyncpg

    with unavailable_as_one_line(location):
        pool: Any = await asyncpg.create_pool(
            location.dsn, min_size=1, max_size=max_connections, timeout=CONNECT_TIMEOUT
        )
    return pool


@contextlib.contextmanager
def unavailable_as_one_line(location: DatabaseLocation) -> Iterator[None]:
    """Connection failures become DatabaseUnavailable naming host and port. asyncpg's own
    messages never hold the password, but a refused socket's lists every address tried."""
    import asyncpg

    where = f"PostgreSQL at {location.host}:{location.port}"
    try:
        yield
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach {where}: {reason}") from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"{where} refused the connection: {first_line}") from None
