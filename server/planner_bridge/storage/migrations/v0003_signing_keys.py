"""Schema 3: the signing key ring, for instances that share a database.

Private keys are stored sealed (AES-256-GCM under a key derived from the master key, see
`shared_keys`), never in clear. SQLite deployments keep their ring in `<data dir>/keys/`; the
table is there on both so that the numbering stays the same.
"""

SQLITE = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created REAL NOT NULL, retired REAL,
    dropped INTEGER NOT NULL DEFAULT 0, sealed_key BLOB NOT NULL);
"""

POSTGRESQL = """
CREATE TABLE signing_keys (
    kid TEXT COLLATE "C" PRIMARY KEY, alg TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    retired DOUBLE PRECISION, dropped BOOLEAN NOT NULL DEFAULT FALSE, sealed_key BYTEA NOT NULL);
"""
