"""Authenticating an integrator back-end's signed request (RFC 9421), for every signed route, and
the web services' choice between a bearer token and a signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from ..clients.signatures import COVERED, SignatureVerifier, SignedCaller, call_components
from ..clock import Clock
from ..errors import InvalidClient, InvalidRequest
from ..ratelimit import FailureLimiter
from ..tokens.verification import AccessClaims
from .bearer import BearerBackend, Endpoint, Handler, requires_token
from .responses import read_body

SIGNATURE_HEADERS = ("signature", "signature-input")


class SignedRequests:
    """Integrator back-ends' signed requests, for every signed route: the caller checked, its
    failures braked per client address.

    Failures are counted per client address only, never per claimed key: the key id is public
    (the `client_id` of every token), so braking it would let anyone lock its holder out. The
    limiter is consulted first so that a braked address learns nothing more, not even whether
    this guess was right.
    """

    def __init__(
        self,
        verifier: SignatureVerifier,
        failures: FailureLimiter,
        subject_of: Callable[[Scope], str],
        clock: Clock,
    ) -> None:
        self.verifier = verifier
        self.failures = failures
        self.subject_of = subject_of
        self.clock = clock

    async def authenticate(
        self, request: Request, covered: Sequence[str] = COVERED
    ) -> tuple[SignedCaller, bytes]:
        """The verified caller and the exact body it signed; failures are counted and braked."""
        with self.failures.guarding(self.subject_of(request.scope), counts=InvalidClient):
            body = await read_body(request)
            caller = await self.verifier.verify(
                method=request.method,
                url=url_as_sent(request),
                headers=request.headers.items(),
                body=body,
                covered=covered,
            )
        return caller, body

    async def call(self, request: Request) -> tuple[AccessClaims, Request]:
        """A web-service call signed with an API key (SPEC "Planner web services"): the legal
        entity's rights as claims (read; write only if the entity may write), and the request
        again with the body it signed, for the handler to read."""
        caller, body = await self.authenticate(request, call_components(url_as_sent(request)))
        entity, now = caller.entity, int(self.clock.now())
        claims = AccessClaims(
            subject=entity.id,
            entity_id=entity.id,
            kind="legal_entity",
            rights=("read", "write") if entity.allow_write else ("read",),
            client_id=caller.key.key_id,
            jti="signed",  # no token: one signed request, its nonce spent
            issued_at=now,
            expires_at=now,
            kid="",
        )
        return claims, Request(request.scope, receive=_replay(body))


def url_as_sent(request: Request) -> str:
    """The request's URL with its path as the client sent it: RFC 9421 §2.2.6 signs `@path`
    before any percent-encoded octet is decoded, and ASGI's `path` (so `request.url`) is
    decoded. `raw_path` is what came on the wire."""
    raw_path = request.scope.get("raw_path")
    if raw_path is None:  # a server that does not give it: the best we have
        return str(request.url)
    return str(request.url.replace(path=raw_path.decode("latin-1")))


def is_signed(request: Request) -> bool:
    """Whether the request carries RFC 9421 signature headers (valid or not)."""
    return any(name in request.headers for name in SIGNATURE_HEADERS)


def requires_credentials(
    backend: BearerBackend, signed_requests: SignedRequests, handler: Handler
) -> Endpoint:
    """An endpoint for a bearer token or an API-key signature (never both: which one would
    speak for the call?)."""
    by_token = requires_token(backend, handler)

    async def endpoint(request: Request) -> Response:
        if not is_signed(request):
            return await by_token(request)
        if "authorization" in request.headers:
            raise InvalidRequest("send either a bearer token or a signature, not both")
        claims, signed = await signed_requests.call(request)
        return await handler(signed, claims)

    return endpoint


def _replay(body: bytes) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
