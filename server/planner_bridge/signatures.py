"""RFC 9421 HTTP message signatures for requests from an integrator's back-end (SPEC: /v1/tokens).

Algorithm `hmac-sha256`, `keyid` = API key, covered `"@method" "@path" "content-digest"`
(RFC 9530, sha-256), parameters `created` and `nonce` (and optionally `expires`), the HMAC key
being the secret's UTF-8 bytes; exactly one signature per request. Parsing, signature bases and
digests are the `http-message-signatures` library's; this module adds our policy: the clock
window (300 s old, 30 s ahead, on the injected clock), `expires` honoured with no leeway,
single-use nonces, and who the key belongs to. Unknown key and wrong secret fail alike, so a
caller cannot probe which keys exist.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.resolvers import HTTPSignatureKeyResolver

from .clock import Clock
from .entities import EntityRegistry
from .errors import InvalidClient
from .store import ApiKey, Conflict, Entity, Store

COVERED = ("@method", "@path", "content-digest")
# A web-service call (SPEC "Planner web services") covers these, plus "@query" when the URL has
# one; the body's "content-digest" is required by the library whenever there is a body.
COVERED_CALL = ("@method", "@path")
MAX_AGE = 300
MAX_AHEAD = 30
MAX_NONCE_LENGTH = 128
CHALLENGE = 'Signature realm="planner-bridge"'


@dataclasses.dataclass
class _Message:
    """The request shape the library reads: method, absolute URL and header pairs."""

    method: str
    url: str
    headers: Any


class _SecretResolver(HTTPSignatureKeyResolver):
    def __init__(self, lookup: Any) -> None:
        self.lookup = lookup

    def resolve_public_key(self, key_id: str) -> bytes | None:
        secret: str | None = self.lookup(key_id)
        return secret.encode() if secret is not None else None

    def resolve_private_key(self, key_id: str) -> bytes:
        secret: str | None = self.lookup(key_id)
        if secret is None:
            raise KeyError(key_id)
        return secret.encode()


class _Verifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        """Both are checked by `SignatureVerifier._check_window`, on the injected clock."""


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes,
    key_id: str,
    secret: str,
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    label: str = "sig",
) -> dict[str, str]:
    """The headers (Content-Digest, Signature-Input, Signature) that sign this request;
    `created` defaults to now, and there is no `expires` unless one is given."""
    message = _Message(method.upper(), url, {})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=_SecretResolver(lambda k: secret if k == key_id else None),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=_datetime(created),
        expires=_datetime(expires),
        nonce=nonce or secrets.token_urlsafe(16),
        label=label,
        covered_component_ids=COVERED,
        body=body,
    )
    return dict(message.headers)


def _datetime(timestamp: int | None) -> datetime.datetime | None:
    return None if timestamp is None else datetime.datetime.fromtimestamp(timestamp, datetime.UTC)


@dataclasses.dataclass(frozen=True)
class SignedCaller:
    key: ApiKey
    entity: Entity


class SignatureVerifier:
    def __init__(self, entities: EntityRegistry, store: Store, clock: Clock) -> None:
        self.entities = entities
        self.store = store
        self.clock = clock
        self._verifier = _Verifier(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=_SecretResolver(self._secret_of_active_key),
        )

    def _secret_of_active_key(self, key_id: str) -> str | None:
        if not isinstance(key_id, str) or self.entities.active_key(key_id) is None:
            return None
        return self.entities.deriver.secret_for(key_id)

    def verify(
        self,
        *,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        covered: Sequence[str] = COVERED,
    ) -> SignedCaller:
        """Who signed this request; raises InvalidClient for any failure, minting nothing.
        `covered`: the components the signature must cover (the token routes' by default)."""
        message = _Message(method.upper(), url, _HeaderPairs(headers))
        try:
            (result,) = self._verifier.verify(
                message, max_age=None, require_components=tuple(covered), body=body
            )
        except (HTTPMessageSignaturesException, ValueError):
            raise InvalidClient("request signature is invalid", scheme=CHALLENGE) from None
        params = result.parameters
        self._check_window(params.get("created"), params.get("expires"))
        key_id = str(params["keyid"])
        self._spend_nonce(key_id, params.get("nonce"))
        found = self.entities.active_key(key_id)
        if found is None:  # revoked between the signature check and now
            raise InvalidClient("request signature is invalid", scheme=CHALLENGE)
        self.entities.note_use(found[0])
        return SignedCaller(*found)

    def _check_window(self, created: object, expires: object) -> None:
        now = self.clock.now()
        if not _is_integer(created):
            raise InvalidClient("signature needs a created parameter", scheme=CHALLENGE)
        if created < now - MAX_AGE:
            raise InvalidClient("signature is too old", scheme=CHALLENGE)
        if created > now + MAX_AHEAD:
            raise InvalidClient("signature is dated in the future", scheme=CHALLENGE)
        if expires is not None:
            self._check_expires(created, expires, now)

    def _check_expires(self, created: int, expires: object, now: float) -> None:
        """RFC 9421 §2.3: past `expires`, the signature is refused. No leeway (unlike
        `created`'s MAX_AHEAD): a signer whose clock runs fast only sets a later expiry, and one
        whose clock runs slow chose an expiry that has passed on ours. (The library already
        refuses a non-integer; the check here keeps our policy whole without it.)"""
        if not _is_integer(expires):
            raise InvalidClient("signature expires must be an integer", scheme=CHALLENGE)
        if expires < created:
            raise InvalidClient("signature expires before it was created", scheme=CHALLENGE)
        if expires < now:
            raise InvalidClient("signature has expired", scheme=CHALLENGE)

    def _spend_nonce(self, key_id: str, nonce: object) -> None:
        if not isinstance(nonce, str) or not 8 <= len(nonce) <= MAX_NONCE_LENGTH:
            raise InvalidClient("signature needs a nonce of 8 to 128 characters", scheme=CHALLENGE)
        now = self.clock.now()
        try:
            # Held past the window: after that the `created` check refuses a replay anyway.
            self.store.remember_nonce(key_id, nonce, now + MAX_AGE + MAX_AHEAD, now)
        except Conflict:
            raise InvalidClient("signature nonce was already used", scheme=CHALLENGE) from None


def call_components(url: str) -> tuple[str, ...]:
    """What a signed web-service call must cover: `COVERED_CALL`, and "@query" when the URL
    has a query (else a changed query would go unnoticed)."""
    return (*COVERED_CALL, "@query") if urlsplit(url).query else COVERED_CALL


def _is_integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class _HeaderPairs:
    """Header field lines in wire order, as the library wants them (`items()`)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def items(self) -> list[tuple[str, str]]:
        return self._pairs

    def __iter__(self) -> Any:
        return iter(name for name, _ in self._pairs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._pairs)

    def __getitem__(self, name: str) -> str:
        values = [v for n, v in self._pairs if n.lower() == name.lower()]
        if not values:
            raise KeyError(name)
        return ", ".join(values)
