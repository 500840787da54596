"""Schema 5: API keys get a comment and their last use; the console's administrators and
their sessions (a session holds only the SHA-256 of its cookie's id, never the id)."""

SQLITE = """
ALTER TABLE api_keys ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used REAL;
CREATE TABLE IF NOT EXISTS admins (
    username TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    password_hash TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS admin_sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    entity_id TEXT NOT NULL, created REAL NOT NULL, last_seen REAL NOT NULL);
"""

# Usernames and ids compare bytewise (COLLATE "C"), as on SQLite, whatever the locale.
POSTGRESQL = """
ALTER TABLE api_keys ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used DOUBLE PRECISION;
CREATE TABLE admins (
    username TEXT COLLATE "C" PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    password_hash TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE INDEX admins_by_entity ON admins (entity_id, created);
CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    entity_id TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL);
CREATE INDEX admin_sessions_by_username ON admin_sessions (username);
"""
