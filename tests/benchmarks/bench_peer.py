"""planner-bridge's `POST /auth/token` against a peer doing the same work: node `oidc-provider`
9.13.3 minting client-credentials access tokens (issue 19). Numbers only; nothing is asserted.

The peer (`peer/oidc_provider.mjs`), installed from npm into `build/bench-peer` on first use and
run by Debian's node with NODE_ENV=production: one client `svc-billing` with a secret,
`client_credentials` only, `client_secret_basic`; `features.clientCredentials`;
`features.resourceIndicators` with the default resource `urn:example:api`, whose access tokens
are JWTs signed ES256 with an EC P-256 key made at start and live 300 s. Ours: the real
`planner-bridge serve` (SQLite, one worker) as production runs it, JSON access lines (to a file)
and the metrics listener on, tokens of 300 s too.

Both servers are pinned to one core and the load generator to the other (`taskset`); rounds
interleave the four measurements (each server's token endpoint, and its cheapest endpoint:
our `/healthz`, the peer's discovery document). Before the rounds a sample token from each is
decoded and its ES256 signature checked against the JWKS its issuer publishes. Server CPU per
request comes from /proc (user + system time of the server process, all its threads), peak RSS
from /proc's VmHWM. The load generator is `wrk` when installed (`make bench` installs Debian's),
else bench_tokens' own keep-alive client, and the output says which.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "bench-peer"
PEER_PACKAGE, PEER_VERSION = "oidc-provider", "9.13.3"
PEER_SCRIPT = Path(__file__).with_name("peer") / "oidc_provider.mjs"
SCRIPT = str(Path(sys.executable).with_name("planner-bridge"))
SECONDS = float(os.environ.get("BENCH_PEER_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_PEER_ROUNDS", "4"))
CONNECTIONS = 64
SERVER_CORE, LOAD_CORE = "0", "1"
TTL = 300
FORM = b"grant_type=client_credentials"
# The goals of issue 19 for /auth/token against the peer, side by side.
PER_CPU_AT_LEAST, RATE_AT_LEAST = 2.5, 2.0


@dataclasses.dataclass
class Server:
    name: str
    pid: int
    url: str
    token_path: str
    cheap_path: str  # the cheapest endpoint each has: the fixed cost of a request
    metadata_path: str
    audience: str
    basic: str  # the Authorization header value of the client

    @property
    def cheap_label(self) -> str:
        return f"GET {self.cheap_path}"


@dataclasses.dataclass
class Round:
    rate: float  # answers per second
    cpu_us: float  # server CPU per answer
    failed: int


# -- the two servers ------------------------------------------------------------------------------


def _install_peer() -> Path:
    installed = CACHE / "node_modules" / PEER_PACKAGE / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != PEER_VERSION:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--silent",
             f"{PEER_PACKAGE}@{PEER_VERSION}"],
            check=True,
        )  # fmt: skip
    shutil.copy(PEER_SCRIPT, CACHE / PEER_SCRIPT.name)  # ES modules resolve from their folder
    return CACHE


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@contextlib.contextmanager
def _running(command: list[str], log: Path, **options: object) -> Iterator[subprocess.Popen]:
    with log.open("w") as errors:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            **options,  # type: ignore[call-overload]
        )
        assert process.stdout is not None
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


@contextlib.contextmanager
def _peer(tmp: Path) -> Iterator[Server]:
    folder = _install_peer()
    secret = base64.urlsafe_b64encode(os.urandom(24)).decode()
    env = {**os.environ, "NODE_ENV": "production", "PEER_SECRET": secret}
    command = ["taskset", "-c", SERVER_CORE, "node", PEER_SCRIPT.name]  # taskset execs node
    with _running(command, tmp / "peer.log", cwd=folder, env=env) as process:
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the peer did not start: {(tmp / 'peer.log').read_text()}")
        yield Server(
            f"oidc-provider {PEER_VERSION}",
            process.pid,
            f"http://127.0.0.1:{line.split()[2]}",
            "/token",
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration",
            "urn:example:api",
            _basic("svc-billing", secret),
        )


@contextlib.contextmanager
def _ours(tmp: Path) -> Iterator[Server]:
    from .bench_tokens import _register_shop

    data_dir = tmp / "data"
    key_id, secret = _register_shop(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_BRIDGE_")}
    env.update(PLANNER_BRIDGE_LOG_FORMAT="json", PLANNER_BRIDGE_DEFAULT_TOKEN_TTL=str(TTL))
    command = ["taskset", "-c", SERVER_CORE, SCRIPT, "serve", "--port", "0", "--metrics-port"]
    command += ["0", "--data-dir", str(data_dir)]
    # Its access log (a JSON line per request, on stderr) goes to a file, as to a log shipper.
    with _running(command, tmp / "access.log", env=env) as process:
        said = [process.stdout.readline() for _ in range(3)]  # origin, metrics, worker ready
        if not said[-1].startswith("worker "):
            raise RuntimeError(f"serve did not start: {(tmp / 'access.log').read_text()[-500:]}")
        url = said[0].split()[3]  # "planner origin on URL (issuer …)"
        yield Server(
            "planner-bridge",
            process.pid,
            url,
            "/auth/token",
            "/healthz",
            "/.well-known/oauth-authorization-server",
            "planner",
            _basic(key_id, secret),
        )


def _sample_token(server: Server) -> str:
    """One token, decoded and its signature checked against the issuer's published JWKS."""
    headers = {"authorization": server.basic, "content-type": "application/x-www-form-urlencoded"}
    answer = httpx.post(server.url + server.token_path, content=FORM, headers=headers)
    answer.raise_for_status()
    token = answer.json()["access_token"]
    metadata = httpx.get(server.url + server.metadata_path).json()
    keys = jwt.PyJWKSet.from_dict(httpx.get(metadata["jwks_uri"]).json())
    header = jwt.get_unverified_header(token)
    (key,) = [k for k in keys.keys if k.key_id == header["kid"]]
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],  # pinned: never the token's own word
        audience=server.audience,
        issuer=metadata["issuer"],
        options={"require": ["exp", "iat", "iss", "aud"]},
    )
    return (
        f"   {server.name}: sample token verified against its JWKS: {header['alg']}"
        f" typ {header.get('typ')}, aud {claims['aud']}, lives {claims['exp'] - claims['iat']} s,"
        f" {len(token)} characters"
    )


