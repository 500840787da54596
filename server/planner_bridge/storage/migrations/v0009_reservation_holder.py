"""Schema 9: an idempotency reservation names the database session (PostgreSQL) or the process
(SQLite) that holds it, so that one whose holder died is taken over at once rather than when
its lease runs out (`storage.holders`).

A reservation made before (holder '') lapses with its lease, as before.
"""

SQLITE = """
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT NOT NULL DEFAULT '';
"""

POSTGRESQL = """
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT NOT NULL DEFAULT '';
"""
