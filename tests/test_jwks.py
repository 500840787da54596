"""Verification against the token service's JWKS URL (PLANNER_BRIDGE_JWKS_URL), over real HTTP."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asset_helpers import READ, assert_invalid_token, bearer, mint, seed_asset
from planner_bridge.clock import FrozenClock, SystemClock
from planner_bridge.errors import InvalidToken
from planner_bridge.keys.ring import KeyRing
from planner_bridge.serving import ThreadedServer, blocking
from planner_bridge.tokens.issuer import TokenIssuer
from planner_bridge.tokens.jwks import MIN_REFRESH_INTERVAL, RemoteJWKS
from planner_bridge.tokens.verification import TokenVerifier
from support import key_ring, rotate

ISSUER = "http://token-service.test"


@dataclasses.dataclass
class JwksServer:
    """A stand-in token service that publishes a key ring's JWKS and counts the fetches."""

    ring: KeyRing
    url: str = ""
    hits: int = 0
    extra_keys: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    broken: bool = False

    async def jwks(self, request: Any) -> Response:
        self.hits += 1
        if self.broken:
            return Response("down", status_code=503)
        document = self.ring.jwks()
        return JSONResponse({"keys": document["keys"] + self.extra_keys})


@pytest.fixture
def token_service(tmp_path) -> Iterator[JwksServer]:
    ring = key_ring(tmp_path / "remote-keys.sqlite3", SystemClock(), published_for=3600)
    served = JwksServer(ring)
    app = Starlette(routes=[Route("/.well-known/jwks.json", served.jwks)])
    with ThreadedServer(lambda url: app) as server:
        served.url = server.url + "/.well-known/jwks.json"
        yield served


def remote_token(ring: KeyRing, issuer: str = ISSUER, entity: str = "ent_x") -> str:
    issuer_ = TokenIssuer(ring, SystemClock(), issuer=issuer)
    return blocking(
        issuer_.mint_access_token(entity_id=entity, client_id="c", rights=READ, lifetime=600)
    ).token


@pytest.fixture
def verifier(token_service) -> tuple[TokenVerifier, RemoteJWKS, FrozenClock]:
    clock = FrozenClock(SystemClock().now())
    source = RemoteJWKS(token_service.url, clock)
    return TokenVerifier(source, clock, issuer=ISSUER, leeway=30), source, clock


def test_tokens_verify_against_the_remote_set_fetched_once(token_service, verifier):
    check, source, _ = verifier
    tokens = [remote_token(token_service.ring) for _ in range(5)]

    claims = [check.verify_access_token(t) for t in tokens * 3]

    assert {c.entity_id for c in claims} == {"ent_x"}
    assert token_service.hits == 1 and source.fetches == 1


def test_an_unknown_kid_refreshes_at_most_once_per_interval(token_service, verifier, tmp_path):
    check, source, clock = verifier
    check.verify_access_token(remote_token(token_service.ring))
    foreign = key_ring(tmp_path / "f.sqlite3", clock, published_for=1)

    for _ in range(20):
        with pytest.raises(InvalidToken):
            check.verify_access_token(remote_token(foreign))

    assert token_service.hits == source.fetches == 1  # unknown kids wait for the interval
    clock.advance(MIN_REFRESH_INTERVAL + 1)
    with pytest.raises(InvalidToken):
        check.verify_access_token(remote_token(foreign))
    assert token_service.hits == 2


def test_a_token_without_a_kid_never_makes_the_set_be_fetched_again(token_service, verifier):
    check, source, clock = verifier
    genuine = remote_token(token_service.ring)
    check.verify_access_token(genuine)
    clock.advance(MIN_REFRESH_INTERVAL + 1)  # an unknown kid could refresh now; no kid may not
    header, payload, signature = genuine.split(".")
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    del fields["kid"]
    bare = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()

    with pytest.raises(InvalidToken, match="unknown key"):
        check.verify_access_token(f"{bare}.{payload}.{signature}")

    assert token_service.hits == source.fetches == 1


def test_a_rotation_on_the_token_service_is_picked_up_by_its_new_kid(token_service, verifier):
    check, _, clock = verifier
    check.verify_access_token(remote_token(token_service.ring))
    clock.advance(MIN_REFRESH_INTERVAL + 1)

    rotate(token_service.ring)
    claims = check.verify_access_token(remote_token(token_service.ring))

    assert claims.kid == token_service.ring.current.kid and token_service.hits == 2


def test_the_set_is_refetched_when_stale(token_service, verifier):
    check, source, clock = verifier
    token = remote_token(token_service.ring)
    check.verify_access_token(token)
    clock.advance(source.max_age + 1)
    check.verify_access_token(token)
    assert token_service.hits == 2


def test_a_failed_fetch_keeps_the_known_keys(token_service, verifier):
    check, source, clock = verifier
    token = remote_token(token_service.ring)
    check.verify_access_token(token)
    token_service.broken = True
    clock.advance(source.max_age + 1)

    assert check.verify_access_token(token).entity_id == "ent_x"
    assert token_service.hits == 2


def test_a_symmetric_key_in_the_set_is_never_used(token_service, verifier):
    check, _, _ = verifier
    secret = b"published-by-mistake"
    oct_key = {"kty": "oct", "kid": "oct-1", "alg": "HS256", "k": _b64(secret)}
    token_service.extra_keys.append(oct_key)
    claims = json.loads(_b64d(remote_token(token_service.ring).split(".")[1]))
    header = {"alg": "HS256", "kid": "oct-1", "typ": "at+jwt"}
    unsigned = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    forged = f"{unsigned}.{_b64(hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())}"

    with pytest.raises(InvalidToken):
        check.verify_access_token(forged)


def test_an_unreachable_jwks_refuses_tokens_without_crashing():
    clock = FrozenClock()
    source = RemoteJWKS("http://127.0.0.1:9/jwks.json", clock)
    with pytest.raises(InvalidToken):
        TokenVerifier(source, clock, issuer=ISSUER, leeway=30).verify_access_token("a.b.c")
    assert source.verification_key("any", access_token=True) is None


def test_a_non_http_url_is_refused_at_start():
    with pytest.raises(ValueError):
        RemoteJWKS("file:///etc/passwd", FrozenClock())


def test_the_planner_services_verify_against_the_jwks_url_when_set(start_planner, token_service):
    planner = start_planner(jwks_url=token_service.url)
    entity, _ = blocking(
        planner.core.entities.create("S", ["http://localhost:8000"], allow_write=False)
    )
    asset = seed_asset(planner.core, entity.id, None)
    url = f"{planner.url}/v1/assets/{asset.id}"

    remote = remote_token(token_service.ring, issuer=planner.url, entity=entity.id)
    local = mint(planner.core, entity.id)  # signed by the planner's own ring: not published

    assert httpx.get(url, headers=bearer(remote)).status_code == 200
    assert_invalid_token(httpx.get(url, headers=bearer(local)))
    assert token_service.hits >= 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
