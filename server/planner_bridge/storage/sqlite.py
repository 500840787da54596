"""The embedded default store: one SQLite file in the data dir, versioned schema, WAL mode.

One connection guarded by a lock: SQLite serialises writers anyway, and every statement here
is a single-row lookup or write that takes microseconds. It is synchronous: the event loop
reaches it through `threaded.ThreadedStore`, which runs each call in a worker thread.
The CLI may write to the same file while a server runs; `busy_timeout` covers that.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    Conflict,
    Entity,
    Headers,
    IdempotentAnswer,
    Reservation,
    SigningKeyRecord,
)
from .migrations import LATEST, migrate_sqlite

SCHEMA_VERSION = LATEST  # the name older callers know

# Expired nonces and idempotency keys are swept once every this many inserts.
SWEEP_EVERY = 256


class SQLiteStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._inserts = 0
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("PRAGMA busy_timeout = 5000")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # Spelled out: under WAL, FULL makes every commit wait for the disk (~0.4 ms
            # here), so an answered revocation or asset write survives a power cut.
            self._db.execute("PRAGMA synchronous = FULL")
            migrate_sqlite(self._db)

    @contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction. `durable=False` commits without waiting for the disk (see
        `remember_nonce`); every other commit, before and after, still does."""
        with self._lock:
            if not durable:
                self._db.execute("PRAGMA synchronous = NORMAL")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            finally:
                if not durable:
                    self._db.execute("PRAGMA synchronous = FULL")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _changed(self, sql: str, *args: Any) -> bool:
        with self._tx() as db:
            return db.execute(sql, args).rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- legal entities and API keys ---------------------------------------------------------

    def add_entity(self, entity: Entity) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO entities VALUES (?, ?, ?, ?, ?)",
                (
                    entity.id,
                    entity.name,
                    json.dumps(entity.origins),
                    int(entity.allow_write),
                    entity.created,
                ),
            )

    def get_entity(self, entity_id: str) -> Entity | None:
        row = self._one("SELECT * FROM entities WHERE id = ?", entity_id)
        return _entity(row) if row else None

    def list_entities(self) -> list[Entity]:
        return [_entity(r) for r in self._all("SELECT * FROM entities ORDER BY created, id")]

    def add_api_key(self, key: ApiKey) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys (key_id, entity_id, created, revoked, comment, last_used)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key.key_id, key.entity_id, key.created, key.revoked, key.comment, key.last_used),
            )

    def get_api_key(self, key_id: str) -> ApiKey | None:
        row = self._one("SELECT * FROM api_keys WHERE key_id = ?", key_id)
        return ApiKey(**dict(row)) if row else None

    def list_api_keys(self, entity_id: str) -> list[ApiKey]:
        rows = self._all("SELECT * FROM api_keys WHERE entity_id = ? ORDER BY created", entity_id)
        return [ApiKey(**dict(r)) for r in rows]

    def revoke_api_key(self, key_id: str, when: float) -> bool:
        return self._changed(
            "UPDATE api_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL", when, key_id
        )

    def touch_api_key(self, key_id: str, when: float) -> None:
        self._changed("UPDATE api_keys SET last_used = ? WHERE key_id = ?", when, key_id)

    # -- console administrators and their sessions -----------------------------------------------

    def add_admin(self, admin: Administrator) -> None:
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO admins VALUES (?, ?, ?, ?)",
                    (admin.username, admin.entity_id, admin.password_hash, admin.created),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"administrator {admin.username!r} exists already") from None

    def get_admin(self, username: str) -> Administrator | None:
        row = self._one("SELECT * FROM admins WHERE username = ?", username)
        return Administrator(**dict(row)) if row else None

    def list_admins(self, entity_id: str) -> list[Administrator]:
        rows = self._all(
            "SELECT * FROM admins WHERE entity_id = ? ORDER BY created, username", entity_id
        )
        return [Administrator(**dict(r)) for r in rows]

    def delete_admin(self, username: str) -> bool:
        with self._tx() as db:
            db.execute("DELETE FROM admin_sessions WHERE username = ?", (username,))
            return db.execute("DELETE FROM admins WHERE username = ?", (username,)).rowcount > 0

    def add_admin_session(self, session: AdminSession) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO admin_sessions VALUES (?, ?, ?, ?, ?)",
                dataclasses.astuple(session),
            )

    def get_admin_session(self, id_hash: str) -> AdminSession | None:
        row = self._one("SELECT * FROM admin_sessions WHERE id_hash = ?", id_hash)
        return AdminSession(**dict(row)) if row else None

    def touch_admin_session(self, id_hash: str, when: float) -> None:
        self._changed("UPDATE admin_sessions SET last_seen = ? WHERE id_hash = ?", when, id_hash)

    def delete_admin_session(self, id_hash: str) -> bool:
        return self._changed("DELETE FROM admin_sessions WHERE id_hash = ?", id_hash)

    def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int:
        with self._tx() as db:
            swept: int = db.execute(
                "DELETE FROM admin_sessions WHERE last_seen <= ? OR created <= ?",
                (seen_before, opened_before),
            ).rowcount
            return swept

    def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> None:
        if not self.remember_nonces([(key_id, nonce, expires, now)])[0]:
            raise Conflict("nonce already used")

    def remember_nonces(self, nonces: Sequence[tuple[str, str, float, float]]) -> list[bool]:
        """Several `remember_nonce`s (key id, nonce, expires, now) in one transaction, in
        order: for each, whether it was stored (False: still held, the same one earlier in
        the list included). Not durable (WAL, synchronous NORMAL: still atomic, and safe from
        a process crash): an fsync here was most of a signed request's cost. What a power cut
        can lose is the last nonces, which re-opens, for requests already answered, the replay
        window that their `created` closes within 5 minutes anyway."""
        with self._tx(durable=False) as db:
            return [self._remember_nonce(db, *nonce) for nonce in nonces]

    def _remember_nonce(
        self, db: sqlite3.Connection, key_id: str, nonce: str, expires: float, now: float
    ) -> bool:
        self._maybe_sweep(db, now)
        # One statement: an expired nonce is taken again, one still held changes no row.
        stored = db.execute(
            "INSERT INTO nonces VALUES (?, ?, ?) ON CONFLICT (key_id, nonce)"
            " DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= ?",
            (key_id, nonce, expires, now),
        ).rowcount
        return stored == 1

    def _maybe_sweep(self, db: sqlite3.Connection, now: float) -> None:
        self._inserts += 1
        if self._inserts % SWEEP_EVERY == 0:
            db.execute("DELETE FROM nonces WHERE expires <= ?", (now,))
            db.execute("DELETE FROM idempotency_keys WHERE expires <= ?", (now,))

    # -- API tokens ----------------------------------------------------------------------------

    def add_api_token(self, record: ApiTokenRecord) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.entity_id,
                    record.user_id,
                    record.user_name,
                    record.name,
                    " ".join(record.rights),
                    record.created,
                    record.expires,
                    record.last_used,
                    int(record.disabled),
                ),
            )

    def get_api_token(self, token_id: str) -> ApiTokenRecord | None:
        row = self._one("SELECT * FROM api_tokens WHERE id = ?", token_id)
        return _api_token(row) if row else None

    def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]:
        rows = self._all(
            "SELECT * FROM api_tokens WHERE entity_id = ? ORDER BY created, id", entity_id
        )
        return [_api_token(r) for r in rows]

    def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool:
        return self._changed(
            "UPDATE api_tokens SET disabled = ? WHERE id = ?", int(disabled), token_id
        )

    def touch_api_token(self, token_id: str, when: float) -> None:
        self._changed("UPDATE api_tokens SET last_used = ? WHERE id = ?", when, token_id)

    def delete_api_token(self, token_id: str) -> bool:
        return self._changed("DELETE FROM api_tokens WHERE id = ?", token_id)

    # -- assets --------------------------------------------------------------------------------

    def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    asset.id,
                    asset.entity_id,
                    asset.owner_id,
                    asset.name,
                    asset.kind,
                    json.dumps(asset.data),
                    asset.created,
                    asset.updated,
                    asset.version,
                ),
            )
            _keep_answer(db, answer)

    def get_asset(self, asset_id: str) -> Asset | None:
        row = self._one("SELECT * FROM assets WHERE id = ?", asset_id)
        return _asset(row) if row else None

    def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]:
        owners = [o for o in owner_ids if o is not None]
        clauses = []
        if None in owner_ids:
            clauses.append("owner_id IS NULL")
        if owners:
            clauses.append(f"owner_id IN ({', '.join('?' * len(owners))})")
        if not clauses:
            return []
        sql = (
            # Only fixed clauses and placeholders are joined in; every value is a parameter.
            f"SELECT * FROM assets WHERE entity_id = ? AND id > ? AND ({' OR '.join(clauses)})"  # noqa: S608
            " ORDER BY id LIMIT ?"
        )
        return [_asset(r) for r in self._all(sql, entity_id, after, *owners, limit)]

    def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool:
        with self._tx() as db:
            changed = db.execute(
                "UPDATE assets SET name = ?, kind = ?, data = ?, updated = ?, version = ?"
                " WHERE id = ? AND version = ?",
                (
                    asset.name,
                    asset.kind,
                    json.dumps(asset.data),
                    asset.updated,
                    asset.version,
                    asset.id,
                    asset.version - 1,
                ),
            ).rowcount
            if changed:
                _keep_answer(db, answer)
            return changed > 0

    def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool:
        with self._tx() as db:
            deleted = db.execute("DELETE FROM assets WHERE id = ?", (asset_id,)).rowcount
            if deleted:
                _keep_answer(db, answer)
            return deleted > 0

    # -- idempotency keys ----------------------------------------------------------------------

    def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation:
        with self._tx() as db:
            self._maybe_sweep(db, now)
            row = db.execute(
                "SELECT request_hash, status, body, created, headers FROM idempotency_keys"
                " WHERE scope = ? AND key = ? AND expires > ?",
                (scope, key, now),
            ).fetchone()
            if row:
                return IdempotentAnswer(row[0], row[1], bytes(row[2]), row[3], _headers(row[4]))
            owner = secrets.token_urlsafe(16)
            db.execute(
                "INSERT OR REPLACE INTO idempotency_keys"
                " (scope, key, request_hash, status, body, created, expires, owner, headers)"
                " VALUES (?, ?, ?, 0, ?, ?, ?, ?, '[]')",
                (scope, key, request_hash, b"", now, now + lease, owner),
            )
            return Reservation(scope, key, owner)

    def release_idempotency_key(self, reservation: Reservation) -> None:
        self._changed(
            "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0 AND owner = ?",
            reservation.scope,
            reservation.key,
            reservation.owner,
        )

    # -- the shared signing key ring -----------------------------------------------------------

    def list_signing_keys(self) -> list[SigningKeyRecord]:
        rows = self._all("SELECT * FROM signing_keys ORDER BY created, kid")
        return [_signing_key(r) for r in rows]

    def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool:
        with self._tx() as db:
            if first and db.execute("SELECT 1 FROM signing_keys LIMIT 1").fetchone():
                return False
            db.execute(
                "UPDATE signing_keys SET retired = coalesce(retired, ?), dropped = max(dropped, ?)",
                (record.created, int(drop_old)),
            )
            db.execute(
                "INSERT INTO signing_keys VALUES (?, ?, ?, ?, ?, ?)",
                (record.kid, record.alg, record.created, None, 0, record.sealed_key),
            )
            return True


