"""The planner origin's router (`apps/routing.IndexedRouter`) finds, through its index of literal
paths, the very route Starlette's scan of every route would: the first full match, else the
first route whose path matched but not its method (405). On the real app's routes, and on an
order where a route with a parameter comes before a literal path it also matches. A 405 names
every method served at its path, not only the first matching route's (RFC 9110 §15.5.6)."""

from __future__ import annotations

import httpx
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Mount, Route

from planner_bridge.apps.planner import create_app
from planner_bridge.apps.routing import IndexedRouter, route_template
from planner_bridge.serving import ThreadedServer

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def scanned(routes: list[BaseRoute], scope: dict) -> BaseRoute | None:
    """What Starlette's Router.app picks, route by route."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def request(path: str, method: str) -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def assert_same_choices(router: IndexedRouter, paths: list[str]) -> int:
    indexed = 0
    for path in paths:
        for method in METHODS:
            scope = request(path, method)
            assert router._match(scope)[0] is scanned(router.routes, scope), (method, path)
        indexed += path in router._index
    return indexed


def test_every_path_of_the_app_finds_the_route_starlettes_scan_finds(core):
    app = create_app(core)
    router = app.router
    assert isinstance(router, IndexedRouter)
    literal = {r.path for r in app.routes if isinstance(r, Route) and not r.param_convertors}
    others = {"/v1/assets/some-id", "/v1/api-tokens/tok_1", "/nowhere", "/planner/app.js"}
    assert {"/auth/token", "/v1/tokens", "/healthz"} <= literal
    assert assert_same_choices(router, sorted(literal | others)) == len(literal)  # all indexed
    assert route_template(request("/nowhere", "GET")) == "unmatched"


async def endpoint(request):
    return PlainTextResponse("")


def test_a_route_with_a_parameter_before_a_literal_path_still_wins():
    routes = [
        Route("/items/{item_id}", endpoint, methods=["GET"]),
        Route("/items/search", endpoint, methods=["GET", "POST"]),
        Route("/items", endpoint, methods=["GET"]),
        Route("/items", endpoint, methods=["POST"]),
        Mount("/files", PlainTextResponse("")),
        Route("/files/readme", endpoint, methods=["GET"]),  # behind the mount: never reached
    ]
    router = IndexedRouter(routes)
    assert_same_choices(router, ["/items/search", "/items", "/files/readme", "/items/7"])
    assert router._match(request("/items/search", "GET"))[0] is routes[0]
    assert router._match(request("/items/search", "POST"))[0] is routes[1]
    assert router._match(request("/items", "POST"))[0] is routes[3]
    assert router._match(request("/files/readme", "GET"))[0] is routes[4]
    assert router._match(request("/items", "DELETE"))[0] is routes[2]  # 405, as Starlette
    router.routes.append(Route("/late", endpoint))  # added in place: the index follows
    assert router._match(request("/late", "GET"))[0] is router.routes[-1]


def test_a_405_allows_every_method_served_at_its_path(core):
    """The path's routes are split by method (`GET` and `POST /v1/assets` are two routes):
    `Allow` names them all, at a literal path (indexed) and at one with an id (scanned)."""
    with ThreadedServer(lambda url: create_app(core)) as server:
        for path, allowed in [
            ("/v1/assets", {"GET", "HEAD", "POST"}),
            ("/v1/api-tokens", {"GET", "HEAD", "POST"}),
            ("/v1/assets/ast_1", {"GET", "HEAD", "PATCH", "DELETE"}),
            ("/auth/token", {"POST"}),
        ]:
            answer = httpx.put(server.url + path)
            assert answer.status_code == 405, path
            assert set(answer.headers["allow"].split(", ")) == allowed, path
            assert answer.json()["error"] == "invalid_request"
