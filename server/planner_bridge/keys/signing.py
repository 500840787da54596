"""How a compact JWS is produced, fast. Every signature goes through a `Signer` (`kid`, `alg`,
`public_jwk()`, `async sign(data)`): `LocalSigner` signs with a key of the ring in this process
(ES256 signatures converted to JWS's r || s, low-S only; the signatures asked for in one turn of
the event loop made together, `SigningBatch`); a KMS or HSM can implement it without any change
to the token code. `CompactSigner` keeps the encoded header per key.

What goes into a token (its claims, its `typ`) is `tokens`' business; this module only turns a
header and a JSON payload into `header.payload.signature`, exactly as `jwt.encode` would.
"""

from __future__ import annotations

import asyncio
import binascii
import dataclasses
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

URLSAFE = bytes.maketrans(b"+/", b"-_")

Sign = Callable[[bytes], bytes]
# The order n of each curve's group. ECDSA's (r, s) and (r, n - s) both verify, so one token
# could be written as two strings; we sign with s ≤ n/2 only (low-S) and every verifier refuses
# the other (`is_high_s`): one token, exactly one string (RFC 8725 asks verifiers to be strict).
CURVE_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "C7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "secp521r1": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA"
        "51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}


# Not frozen: one of each is made per token, and a frozen dataclass's __init__ costs about five
# times a plain one's (as `client_credentials.TokenAnswer` says); nothing changes them.
@dataclasses.dataclass(slots=True)
class MintedToken:
    token: str
    jti: str
    issued_at: int
    expires_at: int

    @property
    def expires_in(self) -> int:
        return self.expires_at - self.issued_at


class Signer(Protocol):
    """What signs tokens with one key: its id and algorithm (the JWS header's `kid` and `alg`),
    its public half as a JWK, and the signature of a JWS signing input (as JWS wants it: for
    ECDSA r || s in low-S form, see `CURVE_ORDERS`): an awaitable, so a coroutine or a future."""

    @property
    def kid(self) -> str: ...
    @property
    def alg(self) -> str: ...
    def public_jwk(self) -> dict[str, Any]: ...
    def sign(self, data: bytes) -> Awaitable[bytes]: ...


def public_jwk(kid: str, alg: str, public_key: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(public_key))
    jwk.update(kid=kid, alg=alg, use="sig")
    return jwk


class LocalSigner:
    """A `Signer` over a private key held in this process."""

    def __init__(self, kid: str, alg: str, private_key: Any) -> None:
        self.kid, self.alg = kid, alg
        self._public_jwk = public_jwk(kid, alg, private_key.public_key())
        self.sign_now = key_signer(jwt.get_algorithm_by_name(alg), private_key)
        self._batch = SigningBatch()

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._public_jwk)

    def sign(self, data: bytes) -> Awaitable[bytes]:
        """The batch's future itself: no coroutine of its own to make and resume per token."""
        return self._batch.sign(data, self.sign_now)


@dataclasses.dataclass(slots=True)
class UnsignedToken:
    """A token's signing input and the signer its header names."""

    signing_input: bytes
    signer: Signer
    jti: str
    issued_at: int
    expires_at: int

    async def sign(self) -> MintedToken:
        return self.signed(await self.signer.sign(self.signing_input))

    def signed(self, signature: bytes) -> MintedToken:
        token = (self.signing_input + b"." + b64url_segment(signature)).decode("ascii")
        return MintedToken(token, self.jti, self.issued_at, self.expires_at)


