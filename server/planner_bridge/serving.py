"""Running ASGI apps on real uvicorn servers: in the foreground (serve, demo), in worker
processes (serve --workers) or a thread (tests).

Sockets are bound before the app is built, so a server on port 0 knows its own URL (the token
service's issuer defaults to it), and worker processes all accept on the one socket.
Foreground servers run on the loop uvicorn's `loop="auto"` picks (uvloop when installed), the
one `make bench` measures, not on asyncio's default loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from .http_limits import server_limits

MAX_PORT = 65535
T = TypeVar("T")


def bind(host: str, port: int) -> socket.socket:
    if not 0 <= port <= MAX_PORT:  # socket.bind would raise OverflowError, not an OSError
        raise ValueError(f"port {port} is not a port number (0 to {MAX_PORT})")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio and uvloop only set TCP_NODELAY on accepted sockets whose
    # proto says TCP; without it every answer written in two parts waits ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:  # name the port: "Address already in use" alone does not say which
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str | None = None) -> str:
    bound_host, port = sock.getsockname()[:2]
    host = host or bound_host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: Any, **config: Any) -> uvicorn.Server:
    return uvicorn.Server(server_config(app, **config))


def server_config(app: Any, **config: Any) -> uvicorn.Config:
    config.setdefault("log_level", "warning")
    config.setdefault("access_log", False)  # an access log would be one more place for secrets
    # Client addresses are found by `addresses.TrustedProxies` alone, from the real peer: uvicorn
    # would otherwise believe X-Forwarded-For from 127.0.0.1 and rewrite the peer before we see it.
    config["proxy_headers"] = False
    config.setdefault("lifespan", "off")
    # Every server this package runs bounds what one connection may make it hold.
    config.update(server_limits())
    return uvicorn.Config(app, **config)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on the event loop uvicorn's `loop="auto"` picks (uvloop when installed)."""
    factory = uvicorn.Config(app="", loop="auto").get_loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def loop_name() -> str:
    """Which event loop runs the calling coroutine: "uvloop" or "asyncio"."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.split(".")[0] == "uvloop" else "asyncio"


def serve_processes(app: Any, sock: socket.socket, workers: int) -> bool:
    """Serve `app` from `workers` processes (uvicorn's supervisor) accepting on one bound
    socket, until SIGINT or SIGTERM, which stops every worker before this returns. `app` is
    pickled into each worker: it must open what it needs in its lifespan start-up, on the
    worker's own loop. A worker that dies is replaced; one that fails to start stops them all,
    and then this returns False."""
    supervisor = Multiprocess(server_config(app, lifespan="on", workers=workers), sockets=[sock])
    supervisor.run()
    return all(process.exitcode != STARTUP_FAILURE for process in supervisor.processes)


async def serve_all(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    """Serve until interrupted. Each server chains the signal to the one started before it,
    so one Ctrl-C stops them all cleanly."""
    try:
        await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in servers))
    finally:
        for s, _ in servers:
            s.should_exit = True


class ThreadedServer:
    """A real uvicorn server on an ephemeral port in a background thread, for tests.

    An exception that reaches the server's event loop outside any request (in a callback, a
    task nobody awaits) would only be logged there, and a test waiting for what it should have
    done would wait forever: such errors are kept, and leaving the server raises the first one.
    """

    def __init__(
        self,
        build_app: Callable[[str], Any],
        host: str = "127.0.0.1",
        url_host: str | None = None,
        port: int = 0,  # 0: an ephemeral port; a given one, e.g. to restart a server in place
        **config: Any,
    ) -> None:
        self.sock = bind(host, port)
        self.url = url_of(self.sock, url_host)
        self.app = build_app(self.url)
        self.server = make_server(self.app, **config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.loop_errors: list[dict[str, Any]] = []

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        asyncio.get_running_loop().set_exception_handler(self._loop_error)
        await self.server.serve(sockets=[self.sock])

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.loop_errors.append(context)
        loop.default_exception_handler(context)  # logged as well, where it happened

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server failed to start")
            self.thread.join(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        if self.loop_errors and exc[0] is None:  # else the error already on its way wins
            context = self.loop_errors[0]
            raise RuntimeError(
                f"the server's event loop failed: {context.get('message')}"
            ) from context.get("exception")


def blocking(awaitable: Coroutine[Any, Any, T]) -> T:
    """Await from code that runs on no event loop (tests, scripts beside a ThreadedServer):
    on a fresh loop in a thread of its own, so it works even where a loop is already running.
    A core on SQLite may be used this way from any thread (its store is bound to no loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, awaitable).result()
