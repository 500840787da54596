"""Revocation's cost (SPEC "Revocation within a second"): token verification with 100,000 live
revocation entries against none, side by side in one run; the memory those entries take; and
`POST /oauth/revoke` throughput on one uvicorn worker.

Verification is measured in-process on one core's verifier, per second of CPU time, with its
revocation set swapped between an empty one and a full one (60,000 revoked jtis, 20,000
revoked clients, 20,000 signed-out users; none naming the tokens verified, which therefore
pass), in many short alternating samples, each set keeping its best: through the cache (what
every web-service call after a token's first pays: the set is consulted once per token, then
only for what changed since), the same with a revocation (of another token) heard before every
pass over the tokens, and with a full signature check each time (the whole set consulted).
The goal: the full set at 0.95x or better. Memory: what building that set allocates
(tracemalloc), its strings included.
`/oauth/revoke`: the same child-process server and raw-socket load as `bench_tokens`, each
request revoking a fresh token (one verification and one durable SQLite write each), beside
the no-op endpoint. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import base64
import gc
import multiprocessing
import os
import secrets
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

from planner_bridge.core import Core
from planner_bridge.serving import blocking
from planner_bridge.settings import Settings
from planner_bridge.storage import Revocation
from planner_bridge.tokens.revocation import CLIENT, JTI, USER, Revocations, user_subject
from planner_bridge.tokens.verification import TokenVerifier

from .bench_tokens import HEALTHZ, _http, _measure, _register_shop, _serve, _wait_until_up

ENTRIES = 100_000
TOKENS = 2_000  # verified in turn: half user tokens, half legal-entity tokens
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # of /oauth/revoke
GOAL = 0.95
REVOKE_POOL = 12_000  # fresh tokens per /oauth/revoke round (more than a round revokes)


def entries(now: float) -> list[Revocation]:
    end = now + 3600
    made = [Revocation(JTI, secrets.token_urlsafe(16), now, end) for _ in range(60_000)]
    made += [Revocation(CLIENT, f"pbk_{secrets.token_hex(8)}", now, end) for _ in range(20_000)]
    made += [
        Revocation(USER, user_subject("ent_bench", f"user-{i}"), now, end) for i in range(20_000)
    ]
    return made


def full_set(core: Core) -> tuple[Revocations, int]:
    """The full set, and the bytes it holds once the records that brought it are gone."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    revocations = Revocations(core.clock)
    brought = entries(core.clock.now())
    revocations.reloaded(brought)
    del brought
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return revocations, held


def mint_tokens(core: Core, n: int, entity_id: str = "ent_bench") -> list[str]:
    async def mint() -> list[str]:
        issuer, made = core.issuer, []
        for i in range(n):
            user = f"shopper-{i}" if i % 2 else None
            minted = await issuer.mint_access_token(
                entity_id=entity_id, client_id="pbk_bench", rights=("read",), lifetime=3600,
                user_id=user, user_name=user,
            )  # fmt: skip
            made.append(minted.token)
        return made

    return blocking(mint())


def best_rates(
    verifier: TokenVerifier, sets: list[tuple[str, Revocations]], tokens: list[str], *,
    changing: bool, samples: int, passes: int,
) -> dict[str, float]:  # fmt: skip
    """Each set's best rate per second of this process's CPU time (not the wall clock: other
    processes on a shared machine take the CPU at random), over many short samples that
    alternate between the sets, so that drift in the machine touches both alike."""
    best = dict.fromkeys((name for name, _ in sets), 0.0)
    core_now = time.time()
    for sample in range(samples):
        for name, revocations in sets if sample % 2 == 0 else sets[::-1]:
            verifier.revocations = revocations
            for token, (claims, _) in list(verifier._cache.items()):
                verifier._cache[token] = (claims, -1)  # passed no check against this set yet
            for token in tokens:  # untimed: the cache warm, each token checked against this set
                verifier.verify_access_token(token)
            cpu = time.process_time()
            for _ in range(passes):
                if changing:  # a revocation (of another token) arrives: every hit checks again
                    revocations.heard(Revocation(JTI, "another", 0, core_now + 3600))
                for token in tokens:
                    verifier.verify_access_token(token)
            rate = passes * len(tokens) / (time.process_time() - cpu)
            best[name] = max(best[name], rate)
    return best


