"""The token service's grants: who may ask for which token, for how long, and what is answered.

Two ways in, one kind of token out (SPEC "Token service"):
- `/v1/tokens`: a signed JSON body (`signed_tokens.SignedTokenGrant`); the signature itself
  is checked by `signatures`, before anything there runs.
- `/auth/token`: RFC 6749 §4.4 client credentials (`ClientCredentialsGrant`, here), the client
  authenticated by HTTP Basic or by `client_id` and `client_secret` in the form body (§2.3.1,
  `client_secret_post`: SPEC asks for it, for OAuth2 libraries that send only that). Both at
  once is refused with `invalid_request` (§2.3: one authentication method per request).

No HTTP here: `apps/token_service.py` reads requests and writes the answers built here. As in
Authlib (`ClientCredentialsGrant.create_token_response`), the grant runs its own steps on a
parsed request and hands back a `TokenAnswer` (status, body, headers).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from ..clients.entities import EntityRegistry
from ..errors import InvalidClient, InvalidRequest, InvalidScope, UnsupportedGrantType
from ..keys.signing import MintedToken, UnsignedToken
from ..ratelimit import FailureLimiter
from ..settings import Settings
from ..storage import ApiKey, Entity
from .dpop import ProofChecker, check_dpop_policy
from .issuer import RIGHTS, TokenIssuer, parse_rights, scope_of
from .metadata import TOKEN_PATH

MAX_CREDENTIAL = 256  # longer than any key id or secret we issue
FORM_TYPE = "application/x-www-form-urlencoded"
COMMON_FORM = b"grant_type=client_credentials"
NO_CREDENTIALS = ("", "")  # any pair that never matches would do
MAX_ANSWER_TAILS = 64  # one per scope and lifetime is a handful; bounded all the same
# What `JSONResponse(..., headers=NO_STORE)` sends, plus the length added per answer.
ANSWER_HEADERS = (
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
)


# Not frozen: both are made on every token request, and a frozen dataclass's __init__ costs about
# five times a plain one's (0.8 against 0.14 µs).
@dataclasses.dataclass(slots=True)
class TokenAnswer:
    """What a token endpoint answers, for the web layer to send as it is."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    kind: str  # what was minted (legal_entity or user), for the metrics


@dataclasses.dataclass(slots=True)
class FormRequest:
    """A `/auth/token` request as the grant takes it: its three headers, the subject its
    failures count against (the client's address), and how to read its body: called only
    once the brake has let the request through, so a braked address costs no body read."""

    authorization: str | None
    content_type: str | None
    client: str
    read_body: Callable[[], Awaitable[bytes]]  # raises what the server raises if the client left
    dpop: tuple[str, ...] = ()  # the DPoP headers' values (RFC 9449 §5)


def check_rights_allowed(rights: tuple[str, ...], entity: Entity, *, status: int = 403) -> None:
    """Write rights only for entities registered with `--allow-write`."""
    if "write" in rights and not entity.allow_write:
        raise InvalidScope("this legal entity may not ask for write rights", status_code=status)


# -- OAuth2 client credentials (RFC 6749 §4.4) -----------------------------------------------


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client id, secret) from `Authorization: Basic ...`, form-decoded (§2.3.1); else None."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, ValueError):  # ValueError also covers non-ASCII and bad UTF-8
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        return None
    if "%" not in decoded and "+" not in decoded:  # what our own ids and secrets look like
        return client_id, secret
    return unquote_plus(client_id), unquote_plus(secret)


