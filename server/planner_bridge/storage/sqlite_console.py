"""SQLite: what the console and `entity set` added to the store: changing an entity's settings,
the audit trail of such changes, and a session's sealed shown-once value (the rest of the store
is `sqlite`; these live apart to keep it a readable size, as `postgresql_console` does)."""

from __future__ import annotations

from . import AuditEvent, Entity, rows
from .sqlite_thread import Db, SQLiteThread


class SQLiteConsoleTables:
    """Mixed into `SQLiteStore`, whose `_db` it uses."""

    _db: SQLiteThread

    async def update_entity(self, entity: Entity) -> bool:
        sql = (
            "UPDATE entities SET name = ?, origins = ?, allow_write = ?, dpop_required = ?"
            " WHERE id = ?"
        )
        return await self._db.changed(sql, *rows.entity_changes(entity))

    async def add_audit_event(self, event: AuditEvent) -> None:
        sql = (
            "INSERT INTO audit_events (entity_id, at, actor, action, object_id)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        await self._db.changed(sql, *rows.audit_event_values(event))

    async def list_audit_events(self, entity_id: str, limit: int = 100) -> list[AuditEvent]:
        sql = "SELECT * FROM audit_events WHERE entity_id = ? ORDER BY seq DESC LIMIT ?"
        return [rows.audit_event(r) for r in await self._db.all(sql, entity_id, limit)]

    async def keep_shown_once(self, id_hash: str, sealed: bytes) -> bool:
        sql = "UPDATE admin_sessions SET shown_once = ? WHERE id_hash = ?"
        return await self._db.changed(sql, sealed, id_hash)

    async def take_shown_once(self, id_hash: str) -> bytes | None:
        def take(db: Db) -> bytes | None:
            sql = "SELECT shown_once FROM admin_sessions WHERE id_hash = ?"
            row = db.execute(sql, (id_hash,)).fetchone()
            if row is None or row[0] is None:
                return None
            db.execute("UPDATE admin_sessions SET shown_once = NULL WHERE id_hash = ?", (id_hash,))
            return bytes(row[0])

        return await self._db.write(take)
