"""Tests end, one way or another: every test has a time bound (pytest-timeout, pyproject), and an
error raised in a test server's event loop, outside any request, fails the test that ran it
instead of being only logged while the test waits for ever."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from planner_bridge.serving import ThreadedServer


def app_failing_in_a_callback() -> Starlette:
    """Answers at once, and fails afterwards in a loop callback no request waits on."""

    def fail() -> None:
        raise ValueError("broken in a callback")

    async def endpoint(request):
        asyncio.get_running_loop().call_soon(fail)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/", endpoint)])


def test_every_test_has_a_generous_time_bound(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert int(pytestconfig.getini("timeout")) == 300


def test_an_error_in_the_servers_event_loop_fails_the_test():
    server = ThreadedServer(lambda url: app_failing_in_a_callback()).__enter__()
    try:
        assert httpx.get(server.url + "/").text == "ok"
    finally:
        with pytest.raises(RuntimeError, match="event loop failed") as caught:
            server.__exit__(None, None, None)
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_server_without_loop_errors_exits_quietly():
    with ThreadedServer(lambda url: Starlette(routes=[])) as server:
        assert httpx.get(server.url + "/").status_code == 404
    assert server.loop_errors == []


INNER = """
import asyncio, threading
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
import httpx
from planner_bridge.serving import ThreadedServer

done = threading.Event()

async def endpoint(request):
    def work():
        raise ValueError("the work failed in a callback")
        done.set()  # never reached: what the test waits for
    asyncio.get_running_loop().call_soon(work)
    return PlainTextResponse("accepted")

def test_waits_for_work_that_failed_in_the_loop():
    with ThreadedServer(lambda url: Starlette(routes=[Route("/", endpoint)])) as server:
        assert httpx.get(server.url + "/").text == "accepted"
        done.wait()  # hangs: only the time bound ends it
"""


def test_a_test_waiting_on_a_failed_callback_fails_instead_of_hanging(tmp_path: Path):
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER))
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,  # this test's own bound: the inner run must end well before it
    )
    output = inner.stdout + inner.stderr
    assert inner.returncode == 1, output
    assert "1 failed" in output and "Timeout" in output
    assert "the work failed in a callback" in output  # the cause is shown, not only the hang
