"""The SQLite store's writes of more than one statement, each run inside one transaction in
its worker thread (`SQLiteThread.transaction`), given the connection."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence

from . import AnswerRecord, Conflict, IdempotentAnswer, Reservation, SigningKeyRecord, holders, rows
from .nonce_batch import Nonce
from .sqlite_thread import Db

SWEEP_EVERY = 256  # expired nonces and idempotency keys are swept once every this many inserts
WHOLE_SWEEP_EVERY = 64  # sweeps; the others look at the oldest nonces only
NONCES_SWEPT = 2 * SWEEP_EVERY  # the oldest rows looked at: room to catch up
OLDEST_NONCES_SWEEP = (
    "DELETE FROM nonces WHERE rowid IN (SELECT rowid FROM nonces ORDER BY rowid LIMIT ?)"
    " AND expires <= ?"
)


class Sweeper:
    """Nonces (signature nonces, DPoP `jti`s) are swept oldest first: rows go in in time order
    (rowid), so the expired ones are at the head. SQLite has no index on their `expires`, and
    a sweep of the whole table cost as much as the table is long: at 2,500 DPoP calls a second
    (65 s held, 160,000 rows) ~60 µs per insert, more than the write itself. A whole sweep now
    and then still takes what a row held longer at the head kept back."""

    def __init__(self) -> None:
        self.inserts = 0

    def maybe_sweep(self, db: Db, now: float) -> None:
        self.inserts += 1
        if self.inserts % SWEEP_EVERY:
            return
        if self.inserts % (SWEEP_EVERY * WHOLE_SWEEP_EVERY) == 0:
            db.execute("DELETE FROM nonces WHERE expires <= ?", (now,))
        else:
            db.execute(OLDEST_NONCES_SWEEP, (NONCES_SWEPT, now))
        db.execute("DELETE FROM idempotency_keys WHERE expires <= ?", (now,))


def remember_nonces(db: Db, sweeper: Sweeper, nonces: Sequence[Nonce]) -> list[bool]:
    """A batch of nonces, in order: for each, whether it was stored (False: still held, the
    same one earlier in the batch included). Run in a transaction that is not durable (WAL,
    synchronous NORMAL: still atomic, and safe from a process crash): an fsync here was most
    of a signed request's cost. What a power cut can lose is the last nonces, which re-opens,
    for requests already answered, the replay window that their `created` closes within 5
    minutes anyway."""
    stored = []
    for key_id, nonce, expires, now in nonces:
        sweeper.maybe_sweep(db, now)
        # One statement: an expired nonce is taken again, one still held changes no row.
        changed = db.execute(
            "INSERT INTO nonces VALUES (?, ?, ?) ON CONFLICT (key_id, nonce)"
            " DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= ?",
            (key_id, nonce, expires, now),
        ).rowcount
        stored.append(changed == 1)
    return stored


def claim_idempotency_key(
    db: Db, sweeper: Sweeper, scope: str, key: str, request_hash: str, now: float, lease: float
) -> IdempotentAnswer | Reservation:
    sweeper.maybe_sweep(db, now)
    row = db.execute(
        "SELECT request_hash, status, body, created, headers, holder FROM idempotency_keys"
        " WHERE scope = ? AND key = ? AND expires > ?",
        (scope, key, now),
    ).fetchone()
    # A live answer or reservation stands; a reservation whose process died is taken over.
    if row and not (row["status"] == 0 and holders.process_gone(row["holder"])):
        return rows.idempotent_answer(row)
    owner = secrets.token_urlsafe(16)
    db.execute(
        "INSERT OR REPLACE INTO idempotency_keys"
        " (scope, key, request_hash, status, body, created, expires, owner, headers, holder)"
        " VALUES (?, ?, ?, 0, ?, ?, ?, ?, '[]', ?)",
        (scope, key, request_hash, b"", now, now + lease, owner, holders.this_process()),
    )
    return Reservation(scope, key, owner)


def keep_answer(db: Db, answer: AnswerRecord | None) -> None:
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
        rows.answer_values(answer),
    ).rowcount
    if not kept:
        raise Conflict("the idempotency key is no longer reserved for this write")


def add_signing_key(db: Db, record: SigningKeyRecord, *, drop_old: bool, first: bool) -> bool:
    if first and db.execute("SELECT 1 FROM signing_keys LIMIT 1").fetchone():
        return False
    db.execute(
        "UPDATE signing_keys SET retired = coalesce(retired, ?), dropped = max(dropped, ?)",
        (record.created, drop_old),
    )
    db.execute(
        "INSERT INTO signing_keys VALUES (?, ?, ?, ?, ?, ?)", rows.signing_key_values(record)
    )
    return True


def import_signing_keys(db: Db, records: Sequence[SigningKeyRecord], now: float) -> int:
    had_keys = db.execute("SELECT 1 FROM signing_keys LIMIT 1").fetchone() is not None
    added = 0
    for record in records:
        if had_keys and record.retired is None:
            record = dataclasses.replace(record, retired=now)
        added += db.execute(
            "INSERT INTO signing_keys VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING",
            rows.signing_key_values(record),
        ).rowcount
    return added
