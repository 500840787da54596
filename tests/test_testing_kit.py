"""planner_bridge.testing's planner origin, without a browser: entities it registers get tokens,
set_token_ttl shortens them, token_service_down makes token requests fail only inside the block,
stop()/start() restart it in place."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from planner_bridge.client import TokenClient, TokenServiceError
from planner_bridge.testing import PlannerOrigin


def mint(origin: PlannerOrigin, entity: dict[str, str]) -> int:
    async def ask() -> int:
        async with TokenClient(origin.url, entity["api_key"], entity["secret"]) as client:
            return (await client.legal_entity_token(expires_in=3600, fresh=True)).expires_in

    return asyncio.run(ask())


@pytest.fixture
def origin(tmp_path):
    with PlannerOrigin(tmp_path / "origin") as running:
        yield running


def test_a_registered_entity_gets_tokens_and_set_token_ttl_shortens_them(origin):
    entity = origin.create_entity("Shop", ["http://localhost:8000"], allow_write=True)
    assert set(entity) == {"id", "api_key", "secret"}
    assert mint(origin, entity) == 3600
    origin.set_token_ttl(5)
    assert mint(origin, entity) == 5
    origin.set_token_ttl(None)
    assert mint(origin, entity) == 3600
    with pytest.raises(ValueError):
        origin.set_token_ttl(0)


def test_the_token_service_is_down_only_inside_the_block(origin):
    entity = origin.create_entity("Shop", ["http://localhost:8000"])
    with origin.token_service_down():
        with pytest.raises(TokenServiceError):
            mint(origin, entity)
        # The rest of the origin still answers.
        assert httpx.get(origin.url + "/.well-known/jwks.json").status_code == 200
    assert mint(origin, entity) == 3600


def test_the_planner_page_is_served_for_the_entity(origin):
    entity = origin.create_entity("Shop", ["http://localhost:8000"])
    answer = httpx.get(origin.planner_url(entity["id"]))
    assert answer.status_code == 200
    assert "frame-ancestors http://localhost:8000" in answer.headers["content-security-policy"]


def test_a_restart_in_place_keeps_the_origin_its_data_and_the_token_ttl(origin):
    entity = origin.create_entity("Shop", ["http://localhost:8000"])
    origin.set_token_ttl(7)
    url, jwks = origin.url, httpx.get(origin.url + "/.well-known/jwks.json").json()
    core = origin.core
    origin.stop()
    assert origin.core is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/.well-known/jwks.json")
    with pytest.raises(RuntimeError):
        origin.start().start()  # started once; a second start while running is refused
    assert origin.url == url and origin.core is not None and origin.core is not core
    assert httpx.get(url + "/.well-known/jwks.json").json() == jwks  # the same signing keys
    assert mint(origin, entity) == 7  # the entity and its secret, and the lifetime set
