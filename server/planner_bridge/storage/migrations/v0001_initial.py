"""Schema 1: entities, API keys, nonces, API tokens, assets, idempotency keys."""

SQLITE = """
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, origins TEXT NOT NULL,
    allow_write INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    created REAL NOT NULL, revoked REAL);
CREATE TABLE IF NOT EXISTS nonces (
    key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (key_id, nonce));
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    user_id TEXT NOT NULL, user_name TEXT NOT NULL, name TEXT NOT NULL, rights TEXT NOT NULL,
    created REAL NOT NULL, expires REAL, last_used REAL, disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, owner_id TEXT, name TEXT NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS assets_by_owner ON assets (entity_id, owner_id, id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
    status INTEGER NOT NULL, body BLOB NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (scope, key));
"""

# The same tables and columns, in the same order. JSON documents stay text (not jsonb), so a
# document comes back byte for byte as written, as on SQLite; ids that are listed in order or
# paged by `id > after` compare bytewise (COLLATE "C"), as SQLite's do, whatever the
# database's locale.
POSTGRESQL = """
CREATE TABLE entities (
    id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, origins TEXT NOT NULL,
    allow_write BOOLEAN NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    created DOUBLE PRECISION NOT NULL, revoked DOUBLE PRECISION);
CREATE TABLE nonces (
    key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (key_id, nonce));
CREATE TABLE api_tokens (
    id TEXT COLLATE "C" PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    user_id TEXT NOT NULL, user_name TEXT NOT NULL, name TEXT NOT NULL, rights TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION,
    last_used DOUBLE PRECISION, disabled BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE assets (
    id TEXT COLLATE "C" PRIMARY KEY, entity_id TEXT NOT NULL, owner_id TEXT, name TEXT NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL, version INTEGER NOT NULL);
CREATE INDEX assets_by_owner ON assets (entity_id, owner_id, id);
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
    status INTEGER NOT NULL, body BYTEA NOT NULL, created DOUBLE PRECISION NOT NULL,
    expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (scope, key));
CREATE INDEX nonces_by_expiry ON nonces (expires);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires);
"""
