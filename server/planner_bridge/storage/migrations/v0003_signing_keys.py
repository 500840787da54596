"""Schema 3: the signing key ring (first for instances sharing a database; since then the one
ring on either backend).

Private keys are stored sealed (AES-256-GCM under a key derived from the master key, see
`keys.KeySealer`), never in clear.
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
