"""Where `POST /v1/tokens` (issue 8) and `POST /auth/token` (issue 19) spend their server CPU:
a report, not a goal.

bench_tokens' server (the planner app, one uvicorn worker, uvloop + httptools, SQLite, its own
process) is driven by bench_tokens' client with freshly signed requests. A first round, not
profiled, splits the server's CPU per request between its event-loop thread and the other
threads (SQLite runs in the default executor's threads: `SQLiteThread`), from
/proc/PID/task. A second round runs the loop thread under cProfile (switched on and off by
SIGUSR1/SIGUSR2, so start-up is not counted) and prints the functions that take the biggest
shares of it, by cumulative and by own time. cProfile slows what it watches (more so code that
makes many small calls), so shares matter here, not its microseconds; a coroutine counts a
"call" at each resumption. A third round profiles `POST /auth/token` (client credentials, no
SQLite on its path) the same way.
"""

from __future__ import annotations

import base64
import cProfile
import multiprocessing
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .bench_tokens import (
    _http,
    _measure,
    _register_shop,
    _serve,
    _signed_token_requests,
    _wait_until_up,
)

TOP = 14


def _profiled_serve(data_dir: str, urls: Any, stats_path: str) -> None:
    profiles = [cProfile.Profile()]  # a fresh one per round: each round's stats are its own

    def start(*_: object) -> None:
        profiles[0] = cProfile.Profile()
        profiles[0].enable()

    def dump(*_: object) -> None:
        profiles[0].disable()
        profiles[0].dump_stats(stats_path + ".part")
        os.replace(stats_path + ".part", stats_path)  # whole, or not there yet

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, dump)
    _serve(data_dir, urls)


def _thread_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of the main (event-loop) thread and of all the others."""
    seconds: dict[bool, float] = {True: 0.0, False: 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        seconds[task.name == str(pid)] += ticks / os.sysconf("SC_CLK_TCK")
    return seconds[True], seconds[False]


def _split_round(pid: int, url: str, key_id: str, secret: str) -> list[str]:
    port = int(url.rsplit(":", 1)[1])
    requests = _signed_token_requests(url, port, key_id, secret, 12_000)
    before = _thread_cpu(pid)
    result = _measure(pid, port, iter(requests))
    main, others = (after - start for after, start in zip(_thread_cpu(pid), before, strict=True))
    share = main / (main + others) if main + others else 0.0
    return [
        f"   POST /v1/tokens, not profiled: {result.rate:,.0f} req/s,"
        f" {result.cpu_us:.0f} us server CPU/req ({result.failed} non-2xx);"
        f" event-loop thread {share:.0%}, other threads (SQLite executor) {1 - share:.0%}"
    ]


def _client_credentials_requests(port: int, key_id: str, secret: str, n: int) -> list[bytes]:
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    headers = {
        "authorization": f"Basic {basic}",
        "content-type": "application/x-www-form-urlencoded",
    }
    return [_http("POST", "/auth/token", port, headers, b"grant_type=client_credentials")] * n


def _profiled_round(pid: int, requests: list[bytes], port: int, stats: Path) -> list[str]:
    stats.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    result = _measure(pid, port, iter(requests))
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 30
    while not stats.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the server wrote no profile")
        time.sleep(0.05)  # a benchmark polling its child, not a test
    return _top(pstats.Stats(str(stats)), result.rate)


OURS = ("planner_bridge", "http_message_signatures", "http_sf", "jwt")


def _home(file: str, name: str) -> str:
    """Which package (our modules one by one) a profiled function belongs to."""
    if file == "~":
        return "cryptography (Rust)" if "cryptography" in name else "C built-ins"
    parts = Path(file).parts
    if "planner_bridge" in parts:
        return "planner_bridge/" + Path(file).stem
    for root in ("site-packages", f"python3.{sys.version_info.minor}"):
        if root in parts:
            return parts[parts.index(root) + 1].removesuffix(".py")
    return Path(file).stem


def _top(stats: Any, rate: float) -> list[str]:
    """Own time grouped by package, then our functions (and the signature and JWT libraries')
    by cumulative time: the framework's frames all wrap the whole request, so they say little."""
    entries = stats.stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    total = sum(tottime for _, _, tottime, _, _ in entries.values())
    homes: dict[str, float] = {}
    for (file, _, name), (_, _, tottime, _, _) in entries.items():
        homes[_home(file, name)] = homes.get(_home(file, name), 0.0) + tottime
    lines = [f"   profiled round: {rate:,.0f} req/s under cProfile; loop thread {total:.2f} s"]
    lines.append(f"   own time by package (share of the profiled loop thread), top {TOP}:")
    ranked_homes = sorted(homes.items(), key=lambda item: item[1], reverse=True)[:TOP]
    lines += [f"   {seconds / total:>6.1%}  {home}" for home, seconds in ranked_homes]
    lines.append(f"   own time by function, top {TOP // 2}:")
    by_own = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[: TOP // 2]
    for (file, _, name), value in by_own:
        lines.append(f"   {value[2] / total:>6.1%}  {'/'.join(Path(file).parts[-2:])} {name}")
    lines.append(f"   cumulative time of functions in {', '.join(OURS)}, top {TOP}:")
    ours = [
        (key, value)
        for key, value in entries.items()
        if any(part in OURS for part in Path(key[0]).parts) and "observed" not in key[0]
    ]
    ours.sort(key=lambda item: item[1][3], reverse=True)
    for (file, line, name), value in ours[:TOP]:
        where = "/".join(Path(file).parts[-2:])
        lines.append(f"   {value[3] / total:>6.1%}  {where}:{line} {name}  ({value[1]} calls)")
    return lines


def run() -> list[str]:
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="pb-bench-profile-") as tmp:
        data_dir, stats = Path(tmp) / "data", Path(tmp) / "tokens.prof"
        key_id, secret = _register_shop(data_dir)
        urls = spawn.Queue()
        args = (str(data_dir), urls, str(stats))
        server = spawn.Process(target=_profiled_serve, args=args, daemon=True)
        server.start()
        try:
            url = urls.get(timeout=30)
            _wait_until_up(url)
            assert server.pid is not None
            lines = _split_round(server.pid, url, key_id, secret)
            port = int(url.rsplit(":", 1)[1])
            signed = _signed_token_requests(url, port, key_id, secret, 6_000)
            lines += ["   POST /v1/tokens:", *_profiled_round(server.pid, signed, port, stats)]
            basic = _client_credentials_requests(port, key_id, secret, 20_000)
            lines += ["   POST /auth/token:", *_profiled_round(server.pid, basic, port, stats)]
            return lines
        finally:
            server.terminate()
            server.join(10)
