"""Every request of the planner origin, observed once: a request id, an access log line and the
HTTP metrics (`planner_bridge.logs`, `planner_bridge.metrics`). A plain ASGI middleware, so it
also sees the bare `/auth/token` endpoint and the `/v1/live` WebSocket.

Requests are named by their route *template* (`/v1/assets/{asset_id}`), never their path: a
path carries ids, and would make the metrics unbounded. The template is the matched route's,
which the router (`routing.IndexedRouter`) leaves in the scope: nothing is matched twice. A 401
counts as an authentication failure, its reason read from the `WWW-Authenticate` challenge the
one error renderer wrote.
Handlers that mint a token say so with `note_minted`; the count is made once the answer is sent.

It is also the one layer around the router for HTTP (issue 19): Starlette puts two middlewares
around an app's own (ServerErrorMiddleware, ExceptionMiddleware) and an exception wrapper in
every route, each with its closures per request. Here one `try` does their work: an exception
with a handler (`planner.create_app`'s) is answered by it; any other is answered with a coded
500 (never a traceback) and raised on, for the server to log, as Starlette's outer layer does.
WebSockets and the lifespan still go through Starlette's whole stack (`ObservedApp`). A client
that leaves before its body has arrived (`ClientDisconnect`, raised by every body reader) is
nobody's error: it is recorded as 499, with no traceback.

Every request passes through here, so it is kept cheap: the id is 128 random bits, the metrics
are plain counters (`Metrics`), and the access line is built in one step and written off the
request path (`logs`, `line_writer`).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Awaitable, Mapping
from typing import Any

from starlette._utils import is_async_callable
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from .. import logs
from ..metrics import Metrics
from .responses import server_error_response
from .routing import route_template

MINTED = "planner_bridge.minted"
# What a request whose client left before any answer is recorded as (nginx's "client closed
# request"): no answer went out, and nothing failed on our side, so neither a 500 nor a 400.
CLIENT_CLOSED = 499
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

    __slots__ = ("challenge", "id_header", "send", "started", "status")

    def __init__(self, send: Send, request_id: str) -> None:
        self.send = send
        self.id_header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        self.status = 500  # if nothing is sent
        self.started = False
        self.challenge: str | None = None

    def left(self) -> None:
        """The client went away before any answer (an answer already under way stands)."""
        if not self.started:
            self.status = CLIENT_CLOSED

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            headers = message["headers"] = [*message.get("headers", ()), self.id_header]
            self.status, self.started = message["status"], True
            if self.status == 401:
                self.challenge = challenge_of(headers)
        return self.send(message)


class ObservedApp(Starlette):
    """A Starlette app whose HTTP requests go through `Observed` straight to the router.
    Its handlers are by exception class, one of them for HTTPException (404, 405)."""

    def __init__(self, metrics: Metrics, handlers: Mapping[Any, ExceptionHandler]) -> None:
        if HTTPException not in handlers or not all(isinstance(k, type) for k in handlers):
            raise ValueError("handlers by exception class, HTTPException's among them")
        super().__init__(exception_handlers=dict(handlers))
        self.metrics = metrics

    def build_middleware_stack(self) -> ASGIApp:
        standard = super().build_middleware_stack()  # for WebSockets and the lifespan
        handlers = self.exception_handlers
        # The router's own stack (its `app`, as it has no middleware): one frame fewer.
        router = self.router.middleware_stack
        return Observed(standard, self.metrics, router=router, handlers=handlers)


class Observed:
    """`app` serves what is not HTTP; HTTP goes to `router` (the app itself when not given),
    its exceptions answered by `handlers` (by class, as Starlette looks them up)."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        *,
        router: ASGIApp | None = None,
        handlers: Mapping[Any, ExceptionHandler] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router or app
        self.handlers = dict(handlers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # HTTP's work is inline here: each frame costs per request
            await self._other(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = incoming_request_id(scope)
        context = logs.request_id.set(request_id)
        answer = Answer(send, request_id)
        try:
            await self.router(scope, receive, answer)
        except ClientDisconnect:  # it left mid-body: nobody to answer, no traceback to log
            answer.left()
        except Exception as exc:
            await self._answer_error(scope, receive, answer, exc)
        finally:
            self._record(scope, request_id, answer, started)
            logs.request_id.reset(context)

    async def _answer_error(
        self, scope: Scope, receive: Receive, answer: Answer, exc: Exception
    ) -> None:
        """What Starlette's ExceptionMiddleware and ServerErrorMiddleware do, in one place."""
        handler = self._handler_for(exc)
        if answer.started:  # too late to answer anything: the server logs it, drops the line
            raise exc
        if handler is None:
            await server_error_response()(scope, receive, answer)
            raise exc  # answered; raised on for the server to log, with its traceback
        request = Request(scope, receive)
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if response is not None:
            await response(scope, receive, answer)
        exc.__traceback__ = None  # reused exception instances would gather tracebacks

    async def _other(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Any:
        for cls in type(exc).__mro__:
            handler = self.handlers.get(cls)
            if handler is not None:
                return handler
        return None

    def _record(self, scope: Scope, request_id: str, answer: Answer, started: float) -> None:
        seconds = time.perf_counter() - started
        status, route, method = answer.status, route_template(scope), scope["method"]
        self.metrics.request_answered(route, method, status, seconds)
        if status == 401:
            self.metrics.auth_failed(route, failure_reason(answer.challenge))
        minted = scope.get("state", {}).get(MINTED)
        if minted and status < 300:
            self.metrics.token_issued(*minted)
        logs.access(request_id, method, route, status, seconds * 1000)

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
