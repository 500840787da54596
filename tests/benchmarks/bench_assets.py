"""Authenticated `GET /v1/assets/{id}` throughput as a ratio to the same handler without auth.

One uvicorn worker (its own process, production defaults: uvloop + httptools) serves the real
planner app plus one extra route, mounted only here, that calls the very same read handler with
fixed claims and no token check. A load generator in another process drives both, side by side
in alternating rounds, over keep-alive connections to 127.0.0.1 only, with HTTP/1.1 pipelining so
the client costs little next to the server. Every answer is checked (status 200, expected body).

The goal (issue 3) is a ratio of at least 0.8; the verified-token cache in `tokens.py` is what
makes it reachable (a signature check per request costs about 4/5 of the throughput).
`run()` returns the lines to print; `python -m tests.benchmarks.bench_assets` prints them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 7
ROUND_SECONDS = 1.0
WARMUP_SECONDS = 0.5
MAX_REQUESTS_PER_ROUND = 500_000
CONNECTIONS = 8
PIPELINE_DEPTH = 16
GOAL = 0.8
PLAIN_PATH = "/bench/unauthenticated/assets/{asset_id}"
READ_PATH = "/v1/assets/{asset_id}"


@dataclasses.dataclass(frozen=True)
class Round:
    requests: int
    wall_seconds: float
    server_cpu_seconds: float | None  # None where /proc is not available

    @property
    def per_second(self) -> float:
        return self.requests / self.wall_seconds

    @property
    def per_cpu_second(self) -> float | None:
        cpu = self.server_cpu_seconds
        return self.requests / cpu if cpu else None


# -- the server process -------------------------------------------------------------------------


def build_app(core: Any, entity_id: str) -> Any:
    """The production app, plus the unauthenticated twin of `GET /v1/assets/{id}`."""
    from starlette.routing import Route

    from planner_bridge.apps.planner import create_app
    from planner_bridge.apps.web_services import AssetEndpoints
    from planner_bridge.planner.assets import AssetCatalog
    from planner_bridge.planner.idempotency import IdempotencyKeys
    from planner_bridge.tokens.verification import AccessClaims

    app = create_app(core)
    endpoints = AssetEndpoints(
        AssetCatalog(core.store, core.clock), IdempotencyKeys(core.store, core.clock)
    )
    claims = AccessClaims(
        subject=entity_id,
        entity_id=entity_id,
        kind="legal_entity",
        rights=("read",),
        client_id="bench",
        jti="bench",
        issued_at=0,
        expires_at=2**40,
        kid="none",
    )

    async def unauthenticated(request: Any) -> Any:
        return await endpoints.read(request, claims)

    # Just before the authenticated route, so both pay the same routing cost (the
    # authenticated side one regex more: the comparison stays conservative).
    where = next(i for i, r in enumerate(app.routes) if getattr(r, "path", "") == READ_PATH)
    app.router.routes.insert(where, Route(PLAIN_PATH, unauthenticated, methods=["GET"]))
    return app


def serve(data_dir: str, conn: Any, database_url: str = "") -> None:
    asyncio.run(serve_on_loop(data_dir, conn, database_url))


async def serve_on_loop(data_dir: str, conn: Any, database_url: str) -> None:
    """The core is opened as `planner-bridge serve` opens it, on the loop that serves (a
    PostgreSQL pool belongs to its loop): SQLite in `data_dir`, or `database_url`."""
    from planner_bridge.core import Core
    from planner_bridge.planner.assets import AssetCatalog
    from planner_bridge.serving import bind, make_server, url_of
    from planner_bridge.settings import Settings
    from planner_bridge.storage import Asset

    sock = bind("127.0.0.1", 0)
    settings = Settings(data_dir=Path(data_dir), issuer=url_of(sock), database_url=database_url)
    core = await Core.connect(settings)
    entity, key = await core.entities.create(
        "Bench Store", ["http://localhost:8000"], allow_write=False
    )
    now = core.clock.now()
    data = {"width": 2.1, "depth": 0.9, "colour": "grey"}
    asset_id = AssetCatalog(core.store, core.clock).new_id()
    asset = Asset(asset_id, entity.id, None, "Bench sofa", "furniture", data, now, now, 1)
    await core.store.add_asset(asset)
    minted = await core.issuer.mint_access_token(
        entity_id=entity.id, client_id=key.key_id, rights=["read"], lifetime=3600
    )
    token = minted.token
    server = make_server(build_app(core, entity.id))
    conn.send((sock.getsockname()[1], asset.id, token))
    await server.serve(sockets=[sock])


# -- the load process ---------------------------------------------------------------------------


def request_bytes(path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


async def answer_size(port: int, request: bytes) -> tuple[int, bytes]:
    """The exact size of one answer (constant for a given URL) and its body, checked 200."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"benchmark request failed: {head.splitlines()[0]!r}")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = await reader.readexactly(length)
    writer.close()
    await writer.wait_closed()
    return len(head) + length, body


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the server process (Linux), to factor out stolen CPU."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, request: bytes, seconds: float) -> tuple[int, float]:
    """(requests answered, wall seconds) over CONNECTIONS pipelined keep-alive connections."""
    size, body = await answer_size(port, request)
    deadline = time.perf_counter() + seconds
    batch = request * PIPELINE_DEPTH
    counts = [0] * CONNECTIONS

    async def connection(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline and sum(counts) < MAX_REQUESTS_PER_ROUND:
            writer.write(batch)
            answers = await reader.readexactly(size * PIPELINE_DEPTH)
            if not (answers.startswith(b"HTTP/1.1 200") and answers.endswith(body)):
                raise RuntimeError("benchmark got an unexpected answer")
            counts[index] += PIPELINE_DEPTH
        writer.close()
        await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(connection(i) for i in range(CONNECTIONS)))
    return sum(counts), time.perf_counter() - started


