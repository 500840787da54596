"""Every error a client can be told about, with its RFC 6749 §5.2 / RFC 6750 §3.1 code.

    ProtocolError                   (error, status_code, description)
    ├── InvalidRequest              400 invalid_request
    │   ├── PayloadTooLarge         413 invalid_request
    │   └── UnprocessableRequest    422 invalid_request (Idempotency-Key reused, other body)
    ├── InvalidClient               401 invalid_client    (WWW-Authenticate: Basic or Signature)
    ├── InvalidGrant                400 invalid_grant
    ├── UnsupportedGrantType        400 unsupported_grant_type
    ├── InvalidScope                403 invalid_scope     (400 at /auth/token, per RFC 6749)
    ├── InvalidToken                401 invalid_token     (WWW-Authenticate: Bearer)
    ├── MissingCredentials          401, no error code    (RFC 6750 §3.1: no credentials sent)
    ├── InsufficientScope           403 insufficient_scope
    ├── DPoPRefusal                 401 (400 at the token endpoints), WWW-Authenticate: DPoP
    │   ├── DPoPInvalidToken        invalid_token       (a token problem on a DPoP call)
    │   ├── InvalidDPoPProof        invalid_dpop_proof  (RFC 9449 §7.1)
    │   └── UseDPoPNonce            use_dpop_nonce      (with DPoP-Nonce, RFC 9449 §8-9)
    ├── NotFound                    404 not_found
    └── TooManyRequests             429 too_many_requests (Retry-After)

The core raises these; only `planner_bridge.apps.responses` turns them into HTTP answers.
Descriptions name the field at fault and never echo a secret or a token.
"""

from __future__ import annotations

from typing import ClassVar


class ProtocolError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 500

    def __init__(self, description: str = "", *, status_code: int | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]


class InvalidRequest(ProtocolError):
    error = "invalid_request"
    status_code = 400


class PayloadTooLarge(InvalidRequest):
    status_code = 413


class UnprocessableRequest(InvalidRequest):
    status_code = 422


class InvalidClient(ProtocolError):
    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str = "", *, scheme: str = "Signature") -> None:
        super().__init__(description)
        self.scheme = scheme


class InvalidGrant(ProtocolError):
    error = "invalid_grant"
    status_code = 400


class UnsupportedGrantType(ProtocolError):
    error = "unsupported_grant_type"
    status_code = 400


class InvalidScope(ProtocolError):
    error = "invalid_scope"
    status_code = 403


class InvalidToken(ProtocolError):
    error = "invalid_token"
    status_code = 401


class MissingCredentials(ProtocolError):
    """RFC 6750 §3.1: a request without credentials gets 401 and no error code."""

    error = ""
    status_code = 401


class InsufficientScope(ProtocolError):
    error = "insufficient_scope"
    status_code = 403


class DPoPRefusal(ProtocolError):
    """A refused DPoP request (RFC 9449 §7.1): rendered with `WWW-Authenticate: DPoP ...,
    algs="ES256"` at the web services (401), as a plain error body at the token endpoints (400,
    §5). `nonce`, when set, goes out as the `DPoP-Nonce` header."""

    status_code = 401

    def __init__(
        self, description: str = "", *, nonce: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(description, status_code=status_code)
        self.nonce = nonce


class DPoPInvalidToken(DPoPRefusal):
    error = "invalid_token"


class InvalidDPoPProof(DPoPRefusal):
    error = "invalid_dpop_proof"


class UseDPoPNonce(DPoPRefusal):
    error = "use_dpop_nonce"


class NotFound(ProtocolError):
    error = "not_found"
    status_code = 404


class TemporarilyUnavailable(ProtocolError):
    """RFC 6749 §4.1.2.1's code: the database is away; the client retries after a while."""

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, description: str = "", *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class TooManyRequests(ProtocolError):
    error = "too_many_requests"
    status_code = 429

    def __init__(self, description: str = "", *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after
