"""The embedded default store: one SQLite file in the data dir, versioned schema, WAL mode.

The driver blocks, so each operation runs in a worker thread (`SQLiteThread`), from whichever
event loop calls it; the transactions of several statements are in `sqlite_transactions`.
Signature nonces, the one write every signed request makes, go in batches (`NonceBatch`). The
CLI may write to the same file while a server runs; `busy_timeout` covers that.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from . import (
    Administrator,
    AdminSession,
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
    rows,
)
from . import sqlite_transactions as transactions
from .connections import open_sqlite
from .migrations import migrate_sqlite
from .nonce_batch import Held, Nonce, NonceBatch
from .sqlite_console import SQLiteConsoleTables
from .sqlite_revocations import SQLiteRevocations
from .sqlite_thread import Db, SQLiteThread

SWEEP_EVERY = 256  # expired nonces and idempotency keys are swept once every this many inserts


class SQLiteStore(SQLiteRevocations, SQLiteConsoleTables):  # each mixin: see its module
    def __init__(self, path: Path | str) -> None:
        """Opens and migrates the file, blocking: on a loop, `await SQLiteStore.open(path)`."""
        self.path = str(path)
        self._db = SQLiteThread(open_sqlite(path))
        self._sweeper = transactions.Sweeper()
        self._nonces = NonceBatch(self._remember_nonces, lambda: self._db.executor)
        with self._db.lock:
            migrate_sqlite(self._db.db)

    @classmethod
    async def open(cls, path: Path | str) -> SQLiteStore:
        return await asyncio.to_thread(cls, path)

    async def close(self) -> None:
        await self.stop_watching_revocations()
        await self._db.close()

    # -- legal entities and API keys ---------------------------------------------------------

    async def add_entity(self, entity: Entity) -> None:
        await self._db.changed(
            "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)",  # rows.entity_values' order
            *rows.entity_values(entity),
        )

    async def get_entity(self, entity_id: str) -> Entity | None:
        row = await self._db.one("SELECT * FROM entities WHERE id = ?", entity_id)
        return rows.entity(row) if row else None

    async def list_entities(self) -> list[Entity]:
        return [
            rows.entity(r)
            for r in await self._db.all("SELECT * FROM entities ORDER BY created, id")
        ]

    async def add_api_key(self, key: ApiKey) -> None:
        sql = (
            "INSERT INTO api_keys (key_id, entity_id, created, revoked, comment, last_used)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        await self._db.changed(sql, *rows.api_key_values(key))

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        row = await self._db.one("SELECT * FROM api_keys WHERE key_id = ?", key_id)
        return rows.api_key(row) if row else None

    async def list_api_keys(self, entity_id: str) -> list[ApiKey]:
        found = await self._db.all(
            "SELECT * FROM api_keys WHERE entity_id = ? ORDER BY created", entity_id
        )
        return [rows.api_key(r) for r in found]

    async def revoke_api_key(self, key_id: str, when: float) -> bool:
        return await self._db.changed(
            "UPDATE api_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL", when, key_id
        )

    async def touch_api_key(self, key_id: str, when: float) -> None:
        await self._db.changed("UPDATE api_keys SET last_used = ? WHERE key_id = ?", when, key_id)

    # -- console administrators and their sessions -----------------------------------------------

    async def add_admin(self, admin: Administrator) -> None:
        try:
            await self._db.changed(
                "INSERT INTO admins VALUES (?, ?, ?, ?)", *rows.admin_values(admin)
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"administrator {admin.username!r} exists already") from None

    async def get_admin(self, username: str) -> Administrator | None:
        row = await self._db.one("SELECT * FROM admins WHERE username = ?", username)
        return rows.admin(row) if row else None

    async def list_admins(self, entity_id: str) -> list[Administrator]:
        sql = "SELECT * FROM admins WHERE entity_id = ? ORDER BY created, username"
        return [rows.admin(r) for r in await self._db.all(sql, entity_id)]

    async def delete_admin(self, username: str) -> bool:
        def delete(db: Db) -> bool:
            db.execute("DELETE FROM admin_sessions WHERE username = ?", (username,))
            return db.execute("DELETE FROM admins WHERE username = ?", (username,)).rowcount > 0

        return await self._db.write(delete)

    async def add_admin_session(self, session: AdminSession) -> None:
        sql = f"{rows.INSERT_ADMIN_SESSION} VALUES (?, ?, ?, ?, ?)"
        await self._db.changed(sql, *rows.admin_session_values(session))

    async def get_admin_session(self, id_hash: str) -> AdminSession | None:
        row = await self._db.one("SELECT * FROM admin_sessions WHERE id_hash = ?", id_hash)
        return rows.admin_session(row) if row else None

    async def touch_admin_session(self, id_hash: str, when: float) -> None:
        sql = "UPDATE admin_sessions SET last_seen = ? WHERE id_hash = ?"
        await self._db.changed(sql, when, id_hash)

    async def delete_admin_session(self, id_hash: str) -> bool:
        return await self._db.changed("DELETE FROM admin_sessions WHERE id_hash = ?", id_hash)

    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int:
        sql = "DELETE FROM admin_sessions WHERE last_seen <= ? OR created <= ?"
        swept: int = await self._db.write(
            lambda db: db.execute(sql, (seen_before, opened_before)).rowcount
        )
        return swept

    # -- signature nonces --------------------------------------------------------------------------

    def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> Held:
        return self._nonces.remember((key_id, nonce, expires, now))  # asked for now: see there

    def _remember_nonces(self, nonces: Sequence[Nonce]) -> list[bool]:
        with self._db.transaction(durable=False) as db:  # see `remember_nonces`
            return transactions.remember_nonces(db, self._sweeper, nonces)

    # -- API tokens ----------------------------------------------------------------------------

    async def add_api_token(self, record: ApiTokenRecord) -> None:
        sql = "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        await self._db.changed(sql, *rows.api_token_values(record))

    async def get_api_token(self, token_id: str) -> ApiTokenRecord | None:
        row = await self._db.one("SELECT * FROM api_tokens WHERE id = ?", token_id)
        return rows.api_token(row) if row else None

    async def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]:
        sql = "SELECT * FROM api_tokens WHERE entity_id = ? ORDER BY created, id"
        return [rows.api_token(r) for r in await self._db.all(sql, entity_id)]

    async def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool:
        sql = "UPDATE api_tokens SET disabled = ? WHERE id = ?"
        return await self._db.changed(sql, disabled, token_id)

    async def touch_api_token(self, token_id: str, when: float) -> None:
        await self._db.changed("UPDATE api_tokens SET last_used = ? WHERE id = ?", when, token_id)

    async def delete_api_token(self, token_id: str) -> bool:
        return await self._db.changed("DELETE FROM api_tokens WHERE id = ?", token_id)

    # -- assets --------------------------------------------------------------------------------

    async def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None:
        def add(db: Db) -> None:
            db.execute(
                "INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.asset_values(asset)
            )
            transactions.keep_answer(db, answer)

        await self._db.write(add)

    async def get_asset(self, asset_id: str) -> Asset | None:
        row = await self._db.one("SELECT * FROM assets WHERE id = ?", asset_id)
        return rows.asset(row) if row else None

    async def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]:
        owners = [o for o in owner_ids if o is not None]
        clauses = ["owner_id IS NULL"] if None in owner_ids else []
        if owners:
            clauses.append(f"owner_id IN ({', '.join('?' * len(owners))})")
        if not clauses:
            return []
        sql = (
            # Only fixed clauses and placeholders are joined in; every value is a parameter.
            f"SELECT * FROM assets WHERE entity_id = ? AND id > ? AND ({' OR '.join(clauses)})"  # noqa: S608
            " ORDER BY id LIMIT ?"
        )
        return [rows.asset(r) for r in await self._db.all(sql, entity_id, after, *owners, limit)]

    async def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool:
        def update(db: Db) -> bool:
            changed = db.execute(
                "UPDATE assets SET name = ?, kind = ?, data = ?, updated = ?, version = ?"
                " WHERE id = ? AND version = ?",
                rows.asset_changes(asset),
            ).rowcount
            if changed:
                transactions.keep_answer(db, answer)
            return changed > 0

        return await self._db.write(update)

    async def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool:
        def delete(db: Db) -> bool:
            deleted = db.execute("DELETE FROM assets WHERE id = ?", (asset_id,)).rowcount
            if deleted:
                transactions.keep_answer(db, answer)
            return deleted > 0

        return await self._db.write(delete)

    async def watch_assets(self, listener: AssetListener) -> None:
        """Nothing to hear: one process owns a SQLite file, and hears its own writes."""

    # -- idempotency keys ----------------------------------------------------------------------

    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation:
        claim = transactions.claim_idempotency_key
        args = (scope, key, request_hash, now, lease)
        return await self._db.write(lambda db: claim(db, self._sweeper, *args))

    async def release_idempotency_key(self, reservation: Reservation) -> None:
        r = reservation
        sql = (
            "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0 AND owner = ?"
        )
        await self._db.changed(sql, r.scope, r.key, r.owner)

    # -- the signing key ring ------------------------------------------------------------------

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        return [
            rows.signing_key(r)
            for r in await self._db.all("SELECT * FROM signing_keys ORDER BY created, kid")
        ]

    async def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool:
        add = transactions.add_signing_key
        return await self._db.write(lambda db: add(db, record, drop_old=drop_old, first=first))

    async def import_signing_keys(self, records: Sequence[SigningKeyRecord], now: float) -> int:
        add = transactions.import_signing_keys
        return await self._db.write(lambda db: add(db, records, now))