def verification_lines(core: Core) -> list[str]:
    tokens = mint_tokens(core, TOKENS)
    empty = Revocations(core.clock)
    empty.reloaded([])
    full, held = full_set(core)
    sets = [("none", empty), ("100k", full)]
    size = len(full)
    settings = core.settings
    uncached = TokenVerifier(
        core.keyring, core.clock, issuer=settings.issuer, leeway=settings.leeway, cache_size=0
    )
    measured = {
        "cached": best_rates(core.verifier, sets, tokens, changing=False, samples=40, passes=5),
        "cached, set changing": best_rates(
            core.verifier, sets, tokens, changing=True, samples=40, passes=5
        ),
        "signature": best_rates(uncached, sets, tokens[:200], changing=False, samples=30, passes=1),
    }
    lines = [
        f"verification per CPU-second, best of many short alternating samples,"
        f" {size:,} live entries against none (tokens not revoked, so all pass):"
    ]
    for path, best in measured.items():
        none, many = best["none"], best["100k"]
        verdict = "meets" if many / none >= GOAL else "MISSES"
        lines.append(
            f"   {path:<20} none {none:>10,.0f}/s   100k {many:>10,.0f}/s"
            f"   ratio {many / none:.3f} ({verdict} {GOAL})"
        )
    lines.append(
        f"   memory of {size:,} entries: {held / 2**20:.1f} MiB ({held / size:.0f} B each)"
    )
    return lines


def revoke_lines(data_dir: Path, url: str, pid: int, key_id: str, secret: str) -> list[str]:
    core = blocking(Core.connect(Settings(data_dir=data_dir, issuer=url)))
    try:
        entity_id = blocking(core.store.get_api_key(key_id)).entity_id
        pools = [mint_tokens(core, REVOKE_POOL, entity_id) for _ in range(ROUNDS)]
    finally:
        blocking(core.aclose())
    port = int(url.rsplit(":", 1)[1])
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    headers = {
        "authorization": f"Basic {basic}",
        "content-type": "application/x-www-form-urlencoded",
    }
    healthz = _http("GET", "/healthz", port, {})  # the reference: a request through the wrapper
    best: dict[str, float] = {}
    for pool in pools:
        revokes = iter(
            [
                _http("POST", "/oauth/revoke", port, headers, urlencode({"token": t}).encode())
                for t in pool
            ]
        )
        pairs = ((HEALTHZ, iter(lambda: healthz, None)), ("POST /oauth/revoke", revokes))
        for name, requests in pairs:
            result = _measure(pid, port, requests)
            best[name] = max(best.get(name, 0.0), result.rate)
    return [
        "one uvicorn worker (SQLite), best rounds:",
        *(f"   {name:<32} {per_second:>9,.0f} req/s" for name, per_second in best.items()),
    ]


def run() -> list[str]:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="pb-bench-revocation-") as tmp:
        data_dir = Path(tmp) / "data"
        key_id, secret = _register_shop(data_dir)
        core = blocking(Core.connect(Settings(data_dir=data_dir)))
        try:
            lines = verification_lines(core)
        finally:
            blocking(core.aclose())
        urls = context.Queue()
        server = context.Process(target=_serve, args=(str(data_dir), urls), daemon=True)
        server.start()
        try:
            url = urls.get(timeout=30)
            _wait_until_up(url)
            lines += revoke_lines(data_dir, url, server.pid, key_id, secret)
        finally:
            server.terminate()
            server.join(10)
    return lines
