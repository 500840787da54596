"""The store several instances share: PostgreSQL through asyncpg and one connection pool.

The same rules as SQLite (the shared suite in tests/test_store.py proves it). Every write is
one statement or one transaction (those of several statements: `postgresql_transactions`), so
a connection cut mid-way leaves nothing half-written, and the races between instances are
settled by the database: a nonce or an idempotency key is taken by one
`INSERT ... ON CONFLICT` statement, never by a read followed by a write.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import asyncpg

from . import (
    Administrator,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AssetListener,
    Conflict,
    Entity,
    IdempotentAnswer,
    Reservation,
    SigningKeyRecord,
    changes,
    rows,
)
from . import postgresql_transactions as transactions
from .connections import postgresql_pool
from .location import DatabaseLocation
from .migrations import migrate_postgresql
from .postgresql_console import ConsoleTables
from .postgresql_revocations import PostgresRevocations
from .postgresql_transactions import reachable


class PostgresStore(PostgresRevocations, ConsoleTables):  # each mixin: see its module
    def __init__(self, pool: asyncpg.Pool, location: DatabaseLocation) -> None:
        self._pool = pool
        self.location = location  # named in `reachable`'s message
        self._inserts = 0
        # Tells this process's asset changes from the others' (NOTIFY reaches the sender too).
        self._origin = secrets.token_hex(8)
        self._feed = changes.ChangeFeed(pool, location, self._origin)

    @classmethod
    async def open(cls, location: DatabaseLocation, *, max_connections: int = 10) -> PostgresStore:
        """Connect, migrate (under the migrations' advisory lock), keep the pool."""
        pool = await postgresql_pool(location, max_connections)
        try:
            async with pool.acquire() as conn:
                await migrate_postgresql(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, location)

    async def close(self) -> None:
        await self.stop_feeds()
        await self._pool.close()

    async def _changed(self, sql: str, *args: Any) -> bool:
        return transactions.count(await self._pool.execute(sql, *args)) > 0

    # -- legal entities and API keys ---------------------------------------------------------

    @reachable
    async def add_entity(self, entity: Entity) -> None:
        sql = "INSERT INTO entities VALUES ($1, $2, $3, $4, $5, $6)"  # rows.entity_values' order
        await self._pool.execute(sql, *rows.entity_values(entity))

    @reachable
    async def get_entity(self, entity_id: str) -> Entity | None:
        row = await self._pool.fetchrow("SELECT * FROM entities WHERE id = $1", entity_id)
        return rows.entity(row) if row else None

    @reachable
    async def list_entities(self) -> list[Entity]:
        found = await self._pool.fetch("SELECT * FROM entities ORDER BY created, id")
        return [rows.entity(r) for r in found]

    @reachable
    async def add_api_key(self, key: ApiKey) -> None:
        sql = (
            "INSERT INTO api_keys (key_id, entity_id, created, revoked, comment, last_used)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
        )
        await self._pool.execute(sql, *rows.api_key_values(key))

    @reachable
    async def get_api_key(self, key_id: str) -> ApiKey | None:
        row = await self._pool.fetchrow("SELECT * FROM api_keys WHERE key_id = $1", key_id)
        return rows.api_key(row) if row else None

    @reachable
    async def list_api_keys(self, entity_id: str) -> list[ApiKey]:
        sql = "SELECT * FROM api_keys WHERE entity_id = $1 ORDER BY created"
        return [rows.api_key(r) for r in await self._pool.fetch(sql, entity_id)]

    @reachable
    async def revoke_api_key(self, key_id: str, when: float) -> bool:
        sql = "UPDATE api_keys SET revoked = $1 WHERE key_id = $2 AND revoked IS NULL"
        return await self._changed(sql, when, key_id)

    @reachable
    async def touch_api_key(self, key_id: str, when: float) -> None:
        await self._changed("UPDATE api_keys SET last_used = $1 WHERE key_id = $2", when, key_id)

    # -- console administrators and their sessions -----------------------------------------------

    @reachable
    async def add_admin(self, admin: Administrator) -> None:
        try:
            sql = "INSERT INTO admins VALUES ($1, $2, $3, $4)"
            await self._pool.execute(sql, *rows.admin_values(admin))
        except asyncpg.UniqueViolationError:
            raise Conflict(f"administrator {admin.username!r} exists already") from None

    @reachable
    async def get_admin(self, username: str) -> Administrator | None:
        row = await self._pool.fetchrow("SELECT * FROM admins WHERE username = $1", username)
        return rows.admin(row) if row else None

    @reachable
    async def list_admins(self, entity_id: str) -> list[Administrator]:
        sql = "SELECT * FROM admins WHERE entity_id = $1 ORDER BY created, username"
        return [rows.admin(r) for r in await self._pool.fetch(sql, entity_id)]

    @reachable
    async def delete_admin(self, username: str) -> bool:
        # The sessions go with it (ON DELETE CASCADE), in the same statement.
        return await self._changed("DELETE FROM admins WHERE username = $1", username)

    # -- signature nonces ------------------------------------------------------------------------

    @reachable
    async def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> None:
        await self._maybe_sweep(now)
        taken = await self._pool.fetchval(
            "INSERT INTO nonces VALUES ($1, $2, $3) ON CONFLICT (key_id, nonce)"
            " DO UPDATE SET expires = EXCLUDED.expires WHERE nonces.expires <= $4 RETURNING 1",
            *(key_id, nonce, expires, now),
        )
        if taken is None:  # the nonce is held, unexpired, by an earlier request
            raise Conflict("nonce already used")

    async def _maybe_sweep(self, now: float) -> None:
        self._inserts += 1
        if self._inserts % transactions.SWEEP_EVERY == 0:
            await transactions.sweep(self._pool, now)

    # -- API tokens ----------------------------------------------------------------------------

    @reachable
    async def add_api_token(self, record: ApiTokenRecord) -> None:
        sql = "INSERT INTO api_tokens VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        await self._pool.execute(sql, *rows.api_token_values(record))

    @reachable
    async def get_api_token(self, token_id: str) -> ApiTokenRecord | None:
        row = await self._pool.fetchrow("SELECT * FROM api_tokens WHERE id = $1", token_id)
        return rows.api_token(row) if row else None

    @reachable
    async def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]:
        sql = "SELECT * FROM api_tokens WHERE entity_id = $1 ORDER BY created, id"
        return [rows.api_token(r) for r in await self._pool.fetch(sql, entity_id)]

    @reachable
    async def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool:
        sql = "UPDATE api_tokens SET disabled = $1 WHERE id = $2"
        return await self._changed(sql, disabled, token_id)

    @reachable
    async def touch_api_token(self, token_id: str, when: float) -> None:
        await self._changed("UPDATE api_tokens SET last_used = $1 WHERE id = $2", when, token_id)

    @reachable
    async def delete_api_token(self, token_id: str) -> bool:
        return await self._changed("DELETE FROM api_tokens WHERE id = $1", token_id)

    # -- assets (each write also tells the other instances: `changes`) ---------------------------

    @reachable
    async def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            sql = "INSERT INTO assets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            await conn.execute(sql, *rows.asset_values(asset))
            await transactions.keep_answer(conn, answer)
            await changes.announce(conn, self._origin, asset, False)

    @reachable
    async def get_asset(self, asset_id: str) -> Asset | None:
        row = await self._pool.fetchrow("SELECT * FROM assets WHERE id = $1", asset_id)
        return rows.asset(row) if row else None

    @reachable
    async def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]:
        owners = [o for o in owner_ids if o is not None]
        catalog = None in owner_ids
        if not owners and not catalog:
            return []
        found = await self._pool.fetch(
            "SELECT * FROM assets WHERE entity_id = $1 AND id > $2"
            " AND (owner_id = ANY($3::text[]) OR ($4 AND owner_id IS NULL))"
            " ORDER BY id LIMIT $5",
            *(entity_id, after, owners, catalog, limit),
        )
        return [rows.asset(r) for r in found]

    @reachable
    async def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            sql = (
                "UPDATE assets SET name = $1, kind = $2, data = $3, updated = $4,"
                " version = $5 WHERE id = $6 AND version = $7"
            )
            changed = transactions.count(await conn.execute(sql, *rows.asset_changes(asset)))
            if changed:
                await transactions.keep_answer(conn, answer)
                await changes.announce(conn, self._origin, asset, False)
            return changed > 0

    @reachable
    async def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("DELETE FROM assets WHERE id = $1 RETURNING *", asset_id)
            if row is not None:
                await transactions.keep_answer(conn, answer)
                await changes.announce(conn, self._origin, rows.asset(row), True)
            return row is not None

    async def watch_assets(self, listener: AssetListener) -> None:
        await self._feed.start(listener)

    # -- idempotency keys ----------------------------------------------------------------------

    @reachable
    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation:
        await self._maybe_sweep(now)
        async with self._pool.acquire() as conn, conn.transaction():
            return await transactions.claim(conn, scope, key, request_hash, now, lease)

    @reachable
    async def release_idempotency_key(self, reservation: Reservation) -> None:
        sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0"
        r = reservation
        await self._changed(f"{sql} AND owner = $3", r.scope, r.key, r.owner)

    # -- the signing key ring -------------------------------------------------------------------

    @reachable
    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        found = await self._pool.fetch("SELECT * FROM signing_keys ORDER BY created, kid")
        return [rows.signing_key(r) for r in found]

    @reachable
    async def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            return await transactions.add_signing_key(conn, record, drop_old, first)

    @reachable
    async def import_signing_keys(self, records: Sequence[SigningKeyRecord], now: float) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            return await transactions.import_signing_keys(conn, records, now)
