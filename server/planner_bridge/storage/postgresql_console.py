"""PostgreSQL: what the console and `entity set` added to the store: changing an entity's
settings, the audit trail of such changes, the console's sessions and a session's sealed
shown-once value (the rest of
the store is `postgresql`; these live apart to keep it a readable size)."""

from __future__ import annotations

import asyncpg

from . import AdminSession, AuditEvent, Entity, rows
from . import postgresql_transactions as transactions
from .postgresql_transactions import reachable


class ConsoleTables:
    """Mixed into `PostgresStore`, whose pool it uses."""

    _pool: asyncpg.Pool

    @reachable
    async def update_entity(self, entity: Entity) -> bool:
        sql = (
            "UPDATE entities SET name = $1, origins = $2, allow_write = $3, dpop_required = $4"
            " WHERE id = $5"
        )
        return transactions.count(await self._pool.execute(sql, *rows.entity_changes(entity))) > 0

    @reachable
    async def add_audit_event(self, event: AuditEvent) -> None:
        sql = (
            "INSERT INTO audit_events (entity_id, at, actor, action, object_id)"
            " VALUES ($1, $2, $3, $4, $5)"
        )
        await self._pool.execute(sql, *rows.audit_event_values(event))

    @reachable
    async def list_audit_events(self, entity_id: str, limit: int = 100) -> list[AuditEvent]:
        sql = "SELECT * FROM audit_events WHERE entity_id = $1 ORDER BY seq DESC LIMIT $2"
        return [rows.audit_event(r) for r in await self._pool.fetch(sql, entity_id, limit)]

    @reachable
    async def keep_shown_once(self, id_hash: str, sealed: bytes) -> bool:
        sql = "UPDATE admin_sessions SET shown_once = $1 WHERE id_hash = $2"
        return transactions.count(await self._pool.execute(sql, sealed, id_hash)) > 0

    @reachable
    async def take_shown_once(self, id_hash: str) -> bytes | None:
        # The row is locked, read and cleared in one statement: two requests never both get it.
        taken = await self._pool.fetchval(
            "UPDATE admin_sessions s SET shown_once = NULL FROM (SELECT id_hash, shown_once"
            " FROM admin_sessions WHERE id_hash = $1 AND shown_once IS NOT NULL FOR UPDATE) old"
            " WHERE s.id_hash = old.id_hash RETURNING old.shown_once",
            id_hash,
        )
        return None if taken is None else bytes(taken)

    @reachable
    async def add_admin_session(self, session: AdminSession) -> None:
        sql = f"{rows.INSERT_ADMIN_SESSION} VALUES ($1, $2, $3, $4, $5)"
        await self._pool.execute(sql, *rows.admin_session_values(session))

    @reachable
    async def get_admin_session(self, id_hash: str) -> AdminSession | None:
        row = await self._pool.fetchrow("SELECT * FROM admin_sessions WHERE id_hash = $1", id_hash)
        return rows.admin_session(row) if row else None

    @reachable
    async def touch_admin_session(self, id_hash: str, when: float) -> None:
        sql = "UPDATE admin_sessions SET last_seen = $1 WHERE id_hash = $2"
        await self._pool.execute(sql, when, id_hash)

    @reachable
    async def delete_admin_session(self, id_hash: str) -> bool:
        sql = "DELETE FROM admin_sessions WHERE id_hash = $1"
        return transactions.count(await self._pool.execute(sql, id_hash)) > 0

    @reachable
    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int:
        sql = "DELETE FROM admin_sessions WHERE last_seen <= $1 OR created <= $2"
        return transactions.count(await self._pool.execute(sql, seen_before, opened_before))
