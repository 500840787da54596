"""`planner-bridge serve`: the planner origin alone, for production behind a proxy."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..apps.metrics_listener import create_metrics_app
from ..apps.planner import create_app
from ..core import Core
from ..serving import MAX_PORT, bind, make_server, serve_all, url_of
from ..settings import METRICS_OFF
from ..validation import ascii_number
from .common import serving_settings


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
        " set (PLANNER_BRIDGE_METRICS_PORT)",
    )
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    sock = bind(args.host, args.port)
    url = url_of(sock)
    settings = serving_settings(args, url, metrics_port=args.metrics_port)
    metrics_sock = None
    if settings.metrics_port != METRICS_OFF:
        metrics_sock = bind(args.host, settings.metrics_port)
    core = Core.open(settings)
    app = create_app(core)
    servers = [(make_server(app), sock)]  # built first: a failed start prints no banner
    if metrics_sock is not None:
        servers.append((make_server(create_metrics_app(app.state.metrics)), metrics_sock))
    print(f"planner origin on {url} (issuer {settings.issuer})", flush=True)
    if metrics_sock is not None:
        print(f"metrics on {url_of(metrics_sock)}/metrics", flush=True)
    asyncio.run(serve_all(servers))
