"""The token service's HTTP face: `/v1/tokens`, `/auth/token`, the JWKS and RFC 8414 metadata.

The rules live in `grants`; this module only reads requests and writes answers. `/auth/token`
is the hot path (one ES256 signature is most of its cost), so it reads the form itself with
`parse_qsl` rather than Starlette's form machinery, and touches the database once, after the
secret has already matched.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..core import Core
from ..errors import InvalidClient, InvalidRequest
from ..grants import (
    ClientCredentialsGrant,
    basic_credentials,
    check_rights_allowed,
    issue_token,
    parse_form,
    parse_token_request,
)
from ..metadata import (
    JWKS_PATH,
    METADATA_PATH,
    SIGNED_TOKEN_PATH,
    TOKEN_PATH,
    authorization_server_metadata,
)
from .responses import NO_STORE, parse_json_object, read_body
from .signed import authenticate_signed, client_address

MAX_FORM_BODY = 4096
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


class TokenService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.grant = ClientCredentialsGrant(core.entities, core.issuer, core.settings)

    async def signed_token(self, request: Request) -> Response:
        caller, body = await authenticate_signed(request, self.core)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            raise InvalidRequest("the body must be application/json")
        asked = parse_token_request(parse_json_object(body), self.core.settings)
        check_rights_allowed(asked.rights, caller.entity)
        answer = issue_token(self.core.issuer, caller.key, asked)
        return JSONResponse(answer, status_code=201, headers=NO_STORE)

    async def client_credentials(self, request: Request) -> Response:
        headers = request.headers
        credentials = basic_credentials(headers.get("authorization"))
        claimed = credentials[0][:64] if credentials else "-"
        subjects = (f"addr:{client_address(request)}", f"key:{claimed}")
        self.core.client_failures.check(*subjects)
        form = parse_form(headers.get("content-type"), await read_body(request, MAX_FORM_BODY))
        rights = self.grant.validate_form(form)
        try:
            key, entity = self.grant.authenticate(credentials)
        except InvalidClient:
            self.core.client_failures.record_failure(*subjects)
            raise
        return JSONResponse(self.grant.issue(rights, form, key, entity), headers=NO_STORE)

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.core.keyring.jwks(), headers=PUBLIC_CACHE)

    async def metadata(self, request: Request) -> Response:
        body = authorization_server_metadata(self.core.settings.issuer)
        return JSONResponse(body, headers=PUBLIC_CACHE)


def routes(core: Core) -> list[BaseRoute]:
    service = TokenService(core)
    return [
        Route(SIGNED_TOKEN_PATH, service.signed_token, methods=["POST"]),
        Route(TOKEN_PATH, service.client_credentials, methods=["POST"]),
        Route(JWKS_PATH, service.jwks, methods=["GET"]),
        Route(METADATA_PATH, service.metadata, methods=["GET"]),
    ]
