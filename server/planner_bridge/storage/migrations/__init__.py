"""Versioned, forward-only schema migrations, numbered alike on SQLite and PostgreSQL.

Module `vNNNN_*.py` takes a database at version N - 1 to N, with one script per backend; a new
database runs them all. SQLite keeps its version in `PRAGMA user_version`, PostgreSQL in the
`schema_migrations` table (one row per version applied). On PostgreSQL every migration runs
under one transaction-scoped advisory lock: instances starting together queue on it, the first
migrates, the others then find the schema current and do nothing. Each migration is given an
open connection (`..connections` opens them): nothing here opens a store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from typing import TYPE_CHECKING

from .. import connections
from ..location import DatabaseLocation
from . import (
    v0001_initial,
    v0002_reservation_owner,
    v0003_signing_keys,
    v0004_asset_changes,
    v0005_admin_console,
    v0006_audit_trail,
    v0007_revocations,
    v0008_dpop,
    v0009_reservation_holder,
    v0010_idempotency_expiry_index,
)

if TYPE_CHECKING:
    import asyncpg


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    sqlite: str
    postgresql: str


MIGRATIONS = (
    Migration(1, v0001_initial.SQLITE, v0001_initial.POSTGRESQL),
    Migration(2, v0002_reservation_owner.SQLITE, v0002_reservation_owner.POSTGRESQL),
    Migration(3, v0003_signing_keys.SQLITE, v0003_signing_keys.POSTGRESQL),
    Migration(4, v0004_asset_changes.SQLITE, v0004_asset_changes.POSTGRESQL),
    Migration(5, v0005_admin_console.SQLITE, v0005_admin_console.POSTGRESQL),
    Migration(6, v0006_audit_trail.SQLITE, v0006_audit_trail.POSTGRESQL),
    Migration(7, v0007_revocations.SQLITE, v0007_revocations.POSTGRESQL),
    Migration(8, v0008_dpop.SQLITE, v0008_dpop.POSTGRESQL),
    Migration(9, v0009_reservation_holder.SQLITE, v0009_reservation_holder.POSTGRESQL),
    Migration(10, v0010_idempotency_expiry_index.SQLITE, v0010_idempotency_expiry_index.POSTGRESQL),
)
LATEST = MIGRATIONS[-1].version

# pg_advisory_xact_lock's key: any bigint no other program on the database uses ("planbrdg").
ADVISORY_LOCK = 0x706C616E62726467


class SchemaTooNew(RuntimeError):
    def __init__(self, version: int) -> None:
        super().__init__(f"database schema {version} is newer than this program ({LATEST})")


def _check(version: int) -> None:
    if version > LATEST:
        raise SchemaTooNew(version)


# -- SQLite --------------------------------------------------------------------------------------


def sqlite_version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate_sqlite(db: sqlite3.Connection) -> int:
    """Bring an open SQLite database (autocommit mode) to LATEST, in one transaction."""
    version = sqlite_version(db)
    _check(version)
    if version == LATEST:
        return version
    steps = "".join(m.sqlite for m in _sqlite_steps(db, version))
    try:
        db.executescript(f"BEGIN IMMEDIATE; {steps} PRAGMA user_version = {LATEST}; COMMIT;")
    except sqlite3.OperationalError:
        if db.in_transaction:
            db.execute("ROLLBACK")
        # Another process migrated between our read of the version and our lock: fine.
        if sqlite_version(db) != LATEST:
            raise
    return LATEST


def _sqlite_steps(db: sqlite3.Connection, version: int) -> tuple[Migration, ...]:
    """The migrations a SQLite file at `version` still needs. One file may say 3 and mean
    something else: the admin console's first release numbered its tables (today's 5) as 3,
    before versions 3 and 4 existed; such a file gets 3 and 4, and already has 5."""
    if version == 3 and _has_table(db, "admins") and not _has_table(db, "signing_keys"):
        return MIGRATIONS[2:4]
    return _after(version)


def _after(version: int) -> tuple[Migration, ...]:
    """The migrations past `version`, by number (not position: numbers may have gaps)."""
    return tuple(m for m in MIGRATIONS if m.version > version)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


# -- PostgreSQL ----------------------------------------------------------------------------------


async def postgresql_version(conn: asyncpg.Connection) -> int:
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    version: int = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
    return version


async def migrate_postgresql(conn: asyncpg.Connection) -> int:
    """Bring the database to LATEST: each step and its row in one transaction, all under the
    advisory lock (DDL is transactional in PostgreSQL: a failed step leaves nothing behind)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", ADVISORY_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)"
        )
        version = await postgresql_version(conn)
        _check(version)
        for step in _after(version):
            await conn.execute(step.postgresql)
            await conn.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2)", step.version, time.time()
            )
    return LATEST


# -- either, by location (`planner-bridge db migrate` / `db status`) -----------------------------


async def migrate(location: DatabaseLocation) -> dict[str, object]:
    """Migrate the database at `location`; answers its status afterwards."""
    if location.backend == "sqlite":
        await asyncio.to_thread(_migrate_sqlite_file, location)
    else:
        conn = await connections.connect_postgresql(location)
        try:
            await migrate_postgresql(conn)
        finally:
            await conn.close()
    return await status(location)


async def status(location: DatabaseLocation) -> dict[str, object]:
    """`{"backend", "version", "latest"}`; reads only (a missing database is version 0)."""
    if location.backend == "sqlite":
        version = await asyncio.to_thread(_sqlite_file_version, location)
    else:
        conn = await connections.connect_postgresql(location)
        try:
            version = await postgresql_version(conn)
        finally:
            await conn.close()
    return {"backend": location.backend, "version": version, "latest": LATEST}


def _migrate_sqlite_file(location: DatabaseLocation) -> None:
    assert location.path is not None
    db = connections.open_sqlite(location.path)
    try:
        migrate_sqlite(db)
    finally:
        db.close()


def _sqlite_file_version(location: DatabaseLocation) -> int:
    assert location.path is not None
    if not location.path.exists():
        return 0
    db = connections.open_sqlite_read_only(location.path)
    try:
        return sqlite_version(db)
    finally:
        db.close()
