"""Idempotency-Key on writes: replays answer as the first did and change nothing."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest

from asset_helpers import WRITE, bearer, mint, seed_asset, wait_until
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidRequest, UnprocessableRequest
from planner_bridge.idempotency import KEY_TTL, IdempotencyKeys, fingerprint, key_scope
from planner_bridge.sqlite_store import SQLiteStore


@pytest.fixture
def alice(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
        yield client


def owned(planner, shop, user="alice"):
    return planner.core.store.list_assets(shop.entity.id, (user,))


def post(client, body, key="key-1", **kwargs):
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    return client.post("/v1/assets", content=body, headers=headers, **kwargs)


def test_replayed_create_answers_as_the_first_and_creates_once(alice, planner, shop):
    body = json.dumps({"name": "Sofa", "kind": "furniture"})

    first, second = post(alice, body), post(alice, body)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(owned(planner, shop)) == 1


def test_the_same_json_spelled_differently_is_the_same_request(alice, planner, shop):
    first = post(alice, '{"name": "Sofa", "kind": "furniture"}')
    second = post(alice, '{ "kind":"furniture",\n "name":"Sofa" }')

    assert second.json() == first.json() and len(owned(planner, shop)) == 1


def test_same_key_with_another_body_is_422_and_changes_nothing(alice, planner, shop):
    post(alice, json.dumps({"name": "Sofa", "kind": "furniture"}))

    other = post(alice, json.dumps({"name": "Chair", "kind": "furniture"}))

    assert other.status_code == 422 and other.json()["error"] == "invalid_request"
    assert [a.name for a in owned(planner, shop)] == ["Sofa"]


def test_same_key_on_another_asset_or_method_is_422(alice, planner, shop):
    a, b = (seed_asset(planner.core, shop.entity.id, "alice") for _ in range(2))
    headers = {"Idempotency-Key": "k"}

    assert alice.patch(f"/v1/assets/{a.id}", json={"name": "X"}, headers=headers).status_code == 200
    assert alice.patch(f"/v1/assets/{b.id}", json={"name": "X"}, headers=headers).status_code == 422
    assert alice.delete(f"/v1/assets/{a.id}", headers=headers).status_code == 422
    assert planner.core.store.get_asset(b.id) == b


def test_replayed_patch_is_applied_once(alice, planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    headers = {"Idempotency-Key": "patch-1"}

    answers = [
        alice.patch(f"/v1/assets/{asset.id}", json={"name": "Renamed"}, headers=headers)
        for _ in range(3)
    ]

    assert {a.json()["version"] for a in answers} == {2}
    assert planner.core.store.get_asset(asset.id).version == 2


def test_replayed_delete_answers_204_again(alice, planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    headers = {"Idempotency-Key": "delete-1"}

    first = alice.delete(f"/v1/assets/{asset.id}", headers=headers)
    second = alice.delete(f"/v1/assets/{asset.id}", headers=headers)
    unkeyed = alice.delete(f"/v1/assets/{asset.id}")

    assert (first.status_code, second.status_code, unkeyed.status_code) == (204, 204, 404)
    assert second.headers["idempotent-replayed"] == "true"


def test_keys_are_scoped_per_user(planner, shop):
    body = json.dumps({"name": "Mine", "kind": "k"})
    for user in ("alice", "bob"):
        token = mint(planner.core, shop.entity.id, rights=WRITE, user=user)
        with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
            response = post(client, body, key="shared")
            assert response.status_code == 201 and response.json()["owner"] == user
    assert len(owned(planner, shop, "alice")) == len(owned(planner, shop, "bob")) == 1


def test_a_refused_write_does_not_use_up_its_key(alice, planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    url, key = f"/v1/assets/{asset.id}", {"Idempotency-Key": "retry-me"}

    stale = alice.patch(url, json={"name": "X"}, headers={**key, "If-Match": '"9"'})
    retried = alice.patch(url, json={"name": "X"}, headers={**key, "If-Match": '"1"'})

    assert stale.status_code == 412 and retried.status_code == 200


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
def test_malformed_keys_are_400(alice, planner, shop, key):
    response = post(alice, b'{"name": "A", "kind": "k"}', key=key.encode("utf-8"))
    assert response.status_code == 400 and owned(planner, shop) == []


def test_concurrent_requests_with_the_same_key_apply_once(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    body = json.dumps({"name": "Once", "kind": "k"})

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=planner.url, headers=bearer(token)) as client:
            calls = [post(client, body, key="burst") for _ in range(12)]
            return await asyncio.gather(*calls)

    answers = asyncio.run(burst())

    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len(owned(planner, shop)) == 1


def test_a_request_waits_for_the_first_with_its_key_then_gets_its_answer(planner, shop):
    """As when the first request runs on another server instance: the key is reserved."""
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    claims = planner.core.verifier.verify_access_token(token)
    body = {"name": "Elsewhere", "kind": "k"}
    scope, request = key_scope(claims), fingerprint("POST", "/v1/assets", body, None)
    keys = IdempotencyKeys(planner.core.store, planner.core.clock)
    assert keys.claim(scope, "busy", request) is None  # reserved, as if in flight
    answer = {"id": "ast_from_the_first_request"}
    claims_made = planner.core.store._inserts  # every claim counts one; a waiter claims again
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
            answers.append(post(client, json.dumps(body), "busy"))

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(lambda: planner.core.store._inserts >= claims_made + 2)  # it is waiting
    keys.finish(scope, "busy", 201, json.dumps(answer).encode())
    sender.join(10)
    response = answers[0]

    assert response.status_code == 201 and response.json() == answer
    assert owned(planner, shop) == []


# The key store itself, on a real SQLite file and a frozen clock.


@pytest.fixture
def keys(tmp_path):
    store = SQLiteStore(tmp_path / "keys.sqlite3")
    yield IdempotencyKeys(store, FrozenClock(), in_flight_wait=0.2)
    store.close()


def test_keys_are_remembered_for_24_hours(keys):
    assert keys.claim("s", "k", "req") is None
    keys.finish("s", "k", 201, b"{}")
    keys.clock.advance(KEY_TTL - 1)
    assert keys.claim("s", "k", "req").status == 201
    keys.clock.advance(2)
    assert keys.claim("s", "k", "other request") is None  # forgotten: a new reservation


def test_a_key_still_in_flight_after_the_wait_is_409(keys):
    assert keys.claim("s", "k", "req") is None

    with pytest.raises(InvalidRequest) as caught:
        asyncio.run(keys.claim_or_wait("s", "k", "req"))

    assert caught.value.status_code == 409


def test_in_flight_with_another_request_is_422_at_once(keys):
    keys.claim("s", "k", "req")
    with pytest.raises(UnprocessableRequest):
        asyncio.run(keys.claim_or_wait("s", "k", "another"))


def test_a_released_key_can_be_claimed_again(keys):
    keys.claim("s", "k", "req")
    keys.release("s", "k")
    assert keys.claim("s", "k", "another") is None
