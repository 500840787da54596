"""`GET /openapi.json`: the OpenAPI 3.1 description of every HTTP endpoint of the planner origin.

One module, as data: the document is written out here, taking limits and paths from the code
that enforces them, and tests keep it true (openapi-spec-validator; schemathesis against a real
server; every Starlette route of the app must appear). Longer than our usual module because a
description of twenty operations is long; it holds no logic beyond small builders.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .. import __doc__ as PACKAGE_DOC
from ..api_tokens import MAX_DAYS, MAX_EXCHANGE_TTL, MAX_NAME_LENGTH, MAX_USER_ID_LENGTH
from ..assets import MAX_KIND_LENGTH, MAX_LIMIT
from ..assets import MAX_NAME_LENGTH as MAX_ASSET_NAME
from ..core import Core
from ..grants import MAX_USER_FIELD
from ..metadata import JWKS_PATH, METADATA_PATH, SIGNED_TOKEN_PATH, TOKEN_AUTH_METHODS, TOKEN_PATH
from ..signatures import CHALLENGE
from ..tokens import RIGHTS
from .admin_session import SESSION_COOKIE

OPENAPI_PATH = "/openapi.json"
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
        " signature (`error`: invalid_client). No `content` here:"
        " OpenAPI cannot say that one 401 has a body and the other none.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
}
NOT_FOUND = error("No such resource visible to these credentials", "not_found")
METHOD_NOT_ALLOWED = error("Method not allowed", "invalid_request")

USER = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": text(MAX_USER_FIELD), "name": text(MAX_USER_FIELD)},
}
RIGHTS_SCHEMA = {
    "type": "array",
    "items": {"enum": list(RIGHTS)},
    "minItems": 1,
    "description": 'Defaults to ["read"]; write needs an entity created with --allow-write',
}
NULLABLE_INT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "TokenRequest": {
        "type": "object",
        "required": ["type"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": ["legal_entity", "user"]},
            "user": {**USER, "description": "Only (and required) for user tokens"},
            "rights": RIGHTS_SCHEMA,
            "expires_in": {"type": "integer", "description": "Seconds; default 3600"},
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "type", "rights", "expires_in", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": "A JWT (typ at+jwt)"},
            "token_type": {"const": "Bearer"},
            "type": {"enum": ["legal_entity", "user"]},
            "rights": {"type": "array", "items": {"enum": list(RIGHTS)}},
            "expires_in": {"type": "integer"},
            "expires_at": {"type": "integer", "description": "Epoch seconds"},
        },
    },
    "ClientCredentialsForm": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"const": "client_credentials"},
            "scope": {"type": "string", "description": 'Space-separated: "read", "read write"'},
            "client_id": {"type": "string", "description": "client_secret_post, or checked"},
            "client_secret": {"type": "string", "description": "client_secret_post only"},
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer", "maximum": 86400},
            "scope": {"enum": ["read", "read write"]},
        },
    },
    "ApiTokenRequest": {
        "type": "object",
        "required": ["name", "user"],
        "additionalProperties": False,
        "properties": {
            "name": text(MAX_NAME_LENGTH),
            "user": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": text(MAX_USER_ID_LENGTH), "name": text(MAX_NAME_LENGTH)},
            },
            "expires_in_days": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_DAYS,
                "description": "Default 30; null: never expires",
            },
            "rights": RIGHTS_SCHEMA,
        },
    },
    "NewApiToken": {
        "type": "object",
        "required": ["id", "name", "token", "expires_at"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "token": {"type": "string", "description": "Shown this once only"},
            "expires_at": NULLABLE_INT,
        },
    },
    "ApiToken": {
        "type": "object",
        "required": ["id", "name", "user", "rights", "created", "expires_at", "disabled"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "user": {"type": "object", "properties": {"id": {}, "name": {}}},
            "rights": {"type": "array", "items": {"enum": list(RIGHTS)}},
            "created": {"type": "integer"},
            "expires_at": NULLABLE_INT,
            "never_expires": {"type": "boolean"},
            "last_used": NULLABLE_INT,
            "disabled": {"type": "boolean"},
        },
    },
    "ApiTokenList": {
        "type": "object",
        "required": ["api_tokens"],
        "properties": {"api_tokens": {"type": "array", "items": ref("ApiToken")}},
    },
    "ApiTokenChange": {
        "type": "object",
        "required": ["disabled"],
        "additionalProperties": False,
        "properties": {"disabled": {"type": "boolean"}},
    },
    "Asset": {
        "type": "object",
        "required": ["id", "entity", "owner", "name", "kind", "data", "version"],
        "properties": {
            "id": {"type": "string", "pattern": "^ast_[0-9a-f]{24}$"},
            "entity": {"type": "string"},
            "owner": {"type": ["string", "null"], "description": "null: the catalog"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "data": {"type": "object"},
            "created": {"type": "number"},
            "updated": {"type": "number"},
            "version": {"type": "integer", "minimum": 1},
        },
    },
    "AssetWrite": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": text(MAX_ASSET_NAME, minLength=1),
            "kind": text(MAX_KIND_LENGTH, minLength=1),
            "data": {"type": "object", "description": "At most 64 KiB of JSON"},
        },
    },
    "AssetPage": {
        "type": "object",
        "required": ["assets", "next"],
        "properties": {
            "assets": {"type": "array", "items": ref("Asset")},
            "next": {"type": ["string", "null"], "description": "`after` for the next page"},
        },
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "reason": {"type": "string"}},
    },
}

SECURITY_SCHEMES = {
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "API key and secret (OAuth2 client_secret_basic); or client_secret_post",
    },
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
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


def json_body(schema_name: str) -> dict[str, Any]:
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
        # Back-end systems may sign the call with the API key instead (the entity's rights).
        "security": [{"bearerAuth": []}, {"httpSignature": []}],
        "responses": {**answers, **operation["responses"]},
    }


ASSET_ID = {"name": "asset_id", "in": "path", "required": True, "schema": {"type": "string"}}
TOKEN_ID = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
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
HTML_PAGE = {"description": "An HTML page", "content": {"text/html": {}}}
CONSOLE_ERROR = {
    "description": "The console's error page: 400 a field refused, 401 wrong username or"
    " password, 403 a form without this session's CSRF token, 404 another entity's id or an"
    " unknown action, 429 too many failed sign-ins",
    "content": {"text/html": {}},
}
STATIC = {
    "200": {"description": "The file", "content": {"text/javascript": {}, "text/css": {}}},
    "304": {"description": "Not modified"},
    "404": {
        "description": "No such file (only .js, .css and, for the SDK, .d.ts are served)",
        "content": {"text/plain": {}, JSON: {"schema": ERROR_REF}},
    },
}


def paths() -> dict[str, Any]:
    return {
        TOKEN_PATH: {
            "post": {
                "summary": "OAuth2 client credentials (RFC 6749 §4.4): a legal-entity token",
                "security": [{"basicAuth": []}, {}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": ref("ClientCredentialsForm")
                        }
                    },
                },
                "responses": {
                    "200": ok("The token", ref("AccessToken")),
                    "400": error(
                        "Malformed form, credentials in both places, unknown grant or scope",
                        "invalid_request",
                        "unsupported_grant_type",
                        "invalid_scope",
                    ),
                    "401": error(
                        "Unknown client or wrong secret", "invalid_client", challenge=True
                    ),
                    "413": TOO_LARGE,
                    "429": TOO_MANY,
                },
            }
        },
        SIGNED_TOKEN_PATH: {
            "post": signed(
                {
                    "summary": "A legal-entity or user token, for a signed request",
                    "requestBody": json_body("TokenRequest"),
                    "responses": {
                        "201": ok("The token", ref("Token")),
                        "403": error("Write rights not allowed", "invalid_scope"),
                    },
                }
            )
        },
        "/v1/api-tokens": {
            "post": signed(
                {
                    "summary": "Create a long-lived API token (shown once)",
                    "requestBody": json_body("ApiTokenRequest"),
                    "responses": {
                        "201": ok("The new token", ref("NewApiToken")),
                        "403": error("Write rights not allowed", "invalid_scope"),
                    },
                }
            ),
            "get": signed(
                {
                    "summary": "The entity's API tokens, without secrets",
                    "responses": {"200": ok("The list", ref("ApiTokenList"))},
                }
            ),
        },
        "/v1/api-tokens/{token_id}": {
            "parameters": [TOKEN_ID],
            "patch": signed(
                {
                    "summary": "Disable or enable an API token",
                    "requestBody": json_body("ApiTokenChange"),
                    "responses": {"200": ok("The token", ref("ApiToken")), "404": NOT_FOUND},
                }
            ),
            "delete": signed(
                {
                    "summary": "Delete an API token",
                    "responses": {"204": {"description": "Deleted"}, "404": NOT_FOUND},
                }
            ),
        },
        "/v1/api-tokens/exchange": {
            "post": {
                "summary": f"Trade an API token for a user access token (≤ {MAX_EXCHANGE_TTL} s)",
                "security": [{"apiTokenAuth": []}],
                "responses": {
                    "200": ok("The access token", ref("AccessToken")),
                    **BEARER_ANSWERS,
                    "429": TOO_MANY,
                },
            }
        },
        JWKS_PATH: {
            "get": {
                "summary": "The token service's public keys (RFC 7517), with kid",
                "responses": {"200": ok("The key set", {"type": "object", "required": ["keys"]})},
            }
        },
        METADATA_PATH: {
            "get": {
                "summary": "RFC 8414 authorization server metadata",
                "responses": {
                    "200": ok("The metadata", {"type": "object", "required": ["issuer"]})
                },
            }
        },
        "/v1/assets": {
            "get": bearer(
                {
                    "summary": "The assets the token may see, in creation order",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        },
                        {"name": "after", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": ok("A page", ref("AssetPage"))},
                }
            ),
            "post": bearer(
                {
                    "summary": "Create an asset (name and kind required)",
                    "parameters": [IDEMPOTENCY_KEY],
                    "requestBody": json_body("AssetWrite"),
                    "responses": {"201": {**ok("The asset", ref("Asset")), "headers": ETAG}},
                },
                writes=True,
            ),
        },
        "/v1/assets/{asset_id}": {
            "parameters": [ASSET_ID],
            "get": bearer(
                {
                    "summary": "One asset",
                    "responses": {"200": {**ok("The asset", ref("Asset")), "headers": ETAG}},
                }
            ),
            "patch": bearer(
                {
                    "summary": "Change an asset",
                    "parameters": [IDEMPOTENCY_KEY, IF_MATCH],
                    "requestBody": json_body("AssetWrite"),
                    "responses": {"200": {**ok("The asset", ref("Asset")), "headers": ETAG}},
                },
                writes=True,
            ),
            "delete": bearer(
                {
                    "summary": "Delete an asset",
                    "parameters": [IDEMPOTENCY_KEY, IF_MATCH],
                    "responses": {"204": {"description": "Deleted"}},
                },
                writes=True,
            ),
        },
        "/v1/live": {
            "get": {
                "summary": "WebSocket of asset changes (not plain HTTP)",
                "description": 'Upgrade to a WebSocket; first message {"type": "auth", "token"};'
                ' then {"type": "asset.changed", "asset"} for changes the token may see; on'
                ' expiry {"type": "token_expired"} and close code 4401.',
                "responses": {
                    "101": {"description": "Switching protocols"},
                    "404": error("Not a WebSocket upgrade request", "not_found"),
                },
            }
        },
        "/planner/": {
            "get": {
                "summary": "The planner page, framable only by the entity's registered origins",
                "parameters": [
                    {"name": "entity", "in": "query", "required": True, "schema": text(128)}
                ],
                "responses": {
                    "200": {"description": "The page", "content": {"text/html": {}}},
                    "400": BAD_REQUEST,
                    "404": NOT_FOUND,
                },
            }
        },
        "/planner/{path}": static("The planner's scripts and style (same origin only)"),
        "/sdk/{path}": static("The host SDK: planner-bridge.js, protocol.js and their typings"),
        "/healthz": {
            "get": {
                "summary": "Liveness: 200 while the process runs",
                "responses": {"200": ok("Alive", ref("Status"))},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: the database answers and a signing key is loaded",
                "responses": {
                    "200": ok("Ready", ref("Status")),
                    "503": ok("Unavailable, with a reason", ref("Status")),
                },
            }
        },
        **console_paths(),
        OPENAPI_PATH: {
            "get": {
                "summary": "This document",
                "responses": {"200": ok("OpenAPI 3.1", {"type": "object"})},
            }
        },
    }


def console_form(summary: str, *fields: str, shows_page: bool = False) -> dict[str, Any]:
    """A POST of the administration console: an HTML form, a 303 back to /admin/ or a page."""
    properties = {name: {"type": "string"} for name in ("csrf", *fields)}
    answers: dict[str, Any] = {
        "303": {"description": "Done, or not signed in: back to /admin/"},
        "4XX": CONSOLE_ERROR,
    }
    if shows_page:
        answers["200"] = HTML_PAGE
    return {
        "post": {
            "summary": summary,
            "tags": ["administration console"],
            "security": [{"adminSession": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": properties}
                    }
                },
            },
            "responses": answers,
        }
    }


def console_paths() -> dict[str, Any]:
    """The administration console (`apps.admin`): HTML pages and forms for administrators."""
    token_id = {**TOKEN_ID}
    action = {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}
    key_id = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string"}}
    change_token = console_form(
        "disable | enable | delete (delete confirms first)", shows_page=True
    )
    return {
        "/admin/": {
            "get": {
                "summary": "The sign-in form, or the signed-in administrator's console",
                "tags": ["administration console"],
                "responses": {"200": HTML_PAGE, "4XX": CONSOLE_ERROR},
            }
        },
        "/admin/sign-in": console_form("Sign in (a 303 to the console)", "username", "password"),
        "/admin/sign-out": console_form("Sign out: the session ends on the server"),
        "/admin/api-keys": console_form(
            "Generate an API key; its secret is shown once", "comment", shows_page=True
        ),
        "/admin/api-keys/{key_id}/revoke": {
            "parameters": [key_id],
            **console_form("Revoke an API key"),
        },
        "/admin/tokens": console_form(
            "Generate a web service token; shown once (never expires: asks to confirm first)",
            "name",
            "user_id",
            "user_name",
            "days",
            "never",
            "rights",
            shows_page=True,
        ),
        "/admin/tokens/{token_id}/{action}": {"parameters": [token_id, action], **change_token},
        "/admin/static/{path}": static("The console's style and copy-button script"),
    }


def static(summary: str) -> dict[str, Any]:
    path = {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
    return {"get": {"summary": summary, "parameters": [path], "responses": STATIC}}


def document(issuer: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "planner-bridge: the planner origin",
            "version": "1",
            "description": (PACKAGE_DOC or "").strip()
            + f" Token endpoint authentication: {', '.join(TOKEN_AUTH_METHODS)}, or a signed"
            " request. Errors are JSON {error, error_description} (RFC 6749 §5.2 / RFC 6750"
            " §3.1); token answers carry Cache-Control: no-store.",
        },
        "servers": [{"url": issuer.rstrip("/")}],
        "paths": paths(),
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


def routes(core: Core) -> list[BaseRoute]:
    described = document(core.settings.issuer)  # once: it depends on nothing but the issuer

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(described, headers={"Cache-Control": "public, max-age=60"})

    return [Route(OPENAPI_PATH, openapi, methods=["GET"])]
