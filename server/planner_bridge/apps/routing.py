"""The planner origin's router: Starlette's, with the routes a path can match found in one
dictionary lookup instead of by trying every route in turn.

Why: the app has some fifty routes, and Starlette's `Router` tries them one by one (a regular
expression each) for every request; `/healthz`, near the end, spent more time being found than
answered. A path that is exactly some route's literal path (`/auth/token`, `/v1/tokens`,
`/healthz`) is looked up in an index built from the routes: for each such path, every route
whose pattern matches it, in the routes' order, so that trying only those gives the very answer
the full scan gives (first full match, else the first that matched the path but not the method:
405). Every other path (ids in it, unknown, a WebSocket) is scanned as Starlette scans it.

A function endpoint's route (`Route(path, endpoint)`) is served without Starlette's exception
wrapper around it (`request_response`: its closures per request, and a second `Request`):
the app's one outer layer (`observed.Observed`) answers exceptions with the same handlers.

Either way the route that answered is put in the scope (`scope["route"]`, as Starlette 1.x does),
where `observed` reads its template for the access log and the metrics.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette._utils import get_route_path, is_async_callable
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

UNMATCHED = "unmatched"

Candidates = tuple[BaseRoute, ...]


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/v1/assets/{asset_id}`), never the path."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    path = getattr(route, "path", UNMATCHED)
    return f"{path}/{{path}}" if isinstance(route, Mount) else path


class IndexedRouter(Router):
    """Routes may still be added or removed in place (benchmarks do): the index is built again
    when their number changes."""

    def __init__(self, routes: list[BaseRoute], **options: Any) -> None:
        super().__init__(routes, **options)
        self._index: dict[str, Candidates] = {}
        self._indexed = -1  # len(self.routes) when the index was built

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)  # lifespan, and /v1/live's WebSocket
            return
        scope.setdefault("router", self)
        route, child_scope = self._match(scope)
        if route is None:  # 404, or Starlette's redirect to the path with(out) a slash
            await super().app(scope, receive, send)
            return
        scope["route"] = route
        scope.update(child_scope)
        if isinstance(route, Route) and route.methods and scope["method"] not in route.methods:
            raise HTTPException(405, headers={"Allow": ", ".join(self._allowed(scope))})
        if type(route) is Route:
            await route.app(scope, receive, send)  # what its `handle` does, one frame fewer
        else:
            await route.handle(scope, receive, send)  # a Mount, another kind of route

    def _match(self, scope: Scope) -> tuple[BaseRoute | None, Scope]:
        if self._indexed != len(self.routes):
            self._index, self._indexed = self._build_index(), len(self.routes)
        candidates = self._index.get(get_route_path(scope))
        partial: tuple[BaseRoute | None, Scope] = (None, {})
        for route in self.routes if candidates is None else candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return route, child_scope
            if match is Match.PARTIAL and partial[0] is None:
                partial = (route, child_scope)
        return partial

    def _allowed(self, scope: Scope) -> list[str]:
        """Every method some route serves at this path, for a 405's `Allow` (RFC 9110
        §15.5.6); Starlette names only those of the first route that matched the path."""
        candidates = self._index.get(get_route_path(scope), self.routes)
        methods = set()
        for route in candidates:
            if (
                isinstance(route, Route)
                and route.methods
                and route.matches(scope)[0] is Match.PARTIAL
            ):
                methods |= route.methods
        return sorted(methods)

    def _build_index(self) -> dict[str, Candidates]:
        for route in self.routes:
            _serve_plainly(route)
        # Only routes whose match depends on the path alone (and then the method) can be
        # indexed; anything else (a Host route, a route class of someone else's) turns it off.
        if not all(isinstance(r, Route | Mount | WebSocketRoute) for r in self.routes):
            return {}
        literal = [r.path for r in self.routes if isinstance(r, Route) and not r.param_convertors]
        index = {}
        for path in literal:
            probe = {"type": "http", "path": path, "root_path": "", "method": "GET"}
            index[path] = tuple(r for r in self.routes if r.matches(probe)[0] is not Match.NONE)
        return index


def _serve_plainly(route: BaseRoute) -> None:
    """A function endpoint served as `request_response` serves it, minus its exception
    wrapper (the outer layer has the same handlers); anything else is left as it is."""
    if not isinstance(route, Route) or getattr(route.app, "plain", False):
        return
    endpoint = route.endpoint
    if (inspect.isfunction(endpoint) or inspect.ismethod(endpoint)) and is_async_callable(endpoint):
        route.app = plain_endpoint(endpoint)


def plain_endpoint(endpoint: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    app.plain = True  # type: ignore[attr-defined]
    return app
