"""The planner app's page and the public browser code of the planner origin.

    GET /planner/?entity=ID   the planner page, framable only by the entity's registered origins;
                              an unknown entity gets a short page that says so in words
    GET /planner/embed-check?entity=ID&origin=ORIGIN
                              public and credential-free, for the SDK to name why a planner did
                              not load: {"entity": bool, "originRegistered": bool}
    GET /planner/*.js|.css    the planner's modules and style (same origin only)
    GET /sdk/*.js|.d.ts       the host SDK and the protocol module, public: any origin may import
    GET /vendor/three/*.js    the part of three.js the planner's 3D view imports when opened

The page's only inline script is its import map (module_versions.py), allowed by its hash, so
its CSP says `script-src 'self' 'sha256-…'`; what the scripts need (entity, registered origins,
live URL) is JSON in a non-executable <script type="application/json">, escaped here so no value
can close the tag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from ..clients.entities import origin_of
from ..errors import InvalidRequest, NotFound
from ..storage import Entity, Store
from . import web_files
from .module_versions import FOREVER, KEY_STORE_EARLY, ModuleVersions, planner_modules, script_hash
from .openapi_parts import ok, static, text

MAX_ENTITY_ID = 128
EARLY_READY = "/planner/early-ready.js"  # says Ready: its graph is preloaded first
JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
JS_TYPE = "text/javascript; charset=utf-8"
# The SDK's public, unversioned URLs (what shops import): fresh for a minute, then served from
# the cache while it revalidates in the background, so a shop page does not wait for a round
# trip per SDK module on every visit; a release reaches a browser within a minute, or one visit
# after. A browser fetches the SDK's modules together, so they age together.
SDK_CACHING = "public, max-age=60, stale-while-revalidate=3600"


def json_for_html(value: Any) -> Markup:
    """JSON safe inside a <script> element: no `</script>`, no `<!--`, no JS line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    escaped = "".join(JSON_ESCAPES.get(c, c) for c in text)
    # Safe by construction: every character that could end the element is escaped just above.
    return Markup(escaped)  # noqa: S704


