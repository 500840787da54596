"""`planner-bridge serve`: the planner origin alone, for production behind a proxy."""

from __future__ import annotations

import argparse
from typing import Any

from .. import serving
from ..apps.process import PlannerProcess
from ..core import Core
from ..serving import MAX_PORT, bind, url_of
from ..settings import Settings
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
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=8001)
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
    settings = serving_settings(args, url)
    # Once here, before any worker: a bad database is one line, the schema is migrated and the
    # key ring made once, and workers only open what is ready.
    serving.run(_check(settings))
    print(f"planner origin on {url} (issuer {settings.issuer})", flush=True)
    app = PlannerProcess(settings)
    if args.workers == 1:
        serving.make_server(app, lifespan="on").run(sockets=[sock])
    elif not serving.serve_processes(app, sock, args.workers):
        raise CommandError("a worker process failed to start (its error is above)")


async def _check(settings: Settings) -> None:
    core = await Core.connect(settings)
    await core.aclose()
