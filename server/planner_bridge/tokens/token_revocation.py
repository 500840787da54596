"""RFC 7009 token revocation at `POST /oauth/revoke` (SPEC "Revocation within a second").

The client authenticates exactly as at `/auth/token` (Basic or `client_secret_post`, the same
brake on failures, 401 `invalid_client`), by the client-credentials grant's own steps. The
answer is 200 with an empty body whether or not the token was known, valid or the client's
entity's (§2.2: nothing is learnt about a token by trying to revoke it); a token of another
entity is left alone. `token_type_hint` may be sent; only access tokens are revocable here, so
it changes nothing (§2.1: a server may ignore it).
"""

from __future__ import annotations

from .. import audit
from ..errors import InvalidClient, InvalidRequest
from .client_credentials import (
    ClientCredentialsGrant,
    FormRequest,
    TokenAnswer,
    basic_credentials,
    parse_form,
    posted_credentials,
)
from .revocation import Revoker

REVOKED_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"content-length", b"0"),
)
MAX_TOKEN = 4096  # the verifier's own bound


class TokenRevocation:
    """Authenticates the client with the client-credentials grant, then revokes."""

    def __init__(self, grant: ClientCredentialsGrant, revoker: Revoker) -> None:
        self.grant = grant
        self.revoker = revoker

    async def create_revocation_response(self, request: FormRequest) -> TokenAnswer:
        """RFC 7009 §2.1-2.2."""
        with self.grant.failures.guarding(request.client, counts=InvalidClient):
            form = parse_form(request.content_type, await request.read_body())
            credentials = posted_credentials(request.authorization, form) or basic_credentials(
                request.authorization
            )
            key, entity = await self.grant.authenticate(credentials)
        if form.get("client_id", key.key_id) != key.key_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        token = form.get("token")
        if not token:
            raise InvalidRequest("token is missing")
        if len(token) <= MAX_TOKEN:
            actor = audit.signed_by(key.key_id)
            await self.revoker.revoke_token(token, entity.id, way="oauth/revoke", actor=actor)
        return TokenAnswer(200, b"", REVOKED_HEADERS, "")
