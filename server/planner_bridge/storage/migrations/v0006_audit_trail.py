"""Schema 6: the audit trail, one row per change to an entity's credentials or settings; and
the console session's shown-once value (sealed: see `admin.shown_once`).

A row names who (an administrator's username, or `cli`), what (the action), which entity and
which object (a key id, a token id, an origin, a username): never a secret or a token. Rows are
only ever added; `seq` orders them as they were written, newest last.
"""

SQLITE = """
CREATE TABLE IF NOT EXISTS audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, entity_id TEXT NOT NULL, at REAL NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, object_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_events_by_entity ON audit_events (entity_id, seq);
ALTER TABLE admin_sessions ADD COLUMN shown_once BLOB;
"""

POSTGRESQL = """
CREATE TABLE audit_events (
    seq BIGSERIAL PRIMARY KEY, entity_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, object_id TEXT NOT NULL);
CREATE INDEX audit_events_by_entity ON audit_events (entity_id, seq);
ALTER TABLE admin_sessions ADD COLUMN shown_once BYTEA;
"""
