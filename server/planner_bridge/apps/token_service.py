"""The token service's HTTP face: `/v1/tokens`, `/auth/token`, the JWKS and RFC 8414 metadata.

The rules live in `grants`; this module only reads requests and writes answers. `/auth/token`
is the hot path: see `ClientCredentialsEndpoint` for why it is a bare ASGI app.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..core import Core
from ..errors import InvalidClient, InvalidRequest, PayloadTooLarge, ProtocolError
from ..grants import (
    ClientCredentialsGrant,
    basic_credentials,
    check_rights_allowed,
    issue_token,
    parse_form,
    parse_token_request,
    posted_credentials,
    token_endpoint_answer,
)
from ..metadata import (
    JWKS_PATH,
    METADATA_PATH,
    SIGNED_TOKEN_PATH,
    TOKEN_PATH,
    authorization_server_metadata,
)
from ..metrics import CLIENT_CREDENTIALS, SIGNED_REQUEST
from ..signing import SigningBatch
from .observed import note_minted
from .responses import NO_STORE, error_response, parse_json_object
from .signed import authenticate_signed

MAX_FORM_BODY = 4096
MAX_ANSWER_TAILS = 64  # one per scope and lifetime is a handful; bounded all the same
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
# What `JSONResponse(..., headers=NO_STORE)` sends, plus the length added per answer.
TOKEN_ANSWER_HEADERS = (
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
)


class TokenService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.grant = ClientCredentialsGrant(core.entities, core.issuer, core.settings)
        self.client_credentials = ClientCredentialsEndpoint(core, self.grant)

    async def signed_token(self, request: Request) -> Response:
        caller, body = await authenticate_signed(request, self.core)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            raise InvalidRequest("the body must be application/json")
        asked = parse_token_request(parse_json_object(body), self.core.settings)
        check_rights_allowed(asked.rights, caller.entity)
        answer = issue_token(self.core.issuer, caller.key, asked)
        note_minted(request.scope, asked.kind, SIGNED_REQUEST)
        return JSONResponse(answer, status_code=201, headers=NO_STORE)

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.core.keyring.jwks(), headers=PUBLIC_CACHE)

    async def metadata(self, request: Request) -> Response:
        body = authorization_server_metadata(self.core.settings.issuer)
        return JSONResponse(body, headers=PUBLIC_CACHE)


class ClientCredentialsEndpoint:
    """`POST /auth/token` as a bare ASGI app, still matched (and 405 answered) by the router.

    Why bare: one ES256 signature (~22 µs) is the only work this endpoint must do, and
    Starlette's Request, Headers, body stream and JSONResponse added ~16 µs to the ~50 µs an
    answer takes in-process (measured on this same code as a function endpoint). So it takes
    its three headers straight from the scope, the body from `receive`, and sends its answer
    itself. Every refusal is still rendered by `responses.error_response`, the one error
    renderer, exactly as the app's exception handler would render it. Signatures go through a
    `SigningBatch`: the ones asked for in the same turn of the event loop are made together.
    """

    def __init__(self, core: Core, grant: ClientCredentialsGrant) -> None:
        self.grant = grant
        self.failures = core.client_failures
        self.brake_subject = core.brake_subject
        self._tails: dict[tuple[Any, ...], bytes] = {}
        self.signatures = SigningBatch()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            answer = await self._answer(scope, receive)
        except ProtocolError as exc:
            await error_response(exc)(scope, receive, send)
            return
        if answer is not None:  # None: the client left before its body arrived
            headers = [*TOKEN_ANSWER_HEADERS, (b"content-length", b"%d" % len(answer))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": answer})

    async def _answer(self, scope: Scope, receive: Receive) -> bytes | None:
        """The JSON answer; the limiter is consulted before the body is even read."""
        authorization, content_type, length = _token_headers(scope["headers"])
        credentials = basic_credentials(authorization)
        # The client's address, never the key it claims: a public key id must not let a
        # stranger lock out its holder.
        subject = self.brake_subject(scope)
        self.failures.check(subject)
        body = await _read_form_body(receive, length)
        if body is None:
            return None
        form = parse_form(content_type, body)
        posted = posted_credentials(authorization, form)
        if posted is not None:  # client_secret_post: the credentials came in the body
            credentials = posted
        rights = self.grant.validate_form(form)
        try:
            key, entity = self.grant.authenticate(credentials)
        except InvalidClient:
            self.failures.record_failure(subject)
            raise
        unsigned = self.grant.prepare(rights, form, key, entity)
        minted = unsigned.signed(await self.signatures.sign(unsigned))
        note_minted(scope, "legal_entity", CLIENT_CREDENTIALS)
        return self._render(token_endpoint_answer(minted, rights))

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


def _token_headers(
    raw: Iterable[tuple[bytes, bytes]],
) -> tuple[str | None, str | None, bytes | None]:
    """Authorization, Content-Type and Content-Length; the first of each, as Starlette reads
    them (ASGI servers hand over lower-cased names)."""
    authorization = content_type = length = None
    for name, value in raw:
        if name == b"authorization":
            authorization = value.decode("latin-1") if authorization is None else authorization
        elif name == b"content-type":
            content_type = value.decode("latin-1") if content_type is None else content_type
        elif name == b"content-length":
            length = value if length is None else length
    return authorization, content_type, length


async def _read_form_body(receive: Receive, declared: bytes | None) -> bytes | None:
    """The whole body, refused with 413 past `MAX_FORM_BODY`; None if the client left."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BODY:
        raise PayloadTooLarge(f"body is larger than {MAX_FORM_BODY} bytes")
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            return None
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BODY:
            raise PayloadTooLarge(f"body is larger than {MAX_FORM_BODY} bytes")
        if not message.get("more_body", False):
            return body


def routes(core: Core) -> list[BaseRoute]:
    service = TokenService(core)
    return [
        # The hot path first: the router tries routes in order.
        Route(TOKEN_PATH, service.client_credentials, methods=["POST"]),
        Route(SIGNED_TOKEN_PATH, service.signed_token, methods=["POST"]),
        Route(JWKS_PATH, service.jwks, methods=["GET"]),
        Route(METADATA_PATH, service.metadata, methods=["GET"]),
    ]
