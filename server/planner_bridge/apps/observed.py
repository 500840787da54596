"""Every request of the planner origin, observed once: a request id, an access log line and the
HTTP metrics (`planner_bridge.logs`, `planner_bridge.metrics`). A plain ASGI middleware, so it
also sees the bare `/auth/token` endpoint and the `/v1/live` WebSocket.

Requests are named by their route *template* (`/v1/assets/{asset_id}`), never their path: a
path carries ids, and would make the metrics unbounded. A 401 counts as an authentication
failure, its reason read from the `WWW-Authenticate` challenge the one error renderer wrote.
Handlers that mint a token say so with `note_minted`; the count is made once the answer is sent.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import logs
from ..metrics import Metrics

MINTED = "planner_bridge.minted"
REQUEST_ID_HEADER = "X-Request-Id"
# A caller's request id is kept only when it is short and plain: it goes into every log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "unmatched"


def note_minted(scope: Scope, kind: str, grant: str) -> None:
    """Called by a handler that minted a token (a `Request`'s `.scope` will do)."""
    scope.setdefault("state", {})[MINTED] = (kind, grant)


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:  # PARTIAL: the path matched, the method did not (405)
            path = getattr(route, "path", UNMATCHED)
            return f"{path}/{{path}}" if isinstance(route, Mount) else path
    return UNMATCHED


def failure_reason(challenge: str | None) -> str:
    """The `reason` label of a 401, from its challenge (see `apps.responses._challenge`)."""
    if not challenge:
        return "other"
    if challenge.startswith(("Bearer", "DPoP")):
        found = re.search(r'error="([a-z_]+)"', challenge)
        return found.group(1) if found else "missing_credentials"
    return "invalid_client"  # Basic or Signature: the client's own credentials failed


def incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class Observed:
    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = incoming_request_id(scope)
        context = logs.request_id.set(request_id)
        answer: dict[str, Any] = {"status": 500, "challenge": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                answer.update(status=message["status"], challenge=headers.get("www-authenticate"))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, answer["status"], answer["challenge"], started)
            logs.request_id.reset(context)

    def _record(self, scope: Scope, status: int, challenge: str | None, started: float) -> None:
        seconds = time.perf_counter() - started
        route, method = route_template(self.routes, scope), scope["method"]
        self.metrics.request_answered(route, method, status, seconds)
        if status == 401:
            self.metrics.auth_failed(route, failure_reason(challenge))
        minted = scope.get("state", {}).get(MINTED)
        if minted and status < 300:
            self.metrics.token_issued(*minted)
        logs.access(method=method, route=route, status=status, duration_ms=round(seconds * 1000, 3))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                self.metrics.live_connections.inc()
            await send(message)

        context = logs.request_id.set(incoming_request_id(scope))
        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                self.metrics.live_connections.dec()
            logs.request_id.reset(context)
