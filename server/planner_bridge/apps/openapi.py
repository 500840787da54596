"""`GET /openapi.json`: the OpenAPI 3.1 description of every HTTP endpoint of the planner origin.

Assembled here, written elsewhere: each route module declares its operations (`OPERATIONS`)
and the schemas they name (`SCHEMAS`) beside its routes, in the words of `openapi_parts`,
taking limits and paths from the code that enforces them. Tests keep the document true
(openapi-spec-validator; schemathesis against a real server; every Starlette route of the app
must appear).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .. import __doc__ as PACKAGE_DOC
from ..tokens.metadata import TOKEN_AUTH_METHODS
from . import (
    admin_forms,
    api_tokens,
    health,
    live_socket,
    planner_site,
    revocation,
    token_service,
    web_services,
)
from .openapi_parts import COMMON_SCHEMAS, SECURITY_SCHEMES, ok

OPENAPI_PATH = "/openapi.json"
# The modules that describe their routes, in the order the document lists them.
DESCRIBED = (token_service, revocation, api_tokens, web_services, live_socket, planner_site, health)
THIS_DOCUMENT = {
    OPENAPI_PATH: {
        "get": {
            "summary": "This document",
            "responses": {"200": ok("OpenAPI 3.1", {"type": "object"})},
        }
    }
}


def paths() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module in DESCRIBED:
        found.update(module.OPERATIONS)
    return {**found, **admin_forms.console_paths(), **THIS_DOCUMENT}


def schemas() -> dict[str, Any]:
    found = dict(COMMON_SCHEMAS)
    for module in DESCRIBED:
        found.update(getattr(module, "SCHEMAS", {}))
    return found


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
        "components": {"schemas": schemas(), "securitySchemes": SECURITY_SCHEMES},
    }


def routes(issuer: str) -> list[BaseRoute]:
    described = document(issuer)  # once: it depends on nothing but the issuer

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(described, headers={"Cache-Control": "public, max-age=60"})

    return [Route(OPENAPI_PATH, openapi, methods=["GET"])]
