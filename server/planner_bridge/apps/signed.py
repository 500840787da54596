"""Authenticating an integrator back-end's signed request (RFC 9421), for every signed route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.types import Message

from ..core import Core
from ..errors import InvalidClient
from ..signatures import COVERED, SignedCaller, call_components
from ..verification import AccessClaims
from .responses import read_body

SIGNATURE_HEADERS = ("signature", "signature-input")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authenticate_signed(
    request: Request, core: Core, covered: Sequence[str] = COVERED
) -> tuple[SignedCaller, bytes]:
    """The verified caller and the exact body it signed; failures are counted and braked.

    Failures are counted per claimed key and per address; the limiter is consulted first so
    that a locked-out guesser learns nothing more, not even whether this guess was right.
    """
    subjects = (f"addr:{client_address(request)}", f"key:{_claimed_key(request)}")
    core.client_failures.check(*subjects)
    body = await read_body(request)
    try:
        caller = core.signatures.verify(
            method=request.method,
            url=str(request.url),
            headers=request.headers.items(),
            body=body,
            covered=covered,
        )
    except InvalidClient:
        core.client_failures.record_failure(*subjects)
        raise
    return caller, body


def _claimed_key(request: Request) -> str:
    """The keyid the signature claims, for counting only (never trusted)."""
    signature_input = request.headers.get("signature-input", "")
    start = signature_input.find('keyid="')
    if start < 0:
        return "-"
    value = signature_input[start + 7 :].split('"', 1)[0]
    return value[:64]


def is_signed(request: Request) -> bool:
    """Whether the request carries RFC 9421 signature headers (valid or not)."""
    return any(name in request.headers for name in SIGNATURE_HEADERS)


async def signed_call(request: Request, core: Core) -> tuple[AccessClaims, Request]:
    """A web-service call signed with an API key (SPEC "Planner web services"): the legal
    entity's rights as claims (read; write only if the entity may write), and the request
    again with the body it signed, for the handler to read."""
    url = str(request.url)
    caller, body = await authenticate_signed(request, core, call_components(url))
    entity, now = caller.entity, int(core.clock.now())
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


def _replay(body: bytes) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
