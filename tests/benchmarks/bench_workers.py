"""`planner-bridge serve --workers 2` against one worker on `POST /auth/token`, as a ratio.

Both are the real `planner-bridge serve` process (SQLite, one data dir), up side by side; the
load generator is this process (bench_tokens' keep-alive raw-socket client), so on a 2-core
machine it competes with the two workers for the cores: the ratio is what a load balancer in
front would see only approximately. Rounds alternate between the two servers; each keeps its
best round. The goal is at least 1.6 times. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import uvloop

from .bench_tokens import CONNECTIONS, ROUNDS, SECONDS, _drive, _http, _register_shop, _repeat

SCRIPT = str(Path(sys.executable).with_name("planner-bridge"))
WORKERS = (1, 2)


@contextlib.contextmanager
def _serve(data_dir: Path, workers: int, database_url: str = "") -> Iterator[tuple[int, list[int]]]:
    """A real `planner-bridge serve --workers N` on a free port, once every worker is ready
    (on SQLite in `data_dir`, or on the PostgreSQL database `database_url` names): its port
    and its workers' process ids."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_BRIDGE_")}
    env.update({"PLANNER_BRIDGE_DATABASE_URL": database_url} if database_url else {})
    command = [SCRIPT, "serve", "--port", "0", "--workers", str(workers), "--data-dir"]
    # Its access log (a line per request, on stderr) goes where a log shipper's pipe would
    # take it, not to this terminal.
    process = subprocess.Popen(
        [*command, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]  # "planner origin on URL (issuer …)"
        pids = []
        for _ in range(workers):  # "worker PID ready (event loop …)"
            line = process.stdout.readline()
            assert line.startswith("worker "), "a worker did not start"
            pids.append(int(line.split()[1]))
        yield int(url.rsplit(":", 1)[1]), pids
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def _rate(port: int, request: bytes) -> tuple[float, int]:
    """Answers per second over one round, and how many were not 2xx."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        load = runner.run(_drive(port, _repeat(request), SECONDS))
    return load.ok / (load.finished_at - load.counting_since), load.failed


def client_credentials(port: int, key_id: str, secret: str) -> bytes:
    """One `POST /auth/token` request (client_credentials, HTTP Basic) for `_rate`."""
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    headers = {
        "authorization": f"Basic {basic}",
        "content-type": "application/x-www-form-urlencoded",
    }
    return _http("POST", "/auth/token", port, headers, b"grant_type=client_credentials")


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="pb-bench-workers-") as tmp:
        data_dir = Path(tmp) / "data"
        key_id, secret = _register_shop(data_dir)
        best = dict.fromkeys(WORKERS, 0.0)
        failed = dict.fromkeys(WORKERS, 0)
        with _serve(data_dir, 1) as one, _serve(data_dir, 2) as two:
            ports = {1: one[0], 2: two[0]}
            for round_ in range(ROUNDS):
                for workers in WORKERS[round_ % 2 :] + WORKERS[: round_ % 2]:
                    port = ports[workers]
                    rate, errors = _rate(port, client_credentials(port, key_id, secret))
                    best[workers] = max(best[workers], rate)
                    failed[workers] += errors
    lines = [
        f"   planner-bridge serve (SQLite), {CONNECTIONS} keep-alive connections; best of"
        f" {ROUNDS} alternating rounds of {SECONDS:g} s; load from this process"
        f" ({os.cpu_count()} cores)",
        "   POST /auth/token                  req/s   ratio",
    ]
    for workers in WORKERS:
        errors = f"   ({failed[workers]} non-2xx!)" if failed[workers] else ""
        label = f"serve --workers {workers}"
        lines.append(
            f"   {label:<30} {best[workers]:>8,.0f}   {best[workers] / best[1]:.2f}x{errors}"
        )
    lines.append("   goal: --workers 2 ≥ 1.60x one worker")
    return lines
