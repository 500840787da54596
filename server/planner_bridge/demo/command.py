"""`planner-bridge demo`: the planner origin and the demo shop (host origin) in one process.

Two real uvicorn servers: the planner on http://127.0.0.1:<planner-port> (also the issuer) and
the shop on http://localhost:<host-port>. Two host names on purpose, so that every message
crosses a real origin boundary. First runs seed the data dir (see `planner_bridge.demo.seed`).
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

from ..apps import planner, web_files
from ..cli.common import emit, serving_settings, settings_from
from ..cli.serve import port_number
from ..core import Core
from ..serving import bind, make_server, serve_all, url_of
from ..serving import run as run_on_loop
from ..settings import Settings
from . import seed, shop
from .settings import DemoSettings


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    command = commands.add_parser(
        "demo", parents=[parent], help="run the planner origin and a demo shop embedding it"
    )
    command.add_argument(
        "--host-port",
        type=port_number,
        default=8000,
        help="port of the demo shop, http://localhost:PORT (default 8000; 0: any)",
    )
    command.add_argument(
        "--planner-port",
        type=port_number,
        default=8001,
        help="port of the planner origin, http://127.0.0.1:PORT (default 8001; 0: any)",
    )
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    # Bind both first: a port in use fails here, before anything is written to the data dir.
    planner_sock = bind("127.0.0.1", args.planner_port)
    host_sock = bind("127.0.0.1", args.host_port)
    planner_url = url_of(planner_sock)
    host_url = url_of(host_sock, "localhost")
    demo = DemoSettings.from_env(settings_from(args))  # refused before anything is written
    settings = serving_settings(args, planner_url)
    run_on_loop(_serve(args, (settings, demo), (planner_sock, planner_url), (host_sock, host_url)))


async def _serve(
    args: argparse.Namespace,
    options: tuple[Settings, DemoSettings],
    planner_at: tuple[socket.socket, str],
    host_at: tuple[socket.socket, str],
) -> None:
    (settings, demo), (planner_sock, planner_url) = options, planner_at
    host_sock, host_url = host_at
    core = await Core.connect(settings)  # on the loop that serves, which owns its pool
    try:
        # Before seeding: a password generated for a start that then fails would be lost.
        web_files.require("planner", "sdk", "templates", "host")
        setup = await seed.prepare(core, demo, host_url=host_url, planner_url=planner_url)
        # Both apps are built before anything is printed: a start that fails shows no banner
        # and no one-time password that looks like success.
        servers = [
            (make_server(planner.create_app(core)), planner_sock),
            (make_server(shop.create_app(setup.host)), host_sock),
        ]
        announce(args, setup, planner_url)
        await serve_all(servers)
    finally:
        await core.aclose()


def announce(args: argparse.Namespace, setup: seed.DemoSetup, planner_url: str) -> None:
    host = setup.host
    data = {
        "host_url": host.host_url,
        "planner_url": planner_url,
        "entity_id": host.entity_id,
        "users": list(seed.DEMO_USERS),
        "password": setup.generated_password,  # null unless generated on this run
    }
    if setup.generated_password:
        password = f"{setup.generated_password}   (generated now and shown only this once)"
    elif setup.password_from_env:
        password = "from PLANNER_BRIDGE_DEMO_PASSWORD"
    else:
        password = "as printed on the first run (set PLANNER_BRIDGE_DEMO_PASSWORD to change it)"
    lines = [
        f"shop (host origin):  {host.host_url}/",
        f"planner origin:      {planner_url}  (token service, web services, planner, SDK)",
        f"legal entity:        {seed.ENTITY_NAME} {host.entity_id}"
        + ("  (registered now)" if setup.new_entity else ""),
        f"demo logins:         {', '.join(seed.DEMO_USERS)}; password {password}",
        "Ctrl-C stops both servers.",
    ]
    emit(args, data, "\n".join(lines))
    sys.stdout.flush()
