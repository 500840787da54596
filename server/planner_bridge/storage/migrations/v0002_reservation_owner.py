"""Schema 2: idempotency reservations get an owner, answers their headers.

A schema-1 reservation (owner '') matches no request and lapses within its lease; a schema-1
answer replays without headers.
"""

SQLITE = """
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
"""

POSTGRESQL = """
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
"""
