"""TokenClient against a real planner origin: signing, caching, single flight, typed errors."""

from __future__ import annotations

import asyncio
import collections
import socket
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from planner_bridge.apps.planner import create_app
from planner_bridge.client import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    IssuedToken,
    RateLimitedError,
    TokenClient,
    TokenServiceUnavailable,
)
from planner_bridge.clock import FrozenClock
from planner_bridge.core import Core
from planner_bridge.serving import ThreadedServer, blocking
from revocation_helpers import refused_within_contract, status
from support import PlannerServer, Shop, register_shop

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class CountingApp:
    """Counts the requests the real server receives, by (method, path)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: collections.Counter[tuple[str, str]] = collections.Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen[(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)


@pytest.fixture
def counted(make_settings) -> Iterator[tuple[PlannerServer, CountingApp]]:
    """A planner origin whose every request is counted on the server side."""
    built: list[tuple[Core, CountingApp]] = []

    def build(url: str) -> Any:
        core = blocking(Core.connect(make_settings(issuer=url)))
        built.append((core, CountingApp(create_app(core))))
        return built[0][1]

    with ThreadedServer(build) as server:
        core, app = built[0]
        yield PlannerServer(server.url, core), app
    blocking(core.aclose())


def client_for(planner: PlannerServer, shop: Shop, **kwargs: Any) -> TokenClient:
    return TokenClient(planner.url, shop.key_id, shop.secret, **kwargs)


def claims_of(planner: PlannerServer, token: str) -> dict[str, Any]:
    return planner.core.verifier.verify_access_token(token).__dict__


async def test_legal_entity_token_is_minted_for_the_clients_entity(planner, shop):
    async with client_for(planner, shop) as tokens:
        issued = await tokens.legal_entity_token()
    claims = claims_of(planner, issued.token)
    assert (issued.kind, issued.rights, issued.expires_in) == ("legal_entity", ("read",), 3600)
    assert claims["entity_id"] == shop.entity.id
    assert claims["client_id"] == shop.key_id
    assert claims["kind"] == "legal_entity"


async def test_user_token_carries_the_user_and_the_rights_asked(planner, shop):
    async with client_for(planner, shop) as tokens:
        issued = await tokens.user_token("u-1", "Alice", rights=("read", "write"), expires_in=600)
    claims = claims_of(planner, issued.token)
    assert (claims["subject"], claims["name"], claims["rights"]) == (
        "u-1",
        "Alice",
        ("read", "write"),
    )
    assert issued.kind == "user" and issued.expires_in == 600


async def test_expiry_is_counted_on_the_clients_clock_from_sending(planner, shop):
    clock = FrozenClock(start=time.time() - 5000)  # this machine's clock is far behind
    async with client_for(planner, shop, clock=clock) as tokens:
        issued = await tokens.legal_entity_token(expires_in=120)
    assert issued.expires_at == clock.now() + 120
    assert issued.remaining(clock.now()) == 120
    assert issued.remaining(clock.now() + 500) == 0


async def test_cached_token_is_returned_without_a_request(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        first = await tokens.legal_entity_token()
        second = await tokens.legal_entity_token()
    assert first.token == second.token
    assert app.seen[("POST", "/v1/tokens")] == 1


async def test_each_identity_has_its_own_token(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        entity = await tokens.legal_entity_token()
        alice = await tokens.user_token("alice", "Alice")
        bob = await tokens.user_token("bob", "Bob")
        alice_write = await tokens.user_token("alice", "Alice", rights=("write", "read"))
        alice_again = await tokens.user_token("alice", "Alice")
    assert len({entity.token, alice.token, bob.token, alice_write.token}) == 4
    assert alice_again.token == alice.token
    assert app.seen[("POST", "/v1/tokens")] == 4


async def test_token_is_renewed_once_less_than_half_its_life_remains(counted, shop_on_counted):
    planner, app = counted
    clock = FrozenClock(start=time.time())
    async with client_for(planner, shop_on_counted, clock=clock) as tokens:
        first = await tokens.legal_entity_token(expires_in=120)
        clock.advance(59)  # 61 s left: more than half
        assert (await tokens.legal_entity_token(expires_in=120)).token == first.token
        clock.advance(2)  # 59 s left: the planner may soon ask again, so get a new one
        renewed = await tokens.legal_entity_token(expires_in=120)
    assert renewed.token != first.token
    assert app.seen[("POST", "/v1/tokens")] == 2


async def test_long_tokens_are_renewed_300_s_before_expiry(counted, shop_on_counted):
    planner, _ = counted
    clock = FrozenClock(start=time.time())
    async with client_for(planner, shop_on_counted, clock=clock) as tokens:
        first = await tokens.legal_entity_token()  # 3600 s
        clock.advance(3600 - 301)
        assert (await tokens.legal_entity_token()).token == first.token
        clock.advance(2)
        assert (await tokens.legal_entity_token()).token != first.token


async def test_tokens_past_use_are_dropped_from_the_cache(counted, shop_on_counted):
    planner, _ = counted
    clock = FrozenClock(start=time.time())
    async with client_for(planner, shop_on_counted, clock=clock) as tokens:
        for i in range(20):
            await tokens.user_token(f"u{i}", f"User {i}", expires_in=120)
        assert len(tokens._cache) == 20
        clock.advance(121)  # every one of them has expired
        kept = await tokens.user_token("late", "Late", expires_in=120)
        assert list(tokens._cache.values()) == [kept]


async def test_the_cache_is_bounded_oldest_out(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted, max_cached=3) as tokens:
        first = [await tokens.user_token(f"u{i}", f"User {i}") for i in range(5)]
        assert len(tokens._cache) == 3
        assert (await tokens.user_token("u4", "User 4")).token == first[4].token  # kept
        assert app.seen[("POST", "/v1/tokens")] == 5
        assert (await tokens.user_token("u0", "User 0")).token != first[0].token  # evicted
        assert app.seen[("POST", "/v1/tokens")] == 6
        assert len(tokens._cache) == 3


async def test_fresh_bypasses_the_cache(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        first = await tokens.user_token("alice", "Alice")
        fresh = await tokens.user_token("alice", "Alice", fresh=True)
        cached = await tokens.user_token("alice", "Alice")
    assert fresh.token != first.token
    assert cached.token == fresh.token  # the fresh one replaced the cached one
    assert app.seen[("POST", "/v1/tokens")] == 2


async def test_single_flight_100_concurrent_callers_one_request(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        issued = await asyncio.gather(*(tokens.user_token("alice", "Alice") for _ in range(100)))
    assert len({t.token for t in issued}) == 1
    assert app.seen[("POST", "/v1/tokens")] == 1


async def test_single_flight_is_per_identity(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        calls = [tokens.user_token(f"user-{i % 3}", "U") for i in range(60)]
        issued = await asyncio.gather(*calls, tokens.legal_entity_token())
    assert len({t.token for t in issued}) == 4
    assert app.seen[("POST", "/v1/tokens")] == 4


async def test_a_cancelled_caller_does_not_cancel_the_others(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        quitter = asyncio.ensure_future(tokens.legal_entity_token())
        stayer = asyncio.ensure_future(tokens.legal_entity_token())
        await asyncio.sleep(0)  # both are now waiting on the one request
        quitter.cancel()
        issued = await stayer
    assert quitter.cancelled()
    assert isinstance(issued, IssuedToken)
    assert app.seen[("POST", "/v1/tokens")] == 1


async def test_wrong_secret_raises_invalid_client(planner, shop):
    async with TokenClient(planner.url, shop.key_id, "not-the-secret") as tokens:
        with pytest.raises(InvalidClientError) as caught:
            await tokens.legal_entity_token()
    assert (caught.value.status, caught.value.code) == (401, "invalid_client")


async def test_write_for_a_read_only_entity_raises_invalid_scope(planner, readonly_shop):
    async with client_for(planner, readonly_shop) as tokens:
        with pytest.raises(InvalidScopeError) as caught:
            await tokens.legal_entity_token(rights=("read", "write"))
    assert caught.value.status == 403
    assert "write" in caught.value.description


async def test_a_lifetime_out_of_bounds_raises_invalid_request(planner, shop):
    async with client_for(planner, shop) as tokens:
        with pytest.raises(InvalidRequestError) as caught:
            await tokens.legal_entity_token(expires_in=86401)
    assert caught.value.status == 400 and "expires_in" in caught.value.description


async def test_failures_are_not_cached(counted, shop_on_counted):
    planner, app = counted
    async with TokenClient(planner.url, shop_on_counted.key_id, "wrong") as tokens:
        for _ in range(2):
            with pytest.raises(InvalidClientError):
                await tokens.legal_entity_token()
    assert app.seen[("POST", "/v1/tokens")] == 2


async def test_an_unreachable_service_raises_unavailable():
    with socket.socket() as sock:  # a port nobody listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with TokenClient(f"http://127.0.0.1:{port}", "pbk_x", "s") as tokens:
        with pytest.raises(TokenServiceUnavailable) as caught:
            await tokens.legal_entity_token()
    assert (caught.value.code, caught.value.status) == ("unavailable", 0)


async def test_a_non_token_service_answer_raises_unavailable(planner, shop):
    async with TokenClient(planner.url + "/nowhere", shop.key_id, shop.secret) as tokens:
        with pytest.raises(TokenServiceUnavailable) as caught:
            await tokens.legal_entity_token()
    assert caught.value.status == 404


def braking_app(retry_after: bytes) -> Any:
    """A service that answers every request 429 with the given raw Retry-After value."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = b'{"error": "too_many_requests", "error_description": "slow down"}'
        headers = [(b"content-type", b"application/json"), (b"retry-after", retry_after)]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize("value", [b"\xb2", b"1\xb9", b"soon", b"-3", b"1" * 5000, b"7", b"0"])