class CompactSigner:
    """Compact JWS signing inputs for the JSON payloads it is given, as `jwt.encode` makes
    them, minus its per-call work: the encoded header is made once per key and `typ` (the
    token endpoint's hot path; PyJWT's generic encode costs about as much again as signing)."""

    def __init__(self) -> None:
        self._headers: dict[tuple[str, str, str], bytes] = {}

    def signing_input(self, signer: Signer, typ: str, payload: bytes) -> bytes:
        """`header.payload`, for `signer` to sign."""
        header = self._headers.get((signer.kid, signer.alg, typ))
        if header is None:
            fields = {"alg": signer.alg, "kid": signer.kid, "typ": typ}
            header = b64url_segment(json.dumps(fields, separators=(",", ":")).encode()) + b"."
            self._headers[(signer.kid, signer.alg, typ)] = header
        return header + b64url_segment(payload)


def key_signer(algorithm: Any, private_key: Any) -> Sign:
    """PyJWT's `algorithm.sign`, bound to one key.

    For ECDSA it takes PyJWT's own two steps (cryptography's DER signature, then r || s at the
    curve's size, RFC 7518 §3.4) with the hash, ECDSA and curve objects made once rather than
    on every call: that per-call setup cost a third as much again as the signature itself.
    The signature is then put in low-S form (see `CURVE_ORDERS`).
    """
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        return functools.partial(algorithm.sign, key=private_key)
    ecdsa = ec.ECDSA(algorithm.hash_alg())
    size = (private_key.curve.key_size + 7) // 8
    order = CURVE_ORDERS[private_key.curve.name]  # KeyError: a curve we cannot sign low-S

    def sign(signing_input: bytes) -> bytes:
        return raw_ecdsa_signature(private_key.sign(signing_input, ecdsa), size, order)

    return sign


def raw_ecdsa_signature(der: bytes, size: int, order: int) -> bytes:
    """A DER ECDSA signature as JWS wants it: r and s, each big-endian in `size` bytes, with
    s replaced by n - s when it is in the upper half (the same signature, its low-S form)."""
    r, s = decode_dss_signature(der)
    if s > order // 2:
        s = order - s
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def is_high_s(signature: bytes, curve: ec.EllipticCurve) -> bool:
    """Whether a JWS ECDSA signature (r || s) is not in low-S form, so is to be refused. A
    signature of the wrong length is left to the signature check; an unknown curve is high."""
    order = CURVE_ORDERS.get(curve.name)
    if order is None:
        return True
    size = (curve.key_size + 7) // 8
    return len(signature) == 2 * size and int.from_bytes(signature[size:], "big") > order // 2


def b64url_segment(data: bytes) -> bytes:
    """Unpadded base64url as bytes: `credentials.b64url` without the detour through str and
    the `base64` module's wrappers, for the hot path."""
    return binascii.b2a_base64(data, newline=False).translate(URLSAFE).rstrip(b"=")


class SigningBatch:
    """Signatures made back to back, once per turn of the event loop.

    Why: an ES256 signature that costs ~22 µs in a tight loop costs ~35 µs between other
    requests' work here, its tables having left the CPU caches. So the tokens of requests that
    arrived together are signed together (measured: ~13 µs less server CPU per answer);
    a lone request waits one loop turn, nothing more.
    """

    def __init__(self) -> None:
        self._queue: list[tuple[bytes, Sign, asyncio.Future[bytes]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def sign(self, data: bytes, sign: Sign) -> asyncio.Future[bytes]:
        """The future of `sign(data)`, made at the end of this loop turn with the others; a
        plain method, not a coroutine: one frame fewer to resume in every token request."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        if self._queue and loop is not self._loop:  # another loop's batch: never mix them
            _settle(future, sign, data)
            return future
        if not self._queue:
            self._loop = loop
            loop.call_soon(self._sign_all)
        self._queue.append((data, sign, future))
        return future

    def _sign_all(self) -> None:
        queue, self._queue = self._queue, []
        for data, sign, future in queue:
            if not future.cancelled():
                _settle(future, sign, data)


def _settle(future: asyncio.Future[bytes], sign: Sign, data: bytes) -> None:
    try:
        future.set_result(sign(data))
    except Exception as exc:  # reaches its own request only, as if signed there
        future.set_exception(exc)
