"""Access tokens and API tokens: minting them and checking them.

Access tokens (RFC 9068, `typ: at+jwt`, `aud: planner`) are what the planner web services
accept. API tokens have their own `typ` and the token service as audience, so no web service
ever accepts one. Algorithms are pinned to the key named by `kid`; nothing in a token chooses
how it is checked. Verified access tokens are cached by their exact string so the web services
pay for a signature check once per token, not once per call; `exp` and the key are re-checked
on every hit. How the signature itself is made (fast, per key) is `signing`'s business.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import jwt

from .clock import Clock
from .errors import InvalidRequest, InvalidToken
from .keys import KeyRing
from .signing import CompactSigner, MintedToken, UnsignedToken

ACCESS_TOKEN_TYP = "at+jwt"
API_TOKEN_TYP = "pb-api+jwt"
AUDIENCE = "planner"
KINDS = ("legal_entity", "user")
RIGHTS = ("read", "write")
MAX_TOKEN_LENGTH = 4096
ACCESS_CLAIMS = ("iss", "aud", "sub", "entity", "kind", "scope", "client_id", "iat", "exp", "jti")
API_TOKEN_CLAIMS = ("iss", "aud", "sub", "entity", "scope", "iat", "exp", "jti")
NEVER_SECONDS = 100 * 365 * 86400  # "never expires" still carries an exp: exp is always required
# Three base64url segments, nothing else: checked before PyJWT sees the token, which would
# otherwise raise UnicodeEncodeError (not a PyJWTError) on a lone surrogate from a JSON message.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
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


@dataclasses.dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says, as the web services need it."""

    subject: str
    entity_id: str
    kind: str
    rights: tuple[str, ...]
    client_id: str
    jti: str
    issued_at: int
    expires_at: int
    kid: str
    name: str | None = None

    @property
    def user_id(self) -> str | None:
        return self.subject if self.kind == "user" else None

    def may(self, right: str) -> bool:
        return right in self.rights


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

    def mint_access_token(
        self,
        *,
        entity_id: str,
        client_id: str,
        rights: Sequence[str],
        lifetime: int,
        user_id: str | None = None,
        user_name: str | None = None,
    ) -> MintedToken:
        """A legal-entity token when `user_id` is None, else a user token."""
        unsigned = self.prepare_access_token(
            entity_id=entity_id,
            client_id=client_id,
            rights=rights,
            lifetime=lifetime,
            user_id=user_id,
            user_name=user_name,
        )
        return unsigned.signed(unsigned.sign(unsigned.signing_input))

    def prepare_access_token(
        self,
        *,
        entity_id: str,
        client_id: str,
        rights: Sequence[str],
        lifetime: int,
        user_id: str | None = None,
        user_name: str | None = None,
    ) -> UnsignedToken:
        """Everything of an access token but its signature, for callers that sign later."""
        now = int(self.clock.now())
        jti = secrets.token_urlsafe(16)
        sub, kind = (user_id, "user") if user_id else (entity_id, "legal_entity")
        name = (user_name or user_id) if user_id else None
        fixed: FixedClaims = (sub, entity_id, kind, scope_of(rights), client_id, name)
        payload = self._encode_access_claims(fixed, now, now + lifetime, jti)
        key = self.keyring.current
        signing_input, sign = self._signer.signing_input(key, ACCESS_TOKEN_TYP, payload)
        return UnsignedToken(signing_input, sign, jti, now, now + lifetime)

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

    def mint_api_token(
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
        token = self._signer.sign(self.keyring.current, API_TOKEN_TYP, payload)
        return MintedToken(token, token_id, issued_at, exp)


class VerificationKey(Protocol):
    @property
    def alg(self) -> str: ...
    @property
    def public_key(self) -> Any: ...


class KeySource(Protocol):
    """Where verification keys come from: `keys.KeyRing` in-process, `jwks.RemoteJWKS` apart."""

    def verification_key(
        self, kid: str, *, access_token: bool = True
    ) -> VerificationKey | None: ...


class TokenVerifier:
    """Checks tokens against a key source: the local ring, or a remote JWKS (same interface)."""

    def __init__(
        self,
        keys: KeySource,
        clock: Clock,
        *,
        issuer: str,
        leeway: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.issuer = issuer
        self.leeway = leeway
        self.cache_size = cache_size
        self._cache: OrderedDict[str, AccessClaims] = OrderedDict()

    def verify_access_token(self, token: str) -> AccessClaims:
        cached = self._cache.get(token)
        if cached is not None:
            if self._still_valid(cached):
                return cached
            self._cache.pop(token, None)  # expired or its key dropped: never a hit again
        claims = self._decode(
            token,
            typ=ACCESS_TOKEN_TYP,
            audience=AUDIENCE,
            required=ACCESS_CLAIMS,
            access_token=True,
        )
        access = _access_claims(claims)
        self._remember(token, access)
        return access

    def verify_api_token(self, token: str) -> dict[str, Any]:
        return self._decode(
            token,
            typ=API_TOKEN_TYP,
            audience=self.issuer,
            required=API_TOKEN_CLAIMS,
            access_token=False,
        )

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.clock.now()
        for name in ("iat", "exp", "nbf"):
            if name in claims and not isinstance(claims[name], int):
                raise InvalidToken(f"token claim {name} must be an integer")
        if now > claims["exp"] + self.leeway:
            raise InvalidToken("token has expired")
        if claims["iat"] > now + self.leeway:
            raise InvalidToken("token is not yet valid (iat)")
        if "nbf" in claims and claims["nbf"] > now + self.leeway:
            raise InvalidToken("token is not yet valid (nbf)")

    def _still_valid(self, claims: AccessClaims) -> bool:
        if self.clock.now() > claims.expires_at + self.leeway:
            return False
        return self.keys.verification_key(claims.kid) is not None

    def _remember(self, token: str, claims: AccessClaims) -> None:
        self._cache[token] = claims
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _decode(
        self,
        token: str,
        *,
        typ: str,
        audience: str,
        required: Sequence[str],
        access_token: bool,
    ) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token is missing or too long")
        if COMPACT_JWS.fullmatch(token) is None:
            raise InvalidToken("token is not a compact JWS")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("token is malformed") from None
        if header.get("typ") != typ:
            raise InvalidToken("token has the wrong typ")
        kid = header.get("kid")
        key = (
            self.keys.verification_key(kid, access_token=access_token)
            if isinstance(kid, str)
            else None
        )
        if key is None:
            raise InvalidToken("token is signed by an unknown key")
        try:
            # Times are checked below against our own clock (injected, frozen in tests).
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=[key.alg],
                audience=audience,
                issuer=self.issuer,
                options={
                    "require": list(required),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token is invalid: {exc}") from None
        self._check_times(claims)
        claims["_kid"] = kid
        return claims


def _access_claims(claims: dict[str, Any]) -> AccessClaims:
    kind, scope = claims["kind"], claims["scope"]
    if kind not in KINDS or not isinstance(scope, str):
        raise InvalidToken("token has an unknown kind or scope")
    rights = tuple(scope.split())
    if not set(rights) <= set(RIGHTS) or not all(
        isinstance(claims[c], str) for c in ("sub", "entity", "client_id", "jti")
    ):
        raise InvalidToken("token has malformed claims")
    return AccessClaims(
        subject=claims["sub"],
        entity_id=claims["entity"],
        kind=kind,
        rights=rights,
        client_id=claims["client_id"],
        jti=claims["jti"],
        issued_at=claims["iat"],
        expires_at=claims["exp"],
        kid=claims["_kid"],
        name=claims.get("name"),
    )
