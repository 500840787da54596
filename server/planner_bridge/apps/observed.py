"""Every request of the planner origin, observed once: a request id, an access log line and the
HTTP metrics (`planner_bridge.logs`, `planner_bridge.metrics`). A plain ASGI middleware, so it
also sees the bare `/auth/token` endpoint and the `/v1/live` WebSocket.

Requests are named by their route *template* (`/v1/assets/{asset_id}`), never their path: a
path carries ids, and would make the metrics unbounded. The template is the matched route's,
which the router (`routing.IndexedRouter`) leaves in the scope: nothing is matched twice. A 401
counts as an authentication failure, its reason read from the `WWW-Authenticate` challenge the
one error renderer wrote.
Handlers that mint a token say so with `note_minted`; the count is made once the answer is sent.

Every request passes through here, so it is kept cheap (issue 19): the id is 128 random bits,
the metric children are found once (`Metrics`), and the access line is built in one step and
written off the request path (`logs`, `line_writer`).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import logs
from ..metrics import Metrics
from .routing import route_template

MINTED = "planner_bridge.minted"
REQUEST_ID_HEADER = b"x-request-id"
# A caller's request id is kept only when it is short and plain: it goes into every log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def note_minted(scope: Scope, kind: str, grant: str) -> None:
    """Called by a handler that minted a token (a `Request`'s `.scope` will do)."""
    scope.setdefault("state", {})[MINTED] = (kind, grant)


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
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    # 128 random bits, as a uuid4 has, for a tenth of its cost; the same 32 hex digits. An id
    # names a request, it guards nothing: `random` will do (reseeded in a forked child).
    return f"{random.getrandbits(128):032x}"


def challenge_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"www-authenticate":
            return value.decode("latin-1")
    return None


class Answer:
    """The `send` of one request: it adds the request id to the answer's headers and notes the
    status (and a 401's challenge). A plain callable returning `send`'s awaitable, not a
    coroutine function: one coroutine fewer per message."""

    __slots__ = ("challenge", "id_header", "send", "status")

    def __init__(self, send: Send, request_id: str) -> None:
        self.send = send
        self.id_header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        self.status = 500  # if nothing is sent
        self.challenge: str | None = None

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            headers = message["headers"] = [*message.get("headers", ()), self.id_header]
            self.status = message["status"]
            if self.status == 401:
                self.challenge = challenge_of(headers)
        return self.send(message)


class Observed:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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
        answer = Answer(send, request_id)
        try:
            await self.app(scope, receive, answer)
        finally:
            self._record(scope, request_id, answer, started)
            logs.request_id.reset(context)

    def _record(self, scope: Scope, request_id: str, answer: Answer, started: float) -> None:
        seconds = time.perf_counter() - started
        status, route, method = answer.status, route_template(scope), scope["method"]
        self.metrics.request_answered(route, method, status, seconds)
        if status == 401:
            self.metrics.auth_failed(route, failure_reason(answer.challenge))
        minted = scope.get("state", {}).get(MINTED)
        if minted and status < 300:
            self.metrics.token_issued(*minted)
        logs.access(request_id, method, route, status, round(seconds * 1000, 3))

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
