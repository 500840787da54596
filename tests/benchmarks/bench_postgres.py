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
from .bench_tokens import CONNECTIONS, ROUNDS, SECONDS
from .bench_workers import _rate, _serve, client_credentials

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
    backends = {"SQLite": "", "PostgreSQL": database_url}
    best, failed, requests = dict.fromkeys(backends, 0.0), dict.fromkeys(backends, 0), {}
    with tempfile.TemporaryDirectory(prefix="pb-bench-pg-") as tmp, contextlib.ExitStack() as up:
        for backend, url in backends.items():
            data_dir = Path(tmp) / backend
            key_id, secret = asyncio.run(_register_shop(data_dir, url))
            port = up.enter_context(_serve(data_dir, 1, url))
            requests[backend] = (port, client_credentials(port, key_id, secret))
        names = list(backends)
        for round_ in range(ROUNDS):
            for backend in names[round_ % 2 :] + names[: round_ % 2]:
                rate, errors = _rate(*requests[backend])
                best[backend] = max(best[backend], rate)
                failed[backend] += errors
    ratio = best["PostgreSQL"] / best["SQLite"]
    lines = [
        f"   planner-bridge serve (one worker each), {CONNECTIONS} keep-alive connections;"
        f" best of {ROUNDS} alternating rounds of {SECONDS:g} s; load from this process",
        "   POST /auth/token                  req/s   ratio",
    ]
    for backend in backends:
        errors = f"   ({failed[backend]} non-2xx!)" if failed[backend] else ""
        lines.append(
            f"   on {backend:<27} {best[backend]:>8,.0f}   {best[backend] / best['SQLite']:.2f}x"
            + errors
        )
    verdict = "meets" if ratio >= GOAL else "MISSES"
    return [*lines, f"   {verdict} the goal: PostgreSQL ≥ {GOAL:.2f}x SQLite ({ratio:.2f}x)"]


def run() -> list[str]:
    postgres = started_postgres()
    try:
        rows = auth_token_rows(postgres.create_database("bench_token"))
        assets = bench_assets.measure(postgres.create_database("bench_assets"))
        return rows + bench_assets.report(assets, "PostgreSQL")
    finally:
        postgres.destroy()