def measured_round(port: int, pid: int, request: bytes) -> Round:
    cpu_before = server_cpu_seconds(pid)
    count, wall = asyncio.run(drive(port, request, ROUND_SECONDS))
    cpu_after = server_cpu_seconds(pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Round(count, wall, cpu)


def load(port: int, pid: int, asset_id: str, token: str, conn: Any) -> None:
    requests = {
        "plain": request_bytes(PLAIN_PATH.format(asset_id=asset_id), None),
        "auth": request_bytes(f"/v1/assets/{asset_id}", token),
    }
    for request in requests.values():
        asyncio.run(drive(port, request, WARMUP_SECONDS))
    rounds: dict[str, list[Round]] = {"plain": [], "auth": []}
    for _ in range(ROUNDS):  # alternating, so both sides see the same background noise
        for side, request in requests.items():
            rounds[side].append(measured_round(port, pid, request))
    conn.send(rounds)


# -- the run --------------------------------------------------------------------------------------


def wait_for_rounds(loader: Any, results: Any) -> dict[str, list[Round]]:
    deadline = time.monotonic() + 30 + ROUNDS * 2 * (ROUND_SECONDS + 1)
    while not results.poll(0.2):
        if not loader.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("benchmark load generator failed (see its traceback above)")
    rounds: dict[str, list[Round]] = results.recv()
    return rounds


def measure(database_url: str = "") -> dict[str, list[Round]]:
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as data_dir:
        server_end, here = spawn.Pipe()
        args = (data_dir, server_end, database_url)
        server = spawn.Process(target=serve, args=args, daemon=True)
        server.start()
        try:
            if not here.poll(60):
                raise RuntimeError("benchmark server did not start")
            port, asset_id, token = here.recv()
            load_end, results = spawn.Pipe()
            args = (port, server.pid, asset_id, token, load_end)
            loader = spawn.Process(target=load, args=args, daemon=True)
            loader.start()
            rounds = wait_for_rounds(loader, results)
            loader.join(10)
            return rounds
        finally:
            server.terminate()
            server.join(10)


def cpu_rate(rounds: list[Round]) -> float | None:
    cpu = [r.server_cpu_seconds for r in rounds]
    if any(c is None for c in cpu) or not sum(c or 0 for c in cpu):
        return None
    return sum(r.requests for r in rounds) / sum(c or 0 for c in cpu)


def run() -> list[str]:
    return report(measure(), "SQLite")


def report(rounds: dict[str, list[Round]], backend: str) -> list[str]:
    plain, auth = rounds["plain"], rounds["auth"]
    wall_ratio = max(r.per_second for r in auth) / max(r.per_second for r in plain)
    cpu_plain, cpu_auth = cpu_rate(plain), cpu_rate(auth)
    cpu_ratio = cpu_auth / cpu_plain if cpu_plain and cpu_auth else None
    # On a shared machine other processes steal CPU at random; the per-CPU-second rate is
    # immune to that, so it decides when it can be measured.
    decisive = cpu_ratio if cpu_ratio is not None else wall_ratio
    verdict = "meets" if decisive >= GOAL else "MISSES"
    lines = [
        f"assets on {backend}: GET /v1/assets/{{id}}, one uvicorn worker, "
        f"{CONNECTIONS} connections x {PIPELINE_DEPTH} pipelined, {ROUNDS} alternating rounds "
        f"of {ROUND_SECONDS:g} s",
        "  unauthenticated req/s: " + ", ".join(f"{r.per_second:,.0f}" for r in plain),
        "  authenticated req/s:   " + ", ".join(f"{r.per_second:,.0f}" for r in auth),
        f"  ratio authenticated/unauthenticated, best rounds (req/s): {wall_ratio:.2f}",
    ]
    if cpu_ratio is not None:
        lines.append(
            f"  ratio per server CPU-second ({cpu_auth:,.0f} vs {cpu_plain:,.0f} req): "
            f"{cpu_ratio:.2f}"
        )
    lines.append(f"  {verdict} the goal of {GOAL} ({decisive:.2f})")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