def page_headers(entity: Entity, live_origin: str, inline: str = "") -> dict[str, str]:
    """`inline`: the one inline script the page may run (its import map)."""
    ancestors = " ".join(entity.origins) or "'none'"
    scripts = f"script-src 'self' {script_hash(inline)}" if inline else "script-src 'self'"
    policy = "; ".join(
        [
            f"frame-ancestors {ancestors}",
            "default-src 'self'",
            scripts,
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {live_origin}",
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


EMBED_CHECK_HEADERS = {
    "Access-Control-Allow-Origin": "*",  # public answer, asked without credentials
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
NOT_SET_UP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Planner not available</title></head>
<body><p>This planner is not available here: {sentence} If you run this shop, check the
entity in the planner's address.</p></body></html>
"""


def not_set_up_page(refused: InvalidRequest | NotFound) -> Response:
    """A person sees this page in the shop's frame: a sentence, not JSON. It carries no data of
    any entity, so it may be framed by any page; it runs nothing."""
    sentence = (
        "no shop is registered with the entity it was asked for."
        if isinstance(refused, NotFound)
        else "the address does not say which shop it is for (?entity=...)."
    )
    headers = {
        "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(
        NOT_SET_UP.format(sentence=sentence), status_code=refused.status_code, headers=headers
    )


def planner_origins(issuer: str) -> tuple[str, str]:
    """The planner origin and its WebSocket origin (http→ws, https→wss), from the issuer.

    Never from the request's Host header: that is the client's word, and it would go into the
    page's CSP and the live URL the planner connects to."""
    origin = origin_of(issuer)
    return origin, "ws" + origin.removeprefix("http")


class PlannerPage:
    def __init__(
        self, store: Store, issuer: str, templates: Jinja2Templates, modules: ModuleVersions
    ) -> None:
        self.store = store
        self.templates = templates
        self.modules = modules
        # Once, at start-up: an issuer that has no origin fails here, not on every page.
        self.origin, self.live_origin = planner_origins(issuer)

    async def render(self, request: Request) -> Response:
        try:
            entity = await self._entity(request.query_params.get("entity", ""))
        except (InvalidRequest, NotFound) as refused:
            return not_set_up_page(refused)
        config = {
            "entity": entity.id,
            "entityName": entity.name,
            "origins": list(entity.origins),
            "plannerOrigin": self.origin,
            "liveUrl": f"{self.live_origin}/v1/live",
        }
        import_map = json_for_html(self.modules.import_map())
        context = {
            "config": json_for_html(config),
            "entity_name": entity.name,
            "import_map": import_map,
            "preloads": self.modules.urls(first=EARLY_READY),
            "app": self.modules.url("/planner/app.js"),
            "early": self.modules.url(EARLY_READY),
            "key_store": self.modules.url(KEY_STORE_EARLY),
            "stylesheet": self.modules.url("/planner/planner.css"),
        }
        headers = page_headers(entity, self.live_origin, str(import_map))
        return self.templates.TemplateResponse(request, "index.html", context, headers=headers)

    async def embed_check(self, request: Request) -> Response:
        """What the SDK may know when a frame stays blank: whether the entity exists and whether
        the asking page's origin is registered for it. The page's own `frame-ancestors` header
        tells the same to anyone who asks for the page, so this reveals nothing new."""
        entity_id = request.query_params.get("entity", "")
        origin = request.query_params.get("origin", "")
        found = (
            await self.store.get_entity(entity_id) if 0 < len(entity_id) <= MAX_ENTITY_ID else None
        )
        answer = {
            "entity": found is not None,
            "originRegistered": found is not None and origin in found.origins,
        }
        return JSONResponse(answer, headers=EMBED_CHECK_HEADERS)

    async def _entity(self, entity_id: str) -> Entity:
        if not entity_id:
            raise InvalidRequest("entity: the query parameter is required (?entity=ID)")
        entity = None if len(entity_id) > MAX_ENTITY_ID else await self.store.get_entity(entity_id)
        if entity is None:
            raise NotFound("entity: no legal entity is registered with this id")
        return entity


class PublicFiles(StaticFiles):
    """Static files limited to some suffixes, with explicit types and, for the SDK, CORS."""

    TYPES = {".js": JS_TYPE, ".css": "text/css; charset=utf-8", ".ts": "text/plain; charset=utf-8"}

    def __init__(
        self,
        folder: str,
        suffixes: tuple[str, ...],
        cors: bool = False,
        versions: ModuleVersions | None = None,
        unversioned: str = "no-cache",
    ) -> None:
        web_files.require(folder)
        super().__init__(packages=[(web_files.PACKAGE, folder)])
        self.suffixes = suffixes
        self.cors = cors
        self.versions = versions
        self.unversioned = unversioned

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not path.endswith(self.suffixes) or "/" in path.strip("/"):
            return Response("Not Found", status_code=404, media_type="text/plain")
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Content-Type"] = self.TYPES[Path(path).suffix]
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = self._caching(path, scope)
        if self.cors:
            response.headers["Access-Control-Allow-Origin"] = "*"  # public code, no credentials
        return response

    def _caching(self, path: str, scope: Scope) -> str:
        """A URL naming the file's current hash is cached for good; anything else is cached as
        `unversioned` says (by default it revalidates, so a new release shows at once)."""
        url_path = scope.get("root_path", "") + "/" + path.strip("/")
        query = scope.get("query_string", b"").decode("latin-1")
        if self.versions and self.versions.is_current(url_path, query):
            return FOREVER
        return self.unversioned if "v=" not in query else "no-cache"


def routes(store: Store, issuer: str) -> list[BaseRoute]:
    templates = web_files.templates("planner")
    modules = planner_modules(web_files.root())
    page = PlannerPage(store, issuer, templates, modules)
    return [
        Route("/planner/", page.render, methods=["GET"]),
        Route("/planner/embed-check", page.embed_check, methods=["GET"]),
        Mount("/planner", PublicFiles("planner", (".js", ".css"), versions=modules)),
        Mount("/vendor/three", PublicFiles("vendor/three", (".js",), versions=modules)),
        Mount(
            "/sdk",
            PublicFiles(
                "sdk", (".js", ".d.ts"), cors=True, versions=modules, unversioned=SDK_CACHING
            ),
        ),
    ]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

OPERATIONS: dict[str, Any] = {
    "/planner/": {
        "get": {
            "summary": "The planner page, framable only by the entity's registered origins",
            "parameters": [
                {"name": "entity", "in": "query", "required": True, "schema": text(128)}
            ],
            "responses": {
                "200": {"description": "The page", "content": {"text/html": {}}},
                "400": {
                    "description": "No entity asked for: a page that says so in words",
                    "content": {"text/html": {}},
                },
                "404": {
                    "description": "No such entity: a page that says so in words",
                    "content": {"text/html": {}},
                },
            },
        }
    },
    "/planner/embed-check": {
        "get": {
            "summary": "Whether an entity exists and an origin is registered for it (public, "
            "for the SDK to name why a planner did not load)",
            "parameters": [
                {"name": "entity", "in": "query", "required": True, "schema": text(128)},
                {"name": "origin", "in": "query", "required": True, "schema": text()},
            ],
            "responses": {
                "200": ok(
                    "What the page's frame-ancestors header would say",
                    {
                        "type": "object",
                        "required": ["entity", "originRegistered"],
                        "properties": {
                            "entity": {"type": "boolean"},
                            "originRegistered": {"type": "boolean"},
                        },
                    },
                )
            },
        }
    },
    "/planner/{path}": static("The planner's scripts and style (same origin only)"),
    "/vendor/three/{path}": static("The part of three.js the planner's 3D view loads when opened"),
    "/sdk/{path}": static("The host SDK: planner-bridge.js, protocol.js and their typings"),
}
