"""The words route modules describe their operations in, for `/openapi.json` (`openapi`
assembles the document): answers shared by many operations, the security schemes, and the
builders for signed and Bearer operations. Data and small builders only."""

from __future__ import annotations

from typing import Any

from ..clients.signatures import CHALLENGE
from ..tokens.issuer import RIGHTS
from .admin_session import SESSION_COOKIE

JSON = "application/json"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
SIGNATURE_TEXT = f"""RFC 9421 HTTP message signature made with the API key and secret.
Algorithm `hmac-sha256`, `keyid` = the API key; covered components `"@method" "@path"
"content-digest"` (RFC 9530 `Content-Digest: sha-256=:…:` of the body), plus `"@query"` when the
URL has a query; parameters `created` and `nonce`. The HMAC key is the secret's UTF-8 bytes.
Exactly one signature (`Signature-Input` and `Signature` headers, any label). A signature older
than 300 s or dated more than 30 s ahead, a reused nonce, an unknown or revoked key all answer
401 `invalid_client` with `WWW-Authenticate: {CHALLENGE}`."""


def text(max_length: int | None = None, **more: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **more}
    if max_length:
        schema["maxLength"] = max_length
    return schema


def error(description: str, *codes: str, challenge: bool = False) -> dict[str, Any]:
    """An error answer: the JSON error body, its possible codes named in the description."""
    answer: dict[str, Any] = {
        "description": f"{description} (`error`: {', '.join(codes)})",
        "content": {JSON: {"schema": ERROR_REF}},
    }
    if challenge:
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return answer


def ok(description: str, schema: dict[str, Any], media_type: str = JSON) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


BAD_REQUEST = error("Malformed request", "invalid_request")
TOO_LARGE = error("Body too large", "invalid_request")
TOO_MANY = {
    **error("Too many failed authentications from this address", "too_many_requests"),
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}
SIGNATURE_FAILED = error("The request signature failed", "invalid_client", challenge=True)
BEARER_ANSWERS = {
    "400": error(
        "Malformed Authorization header, token in the URL, or Bearer and signature together",
        "invalid_request",
    ),
    "401": {
        "description": "No Bearer token (bare 401, no body, `WWW-Authenticate: Bearer"
        ' realm="planner"`), or a token that is expired, foreign, wrongly signed, unparseable'
        " or an API token (a JSON error body, `error`: invalid_token); a failed request"
        " signature (`error`: invalid_client). A DPoP-bound token (RFC 9449) sent as Bearer, or"
        " any token of an entity that requires DPoP sent as Bearer: `WWW-Authenticate: DPoP"
        ' error="invalid_token", algs="ES256"`; a missing, malformed, replayed or mismatched'
        " proof: `invalid_dpop_proof`; a proof without the current nonce: `use_dpop_nonce` with"
        " a `DPoP-Nonce` header. No `content` here:"
        " OpenAPI cannot say that one 401 has a body and the other none.",
        "headers": {
            "WWW-Authenticate": {"schema": {"type": "string"}},
            "DPoP-Nonce": {"schema": {"type": "string"}},
        },
    },
}
NOT_FOUND = error("No such resource visible to these credentials", "not_found")

RIGHTS_SCHEMA = {
    "type": "array",
    "items": {"enum": list(RIGHTS)},
    "minItems": 1,
    "description": 'Defaults to ["read"]; write needs an entity created with --allow-write',
}
NULLABLE_INT = {"type": ["integer", "null"]}


COMMON_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
}

SECURITY_SCHEMES = {
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "API key and secret (OAuth2 client_secret_basic); or client_secret_post",
    },
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "dpopAuth": {
        "type": "http",
        "scheme": "dpop",
        "description": "A DPoP-bound token (RFC 9449; cnf.jkt) with a `DPoP` proof header: typ"
        " dpop+jwt, ES256, a public P-256 jwk, jti, htm, htu, iat (≤ 60 s old), ath and the"
        " server's nonce (`DPoP-Nonce`, good ≥ 60 s). Every answer carries the current nonce.",
    },
    "apiTokenAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A long-lived API token (only for the exchange)",
    },
    "adminSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The console's server-side session (HttpOnly, SameSite=Strict; every"
        " form also carries the session's CSRF token)",
    },
    "httpSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": SIGNATURE_TEXT,
    },
}


def request_body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema_name)}}}


def signed(operation: dict[str, Any]) -> dict[str, Any]:
    answers = {"400": BAD_REQUEST, "401": SIGNATURE_FAILED, "413": TOO_LARGE, "429": TOO_MANY}
    return {
        **operation,
        "security": [{"httpSignature": []}],
        "responses": {**answers, **operation["responses"]},
    }


def bearer(operation: dict[str, Any], *, writes: bool = False) -> dict[str, Any]:
    answers: dict[str, Any] = {**BEARER_ANSWERS, "404": NOT_FOUND}
    if writes:
        answers.update(
            {
                "403": error("The token lacks the write right", "insufficient_scope"),
                "409": error("Idempotency-Key in use, or a concurrent change", "invalid_request"),
                "412": error("If-Match names another version", "invalid_request"),
                "413": TOO_LARGE,
                "422": error("Idempotency-Key reused with another request", "invalid_request"),
            }
        )
    return {
        **operation,
        "parameters": [*operation.get("parameters", []), DPOP_PROOF],
        # Back-end systems may sign the call with the API key instead (the entity's rights).
        "security": [{"bearerAuth": []}, {"dpopAuth": []}, {"httpSignature": []}],
        "responses": {**answers, **operation["responses"]},
    }


DPOP_PROOF = {
    "name": "DPoP",
    "in": "header",
    "schema": {"type": "string"},
    "description": "A DPoP proof (RFC 9449 §4), exactly one; with `Authorization: DPoP`",
}
DPOP_ERRORS = ("invalid_dpop_proof", "use_dpop_nonce")
ASSET_ID = {"name": "asset_id", "in": "path", "required": True, "schema": {"type": "string"}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "description": "A replayed write with the same key is applied once and answers as the first",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "schema": {"type": "string"},
    "description": 'The asset\'s ETag, e.g. "3"; 412 when it moved on',
}
ETAG = {"ETag": {"schema": {"type": "string"}}}
TOKEN_ID = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
STATIC = {
    "200": {"description": "The file", "content": {"text/javascript": {}, "text/css": {}}},
    "304": {"description": "Not modified"},
    "404": {
        "description": "No such file (only .js, .css and, for the SDK, .d.ts are served)",
        "content": {"text/plain": {}, JSON: {"schema": ERROR_REF}},
    },
}


def static(summary: str) -> dict[str, Any]:
    path = {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
    return {"get": {"summary": summary, "parameters": [path], "responses": STATIC}}
