"""DPoP proofs (RFC 9449): checking one, as §4.3 lists the checks, and the key's thumbprint.

PyJWT verifies the proof's JWS signature with the public key from its own header (`jwt.PyJWK`),
the algorithm pinned to ES256; every other check is ours, in the order of §4.3:

    exactly one proof; a compact JWS of sane size          invalid_dpop_proof
    header typ "dpop+jwt", alg "ES256", jwk a public P-256 key (no private member)
    signature by that key; claims jti, htm, htu, iat present
    htm = the method; htu = the request's public URL (issuer's scheme and host, the path as
    sent; query and fragment dropped; RFC 3986 §6.2.2-3 normalised on both sides)
    iat at most MAX_AGE old, at most MAX_AHEAD ahead
    ath = base64url(SHA-256(access token)) when a token is presented
    nonce: a current server nonce (`dpop_nonces`) where one is demanded   use_dpop_nonce

What stays for the caller: the thumbprint against the token's `cnf.jkt`, and spending the
`jti` once (`dpop_nonces.DPoPNonces.spend`), which needs the store.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import jwt

from ..clock import Clock
from ..credentials import b64url
from ..errors import InvalidDPoPProof, InvalidRequest, UseDPoPNonce
from ..storage import Entity
from .dpop_nonces import DPoPNonces
from .urls import normalise_url

TYP = "dpop+jwt"
ALG = "ES256"
MAX_AGE = 60  # seconds a proof is good after its iat (SPEC)
MAX_AHEAD = 5  # seconds a proof's iat may be ahead of our clock
MAX_PROOF = 2048  # a P-256 proof is ~600 bytes
MAX_JTI = 256
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
REQUIRED = ["jti", "htm", "htu", "iat"]
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest
KEY_CACHE_SIZE = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class Proof:
    """A proof that passed every check but its `jti`'s single use."""

    jkt: str
    jti: str
    iat: float


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no whitespace; base64url."""
    members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def is_jkt(value: object) -> bool:
    return isinstance(value, str) and JKT.fullmatch(value) is not None


def check_dpop_policy(entity: Entity, bound: bool) -> None:
    """An entity that requires DPoP gets only bound tokens (SPEC: 400 invalid_request)."""
    if entity.dpop_required and not bound:
        raise InvalidRequest(
            "this legal entity requires DPoP: ask with the planner's key (jkt or a DPoP proof)"
        )


def token_hash(access_token: str) -> str:
    """`ath`: base64url(SHA-256(the token's ASCII))."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


class ProofChecker:
    """Checks proofs for requests to `origin` (the issuer's scheme and host: the public URL
    behind a proxy too, never the Host header).

    The proof's two JSON parts are decoded once, here (`jwt.decode` would decode the header
    twice and then check claims we check ourselves anyway: it cost twice the signature's own
    verification); the signature is verified by PyJWT's ES256 algorithm, with the `jwt.PyJWK`
    made from the header's key. A client sends the same header with every proof: a header
    that passed its checks is remembered, as its encoded text, with its key and thumbprint."""

    def __init__(self, clock: Clock, nonces: DPoPNonces, *, origin: str) -> None:
        self.clock = clock
        self.nonces = nonces
        self.origin = origin.rstrip("/")
        self._keys: dict[tuple[str, str], tuple[jwt.PyJWK, str]] = {}
        self._headers: dict[str, tuple[jwt.PyJWK, str]] = {}  # header part -> key, thumbprint
        self._hashes: dict[str, str] = {}  # access token -> its ath: one per token, not call

    def check(
        self,
        proofs: Sequence[str],
        *,
        method: str,
        path: str,
        access_token: str | None = None,
        require_nonce: bool = True,
        status_code: int = 401,
    ) -> Proof:
        """The checked proof of a request; raises `InvalidDPoPProof` or `UseDPoPNonce` (with
        `status_code`: 401 at the web services, 400 at the token endpoints)."""

        def refuse(why: str) -> InvalidDPoPProof:
            return InvalidDPoPProof(f"DPoP proof: {why}", status_code=status_code)

        if len(proofs) != 1:
            raise refuse("send exactly one DPoP header")
        proof = proofs[0]
        if len(proof) > MAX_PROOF or COMPACT_JWS.fullmatch(proof) is None:
            raise refuse("not a compact JWS")
        header_part, claims_part, signature = proof.split(".")
        key, jkt = self._header_key(header_part, refuse)
        claims = _json_part(claims_part, refuse)
        signed = proof[: len(header_part) + 1 + len(claims_part)].encode("ascii")
        try:
            raw_signature = _b64decode(signature)
        except (ValueError, binascii.Error):  # a length no base64url string has
            raise refuse("the signature is not base64url") from None
        if not key.Algorithm.verify(signed, key.key, raw_signature):
            raise refuse("the signature does not verify with its jwk")
        self._check_claims(claims, refuse)
        self._check_request(claims, method, path, refuse)
        self._check_ath(claims, access_token, refuse)
        nonce = claims.get("nonce")
        if (nonce is not None or require_nonce) and not (
            isinstance(nonce, str) and nonce.isascii() and self.nonces.is_current(nonce)
        ):
            raise UseDPoPNonce(
                "DPoP proof: use the server's nonce",
                nonce=self.nonces.current(),
                status_code=status_code,
            )
        return Proof(jkt, claims["jti"], claims["iat"])

    async def key_for_token(self, proofs: Sequence[str], *, path: str) -> str | None:
        """At a token endpoint (RFC 9449 §5): the thumbprint to bind the new token to, None
        when no DPoP header came. A nonce is not demanded there, but one sent must be current;
        refusals are 400, as §5 and RFC 6749 §5.2 have them."""
        if not proofs:
            return None
        proof = self.check(proofs, method="POST", path=path, require_nonce=False, status_code=400)
        await self.nonces.spend(proof.jkt, proof.jti, proof.iat, status_code=400)
        return proof.jkt

    def _header_key(self, header_part: str, refuse: Any) -> tuple[jwt.PyJWK, str]:
        """The key of a header that passes its checks (they depend on its text alone)."""
        found = self._headers.get(header_part)
        if found is None:
            found = self._key(_header_jwk(_json_part(header_part, refuse), refuse), refuse)
            if len(self._headers) >= KEY_CACHE_SIZE:
                self._headers.clear()
            self._headers[header_part] = found
        return found

    def _key(self, jwk: dict[str, Any], refuse: Any) -> tuple[jwt.PyJWK, str]:
        """The key and its thumbprint, made once per distinct key (the point is checked to be
        on the curve then)."""
        found = self._keys.get((jwk["x"], jwk["y"]))
        if found is None:
            public = {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}
            try:
                found = jwt.PyJWK(public, algorithm=ALG), thumbprint(public)
            except (jwt.PyJWTError, ValueError, TypeError):
                raise refuse("jwk is not a valid P-256 public key") from None
            if len(self._keys) >= KEY_CACHE_SIZE:
                self._keys.clear()
            self._keys[(jwk["x"], jwk["y"])] = found
        return found

    def _check_claims(self, claims: dict[str, Any], refuse: Any) -> None:
        missing = [name for name in REQUIRED if name not in claims]
        if missing:
            raise refuse(f"{missing[0]} is missing")
        jti, iat = claims["jti"], claims["iat"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI or not _printable_ascii(jti):
            raise refuse(f"jti must be 1 to {MAX_JTI} printable ASCII characters")
        if not _is_seconds(iat):
            raise refuse("iat must be a number")
        now = self.clock.now()
        if iat < now - MAX_AGE:
            raise refuse("too old (iat)")
        if iat > now + MAX_AHEAD:
            raise refuse("issued in the future (iat)")

    def _check_request(self, claims: dict[str, Any], method: str, path: str, refuse: Any) -> None:
        if claims["htm"] != method:
            raise refuse("htm does not match the request's method")
        htu, expected = claims["htu"], self.origin + path
        if htu == expected:  # as nearly every client sends it: equal, normalised or not
            return
        normal = normalise_url(expected)
        if not isinstance(htu, str) or normal is None or normalise_url(htu) != normal:
            raise refuse("htu does not match the request's URL")

    def _check_ath(self, claims: dict[str, Any], access_token: str | None, refuse: Any) -> None:
        if access_token is None:
            return
        expected = self._hashes.get(access_token)
        if expected is None:
            if len(self._hashes) >= KEY_CACHE_SIZE:
                self._hashes.clear()
            expected = self._hashes[access_token] = token_hash(access_token)
        ath = claims.get("ath")
        if not isinstance(ath, str) or not ath.isascii():
            raise refuse("ath does not match the access token")
        if not hmac.compare_digest(ath.encode(), expected.encode()):
            raise refuse("ath does not match the access token")


def _is_seconds(value: object) -> bool:
    """A finite JSON number a float can hold: JSON integers have no bound, and one past a
    float's range (10**400) would raise OverflowError wherever it met a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _printable_ascii(text: str) -> bool:
    """What a jti is stored as (the store's text columns take no lone surrogate)."""
    return text.isascii() and text.isprintable()


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_part(part: str, refuse: Any) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, RecursionError, binascii.Error):
        raise refuse("a part is not base64url JSON") from None
    if not isinstance(value, dict):
        raise refuse("a part is not a JSON object")
    return value


def _header_jwk(header: dict[str, Any], refuse: Any) -> dict[str, Any]:
    """The header's checks (typ, alg, no crit we cannot honour, a public P-256 jwk)."""
    if header.get("typ") != TYP:
        raise refuse(f'typ must be "{TYP}"')
    if header.get("alg") != ALG:
        raise refuse(f'alg must be "{ALG}"')
    if "crit" in header:
        raise refuse("no crit extension is understood")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
        raise refuse("jwk must be a public key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise refuse("jwk must be an EC P-256 key")
    if not all(isinstance(jwk.get(c), str) for c in ("x", "y")):
        raise refuse("jwk must have x and y")
    return jwk
