"""Schema 10: SQLite indexes idempotency keys by expiry, as PostgreSQL has since schema 1.

Why: their sweep (`sqlite_transactions.Sweeper`, once every 256 nonces written) deletes the
expired keys, and without an index that read the whole table each time: a cost that grew
with every write a shop's planner made in the last 24 hours, paid by its signed and DPoP
calls. Nonces stay unindexed on purpose: they are written on every such call, and their
sweep takes the oldest rows by `rowid` instead.
"""

SQLITE = """
CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires);
"""

POSTGRESQL = """
CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires);
"""