# -- the load -------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def _load(server: Server, path: str, post: bool, seconds: float, tmp: Path) -> Round:
    cpu = _cpu_seconds(server.pid)
    if shutil.which("wrk"):
        answers, elapsed, failed = _wrk(server, path, post, seconds, tmp)
    else:
        answers, elapsed, failed = _own_load(server, path, post, seconds)
    cpu = _cpu_seconds(server.pid) - cpu
    return Round(answers / elapsed, cpu / max(answers, 1) * 1e6, failed)


def _wrk(
    server: Server, path: str, post: bool, seconds: float, tmp: Path
) -> tuple[int, float, int]:
    script = tmp / "request.lua"
    lines = [] if not post else [
        'wrk.method = "POST"',
        f'wrk.body = "{FORM.decode()}"',
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
        f'wrk.headers["Authorization"] = "{server.basic}"',
    ]  # fmt: skip
    script.write_text("\n".join(lines) + "\n")
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s"]
    out = subprocess.run(
        [*command, "-s", str(script), server.url + path], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if found is None:
        raise RuntimeError(f"wrk said: {out}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[found.group(3)]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    if errors:
        raise RuntimeError(f"wrk: {errors.group(0)}")
    return int(found.group(1)), float(found.group(2)) * scale, int(failed.group(1)) if failed else 0


def _own_load(server: Server, path: str, post: bool, seconds: float) -> tuple[int, float, int]:
    """bench_tokens' keep-alive client, pinned to the load core (in this process)."""
    import asyncio

    import uvloop

    from . import bench_tokens

    port = int(server.url.rsplit(":", 1)[1])
    headers = (
        {"authorization": server.basic, "content-type": "application/x-www-form-urlencoded"}
        if post
        else {}
    )
    request = bench_tokens._http(
        "POST" if post else "GET", path, port, headers, FORM if post else b""
    )
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            load = runner.run(bench_tokens._drive(port, bench_tokens._repeat(request), seconds))
    finally:
        os.sched_setaffinity(0, cores)  # the benchmarks that follow run as before
    return load.ok + load.failed, load.finished_at - load.counting_since, load.failed


# -- the run --------------------------------------------------------------------------------------


def run() -> list[str]:
    if len(os.sched_getaffinity(0)) < 2:
        return ["   skipped: needs two cores (one for the servers, one for the load)"]
    with tempfile.TemporaryDirectory(prefix="pb-bench-peer-") as name:
        tmp = Path(name)
        with _ours(tmp) as ours, _peer(tmp) as peer:
            lines = [_sample_token(ours), _sample_token(peer)]
            rounds = _rounds(ours, peer, tmp)
            rss = {s.name: _peak_rss_mb(s.pid) for s in (ours, peer)}
    return lines + _report(ours, peer, rounds, rss)


def _rounds(ours: Server, peer: Server, tmp: Path) -> dict[tuple[str, str], list[Round]]:
    jobs = [(s, path, post) for path_of, post in (("token", True), ("cheap", False))
            for s in (ours, peer) for path in [getattr(s, f"{path_of}_path")]]  # fmt: skip
    for server, path, post in jobs:  # warm up (node's JIT, our caches); not counted
        _load(server, path, post, 1.0, tmp)
    results: dict[tuple[str, str], list[Round]] = {}
    for round_ in range(ROUNDS):
        turn = round_ % len(jobs)
        for server, path, post in jobs[turn:] + jobs[:turn]:
            result = _load(server, path, post, SECONDS, tmp)
            results.setdefault((server.name, path), []).append(result)
    return results


def _spread(rounds: list[Round]) -> str:
    rates = [r.rate for r in rounds]
    return f"{statistics.median(rates):>7,.0f} [{min(rates):,.0f}-{max(rates):,.0f}]"


def _report(
    ours: Server, peer: Server, results: dict[tuple[str, str], list[Round]], rss: dict[str, float]
) -> list[str]:
    generator = f"wrk -t1 -c{CONNECTIONS}" if shutil.which("wrk") else "bench_tokens' own client"
    lines = [
        f"   servers on core {SERVER_CORE}, load ({generator}) on core {LOAD_CORE};"
        f" {ROUNDS} interleaved rounds of {SECONDS:g} s; req/s median [min-max], server CPU"
        " per request median",
    ]
    median_cpu: dict[tuple[str, str], float] = {}
    for server in (ours, peer):
        for label, path in (("token", server.token_path), ("cheap", server.cheap_path)):
            rounds = results[server.name, path]
            median_cpu[server.name, label] = statistics.median(r.cpu_us for r in rounds)
            failed = sum(r.failed for r in rounds)
            errors = f"   ({failed} non-2xx!)" if failed else ""
            lines.append(
                f"   {server.name:<22} {('POST ' if label == 'token' else 'GET  ') + path:<42}"
                f" {_spread(rounds)} req/s  {median_cpu[server.name, label]:>5.0f} us/req{errors}"
            )
    rate = statistics.median(
        r.rate for r in results[ours.name, ours.token_path]
    ) / statistics.median(r.rate for r in results[peer.name, peer.token_path])
    per_cpu = median_cpu[peer.name, "token"] / median_cpu[ours.name, "token"]
    cheap = median_cpu[ours.name, "cheap"] / median_cpu[peer.name, "cheap"]
    lines += [
        f"   peak RSS: {ours.name} {rss[ours.name]:.0f} MB, {peer.name} {rss[peer.name]:.0f} MB"
        f" ({rss[peer.name] / rss[ours.name]:.1f}x less)",
        f"   cheap endpoint CPU/req, /healthz vs discovery: {cheap:.2f}x the peer's",
        f"   goal: POST /auth/token >= {PER_CPU_AT_LEAST:g}x the peer's tokens per server"
        f" CPU-second: {per_cpu:.2f}x {'met' if per_cpu >= PER_CPU_AT_LEAST else 'NOT met'}",
        f"   goal: POST /auth/token >= {RATE_AT_LEAST:g}x the peer's rate: {rate:.2f}x"
        f" {'met' if rate >= RATE_AT_LEAST else 'NOT met'}",
    ]
    return lines
