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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import DatabaseUnavailable
from .location import DatabaseLocation

if TYPE_CHECKING:
    import asyncpg

CONNECT_TIMEOUT = 10  # seconds


def open_sqlite(path: Path | str) -> sqlite3.Connection:
    """The SQLite file at `path` (made, with its directory, if missing), ready for the store."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 5000")  # the CLI may write while a server runs
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    # Spelled out: under WAL, FULL makes every commit wait for the disk (~0.4 ms here), so an
    # answered revocation or asset write survives a power cut.
    db.execute("PRAGMA synchronous = FULL")
    return db


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
