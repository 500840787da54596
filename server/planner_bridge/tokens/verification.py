"""Checking tokens: access tokens for the web services, API tokens for the exchange.

Algorithms are pinned to the key named by `kid`; nothing in a token chooses how it is checked.
`typ`, `iss`, `aud`, `exp`, `iat` and the claims each kind needs are required; times are checked
on the injected clock with the configured leeway. ECDSA signatures must be low-S (`signing`): a
high-S copy of a genuine token is refused, so every token has exactly one valid string. Verified
access tokens are cached by their exact string so the web services pay for a signature check once
per token, not once per call; `exp` and the key are re-checked on every hit.
"""

from __future__ import annotations

import binascii
import dataclasses
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from ..clock import Clock
from ..errors import InvalidToken
from ..keys.signing import is_high_s
from .issuer import ACCESS_TOKEN_TYP, API_TOKEN_TYP, AUDIENCE, KINDS, RIGHTS

MAX_TOKEN_LENGTH = 4096
ACCESS_CLAIMS = ("iss", "aud", "sub", "entity", "kind", "scope", "client_id", "iat", "exp", "jti")
API_TOKEN_CLAIMS = ("iss", "aud", "sub", "entity", "scope", "iat", "exp", "jti")
# Three base64url segments, nothing else: checked before PyJWT sees the token, which would
# otherwise raise UnicodeEncodeError (not a PyJWTError) on a lone surrogate from a JSON message.
FROM_URLSAFE = str.maketrans("-_", "+/")
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


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
    jkt: str | None = None  # cnf.jkt: the token is bound to this DPoP key (RFC 9449 §6)

    @property
    def user_id(self) -> str | None:
        return self.subject if self.kind == "user" else None

    def may(self, right: str) -> bool:
        return right in self.rights


class VerificationKey(Protocol):
    @property
    def alg(self) -> str: ...
    @property
    def public_key(self) -> Any: ...


class KeySource(Protocol):
    """Where verification keys come from: `keys.KeyRing` in-process, `jwks.RemoteJWKS` apart."""

    def verification_key(self, kid: str, *, access_token: bool) -> VerificationKey | None: ...


class TokenVerifier:
    """Checks tokens against a key source: the local ring, or a remote JWKS (same interface)."""

    def __init__(
        self,
        keys: KeySource,
        clock: Clock,
        *,
        issuer: str,
        leeway: int,  # Settings.leeway is its one default
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
        # An entry gone stale (expired, its key dropped) is never a hit; eviction removes it.
        if cached is not None and self._still_valid(cached):
            return cached
        claims = self._decode(
            token,
            typ=ACCESS_TOKEN_TYP,
            audience=AUDIENCE,
            required=ACCESS_CLAIMS,
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
        return self.keys.verification_key(claims.kid, access_token=True) is not None

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
        # A retired key's window holds for access tokens; API tokens outlive it (keys.KeyRing).
        access_token = typ == ACCESS_TOKEN_TYP
        key = (
            self.keys.verification_key(kid, access_token=access_token)
            if isinstance(kid, str)
            else None
        )
        if key is None:
            raise InvalidToken("token is signed by an unknown key")
        public_key = key.public_key
        if isinstance(public_key, ec.EllipticCurvePublicKey) and is_high_s(
            _signature(token), public_key.curve
        ):
            raise InvalidToken("token signature is not in low-S form")
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


def _signature(token: str) -> bytes:
    """The signature's bytes. `jwt.get_unverified_header` has already decoded every segment and
    refused one that is not base64url; a2b_base64 ignores padding beyond what it needs, so "=="
    suits every length."""
    segment = token.rpartition(".")[2]
    return binascii.a2b_base64(segment.translate(FROM_URLSAFE) + "==")


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
        jkt=_bound_key(claims),
    )


def _bound_key(claims: dict[str, Any]) -> str | None:
    if "cnf" not in claims:
        return None
    cnf = claims["cnf"]
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    if not isinstance(jkt, str) or not jkt:
        raise InvalidToken("token has a malformed cnf claim")
    return jkt
