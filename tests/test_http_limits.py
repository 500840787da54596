"""What one connection may make `planner-bridge serve` hold, over raw sockets against the real
process: a header block of at most 16 KiB (431 or closed), headers within 10 s, a body within
30 s of its headers (on a server of this process, the deadline shortened), WebSocket messages
of at most 64 KiB."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from planner_bridge import http_limits
from planner_bridge.apps.planner import create_app
from planner_bridge.http_limits import HEADER_DEADLINE_SECONDS, MAX_HEADER_BLOCK
from planner_bridge.serving import ThreadedServer
from served import running
from support import wait_until

KIB = 1024
CHUNK = 64 * KIB
STREAM = 128 * 1024 * KIB  # what the attack sent: one header of 128 MiB
RSS_GROWTH_BOUND = 16 * 1024 * KIB  # without the limit, the process grew by about 200 MiB
CLOSE_WAIT = HEADER_DEADLINE_SECONDS * 6  # generous: the machine is shared


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, int, int]]:
    data = str(tmp_path_factory.mktemp("limits"))
    with running("serve", "--port", "0", "--data-dir", data) as served:
        url = served.wait_for_line(r"planner origin on (http://\S+)").group(1)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        yield host, int(port), served.process.pid


@contextlib.contextmanager
def raw(server) -> Iterator[socket.socket]:
    host, port, _ = server
    with socket.create_connection((host, port), timeout=CLOSE_WAIT) as sock:
        yield sock


def request(extra_header_bytes: int) -> bytes:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    return head + b"X-Pad: " + b"a" * extra_header_bytes + b"\r\n\r\n"


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or one answer's worth)."""
    received = b""
    while chunk := sock.recv(CHUNK):
        received += chunk
        if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
            break  # a kept-alive answer: enough for a status line
    return received


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB
    raise AssertionError(f"no VmRSS for process {pid}")


def test_a_header_block_within_16_kib_is_answered(server) -> None:
    with raw(server) as sock:
        sock.sendall(request(MAX_HEADER_BLOCK - 200))
        assert answer(sock).startswith(b"HTTP/1.1 200 ")


def test_requests_split_across_reads_and_kept_alive_are_answered(server) -> None:
    """The counting follows each request's own block: a block sent in pieces, then two more
    requests in one write, all answered on one connection."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    with raw(server) as sock:
        sock.sendall(head)
        sock.sendall(b"X-Pad: " + b"a" * 1000 + b"\r\n\r\n")
        answers = sock.recv(CHUNK)
        sock.sendall(head + b"\r\n" + head + b"Connection: close\r\n\r\n")
        while chunk := sock.recv(CHUNK):  # until the server closes, after the last answer
            answers += chunk
    assert answers.count(b"HTTP/1.1 200 ") == 3, answers


def test_a_header_block_over_16_kib_is_refused_with_431(server) -> None:
    with raw(server) as sock:
        sock.sendall(request(MAX_HEADER_BLOCK))
        received = answer(sock)
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    assert received.endswith(b"request header fields are too large")


def test_a_128_mib_header_is_refused_early_and_not_held(server) -> None:
    pid = server[2]
    before = rss(pid)
    sent = 0
    with raw(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        with contextlib.suppress(ConnectionError):  # closed while sending: refused
            while sent < STREAM:
                sock.sendall(b"a" * CHUNK)
                sent += CHUNK
        with contextlib.suppress(ConnectionError):
            received = answer(sock)
            assert received == b"" or received.startswith(b"HTTP/1.1 431 "), received[:200]
    after = rss(pid)
    assert sent < STREAM, "the server read the whole 128 MiB header"
    assert after - before < RSS_GROWTH_BOUND, (before, after)


def test_a_slowloris_connection_is_closed(server) -> None:
    """Headers trickled one byte at a time: each byte would reset a per-read timeout, never the
    deadline for the whole block."""
    with raw(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(1)  # the pace of the trickle, not a wait on the server
        for _ in range(int(CLOSE_WAIT)):
            try:
                if sock.recv(CHUNK) == b"":
                    return  # closed by the server
            except TimeoutError:
                pass
            try:
                sock.sendall(b"X")
            except ConnectionError:
                return
    raise AssertionError(f"a slowloris connection still open after {CLOSE_WAIT} s")


def test_an_idle_connection_without_a_request_is_closed(server) -> None:
    with raw(server) as sock:
        assert sock.recv(CHUNK) == b""  # within CLOSE_WAIT, else recv raises TimeoutError


def live_close(server, message: str) -> int:
    host, port, _ = server
    url = f"ws://{host}:{port}/v1/live"
    with connect(url, open_timeout=CLOSE_WAIT) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.send(message)
        while True:
            ws.recv(timeout=CLOSE_WAIT)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_a_websocket_message_over_64_kib_is_refused(server) -> None:
    assert live_close(server, "x" * 65 * KIB) == 1009  # message too big, before the app reads it


def test_a_websocket_message_under_64_kib_reaches_the_app(server) -> None:
    assert live_close(server, "x" * 60 * KIB) == 1008  # the app's own: not an auth message


BODY_DEADLINE = 1.0  # seconds, for the server below: the rule, not the production number
FORM_HEAD = (
    b"POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 29\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
)
FORM = b"grant_type=client_credentials"  # 29 bytes, no credentials: 401 invalid_client


@pytest.fixture
def quick_body_deadline(core, monkeypatch) -> Iterator[ThreadedServer]:
    monkeypatch.setattr(http_limits, "BODY_DEADLINE_SECONDS", BODY_DEADLINE)
    with ThreadedServer(lambda url: create_app(core)) as server:
        yield server


def test_a_body_that_never_arrives_closes_the_connection_as_a_499(quick_body_deadline) -> None:
    """Headers in time, then 5 of the 29 bytes promised and silence: the connection is closed
    once the body is late, and the request counted as the client's leaving, not an error."""
    server = quick_body_deadline
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=CLOSE_WAIT) as sock:
        sock.sendall(FORM_HEAD + FORM[:5])
        assert sock.recv(CHUNK) == b"", "closed without an answer"
    metrics = server.app.state.metrics
    late = 'method="POST",route="/auth/token",status="499"} 1.0'
    assert wait_until(lambda: late in metrics.exposition().decode())


def test_a_body_sent_slowly_but_in_time_is_answered(quick_body_deadline) -> None:
    host, port = quick_body_deadline.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=CLOSE_WAIT) as sock:
        sock.sendall(FORM_HEAD + FORM[:5])
        time.sleep(BODY_DEADLINE / 5)  # the client's pace, not a wait for the server
        sock.sendall(FORM[5:])
        assert answer(sock).startswith(b"HTTP/1.1 401 ")  # answered: no credentials
