"""The store several instances share: PostgreSQL through asyncpg and one connection pool.

The same rules as SQLite (the shared suite in tests/test_store.py proves it). Every write is
one statement or one transaction, so a connection cut mid-way leaves nothing half-written, and
the races between instances are settled by the database: a nonce or an idempotency key is
taken by one `INSERT ... ON CONFLICT` statement, never by a read followed by a write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import secrets
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from . import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AssetListener,
    Conflict,
    DatabaseUnavailable,
    Entity,
    Headers,
    IdempotentAnswer,
    Reservation,
    SigningKeyRecord,
    changes,
)
from .location import DatabaseLocation
from .migrations import migrate_postgresql

CONNECT_TIMEOUT = 10  # seconds

# Expired nonces and idempotency keys are swept once every this many inserts (per instance).
SWEEP_EVERY = 256

_CLAIM = """
INSERT INTO idempotency_keys
    (scope, key, request_hash, status, body, created, expires, owner, headers)
VALUES ($1, $2, $3, 0, ''::bytea, $4, $5, $6, '[]')
ON CONFLICT (scope, key) DO UPDATE SET
    request_hash = EXCLUDED.request_hash, status = 0, body = EXCLUDED.body,
    created = EXCLUDED.created, expires = EXCLUDED.expires, owner = EXCLUDED.owner,
    headers = '[]'
WHERE idempotency_keys.expires <= $4
RETURNING owner
"""


async def connect(location: DatabaseLocation) -> asyncpg.Connection:
    """One connection, outside any pool (migrations, status)."""
    with unavailable_as_one_line(location):
        return await asyncpg.connect(location.dsn, timeout=CONNECT_TIMEOUT)


@contextlib.contextmanager
def unavailable_as_one_line(location: DatabaseLocation) -> Iterator[None]:
    """Connection failures become DatabaseUnavailable naming host and port. asyncpg's own
    messages never hold the password, but a refused socket's lists every address tried."""
    where = f"PostgreSQL at {location.host}:{location.port}"
    try:
        yield
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach {where}: {reason}") from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"{where} refused the connection: {first_line}") from None


# What a lost or refused connection raises (the database stopped, restarting, unreachable).
CONNECTION_LOST = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
)
P = ParamSpec("P")
R = TypeVar("R")


