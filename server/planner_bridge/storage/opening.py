"""Opening the store a `DatabaseLocation` names: the top of `storage/`, the one module that
knows both backends (asyncpg is imported only when PostgreSQL is used)."""

from __future__ import annotations

from . import Store
from .location import DatabaseLocation


async def open_store(location: DatabaseLocation) -> Store:
    """The store at `location`, migrated to the current schema."""
    if location.backend == "postgresql":
        from .postgresql import PostgresStore  # the driver's import is paid only when used

        return await PostgresStore.open(location)
    from .sqlite import SQLiteStore

    assert location.path is not None
    return await SQLiteStore.open(location.path)
