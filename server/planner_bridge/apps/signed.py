"""Authenticating an integrator back-end's signed request (RFC 9421), for every signed route, and
the web services' choice between a bearer token and a signature."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from ..clients.signatures import (
    COVERED,
    SignatureVerifier,
    SignedCaller,
    call_components,
    header_fields,
)
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
        fields = header_fields(request.headers.items())
        read = functools.partial(read_body, request)
        return await self.authenticate_scope(request.scope, fields, read, covered)

    async def authenticate_scope(
        self,
        scope: Scope,
        fields: dict[str, str],
        read_body: Callable[[], Awaitable[bytes]],
        covered: Sequence[str] = COVERED,
    ) -> tuple[SignedCaller, bytes]:
        """`authenticate` for a bare ASGI endpoint: the scope, its fields (`header_fields`)
        and how to read the body, which is read only once the brake let the caller through."""
        with self.failures.guarding(self.subject_of(scope), counts=InvalidClient):
            body = await read_body()
            caller = await self.verifier.verify_fields(
                scope["method"], target_as_sent(scope), fields, body, covered
            )
        return caller, body

    async def call(self, request: Request) -> tuple[AccessClaims, Request]:
        """A web-service call signed with an API key (SPEC "Planner web services"): the legal
        entity's rights as claims (read; write only if the entity may write), and the request
        again with the body it signed, for the handler to read."""
        _, query = target_as_sent(request.scope)
        caller, body = await self.authenticate(request, call_components(query))
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


def target_as_sent(scope: Scope) -> tuple[str, str]:
    """The request's path and query as the client sent them: RFC 9421 §2.2.6 signs `@path`
    before any percent-encoded octet is decoded, and ASGI's `path` is decoded; `raw_path` is
    what came on the wire. Taken from the scope alone: the Host header (not signed) has no say
    in either, as it had when a URL was built from it and split again."""
    raw_path = scope.get("raw_path")  # None from a server that does not give it: then the
    path = scope["path"] if raw_path is None else raw_path.decode("latin-1")  # best we have
    return path or "/", scope.get("query_string", b"").decode("latin-1")


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
