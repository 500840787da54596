"""The token service's RFC 8414 authorization server metadata, derived from the issuer URL."""

from __future__ import annotations

from typing import Any

from .issuer import RIGHTS

TOKEN_PATH = "/auth/token"
SIGNED_TOKEN_PATH = "/v1/tokens"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def authorization_server_metadata(issuer: str) -> dict[str, Any]:
    """What an OAuth2 client library needs to find the token endpoint and the keys.

    There is no authorization endpoint (only client credentials), hence no response types.
    """
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": base + TOKEN_PATH,
        "jwks_uri": base + JWKS_PATH,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "scopes_supported": list(RIGHTS),
        "response_types_supported": [],
        # RFC 9449 §5.1: /auth/token binds its token to a DPoP proof's key (ES256 only).
        "dpop_signing_alg_values_supported": ["ES256"],
        # Not registered in RFC 8414: the signed endpoint integrator back-ends use (SPEC).
        "planner_bridge_signed_token_endpoint": base + SIGNED_TOKEN_PATH,
    }
