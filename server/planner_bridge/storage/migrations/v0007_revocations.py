"""Schema 7: revocations (SPEC "Revocation within a second"), one row per revoked subject,
kept until every token it names has expired. SQLite numbers each write (`seq`) so a server
hears what another process (the CLI) wrote; PostgreSQL tells with NOTIFY instead."""

SQLITE = """
CREATE TABLE IF NOT EXISTS revocations (
    kind TEXT NOT NULL, subject TEXT NOT NULL, not_before REAL NOT NULL,
    expires REAL NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (kind, subject));
CREATE INDEX IF NOT EXISTS revocations_by_seq ON revocations (seq);
CREATE INDEX IF NOT EXISTS revocations_by_expiry ON revocations (expires);
"""

POSTGRESQL = """
CREATE TABLE revocations (
    kind TEXT COLLATE "C" NOT NULL, subject TEXT COLLATE "C" NOT NULL,
    not_before DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, subject));
CREATE INDEX revocations_by_expiry ON revocations (expires);
"""
