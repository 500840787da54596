"""The PostgreSQL store's parts: its writes of more than one statement, each given a connection
inside the caller's transaction, and how a lost connection is told (`reachable`)."""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from . import (
    AnswerRecord,
    Conflict,
    DatabaseUnavailable,
    IdempotentAnswer,
    Reservation,
    SigningKeyRecord,
    changes,
    rows,
)

# A new key, or one whose lease ran out or whose holder's database session has ended (its
# instance died: `storage.holders`), is taken; a live one is left alone.
_CLAIM = """
INSERT INTO idempotency_keys
    (scope, key, request_hash, status, body, created, expires, owner, headers, holder)
VALUES ($1, $2, $3, 0, ''::bytea, $4, $5, $6, '[]', pg_backend_pid()::text)
ON CONFLICT (scope, key) DO UPDATE SET
    request_hash = EXCLUDED.request_hash, status = 0, body = EXCLUDED.body,
    created = EXCLUDED.created, expires = EXCLUDED.expires, owner = EXCLUDED.owner,
    headers = '[]', holder = EXCLUDED.holder
WHERE idempotency_keys.expires <= $4
    OR (idempotency_keys.status = 0 AND idempotency_keys.holder <> '' AND NOT EXISTS (
        SELECT 1 FROM pg_stat_activity WHERE pid::text = idempotency_keys.holder))
RETURNING owner
"""

# Expired nonces and idempotency keys are swept once every this many inserts (per instance).
SWEEP_EVERY = 256
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


def reachable(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """A lost connection becomes DatabaseUnavailable (the apps answer 503 and the pool
    reconnects on a later call); any other refusal (a constraint) stays what it is. Every
    write is one transaction, so a connection lost mid-way leaves nothing half-written."""

    @functools.wraps(method)
    async def call(store: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(store, *args, **kwargs)
        except CONNECTION_LOST as exc:
            where = f"{store.location.host}:{store.location.port}"
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise DatabaseUnavailable(f"PostgreSQL at {where} is unavailable: {reason}") from None

    return call


def count(status: str) -> int:
    """The row count of a command tag such as "UPDATE 1" or "DELETE 0"."""
    return int(status.rsplit(" ", 1)[-1])


async def sweep(pool: asyncpg.Pool, now: float) -> None:
    """Expired nonces, idempotency keys and asset changes go."""
    await pool.execute("DELETE FROM nonces WHERE expires <= $1", now)
    await pool.execute("DELETE FROM idempotency_keys WHERE expires <= $1", now)
    await changes.forget_old(pool)


async def claim(
    conn: asyncpg.Connection, scope: str, key: str, request_hash: str, now: float, lease: float
) -> IdempotentAnswer | Reservation:
    owner = secrets.token_urlsafe(16)
    # One statement takes a new or lapsed key; a live one is left alone but locked until this
    # transaction ends, so the read below sees the answer that held it.
    if await conn.fetchval(_CLAIM, scope, key, request_hash, now, now + lease, owner):
        return Reservation(scope, key, owner)
    row = await conn.fetchrow(
        "SELECT request_hash, status, body, created, headers FROM idempotency_keys"
        " WHERE scope = $1 AND key = $2",
        scope,
        key,
    )
    return rows.idempotent_answer(row)


async def keep_answer(conn: asyncpg.Connection, answer: AnswerRecord | None) -> None:
    """Turn the key's reservation into its answer inside the write's transaction; no
    reservation of this owner: Conflict, and the transaction (the write too) rolls back."""
    if answer is None:
        return
    kept = await conn.execute(
        "UPDATE idempotency_keys SET status = $1, body = $2, expires = $3, headers = $4"
        " WHERE scope = $5 AND key = $6 AND status = 0 AND owner = $7",
        *rows.answer_values(answer),
    )
    if not count(kept):
        raise Conflict("the idempotency key is no longer reserved for this write")


async def add_signing_key(
    conn: asyncpg.Connection, record: SigningKeyRecord, drop_old: bool, first: bool
) -> bool:
    # Rotations (and first starts) queue here: none can retire a key another is adding.
    await conn.execute("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
    if first and await conn.fetchval("SELECT 1 FROM signing_keys LIMIT 1"):
        return False
    await conn.execute(
        "UPDATE signing_keys SET retired = coalesce(retired, $1), dropped = dropped OR $2",
        record.created,
        drop_old,
    )
    sql = "INSERT INTO signing_keys VALUES ($1, $2, $3, $4, $5, $6)"
    await conn.execute(sql, *rows.signing_key_values(record))
    return True


async def import_signing_keys(
    conn: asyncpg.Connection, records: Sequence[SigningKeyRecord], now: float
) -> int:
    await conn.execute("LOCK TABLE signing_keys IN EXCLUSIVE MODE")  # as `add_signing_key`
    had_keys = await conn.fetchval("SELECT 1 FROM signing_keys LIMIT 1") is not None
    added = 0
    for record in records:
        if had_keys and record.retired is None:
            record = dataclasses.replace(record, retired=now)
        added += count(
            await conn.execute(
                "INSERT INTO signing_keys VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (kid) DO NOTHING",
                *rows.signing_key_values(record),
            )
        )
    return added
