"""Authenticating an integrator back-end's signed request (RFC 9421), for every signed route."""

from __future__ import annotations

from starlette.requests import Request

from ..core import Core
from ..errors import InvalidClient
from ..signatures import SignedCaller
from .responses import read_body


async def authenticate_signed(request: Request, core: Core) -> tuple[SignedCaller, bytes]:
    """The verified caller and the exact body it signed; failures are counted and braked.

    Failures are counted per client address only, never per claimed key: the key id is public
    (the `client_id` of every token), so braking it would let anyone lock its holder out. The
    limiter is consulted first so that a braked address learns nothing more, not even whether
    this guess was right.
    """
    subject = core.brake_subject(request.scope)
    core.client_failures.check(subject)
    body = await read_body(request)
    try:
        caller = core.signatures.verify(
            method=request.method, url=str(request.url), headers=request.headers.items(), body=body
        )
    except InvalidClient:
        core.client_failures.record_failure(subject)
        raise
    return caller, body
