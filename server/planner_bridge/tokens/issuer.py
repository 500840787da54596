"""Access tokens and API tokens: what they claim, and minting them.

Access tokens (RFC 9068, `typ: at+jwt`, `aud: planner`) are what the planner web services
accept. API tokens have their own `typ` and the token service as audience, so no web service
ever accepts one. How the signature is made (through the key ring's `Signer`) is `signing`'s
business; how a token is checked is `verification`'s.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence

from ..clock import Clock
from ..errors import InvalidRequest
from ..keys.ring import KeyRing
from ..keys.signing import CompactSigner, MintedToken, UnsignedToken

ACCESS_TOKEN_TYP = "at+jwt"
API_TOKEN_TYP = "pb-api+jwt"
AUDIENCE = "planner"
KINDS = ("legal_entity", "user")
RIGHTS = ("read", "write")
NEVER_SECONDS = 100 * 365 * 86400  # "never expires" still carries an exp: exp is always required
CLAIM_HEADS_SIZE = 10_000  # encoded fixed claims kept per (subject, entity, scope, client)


def parse_rights(value: object) -> tuple[str, ...]:
    """`["read"]` or `["read", "write"]` (any order) as the canonical tuple; write implies read."""
    if value is None:
        return ("read",)
    if not isinstance(value, list | tuple) or not all(isinstance(r, str) for r in value):
        raise InvalidRequest("rights must be a list of strings")
    unknown = set(value) - set(RIGHTS)
    if unknown:
        raise InvalidRequest(f"rights: unknown right {sorted(unknown)[0]!r}")
    return ("read", "write") if "write" in value else ("read",)


def scope_of(rights: Sequence[str]) -> str:
    return " ".join([r for r in RIGHTS if r in rights])  # a list: twice as fast as a generator


# sub, entity, kind, scope, client_id, name: what stays the same from one token to the next
FixedClaims = tuple[str, str, str, str, str, str | None]


class TokenIssuer:
    def __init__(self, keyring: KeyRing, clock: Clock, *, issuer: str) -> None:
        self.keyring = keyring
        self.clock = clock
        self.issuer = issuer
        # One encoder, made once: `json.dumps` with options builds a new one on every call.
        self._claims_encoder = json.JSONEncoder(separators=(",", ":"))
        self._signer = CompactSigner()
        self._claim_heads: dict[FixedClaims, bytes] = {}

    async def mint_access_token(
        self,
        *,
        entity_id: str,
        client_id: str,
        rights: Sequence[str],
        lifetime: int,
        user_id: str | None = None,
        user_name: str | None = None,
        jkt: str | None = None,
    ) -> MintedToken:
        """A legal-entity token when `user_id` is None, else a user token; bound to the DPoP
        key whose thumbprint is `jkt` when given."""
        unsigned = self.prepare_access_token(
            entity_id=entity_id,
            client_id=client_id,
            rights=rights,
            lifetime=lifetime,
            user_id=user_id,
            user_name=user_name,
            jkt=jkt,
        )
        return await unsigned.sign()

    def prepare_access_token(
        self,
        *,
        entity_id: str,
        client_id: str,
        rights: Sequence[str],
        lifetime: int,
        user_id: str | None = None,
        user_name: str | None = None,
        jkt: str | None = None,
    ) -> UnsignedToken:
        """Everything of an access token but its signature (`await .sign()` makes it)."""
        now = int(self.clock.now())
        jti = secrets.token_urlsafe(16)
        sub, kind = (user_id, "user") if user_id else (entity_id, "legal_entity")
        name = (user_name or user_id) if user_id else None
        fixed: FixedClaims = (sub, entity_id, kind, scope_of(rights), client_id, name)
        payload = self._encode_access_claims(fixed, now, now + lifetime, jti)
        if jkt is not None:  # RFC 9449 §6.1; a checked thumbprint: base64url, nothing to escape
            payload = b'%s,"cnf":{"jkt":"%s"}}' % (payload[:-1], jkt.encode("ascii"))
        signer = self.keyring.signer
        signing_input = self._signer.signing_input(signer, ACCESS_TOKEN_TYP, payload)
        return UnsignedToken(signing_input, signer, jti, now, now + lifetime)

    def _encode_access_claims(self, fixed: FixedClaims, iat: int, exp: int, jti: str) -> bytes:
        """The claims as JSON. Only iat, exp and jti change from one token to the next, so the
        rest is encoded once per distinct set and those three appended: two integers and a
        `token_urlsafe` jti, whose characters JSON never escapes."""
        head = self._claim_heads.get(fixed)
        if head is None:
            head = self._claims_encoder.encode(self._fixed_claims(*fixed)).encode()[:-1]
            if len(self._claim_heads) >= CLAIM_HEADS_SIZE:
                self._claim_heads.clear()
            self._claim_heads[fixed] = head
        return b'%s,"iat":%d,"exp":%d,"jti":"%s"}' % (head, iat, exp, jti.encode())

    def _fixed_claims(
        self, sub: str, entity: str, kind: str, scope: str, client_id: str, name: str | None
    ) -> dict[str, str]:
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "entity": entity}
        claims.update(kind=kind, scope=scope, client_id=client_id)
        if name is not None:
            claims["name"] = name
        return claims

    async def mint_api_token(
        self,
        *,
        token_id: str,
        entity_id: str,
        user_id: str,
        rights: Sequence[str],
        issued_at: int,
        expires_at: int | None,
    ) -> MintedToken:
        exp = expires_at if expires_at is not None else issued_at + NEVER_SECONDS
        claims = {
            "iss": self.issuer,
            "aud": self.issuer,
            "sub": user_id,
            "entity": entity_id,
            "scope": scope_of(rights),
            "iat": issued_at,
            "exp": exp,
            "jti": token_id,
        }
        payload = self._claims_encoder.encode(claims).encode()
        signer = self.keyring.signer
        signing_input = self._signer.signing_input(signer, API_TOKEN_TYP, payload)
        return await UnsignedToken(signing_input, signer, token_id, issued_at, exp).sign()
