"""`planner-bridge serve`: the planner origin alone, for production behind a proxy."""

from __future__ import annotations

import argparse
import socket
from typing import Any

from .. import serving
from ..apps.metrics_listener import create_metrics_app
from ..apps.planner import create_app
from ..apps.process import PlannerProcess, ready_line
from ..core import Core
from ..serving import MAX_PORT, bind, make_server, serve_all, url_of
from ..settings import METRICS_OFF, Settings
from ..validation import ascii_number
from .common import CommandError, serving_settings

# Each worker holds its own database pool; past a few per core they only contend.
MAX_WORKERS = 64
WORKERS_HELP = (
    "worker processes accepting on the one port (default 1). On PostgreSQL they share all "
    "state like separate instances; on SQLite they share the database file, but the /v1/live "
    "feed and the failure brakes are per worker"
)


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    port = ascii_number(text, max_digits=5)
    if port is None or port > MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to {MAX_PORT})")
    return port


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    serve = commands.add_parser("serve", parents=[parent], help="serve the planner origin")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=port_number, default=8001, help="port to listen on (default 8001; 0: any)"
    )
    serve.add_argument(
        "--metrics-port",
        type=port_number,
        help="also serve GET /metrics (Prometheus) on this port of the same host; off unless"
        " set (PLANNER_BRIDGE_METRICS_PORT; with --workers 1 only)",
    )
    serve.add_argument("--workers", type=worker_count, default=1, help=WORKERS_HELP)
    serve.set_defaults(run=run)


def worker_count(text: str) -> int:
    """An argparse type: how many worker processes, 1 to MAX_WORKERS."""
    count = ascii_number(text, max_digits=3)
    if count is None or not 1 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a worker count (1 to {MAX_WORKERS})")
    return count


def run(args: argparse.Namespace) -> None:
    sock = bind(args.host, args.port)
    url = url_of(sock)
    settings = serving_settings(args, url, metrics_port=args.metrics_port)
    metrics_sock = None
    if settings.metrics_port != METRICS_OFF:
        if args.workers > 1:
            # Each worker would count apart and only one could hold the port: refused, not
            # half-served.
            raise CommandError("--metrics-port works with --workers 1 only")
        metrics_sock = bind(args.host, settings.metrics_port)
    if args.workers == 1:
        serving.run(_serve(settings, sock, url, metrics_sock))
        return
    # Once here, before any worker: a bad database is one line, the schema is migrated and the
    # key ring made once, and workers only open what is ready.
    serving.run(_check(settings))
    print(f"planner origin on {url} (issuer {settings.issuer})", flush=True)
    if not serving.serve_processes(PlannerProcess(settings), sock, args.workers):
        raise CommandError("a worker process failed to start (its error is above)")


async def _serve(
    settings: Settings, sock: socket.socket, url: str, metrics_sock: socket.socket | None
) -> None:
    # The core is opened on the loop that serves: a PostgreSQL pool belongs to its loop.
    core = await Core.connect(settings)
    try:
        app = create_app(core)
        servers = [(make_server(app), sock)]  # built first: a failed start prints no banner
        if metrics_sock is not None:
            servers.append((make_server(create_metrics_app(app.state.metrics)), metrics_sock))
        print(f"planner origin on {url} (issuer {settings.issuer})", flush=True)
        if metrics_sock is not None:
            print(f"metrics on {url_of(metrics_sock)}/metrics", flush=True)
        print(ready_line(), flush=True)
        await serve_all(servers)
    finally:
        await core.aclose()


async def _check(settings: Settings) -> None:
    core = await Core.connect(settings)
    await core.aclose()
