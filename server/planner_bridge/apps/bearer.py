"""The bearer-token check of the planner web services (RFC 6750), shared by HTTP and WebSocket.

`BearerBackend` has the shape of a Starlette `AuthenticationBackend` (see
`starlette.middleware.authentication`): `authenticate(conn)` answers None when no bearer
credentials were sent, the credentials when the token verifies, and raises `BearerError`
(an `AuthenticationError` carrying the RFC 6750 error) otherwise. The WebSocket, whose token
comes in its first message, calls `verify(token)` on the same backend. `bearer_token` is the one
parser of `Authorization: Bearer`: the token service's API-token exchange reads it too.

    no Authorization header, or another scheme   401, no error code, WWW-Authenticate: Bearer
    malformed header, token in the URL           400 invalid_request
    anything wrong with the token                401 invalid_token
    (a right not granted: 403 insufficient_scope, raised where the right is needed)

Tokens are never accepted in the query string (they would end up in logs and histories).

DPoP (RFC 9449, SPEC "Sender-constrained tokens"): a token bound to a key (`cnf.jkt`) comes as
`Authorization: DPoP <token>` with one `DPoP` proof header, checked by `tokens.dpop`; sent as
Bearer it is refused, as is any unbound token of an entity that requires DPoP. Refusals of a
DPoP call carry `WWW-Authenticate: DPoP ...` and every answer to one the current `DPoP-Nonce`.
A proof's `jti` is spent in the store (every instance sees it): for a read the spend is asked
for before the handler runs (on SQLite its batched write runs beside the handler's own store
call) and the answer waits for both, so a replayed proof never gets one; a write waits for the
spend before anything is applied.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ..errors import (
    DPoPInvalidToken,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    MissingCredentials,
    ProtocolError,
)
from ..storage import DatabaseUnavailable
from ..tokens.dpop import Proof, ProofChecker
from ..tokens.verification import AccessClaims, TokenVerifier
from .responses import error_response, unavailable_response

Handler = Callable[[Request, AccessClaims], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
Policy = Callable[[str], Awaitable[bool]]  # entity id -> whether it requires DPoP
SAFE_METHODS = frozenset({"GET", "HEAD"})
# One way of authenticating per request (RFC 6749 §2.3): two Authorization headers are refused
# everywhere, whichever of them would have passed.
TWO_AUTHORIZATIONS = "Authorization: more than one header"


class TokenUser(BaseUser):
    def __init__(self, claims: AccessClaims, proof: Proof | None = None) -> None:
        self.claims = claims
        self.proof = proof  # a DPoP call's checked proof, its jti still to spend

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.claims.name or self.claims.subject

    @property
    def identity(self) -> str:
        return self.claims.subject


class BearerError(AuthenticationError):
    def __init__(self, error: ProtocolError) -> None:
        super().__init__(error.description or error.error)
        self.error = error


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when no bearer credentials came."""
    found = access_token(conn)
    return found[1] if found is not None and found[0] == b"bearer" else None


def access_token(conn: HTTPConnection) -> tuple[bytes, str] | None:
    """(b"bearer" or b"dpop", the token) of `Authorization`; None for no or another scheme.

    Runs on every call, so it reads the raw ASGI headers instead of building a `Headers`."""
    scope = conn.scope
    if b"access_token" in scope.get("query_string", b"") and "access_token" in conn.query_params:
        raise InvalidRequest("access tokens are not accepted in the URL")
    value = authorization_header(scope["headers"])
    if value is None:
        return None
    scheme, _, token = value.partition(b" ")
    scheme = scheme.lower()
    if scheme not in (b"bearer", b"dpop"):
        return None
    if not is_b64token(token):
        raise InvalidRequest("Authorization: malformed credentials")
    return scheme, token.decode("ascii")


