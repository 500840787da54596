"""What one connection may make a server hold: a header block of at most 16 KiB, arriving
within 10 s, a request's body within 30 s of its headers, and WebSocket messages of at most
64 KiB.

uvicorn's httptools protocol sets neither header bound (uvicorn issue 157: llhttp buffers a
header of any size, and a connection that never finishes its headers is never closed), and h11's
`h11_max_incomplete_event_size` would cost the httptools speed `make bench` measures. So this is
uvicorn's httptools protocol with three small additions, all outside the per-byte path: the
bytes fed while a header block is incomplete are counted per read (refused once past the bound,
so at most one read's worth more is ever held), a finished block's exact size is checked once,
and a timer closes a connection whose headers are late. The timer is armed only for a block
that did not arrive in one read (and for a new connection until its first request), so the
usual request pays for none: `tests/benchmarks/bench_http_limits.py` measures what is left.

A body trickled in (or promised by its Content-Length and never sent) would hold its request
open for as long as the client likes: a second timer closes the connection when a body is still
incomplete BODY_DEADLINE_SECONDS after the read that ended its headers (the app then hears the
client left: `observed` records a 499). It too is armed only when the body did not come with
its headers, and it does not count time the server itself stopped reading (flow control: the
app has not taken the body yet). Bodies here are at most ~68 KiB: 30 s is 2.3 KB/s.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BLOCK = 16 * 1024  # request line and headers, in all (nginx's default is 8-32 KiB)
HEADER_DEADLINE_SECONDS = 10.0
BODY_DEADLINE_SECONDS = 30.0
MAX_WEBSOCKET_MESSAGE = 64 * 1024  # uvicorn's ws_max_size; its default is 16 MiB

_TOO_LARGE_BODY = b"request header fields are too large"
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY)
)


def server_limits() -> dict[str, Any]:
    """The uvicorn.Config options that put these limits on a server."""
    return {"http": BoundedHttpToolsProtocol, "ws_max_size": MAX_WEBSOCKET_MESSAGE}


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded, timed header block (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.awaiting_headers = True
        self.header_bytes = 0  # fed since the block began; may include a body's first bytes
        self.refused = False
        self.header_deadline: asyncio.TimerHandle | None = None
        self.reading_body = False  # a request's headers are in, its body is not yet whole
        self.body_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        self._disarm_body_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.awaiting_headers:
            self.header_bytes += len(data)
        super().data_received(data)
        if self.refused:
            self._refuse()
        elif self.awaiting_headers and self.header_bytes:  # a block begun, not finished
            if self.header_bytes > MAX_HEADER_BLOCK:
                self._refuse()  # too large already: not one more byte of it is held
            else:
                self._arm_deadline()  # a whole request in one read never needs a timer
        elif self.reading_body and self.body_deadline is None:  # its body did not come with it
            self.body_deadline = self.loop.call_later(BODY_DEADLINE_SECONDS, self._body_late)

    def on_headers_complete(self) -> None:
        # The exact size, once per request: the request line and each "name: value\r\n".
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if self.refused or size > MAX_HEADER_BLOCK:
            self.refused = True  # answered once this chunk is parsed, and nothing else runs
            return
        self.awaiting_headers = False
        self._disarm_deadline()
        super().on_headers_complete()
        self.reading_body = True  # until on_message_complete, often within the same read

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        super().on_message_complete()
        self.awaiting_headers = True  # the next request's block starts here
        self.header_bytes = 0
        self.reading_body = False
        self._disarm_body_deadline()

    def _refuse(self) -> None:
        self.refused = True
        self._disarm_deadline()
        if not self.transport.is_closing():
            self.transport.write(TOO_LARGE)
            self.transport.close()

    def _arm_deadline(self) -> None:
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(HEADER_DEADLINE_SECONDS, self._headers_late)

    def _disarm_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _disarm_body_deadline(self) -> None:
        if self.body_deadline is not None:
            self.body_deadline.cancel()
            self.body_deadline = None

    def _body_late(self) -> None:
        self.body_deadline = None
        if not self.reading_body or self.transport.is_closing():
            return
        if self.flow.read_paused:  # we stopped reading, not the client: its time does not run
            self.body_deadline = self.loop.call_later(BODY_DEADLINE_SECONDS, self._body_late)
            return
        self.transport.close()

    def _headers_late(self) -> None:
        self.header_deadline = None
        if not self.awaiting_headers or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request waits while reading is paused for the one before it: its
            # headers are not late yet.
            self._arm_deadline()
            return
        self.transport.close()
