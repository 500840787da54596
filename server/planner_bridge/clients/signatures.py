"""RFC 9421 HTTP message signatures for requests from an integrator's back-end (SPEC: /v1/tokens).

Algorithm `hmac-sha256`, `keyid` = API key, covered `"@method" "@path" "content-digest"`
(RFC 9530, sha-256), parameters `created` and `nonce` (and optionally `expires`), the HMAC key
being the secret's UTF-8 bytes; exactly one signature per request. Requests are signed with the
`http-message-signatures` library; they are verified here, on the hot path of every signed
request: the fields parsed once (`signature_fields`), the signature base built for the
components SPEC names, the HMAC compared in constant time. (The library's general verifier
parsed the same fields some fourteen times a request; the tests hold both to the same answers.)
Then our policy: the clock window (300 s old, 30 s ahead, on the injected clock), `expires`
honoured with no leeway, single-use nonces, and who the key belongs to. Unknown key and wrong
secret fail alike, so a caller cannot probe which keys exist.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from ..clock import Clock
from ..errors import InvalidClient
from ..storage import ApiKey, Conflict, Entity, Store
from .entities import EntityRegistry
from .signature_fields import (
    MalformedSignature,
    SignatureInput,
    parse_content_digest,
    parse_signature,
)

COVERED = ("@method", "@path", "content-digest")
# A web-service call (SPEC "Planner web services") covers these, plus "@query" when the URL has
# one, and "content-digest" whenever there is a body.
COVERED_CALL = ("@method", "@path")
ALGORITHM = "hmac-sha256"
MAX_AGE = 300
MAX_AHEAD = 30
MAX_NONCE_LENGTH = 128
CHALLENGE = 'Signature realm="planner-bridge"'
DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
# RFC 9421 §2.5: a field value in the signature base is visible ASCII, spaces and tabs; a
# derived one (a method, an absolute path, a query) has no space at all.
FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
DERIVED_VALUE = re.compile(r"[\x21-\x7e]+")


@dataclasses.dataclass
class _Message:
    """The request shape the library's signer reads: method, absolute URL and headers."""

    method: str
    url: str
    headers: dict[str, str]


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
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: secret.encode()}),
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

    async def verify(
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
        parts = urlsplit(url)
        target = (parts.path or "/", parts.query)
        return await self.verify_fields(method, target, header_fields(headers), body, covered)

    async def verify_fields(
        self,
        method: str,
        target: tuple[str, str],
        fields: dict[str, str],
        body: bytes,
        covered: Sequence[str] = COVERED,
    ) -> SignedCaller:
        """`verify`, for a caller that has the path and query as sent (`target`) and the
        fields as `header_fields` makes them: no URL built only to be split again."""
        try:
            signed = self._verified(method.upper(), target, fields, body, covered)
        except MalformedSignature:
            raise InvalidClient("request signature is invalid", scheme=CHALLENGE) from None
        params = signed.parameters
        self._check_window(params.get("created"), params.get("expires"))
        key_id = str(params["keyid"])
        await self._spend_nonce(key_id, params.get("nonce"))
        found = await self.entities.recent_active_key(key_id)
        if found is None:  # unknown, or revoked
            raise InvalidClient("request signature is invalid", scheme=CHALLENGE)
        self.entities.note_use(found[0])
        return SignedCaller(*found)

    def _verified(
        self,
        method: str,
        target: tuple[str, str],
        fields: dict[str, str],
        body: bytes,
        covered: Sequence[str],
    ) -> SignatureInput:
        """The signature, once its HMAC over the covered components and its digest hold.
        The secret is derived from the key id, with no database read: whether the key exists
        and is active is asked only afterwards, so an unknown key fails as a wrong secret."""
        signed = parse_signature(fields.get("signature-input"), fields.get("signature"))
        if signed.parameters.get("alg", ALGORITHM) != ALGORITHM:
            raise MalformedSignature
        if not set(covered) <= set(signed.components):
            raise MalformedSignature
        base = signature_base(signed, method, target, fields)
        # Derived on every request, never kept: a secret remembered for a key that signed
        # lately would answer faster, and so tell a prober which key ids are in use.
        secret = self.entities.deriver.secret_for(str(signed.parameters["keyid"])).encode()
        if not hmac.compare_digest(hmac.digest(secret, base, "sha256"), signed.signature):
            raise MalformedSignature
        _check_digest(signed, fields, body)
        return signed

    def _check_window(self, created: int | str | None, expires: int | str | None) -> None:
        """The parser let only integers through as `created` and `expires`, when present."""
        now = self.clock.now()
        if not isinstance(created, int):
            raise InvalidClient("signature needs a created parameter", scheme=CHALLENGE)
        if created < now - MAX_AGE:
            raise InvalidClient("signature is too old", scheme=CHALLENGE)
        if created > now + MAX_AHEAD:
            raise InvalidClient("signature is dated in the future", scheme=CHALLENGE)
        if isinstance(expires, int):
            self._check_expires(created, expires, now)

    def _check_expires(self, created: int, expires: int, now: float) -> None:
        """RFC 9421 §2.3: past `expires`, the signature is refused. No leeway (unlike
        `created`'s MAX_AHEAD): a signer whose clock runs fast only sets a later expiry, and one
        whose clock runs slow chose an expiry that has passed on ours."""
        if expires < created:
            raise InvalidClient("signature expires before it was created", scheme=CHALLENGE)
        if expires < now:
            raise InvalidClient("signature has expired", scheme=CHALLENGE)

    async def _spend_nonce(self, key_id: str, nonce: object) -> None:
        if not isinstance(nonce, str) or not 8 <= len(nonce) <= MAX_NONCE_LENGTH:
            raise InvalidClient("signature needs a nonce of 8 to 128 characters", scheme=CHALLENGE)
        now = self.clock.now()
        try:
            # Held past the window: after that the `created` check refuses a replay anyway.
            await self.store.remember_nonce(key_id, nonce, now + MAX_AGE + MAX_AHEAD, now)
        except Conflict:
            raise InvalidClient("signature nonce was already used", scheme=CHALLENGE) from None


def signature_base(
    signed: SignatureInput, method: str, target: tuple[str, str], fields: dict[str, str]
) -> bytes:
    """RFC 9421 §2.5: one line per covered component, then "@signature-params". Of the derived
    components, those SPEC asks for (`target`: the path and query as sent); of the fields, any
    the request carries."""
    path, query = target
    derived = {"@method": method, "@path": path, "@query": "?" + query}
    lines = []
    for name in signed.components:
        if name[0] == "@":
            value = derived.get(name)
            if value is None or not _is_derived_value(value):
                raise MalformedSignature
        else:
            value = fields.get(name)
            if value is None or not _is_field_value(value):
                raise MalformedSignature
        lines.append(f'"{name}": {value}\n')
    lines.append(f'"@signature-params": {signed.serialized}')
    return "".join(lines).encode()


def _is_field_value(value: str) -> bool:
    """FIELD_VALUE, asked of str's own tests first (ASCII and printable is \\x20-\\x7e), which
    take a tenth of the pattern's time; only a value with a tab in it goes to the pattern."""
    return value.isascii() and (value.isprintable() or bool(FIELD_VALUE.fullmatch(value)))


def _is_derived_value(value: str) -> bool:
    """DERIVED_VALUE (\\x21-\\x7e, at least one) by the same tests: printable ASCII, no space."""
    return value.isascii() and value.isprintable() and value != "" and " " not in value


def _check_digest(signed: SignatureInput, fields: dict[str, str], body: bytes) -> None:
    """RFC 9530: a body is accepted only under a covered Content-Digest that matches it, every
    digest the field holds; a digest sent uncovered is refused as well."""
    if "content-digest" not in signed.components:
        if body or "content-digest" in fields:
            raise MalformedSignature
        return
    for algorithm, digest in parse_content_digest(fields["content-digest"]).items():
        if not hmac.compare_digest(digest, DIGESTS[algorithm](body).digest()):
            raise MalformedSignature


def header_fields(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each field by lowercase name, its lines trimmed and joined (RFC 9421 §2.1)."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        name, value = name.lower(), value.strip(" \t")
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


def call_components(query: str) -> tuple[str, ...]:
    """What a signed web-service call must cover: `COVERED_CALL`, and "@query" when the URL
    has a query (else a changed query would go unnoticed)."""
    return (*COVERED_CALL, "@query") if query else COVERED_CALL