async def test_a_garbage_retry_after_still_raises_rate_limited(value):
    # b"\xb2" is "\u00b2" once decoded: str.isdigit() takes it, int() does not.
    with ThreadedServer(lambda url: braking_app(value)) as server:
        async with TokenClient(server.url, "pbk_x", "s") as tokens:
            with pytest.raises(RateLimitedError) as caught:
                await tokens.legal_entity_token()
    assert caught.value.status == 429
    assert caught.value.retry_after == {b"7": 7, b"0": 0}.get(value, 1)


async def test_repr_shows_no_secret_and_no_token(planner, shop):
    async with client_for(planner, shop) as tokens:
        issued = await tokens.legal_entity_token()
        text = repr(tokens) + repr(issued) + str(tokens.__dict__.get("_cache", ""))
    assert shop.secret not in repr(tokens)
    assert issued.token not in repr(issued)
    assert shop.key_id in text  # the key id is an identifier, not a secret


async def test_rights_as_a_string_is_a_programming_error(planner, shop):
    async with client_for(planner, shop) as tokens:
        with pytest.raises(TypeError):
            await tokens.legal_entity_token(rights="write")


async def test_a_shared_http_client_is_not_closed(planner, shop):
    import httpx

    async with httpx.AsyncClient() as http:
        async with client_for(planner, shop, http=http) as tokens:
            await tokens.legal_entity_token()
        assert not http.is_closed
        assert (await http.get(planner.url + "/.well-known/jwks.json")).status_code == 200