def posted_credentials(authorization: str | None, form: dict[str, str]) -> tuple[str, str] | None:
    """(client id, secret) sent as `client_secret_post`, or None when the body has no secret."""
    if "client_secret" not in form:
        return None
    if authorization:
        raise InvalidRequest(
            "client credentials must be sent once: in the Authorization header or the body"
        )
    client_id = form.get("client_id")
    if not client_id:
        raise InvalidRequest("client_id is missing (client_secret_post needs both)")
    return client_id, form["client_secret"]


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body; any parameter sent twice is refused (§3.2)."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise InvalidRequest(f"the body must be {FORM_TYPE}")
    if body == COMMON_FORM:  # what nearly every client sends: parse_qsl's answer, known ahead
        return {"grant_type": "client_credentials"}
    try:
        pairs = parse_qsl(
            body.decode(), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except ValueError:  # also UnicodeDecodeError
        raise InvalidRequest("the form body is malformed") from None
    form = dict(pairs)
    if len(form) != len(pairs):
        raise InvalidRequest("a parameter was sent more than once")
    return form


class ClientCredentialsGrant:
    """Client authentication by API key and secret, and the legal-entity token it earns."""

    def __init__(
        self,
        entities: EntityRegistry,
        issuer: TokenIssuer,
        settings: Settings,
        failures: FailureLimiter,
        proofs: ProofChecker | None = None,
    ) -> None:
        self.entities = entities
        self.proofs = proofs
        self.issuer = issuer
        self.lifetime = settings.default_token_ttl
        # Failed client authentications, counted per client address only: a key id is public.
        # Given, not made here: the process shares one limiter between its grant paths.
        self.failures = failures
        self._tails: dict[tuple[Any, ...], bytes] = {}

    async def create_token_response(self, request: FormRequest) -> TokenAnswer:
        """RFC 6749 §4.4.2-3: the form, the client, the token, signed. Refusals are raised
        (`errors`), as Authlib's grants do."""
        with self.failures.guarding(request.client, counts=InvalidClient):
            form = parse_form(request.content_type, await request.read_body())
            credentials = posted_credentials(request.authorization, form) or basic_credentials(
                request.authorization
            )
            rights = self.validate_form(form)
            key, entity = await self.authenticate(credentials)
        jkt = await self._bound_key(request.dpop, entity)
        unsigned = self.prepare(rights, form, key, entity, jkt)
        # `unsigned.sign()`, one coroutine fewer: the signer's future, batched with the
        # others of this loop turn (`SigningBatch`).
        minted = unsigned.signed(await unsigned.signer.sign(unsigned.signing_input))
        answer = self._render(token_endpoint_answer(minted, rights, bound=jkt is not None))
        length = (b"content-length", b"%d" % len(answer))
        return TokenAnswer(200, answer, (*ANSWER_HEADERS, length), "legal_entity")

    async def _bound_key(self, dpop: tuple[str, ...], entity: Entity) -> str | None:
        """The DPoP key the token is to be bound to, from the request's proof, if any."""
        jkt = None
        if self.proofs is not None:  # it answers None when no DPoP header came
            jkt = await self.proofs.key_for_token(dpop, path=TOKEN_PATH)
        check_dpop_policy(entity, jkt is not None)
        return jkt

    def _render(self, answer: dict[str, Any]) -> bytes:
        """The answer as `JSONResponse` would render it. The token is a compact JWS (base64url
        and dots, which JSON never escapes) and goes in as it is; the other members are the
        same for every token of a given scope, so they are rendered once per scope."""
        token: str = answer.pop("access_token")
        rest = tuple(answer.items())
        tail = self._tails.get(rest)
        if tail is None:
            tail = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))[1:].encode()
            if len(self._tails) >= MAX_ANSWER_TAILS:
                self._tails.clear()
            self._tails[rest] = tail
        return b'{"access_token":"%s",%s' % (token.encode(), tail)

    def validate_form(self, form: dict[str, str]) -> tuple[str, ...]:
        """The rights asked for; raises for a form this grant does not take."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequest("grant_type is missing")
        if grant_type != "client_credentials":
            raise UnsupportedGrantType("only grant_type=client_credentials is supported")
        return self._rights(form.get("scope"))

    @staticmethod
    def _rights(scope: str | None) -> tuple[str, ...]:
        if not scope:  # absent or empty
            return ("read",)  # parse_rights' default
        asked = scope.split()
        unknown = set(asked) - set(RIGHTS)
        if unknown:
            raise InvalidScope(f"unknown scope {sorted(unknown)[0]!r}", status_code=400)
        return parse_rights(asked or None)

    async def authenticate(self, credentials: tuple[str, str] | None) -> tuple[ApiKey, Entity]:
        """The active key and its entity; unknown key and wrong secret fail identically.

        The secret is derived from the key id, so it is checked first, with no database
        lookup at all: an unknown key and a wrong secret cost exactly the same work.
        """
        # A missing or overlong credential still pays for one derivation and one comparison.
        client_id, secret = credentials or NO_CREDENTIALS
        matches = self.entities.deriver.matches(client_id[:MAX_CREDENTIAL], secret)
        if not matches or len(client_id) > MAX_CREDENTIAL or len(secret) > MAX_CREDENTIAL:
            raise InvalidClient("client authentication failed", scheme="Basic")
        # Remembered a second (EntityRegistry.recent_active_key): no I/O on the hot path.
        found = await self.entities.recent_active_key(client_id)
        if found is None:  # a revoked key, or one whose entity is gone
            raise InvalidClient("client authentication failed", scheme="Basic")
        self.entities.note_use(found[0])
        return found

    def prepare(
        self,
        rights: tuple[str, ...],
        form: dict[str, str],
        key: ApiKey,
        entity: Entity,
        jkt: str | None = None,
    ) -> UnsignedToken:
        """The token to answer with, all but signed (the endpoint signs in batches, then answers
        with `token_endpoint_answer`)."""
        if form.get("client_id", key.key_id) != key.key_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        check_rights_allowed(rights, entity, status=400)  # RFC 6749 §5.2: 400 at this endpoint
        return self.issuer.prepare_access_token(
            entity_id=entity.id,
            client_id=key.key_id,
            rights=rights,
            lifetime=self.lifetime,
            jkt=jkt,
        )


def token_endpoint_answer(
    minted: MintedToken, rights: tuple[str, ...], *, bound: bool
) -> dict[str, Any]:
    return {
        "access_token": minted.token,
        "token_type": "DPoP" if bound else "Bearer",
        "expires_in": minted.expires_in,
        "scope": scope_of(rights),
    }