def _reachable(
    method: Callable[Concatenate[PostgresStore, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[PostgresStore, P], Coroutine[Any, Any, R]]:
    """A lost connection becomes DatabaseUnavailable (the apps answer 503 and the pool
    reconnects on a later call); any other refusal (a constraint) stays what it is. Every
    write is one transaction, so a connection lost mid-way leaves nothing half-written."""

    @functools.wraps(method)
    async def call(self: PostgresStore, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except CONNECTION_LOST as exc:
            where = f"{self._location.host}:{self._location.port}"
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise DatabaseUnavailable(f"PostgreSQL at {where} is unavailable: {reason}") from None

    return call


class PostgresStore:
    def __init__(self, pool: asyncpg.Pool, location: DatabaseLocation) -> None:
        self._pool = pool
        self._location = location
        self._inserts = 0
        # Tells this process's asset changes from the others' (NOTIFY reaches the sender too).
        self._origin = secrets.token_hex(8)
        self._feed = changes.ChangeFeed(pool, location, self._origin)

    @classmethod
    async def open(cls, location: DatabaseLocation, *, max_connections: int = 10) -> PostgresStore:
        """Connect, migrate (under the migrations' advisory lock) and keep the pool."""
        with unavailable_as_one_line(location):
            pool = await asyncpg.create_pool(
                location.dsn, min_size=1, max_size=max_connections, timeout=CONNECT_TIMEOUT
            )
        try:
            async with pool.acquire() as conn:
                await migrate_postgresql(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, location)

    async def close(self) -> None:
        await self._feed.stop()
        await self._pool.close()

    async def _changed(self, sql: str, *args: Any) -> bool:
        return _count(await self._pool.execute(sql, *args)) > 0

    # -- legal entities and API keys ---------------------------------------------------------

    @_reachable
    async def add_entity(self, entity: Entity) -> None:
        await self._pool.execute(
            "INSERT INTO entities VALUES ($1, $2, $3, $4, $5)",
            entity.id,
            entity.name,
            json.dumps(entity.origins),
            entity.allow_write,
            entity.created,
        )

    @_reachable
    async def get_entity(self, entity_id: str) -> Entity | None:
        row = await self._pool.fetchrow("SELECT * FROM entities WHERE id = $1", entity_id)
        return _entity(row) if row else None

    @_reachable
    async def list_entities(self) -> list[Entity]:
        rows = await self._pool.fetch("SELECT * FROM entities ORDER BY created, id")
        return [_entity(r) for r in rows]

    @_reachable
    async def add_api_key(self, key: ApiKey) -> None:
        await self._pool.execute(
            "INSERT INTO api_keys (key_id, entity_id, created, revoked, comment, last_used)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            key.key_id,
            key.entity_id,
            key.created,
            key.revoked,
            key.comment,
            key.last_used,
        )

    @_reachable
    async def get_api_key(self, key_id: str) -> ApiKey | None:
        row = await self._pool.fetchrow("SELECT * FROM api_keys WHERE key_id = $1", key_id)
        return ApiKey(**dict(row)) if row else None

    @_reachable
    async def list_api_keys(self, entity_id: str) -> list[ApiKey]:
        rows = await self._pool.fetch(
            "SELECT * FROM api_keys WHERE entity_id = $1 ORDER BY created", entity_id
        )
        return [ApiKey(**dict(r)) for r in rows]

    @_reachable
    async def revoke_api_key(self, key_id: str, when: float) -> bool:
        return await self._changed(
            "UPDATE api_keys SET revoked = $1 WHERE key_id = $2 AND revoked IS NULL", when, key_id
        )

    @_reachable
    async def touch_api_key(self, key_id: str, when: float) -> None:
        await self._changed("UPDATE api_keys SET last_used = $1 WHERE key_id = $2", when, key_id)

    # -- console administrators and their sessions -----------------------------------------------

    @_reachable
    async def add_admin(self, admin: Administrator) -> None:
        try:
            await self._pool.execute(
                "INSERT INTO admins VALUES ($1, $2, $3, $4)",
                admin.username,
                admin.entity_id,
                admin.password_hash,
                admin.created,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(f"administrator {admin.username!r} exists already") from None

    @_reachable
    async def get_admin(self, username: str) -> Administrator | None:
        row = await self._pool.fetchrow("SELECT * FROM admins WHERE username = $1", username)
        return Administrator(**dict(row)) if row else None

    @_reachable
    async def list_admins(self, entity_id: str) -> list[Administrator]:
        rows = await self._pool.fetch(
            "SELECT * FROM admins WHERE entity_id = $1 ORDER BY created, username", entity_id
        )
        return [Administrator(**dict(r)) for r in rows]

    @_reachable
    async def delete_admin(self, username: str) -> bool:
        # The sessions go with it (ON DELETE CASCADE), in the same statement.
        return await self._changed("DELETE FROM admins WHERE username = $1", username)

    @_reachable
    async def add_admin_session(self, session: AdminSession) -> None:
        await self._pool.execute(
            "INSERT INTO admin_sessions VALUES ($1, $2, $3, $4, $5)",
            *dataclasses.astuple(session),
        )

    @_reachable
    async def get_admin_session(self, id_hash: str) -> AdminSession | None:
        row = await self._pool.fetchrow("SELECT * FROM admin_sessions WHERE id_hash = $1", id_hash)
        return AdminSession(**dict(row)) if row else None

    @_reachable
    async def touch_admin_session(self, id_hash: str, when: float) -> None:
        await self._changed(
            "UPDATE admin_sessions SET last_seen = $1 WHERE id_hash = $2", when, id_hash
        )

    @_reachable
    async def delete_admin_session(self, id_hash: str) -> bool:
        return await self._changed("DELETE FROM admin_sessions WHERE id_hash = $1", id_hash)

    @_reachable
    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int:
        return _count(
            await self._pool.execute(
                "DELETE FROM admin_sessions WHERE last_seen <= $1 OR created <= $2",
                seen_before,
                opened_before,
            )
        )

    @_reachable
    async def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> None:
        await self._maybe_sweep(now)
        taken = await self._pool.fetchval(
            "INSERT INTO nonces VALUES ($1, $2, $3) ON CONFLICT (key_id, nonce)"
            " DO UPDATE SET expires = EXCLUDED.expires WHERE nonces.expires <= $4 RETURNING 1",
            key_id,
            nonce,
            expires,
            now,
        )
        if taken is None:  # the nonce is held, unexpired, by an earlier request
            raise Conflict("nonce already used")

    async def _maybe_sweep(self, now: float) -> None:
        self._inserts += 1
        if self._inserts % SWEEP_EVERY == 0:
            await self._pool.execute("DELETE FROM nonces WHERE expires <= $1", now)
            await self._pool.execute("DELETE FROM idempotency_keys WHERE expires <= $1", now)
            await changes.forget_old(self._pool)

    # -- API tokens ----------------------------------------------------------------------------

    @_reachable
    async def add_api_token(self, record: ApiTokenRecord) -> None:
        await self._pool.execute(
            "INSERT INTO api_tokens VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            record.id,
            record.entity_id,
            record.user_id,
            record.user_name,
            record.name,
            " ".join(record.rights),
            record.created,
            record.expires,
            record.last_used,
            record.disabled,
        )

    @_reachable
    async def get_api_token(self, token_id: str) -> ApiTokenRecord | None:
        row = await self._pool.fetchrow("SELECT * FROM api_tokens WHERE id = $1", token_id)
        return _api_token(row) if row else None

    @_reachable
    async def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]:
        rows = await self._pool.fetch(
            "SELECT * FROM api_tokens WHERE entity_id = $1 ORDER BY created, id", entity_id
        )
        return [_api_token(r) for r in rows]

    @_reachable
    async def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool:
        return await self._changed(
            "UPDATE api_tokens SET disabled = $1 WHERE id = $2", disabled, token_id
        )

    @_reachable
    async def touch_api_token(self, token_id: str, when: float) -> None:
        await self._changed("UPDATE api_tokens SET last_used = $1 WHERE id = $2", when, token_id)

    @_reachable
    async def delete_api_token(self, token_id: str) -> bool:
        return await self._changed("DELETE FROM api_tokens WHERE id = $1", token_id)

    # -- assets --------------------------------------------------------------------------------

    @_reachable
    async def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO assets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                asset.id,
                asset.entity_id,
                asset.owner_id,
                asset.name,
                asset.kind,
                json.dumps(asset.data),
                asset.created,
                asset.updated,
                asset.version,
            )
            await _keep_answer(conn, answer)
            await self._announce(conn, asset, deleted=False)

    @_reachable
    async def get_asset(self, asset_id: str) -> Asset | None:
        row = await self._pool.fetchrow("SELECT * FROM assets WHERE id = $1", asset_id)
        return _asset(row) if row else None

    @_reachable
    async def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]:
        owners = [o for o in owner_ids if o is not None]
        catalog = None in owner_ids
        if not owners and not catalog:
            return []
        rows = await self._pool.fetch(
            "SELECT * FROM assets WHERE entity_id = $1 AND id > $2"
            " AND (owner_id = ANY($3::text[]) OR ($4 AND owner_id IS NULL))"
            " ORDER BY id LIMIT $5",
            entity_id,
            after,
            owners,
            catalog,
            limit,
        )
        return [_asset(r) for r in rows]

    @_reachable
    async def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            changed = _count(
                await conn.execute(
                    "UPDATE assets SET name = $1, kind = $2, data = $3, updated = $4,"
                    " version = $5 WHERE id = $6 AND version = $7",
                    asset.name,
                    asset.kind,
                    json.dumps(asset.data),
                    asset.updated,
                    asset.version,
                    asset.id,
                    asset.version - 1,
                )
            )
            if changed:
                await _keep_answer(conn, answer)
                await self._announce(conn, asset, deleted=False)
            return changed > 0

    @_reachable
    async def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("DELETE FROM assets WHERE id = $1 RETURNING *", asset_id)
            if row is not None:
                await _keep_answer(conn, answer)
                await self._announce(conn, _asset(row), deleted=True)
            return row is not None

    # -- idempotency keys ----------------------------------------------------------------------

    @_reachable
    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation:
        await self._maybe_sweep(now)
        owner = secrets.token_urlsafe(16)
        async with self._pool.acquire() as conn, conn.transaction():
            # One statement takes a new or lapsed key; a live one is left alone but locked
            # until this transaction ends, so the read below sees the answer that held it.
            if await conn.fetchval(_CLAIM, scope, key, request_hash, now, now + lease, owner):
                return Reservation(scope, key, owner)
            row = await conn.fetchrow(
                "SELECT request_hash, status, body, created, headers FROM idempotency_keys"
                " WHERE scope = $1 AND key = $2",
                scope,
                key,
            )
        return IdempotentAnswer(
            row["request_hash"], row["status"], bytes(row["body"]), row["created"],
            _headers(row["headers"]),
        )  # fmt: skip

    @_reachable
    async def release_idempotency_key(self, reservation: Reservation) -> None:
        await self._changed(
            "DELETE FROM idempotency_keys"
            " WHERE scope = $1 AND key = $2 AND status = 0 AND owner = $3",
            reservation.scope,
            reservation.key,
            reservation.owner,
        )

    # -- asset changes, for the other instances' live channels -------------------------------

    async def _announce(self, conn: asyncpg.Connection, asset: Asset, *, deleted: bool) -> None:
        await changes.announce(conn, self._origin, asset, deleted)

    async def watch_assets(self, listener: AssetListener) -> None:
        await self._feed.start(listener)

    # -- the shared signing key ring -----------------------------------------------------------

    @_reachable
    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        rows = await self._pool.fetch("SELECT * FROM signing_keys ORDER BY created, kid")
        return [SigningKeyRecord(**dict(r)) for r in rows]

    @_reachable
    async def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            # Rotations (and first starts) queue here: none can retire a key another is adding.
            await conn.execute("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
            if first and await conn.fetchval("SELECT 1 FROM signing_keys LIMIT 1"):
                return False
            await conn.execute(
                "UPDATE signing_keys SET retired = coalesce(retired, $1), dropped = dropped OR $2",
                record.created,
                drop_old,
            )
            await conn.execute(
                "INSERT INTO signing_keys VALUES ($1, $2, $3, NULL, FALSE, $4)",
                record.kid,
                record.alg,
                record.created,
                record.sealed_key,
            )
            return True


async def _keep_answer(conn: asyncpg.Connection, answer: AnswerRecord | None) -> None:
    """Turn the key's reservation into its answer inside the write's transaction; no
    reservation of this owner: Conflict, and the transaction (the write too) rolls back."""
    if answer is None:
        return
    kept = await conn.execute(
        "UPDATE idempotency_keys SET status = $1, body = $2, expires = $3, headers = $4"
        " WHERE scope = $5 AND key = $6 AND status = 0 AND owner = $7",
        answer.status,
        answer.body,
        answer.expires,
        json.dumps([list(pair) for pair in answer.headers]),
        answer.scope,
        answer.key,
        answer.owner,
    )
    if not _count(kept):
        raise Conflict("the idempotency key is no longer reserved for this write")


def _count(status: str) -> int:
    """The row count of a command tag such as "UPDATE 1" or "DELETE 0"."""
    return int(status.rsplit(" ", 1)[-1])


def _headers(stored: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(stored))


def _entity(row: asyncpg.Record) -> Entity:
    return Entity(
        id=row["id"],
        name=row["name"],
        origins=tuple(json.loads(row["origins"])),
        allow_write=row["allow_write"],
        created=row["created"],
    )


def _api_token(row: asyncpg.Record) -> ApiTokenRecord:
    values = dict(row)
    values["rights"] = tuple(values["rights"].split())
    return ApiTokenRecord(**values)


def _asset(row: asyncpg.Record) -> Asset:
    values = dict(row)
    values["data"] = json.loads(values["data"])
    return Asset(**values)