def _signing_key(row: sqlite3.Row) -> SigningKeyRecord:
    values = dict(row)
    values["dropped"] = bool(values["dropped"])
    values["sealed_key"] = bytes(values["sealed_key"])
    return SigningKeyRecord(**values)


def _keep_answer(db: sqlite3.Connection, answer: AnswerRecord | None) -> None:
    """Turn the key's reservation into its answer, inside the caller's write transaction.

    Only this request's own reservation (status 0, its owner) is turned: if the key was taken
    over after the lease lapsed (answered or not yet), or swept, the write must not apply, nor
    its answer be kept under the other request's fingerprint, so the whole transaction is
    rolled back."""
    if answer is None:
        return
    kept = db.execute(
        "UPDATE idempotency_keys SET status = ?, body = ?, expires = ?, headers = ?"
        " WHERE scope = ? AND key = ? AND status = 0 AND owner = ?",
        (
            answer.status,
            answer.body,
            answer.expires,
            json.dumps([list(pair) for pair in answer.headers]),
            answer.scope,
            answer.key,
            answer.owner,
        ),
    ).rowcount
    if not kept:
        raise Conflict("the idempotency key is no longer reserved for this write")


def _headers(stored: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(stored))


def _entity(row: sqlite3.Row) -> Entity:
    return Entity(
        id=row["id"],
        name=row["name"],
        origins=tuple(json.loads(row["origins"])),
        allow_write=bool(row["allow_write"]),
        created=row["created"],
    )


def _api_token(row: sqlite3.Row) -> ApiTokenRecord:
    values = dict(row)
    values["rights"] = tuple(values["rights"].split())
    values["disabled"] = bool(values["disabled"])
    return ApiTokenRecord(**values)


def _asset(row: sqlite3.Row) -> Asset:
    values = dict(row)
    values["data"] = json.loads(values["data"])
    return Asset(**values)


class UnsupportedDatabase(ValueError):
    pass


def open_store(settings: Any) -> SQLiteStore:
    """The SQLite store the settings name, opened without an event loop (tests, benchmarks).
    The planner origin and the CLI open either backend with `storage.open_async_store`."""
    if settings.database.backend != "sqlite":
        raise UnsupportedDatabase(
            f"{settings.database.describe()} is not SQLite: open it with Core.connect"
        )
    path = Path(settings.sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(path)
