"""Schema 4: asset changes, for the live channel across instances.

Each asset write on PostgreSQL also records the asset's new (or last) state here, in its own
transaction, and notifies the other instances (NOTIFY carries only the row's number, so the
asset's size does not matter). Rows are pruned after a few minutes. Unused on SQLite: one
process owns a SQLite file, and its hub hears its own writes.
"""

SQLITE = """
CREATE TABLE IF NOT EXISTS asset_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, asset TEXT NOT NULL,
    deleted INTEGER NOT NULL, created REAL NOT NULL);
"""

POSTGRESQL = """
CREATE TABLE asset_changes (
    seq BIGSERIAL PRIMARY KEY, origin TEXT NOT NULL, asset TEXT NOT NULL,
    deleted BOOLEAN NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE INDEX asset_changes_by_age ON asset_changes (created);
"""
