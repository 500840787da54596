"""What `client.TokenClient` raises: the token service's coded refusals, one class per code
(RFC 6749 §5.2 `error` values), and its being out of reach. Import them from `client`."""

from __future__ import annotations


class TokenServiceError(Exception):
    """The token service refused, or could not be reached (`status` 0, `code` "unavailable")."""

    def __init__(self, code: str, description: str = "", status: int = 0) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.status = status


class InvalidClientError(TokenServiceError):
    """Wrong key or secret, a revoked key, or a refused signature (401)."""


class InvalidScopeError(TokenServiceError):
    """Write rights asked for by an entity registered without `--allow-write` (403)."""


class InvalidRequestError(TokenServiceError):
    """The request itself was wrong (400): a bug on this side, not worth retrying."""


class RateLimitedError(TokenServiceError):
    """Too many failed attempts (429); `retry_after` seconds until the next try may pass."""

    def __init__(self, code: str, description: str = "", status: int = 429) -> None:
        super().__init__(code, description, status)
        self.retry_after = 0


class TokenServiceUnavailable(TokenServiceError):
    """Network failure, a 5xx, or an answer that is not a token service answer."""


ERRORS: dict[str, type[TokenServiceError]] = {
    "invalid_client": InvalidClientError,
    "invalid_scope": InvalidScopeError,
    "invalid_request": InvalidRequestError,
    "too_many_requests": RateLimitedError,
}
