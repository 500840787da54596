"""Authenticating an integrator back-end's signed request (RFC 9421), for every signed route."""

from __future__ import annotations

from starlette.requests import Request

from ..core import Core
from ..errors import InvalidClient
from ..signatures import SignedCaller
from .responses import read_body


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authenticate_signed(request: Request, core: Core) -> tuple[SignedCaller, bytes]:
    """The verified caller and the exact body it signed; failures are counted and braked.

    Failures are counted per claimed key and per address; the limiter is consulted first so
    that a locked-out guesser learns nothing more, not even whether this guess was right.
    """
    subjects = (f"addr:{client_address(request)}", f"key:{_claimed_key(request)}")
    core.client_failures.check(*subjects)
    body = await read_body(request)
    try:
        caller = await core.signatures.verify(
            method=request.method, url=str(request.url), headers=request.headers.items(), body=body
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
