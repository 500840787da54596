"""The PostgreSQL rows of `make bench` (issue 8), each a ratio measured side by side in one run.

A throw-away PostgreSQL cluster (tests/postgres_server.py: initdb into a temp dir, a free port)
serves both rows; each gets a database of its own.
1. `POST /auth/token` on two real `planner-bridge serve` processes (one worker each), one on
   SQLite, one with PLANNER_BRIDGE_DATABASE_URL on PostgreSQL, in alternating rounds, driven by
   bench_workers' keep-alive client from this process. Goal: PostgreSQL ≥ 0.9x SQLite.
2. Authenticated `GET /v1/assets/{id}` against the same handler unauthenticated, on PostgreSQL
   (bench_assets' server and pipelined load process). Goal: ≥ 0.8x.
Numbers only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from tests.postgres_server import started_postgres

from . import bench_assets
from .bench_tokens import CONNECTIONS, ROUNDS, SECONDS, _measure, _repeat, _Result
from .bench_workers import _serve, client_credentials

GOAL = 0.9


async def _register_shop(data_dir: Path, database_url: str) -> tuple[str, str]:
    from planner_bridge.core import Core
    from planner_bridge.settings import Settings

    core = await Core.connect(Settings(data_dir=data_dir, database_url=database_url))
    try:
        _, key = await core.entities.create("Bench Store", ["http://localhost:8000"])
        return key.key_id, key.secret
    finally:
        await core.aclose()


def auth_token_rows(database_url: str) -> list[str]:
    """Each side keeps its best round; "server CPU/req" (from /proc) is what other processes
    on a shared machine disturb less than req/s."""
    backends = {"SQLite": "", "PostgreSQL": database_url}
    best: dict[str, _Result] = {}
    failed, servers = dict.fromkeys(backends, 0), {}
    with tempfile.TemporaryDirectory(prefix="pb-bench-pg-") as tmp, contextlib.ExitStack() as up:
        for backend, url in backends.items():
            data_dir = Path(tmp) / backend
            key_id, secret = asyncio.run(_register_shop(data_dir, url))
            port, (pid,) = up.enter_context(_serve(data_dir, 1, url))
            servers[backend] = (pid, port, client_credentials(port, key_id, secret))
        names = list(backends)
        for round_ in range(ROUNDS):
            for backend in names[round_ % 2 :] + names[: round_ % 2]:
                pid, port, request = servers[backend]
                result = _measure(pid, port, _repeat(request))
                failed[backend] += result.failed
                if backend not in best or result.rate > best[backend].rate:
                    best[backend] = result
    lines = [
        f"   planner-bridge serve (one worker each), {CONNECTIONS} keep-alive connections;"
        f" best of {ROUNDS} alternating rounds of {SECONDS:g} s; load from this process",
        "   POST /auth/token                  req/s   ratio   server CPU/req   CPU ratio",
    ]
    base = best["SQLite"]
    for backend, r in best.items():
        errors = f"   ({failed[backend]} non-2xx!)" if failed[backend] else ""
        lines.append(
            f"   on {backend:<27} {r.rate:>8,.0f}   {r.rate / base.rate:.2f}x"
            f"   {r.cpu_us:>8.0f} us       {base.cpu_us / r.cpu_us:.2f}x{errors}"
        )
    return [*lines, f"   goal: PostgreSQL ≥ {GOAL:.2f}x SQLite"]


def run() -> list[str]:
    postgres = started_postgres()
    try:
        rows = auth_token_rows(postgres.create_database("bench_token"))
        assets = bench_assets.measure(postgres.create_database("bench_assets"))
        return rows + bench_assets.report(assets, "PostgreSQL")
    finally:
        postgres.destroy()
