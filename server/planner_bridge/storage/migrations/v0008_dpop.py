"""Schema 8: an entity's DPoP policy (SPEC "Sender-constrained tokens"): when it requires DPoP,
its tokens are minted only bound to a key and its web services take no Bearer token.

(Proofs' `jti`s need no table of their own: they are spent in `nonces`, beside the signature
nonces, keyed "dpop:" + the key's thumbprint.)"""

SQLITE = """
ALTER TABLE entities ADD COLUMN dpop_required INTEGER NOT NULL DEFAULT 0;
"""

POSTGRESQL = """
ALTER TABLE entities ADD COLUMN dpop_required BOOLEAN NOT NULL DEFAULT FALSE;
"""