def authorization_header(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The one `Authorization` header of raw ASGI headers; None without one."""
    values = [value for name, value in headers if name == b"authorization"]
    if len(values) > 1:
        raise InvalidRequest(TWO_AUTHORIZATIONS)
    return values[0] if values else None


def is_b64token(value: bytes) -> bool:
    """RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
    (bytes.isalnum is ASCII-only; this is twice as fast as the regex on a 500-byte token.)"""
    body = value.rstrip(b"=")
    letters = body.translate(None, b"-._~+/")
    return bool(body) and (not letters or letters.isalnum())


class BearerBackend(AuthenticationBackend):
    def __init__(self, verifier: TokenVerifier, proofs: ProofChecker, policy: Policy) -> None:
        self.verifier = verifier
        self.proofs = proofs
        self.policy = policy

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        try:
            found = access_token(conn)
            if found is None:
                return None
            scheme, token = found
            if scheme == b"dpop":
                proofs = [v.decode("latin-1") for n, v in conn.scope["headers"] if n == b"dpop"]
                method = conn.scope.get("method", "GET")
                claims, proof = self.verify_dpop(token, proofs, method, request_path(conn))
            else:
                claims, proof = await self.verify_bearer(token), None
        except ProtocolError as exc:
            raise BearerError(exc) from None
        return AuthCredentials(list(claims.rights)), TokenUser(claims, proof)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; raises `InvalidToken`. Cached, so cheap on every call."""
        return self.verifier.verify_access_token(token)

    async def verify_bearer(self, token: str) -> AccessClaims:
        """A token sent as Bearer: never a bound one, nor one of an entity requiring DPoP."""
        claims = self.verify(token)
        if claims.jkt is not None:
            raise DPoPInvalidToken("this token is DPoP-bound: send it as DPoP, with a proof")
        if await self.policy(claims.entity_id):
            raise DPoPInvalidToken("this legal entity requires DPoP-bound tokens")
        return claims

    def verify_dpop(
        self, token: str, proofs: list[str], method: str, path: str
    ) -> tuple[AccessClaims, Proof]:
        """A token sent as DPoP and its proof, all checked but the jti's single use."""
        try:
            claims = self.verify(token)
        except InvalidToken as exc:
            raise DPoPInvalidToken(exc.description) from None
        if claims.jkt is None:
            raise DPoPInvalidToken("this token is not DPoP-bound: send it as Bearer")
        proof = self.proofs.check(proofs, method=method, path=path, access_token=token)
        if not hmac.compare_digest(proof.jkt, claims.jkt):
            raise InvalidDPoPProof("DPoP proof: its key is not the token's (cnf.jkt)")
        return claims, proof

    def spend(self, proof: Proof) -> Awaitable[None]:
        """The proof's jti, used once across every instance (asked for now); the awaitable
        raises `InvalidDPoPProof` for a jti used before."""
        return self.proofs.nonces.spend(proof.jkt, proof.jti, proof.iat)

    def nonce(self) -> str:
        return self.proofs.nonces.current()


def request_path(conn: HTTPConnection) -> str:
    """The path as sent (percent-encoded), which a proof's htu names."""
    raw = conn.scope.get("raw_path")
    return raw.decode("latin-1") if raw else conn.scope["path"]


def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """For `AuthenticationMiddleware(on_error=...)`: the RFC 6750 answer."""
    error = exc.error if isinstance(exc, BearerError) else InvalidRequest(str(exc))
    return error_response(error)


def requires_token(backend: BearerBackend, handler: Handler) -> Endpoint:
    """An endpoint that authenticates, then calls `handler(request, claims)`."""

    async def endpoint(request: Request) -> Response:
        try:
            return await _authenticated(backend, handler, request)
        except DatabaseUnavailable:
            if not is_dpop(request):
                raise  # the app's handler answers it
            # Answered here, with the nonce every answer to a DPoP call carries (SPEC).
            return _with_nonce(backend, unavailable_response())

    return endpoint


async def _authenticated(backend: BearerBackend, handler: Handler, request: Request) -> Response:
    try:
        result = await backend.authenticate(request)
    except BearerError as exc:
        response = on_error(request, exc)
        return _with_nonce(backend, response) if is_dpop(request) else response
    if result is None:
        return error_response(MissingCredentials())
    request.scope["auth"], request.scope["user"] = result
    user = result[1]
    assert isinstance(user, TokenUser)
    if user.proof is None:
        return await handler(request, user.claims)
    try:
        response = await _answer_once(backend, user.proof, request, user.claims, handler)
    except ProtocolError as exc:
        response = error_response(exc, dpop=True)
    return _with_nonce(backend, response)


async def _answer_once(
    backend: BearerBackend, proof: Proof, request: Request, claims: AccessClaims, handler: Handler
) -> Response:
    """The handler's answer, given only once the proof's jti is spent: a write spends it
    before anything is applied; a read (which changes nothing) asks for the spend, then runs,
    so that on SQLite the spend's batched write (`storage.nonce_batch`) runs beside the
    handler's own store call instead of after it: the same CPU, a shorter wait."""
    if request.method not in SAFE_METHODS:
        await backend.spend(proof)
        return await handler(request, claims)
    spent = backend.spend(proof)
    try:
        response = await handler(request, claims)
    finally:
        # Whatever the handler did, a replayed proof's refusal replaces it: it learns nothing.
        await spent
    return response


def _with_nonce(backend: BearerBackend, response: Response) -> Response:
    """Every answer to a DPoP call carries the current nonce (SPEC)."""
    if "dpop-nonce" not in response.headers:
        response.raw_headers.append((b"dpop-nonce", backend.nonce().encode("ascii")))
    return response


def is_dpop(conn: HTTPConnection) -> bool:
    """Whether the call came with `Authorization: DPoP` (however malformed the rest)."""
    try:
        found = access_token(conn)
    except ProtocolError:
        return False
    return found is not None and found[0] == b"dpop"
