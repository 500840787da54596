"""What the header limits (`planner_bridge.http_limits`) cost per request: uvicorn's httptools
protocol and the bounded one, fed the same keep-alive requests on one uvloop loop, no sockets.

A `POST /auth/token` as a client sends it (Basic credentials, a form body) goes to a bare ASGI
app that answers at once, so the numbers are the protocol's own work per request plus that
app's; the two protocols are measured in interleaved rounds and each keeps its best. The
end-to-end `/auth/token` rates are in bench_tokens. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from planner_bridge.http_limits import BoundedHttpToolsProtocol

REQUESTS = int(os.environ.get("BENCH_PROTOCOL_REQUESTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PROTOCOLS = (("httptools", HttpToolsProtocol), ("bounded", BoundedHttpToolsProtocol))
REQUEST = (
    b"POST /auth/token HTTP/1.1\r\nHost: planner.example\r\nUser-Agent: bench/1\r\n"
    b"Accept: application/json\r\nAuthorization: Basic " + b"A" * 100 + b"\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\n"
    b"grant_type=client_credentials"
)


async def answer(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


class Sink(asyncio.Transport):
    """A transport that takes every write and never closes: only the protocol is measured."""

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8001) if name in ("sockname", "peername") else default


def _per_request(protocol_class: type, loop: asyncio.AbstractEventLoop) -> float:
    config = uvicorn.Config(answer, http=protocol_class, log_level="warning", lifespan="off")
    config.load()
    protocol = protocol_class(config, ServerState(), {}, _loop=loop)
    protocol.connection_made(Sink())
    started = time.process_time()
    for _ in range(REQUESTS):
        protocol.data_received(REQUEST)
        loop.run_until_complete(asyncio.sleep(0))  # the answer task runs to its end
    spent = time.process_time() - started
    protocol.connection_lost(None)
    return spent / REQUESTS


def run() -> list[str]:
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    best: dict[str, float] = {}
    try:
        for _ in range(ROUNDS):
            for name, cls in (
                ("httptools", HttpToolsProtocol),
                ("bounded", BoundedHttpToolsProtocol),
            ):
                cost = _per_request(cls, loop)
                best[name] = min(best.get(name, cost), cost)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    plain, bounded = best["httptools"], best["bounded"]
    return [
        f"   {REQUESTS:,} keep-alive POST /auth/token requests fed in memory; best of {ROUNDS}",
        f"   uvicorn httptools protocol   {plain * 1e6:6.1f} us CPU/request",
        f"   with the header limits       {bounded * 1e6:6.1f} us CPU/request"
        f"   ({(bounded - plain) * 1e6:+.1f} us, {bounded / plain:.2f}x)",
    ]
