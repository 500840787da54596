"""`POST /v1/tokens` as a bare ASGI app, still matched (and 405 answered) by the router.

Why bare, as `/auth/token` is (`token_service.ClientCredentialsEndpoint`): Starlette's Request,
its Headers (built twice: once for the content type, once for the signature's fields), its body
stream and a Response around an answer already rendered cost more than verifying the signature
did. So the headers are read from the scope in one pass, the body straight from `receive`, and
the grant's answer sent as it is. Every refusal is still rendered by `responses.error_response`,
the one error renderer, exactly as the app's exception handler would render it; anything else
(the database away) goes on to that handler as before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from starlette.types import Receive, Scope, Send

from ..clients.signatures import header_fields
from ..errors import InvalidRequest, ProtocolError
from ..metrics import SIGNED_REQUEST
from ..tokens.signed_requests import SignedTokenGrant
from .observed import note_minted
from .responses import MAX_JSON_BODY, error_response, parse_json_object, receive_body
from .signed import SignedRequests

JSON = "application/json"


class SignedTokenEndpoint:
    def __init__(self, grant: SignedTokenGrant, signed_requests: SignedRequests) -> None:
        self.grant = grant
        self.signed_requests = signed_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fields, content_type, length = request_fields(scope["headers"])
        try:
            caller, body = await self.signed_requests.authenticate_scope(
                scope, fields, functools.partial(receive_body, receive, length, MAX_JSON_BODY)
            )
            if content_type.partition(";")[0].strip().lower() != JSON:
                raise InvalidRequest("the body must be application/json")
            asked = parse_json_object(body)
            answer = await self.grant.create_token_response(caller.key, caller.entity, asked)
        except ProtocolError as exc:
            await error_response(exc)(scope, receive, send)
            return
        note_minted(scope, answer.kind, SIGNED_REQUEST)
        headers = list(answer.headers)  # a list: middleware may add to it
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


def request_fields(raw: Iterable[tuple[bytes, bytes]]) -> tuple[dict[str, str], str, bytes | None]:
    """Every field as the signature reads them (`header_fields`), and the first Content-Type
    and Content-Length, as Starlette's `headers.get` would read them."""
    raw = list(raw)
    fields = header_fields((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)
    content_type = length = None
    for name, value in raw:
        if name == b"content-type" and content_type is None:
            content_type = value
        elif name == b"content-length" and length is None:
            length = value
    return fields, (content_type or b"").decode("latin-1"), length
