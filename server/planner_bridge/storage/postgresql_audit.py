"""PostgreSQL: changing an entity's settings, and the audit trail of such changes (the rest of
the store is `postgresql`; these live apart to keep it a readable size)."""

from __future__ import annotations

import asyncpg

from . import AuditEvent, Entity, rows
from . import postgresql_transactions as transactions
from .postgresql_transactions import reachable


class EntityChanges:
    """Mixed into `PostgresStore`, whose pool it uses."""

    _pool: asyncpg.Pool

    @reachable
    async def update_entity(self, entity: Entity) -> bool:
        sql = "UPDATE entities SET name = $1, origins = $2, allow_write = $3 WHERE id = $4"
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
