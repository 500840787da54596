"""The planner origin's one outer layer (`apps/observed.Observed`, issue 19) does what
Starlette's ServerErrorMiddleware, ExceptionMiddleware and per-route exception wrappers did, on
a real uvicorn server: a refusal raised by a function endpoint is answered by the app's handler,
an unknown path or method in the same JSON shape, and a bug with a coded 500 (never a
traceback), raised on for the server to log; every one of them with a request id, an access
line and its count in the metrics."""

from __future__ import annotations

import io
import json
import logging
import socket

import httpx
import pytest
from starlette.routing import Route

from planner_bridge import logs
from planner_bridge.apps.planner import create_app
from planner_bridge.apps.responses import read_body
from planner_bridge.errors import InvalidRequest
from planner_bridge.serving import ThreadedServer
from support import wait_until


async def refuses(request):
    raise InvalidRequest("refused by the endpoint")


async def reads(request):
    await read_body(request)
    raise InvalidRequest("not reached when the client left")


async def breaks(request):
    raise RuntimeError("a bug with a secret-looking text in it")


class BreaksLate:
    """A bare ASGI endpoint (a function would be taken for a request-response endpoint)."""

    async def __call__(self, scope, receive, send):
        headers = [(b"content-length", b"10")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise RuntimeError("after the answer began")


@pytest.fixture
def served(core):
    stream = io.StringIO()
    handler = logs.configure("json", stream)

    def build(url):
        app = create_app(core)
        app.router.routes += [
            Route("/test/refuses", refuses, methods=["GET"]),
            Route("/test/reads", reads, methods=["POST"]),
            Route("/test/breaks", breaks, methods=["GET"]),
            Route("/test/breaks-late", BreaksLate(), methods=["GET"]),
        ]
        return app

    with ThreadedServer(build) as server:
        yield server, stream, handler


def access_lines(stream, handler) -> list[dict]:
    logs.unconfigure(handler)  # every line handed over is written first
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "planner_bridge.access"]


def test_errors_are_coded_counted_logged_and_carry_the_request_id(served, caplog):
    server, stream, handler = served
    url = server.url
    with caplog.at_level(logging.ERROR):
        refused = httpx.get(url + "/test/refuses", headers={"X-Request-Id": "t-refused"})
        broken = httpx.get(url + "/test/breaks", headers={"X-Request-Id": "t-broken"})
    missing = httpx.get(url + "/nowhere", headers={"X-Request-Id": "t-missing"})
    wrong_method = httpx.delete(url + "/healthz", headers={"X-Request-Id": "t-method"})

    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_request",
        "error_description": "refused by the endpoint",
    }
    assert broken.status_code == 500
    assert broken.headers["content-type"] == "application/json"
    assert broken.json() == {"error": "server_error", "error_description": "internal server error"}
    assert "secret-looking" not in broken.text and "Traceback" not in broken.text
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert wrong_method.status_code == 405 and set(wrong_method.headers["allow"].split(", ")) == {
        "GET",
        "HEAD",
    }
    assert wrong_method.json()["error"] == "invalid_request"
    for answer, request_id in [
        (refused, "t-refused"), (broken, "t-broken"), (missing, "t-missing"),
        (wrong_method, "t-method"),
    ]:  # fmt: skip
        assert answer.headers["x-request-id"] == request_id
        assert answer.headers["cache-control"] == "no-store"
    # The bug was raised on to the server, which logged it with its traceback.
    assert any(r.exc_info and "a bug with" in str(r.exc_info[1]) for r in caplog.records)

    exposition = server.app.state.metrics.exposition().decode()
    for route, method, status in [
        ("/test/refuses", "GET", "400"), ("/test/breaks", "GET", "500"),
        ("unmatched", "GET", "404"), ("/healthz", "DELETE", "405"),
    ]:  # fmt: skip
        sample = (
            f'planner_bridge_http_requests_total{{method="{method}",route="{route}",'
            f'status="{status}"}} 1.0'
        )
        assert sample in exposition
    seen = {
        line["request_id"]: (line["route"], line["status"])
        for line in access_lines(stream, handler)
    }
    assert seen["t-refused"] == ("/test/refuses", 400)
    assert seen["t-broken"] == ("/test/breaks", 500)
    assert seen["t-missing"] == ("unmatched", 404)
    assert seen["t-method"] == ("/healthz", 405)


def test_a_bug_after_the_answer_began_is_logged_and_the_answer_cut(served, caplog):
    server, stream, handler = served
    with caplog.at_level(logging.ERROR), pytest.raises(httpx.HTTPError):
        httpx.get(server.url + "/test/breaks-late", headers={"X-Request-Id": "t-late"})
    assert any(r.exc_info and "after the answer" in str(r.exc_info[1]) for r in caplog.records)
    seen = {line["request_id"]: line["status"] for line in access_lines(stream, handler)}
    assert seen["t-late"] == 200  # what the client was told


# Every kind of body reader: Starlette's stream under a function endpoint, the bare endpoints'
# own (`/auth/token`, `/v1/tokens`), the revocation endpoint's.
LEAVING = ["/test/reads", "/auth/token", "/v1/tokens", "/oauth/revoke"]


def leave_mid_body(url: str, path: str, request_id: str) -> None:
    """A request that promises 100 bytes of body, sends 5, and goes away."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nX-Request-Id: {request_id}\r\n"
            "Authorization: Basic a2V5OnNlY3JldA==\r\n\r\ngrant"
        )
        sock.sendall(head.encode())


def test_a_client_that_leaves_mid_body_is_a_499_never_a_500_nor_a_traceback(served, caplog):
    """Nobody is left to answer and nothing failed here: each reader's ClientDisconnect is
    recorded as 499 (nginx's "client closed request") in the access line and the metrics."""
    server, stream, handler = served
    with caplog.at_level(logging.ERROR):
        for index, path in enumerate(LEAVING):
            leave_mid_body(server.url, path, f"t-left-{index}")

        def counted() -> str | None:
            exposition = server.app.state.metrics.exposition().decode()
            samples = [f'method="POST",route="{path}",status="499"}} 1.0' for path in LEAVING]
            return exposition if all(sample in exposition for sample in samples) else None

        exposition = wait_until(counted)
    assert 'status="500"' not in exposition
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no traceback"
    seen = {line["request_id"]: line["status"] for line in access_lines(stream, handler)}
    assert [seen[f"t-left-{i}"] for i in range(len(LEAVING))] == [499] * len(LEAVING)