async def test_tokens_verify_with_the_published_key(planner, shop):
    async with client_for(planner, shop) as tokens:
        issued = await tokens.user_token("alice", "Alice")
    kid = jwt.get_unverified_header(issued.token)["kid"]
    key = planner.core.keyring.verification_key(kid, access_token=True)
    claims = jwt.decode(issued.token, key.public_key, algorithms=["ES256"], audience="planner")
    assert claims["sub"] == "alice"


@pytest.fixture
def shop_on_counted(counted) -> Shop:
    planner, _ = counted
    return register_shop(planner.core)


JKT_A, JKT_B = "A" * 43, "B" * 43


async def test_a_jkt_binds_the_token_to_the_planners_key(planner, shop):
    async with client_for(planner, shop) as tokens:
        issued = await tokens.user_token("alice", "Alice", jkt=JKT_A)
    assert issued.token_type == "DPoP"
    assert jwt.decode(issued.token, options={"verify_signature": False})["cnf"] == {"jkt": JKT_A}


async def test_tokens_are_cached_per_jkt(counted, shop_on_counted):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        a = await tokens.legal_entity_token(jkt=JKT_A)
        b = await tokens.legal_entity_token(jkt=JKT_B)
        unbound = await tokens.legal_entity_token()
        a_again = await tokens.legal_entity_token(jkt=JKT_A)
    assert len({a.token, b.token, unbound.token}) == 3
    assert a_again.token == a.token
    assert unbound.token_type == "Bearer"
    assert app.seen[("POST", "/v1/tokens")] == 3


@pytest.mark.parametrize("jkt", ["", "A" * 42, "A" * 42 + "+", 43])
async def test_a_jkt_that_is_no_thumbprint_is_a_programming_error(counted, shop_on_counted, jkt):
    planner, app = counted
    async with client_for(planner, shop_on_counted) as tokens:
        with pytest.raises(ValueError, match="jkt"):
            await tokens.legal_entity_token(jkt=jkt)
    assert app.seen[("POST", "/v1/tokens")] == 0


async def test_sign_out_revokes_every_user_token_handed_out_not_only_the_cached_one(planner, shop):
    async with client_for(planner, shop) as tokens:
        first = await tokens.user_token("u-1", "Ann")
        second = await tokens.user_token(
            "u-1", "Ann", fresh=True
        )  # replaces the first in the cache
        other = await tokens.user_token("u-2", "Bob")
        assert first.token != second.token
        assert await tokens.sign_out("u-1") == 2
        assert await tokens.sign_out("u-1") == 0  # each is revoked once
    ann = [first.token, second.token]
    await asyncio.to_thread(
        refused_within_contract,
        "TokenClient.sign_out",
        *(lambda t=t: status(planner.url, t) for t in ann),
    )
    assert await asyncio.to_thread(status, planner.url, other.token) == 200
