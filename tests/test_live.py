"""`/v1/live` over a real uvicorn server: auth first, pushes by rights, expiry closes with 4401."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from asset_helpers import READ, WRITE, bearer, mint, seed_asset
from planner_bridge.apps import live_socket
from planner_bridge.planner.live import QUEUE_LIMIT, LiveHub
from planner_bridge.serving import blocking
from support import wait_until

RECV_TIMEOUT = 10


def ws_url(planner) -> str:
    return planner.url.replace("http://", "ws://") + "/v1/live"


@contextlib.contextmanager
def open_live(planner, token: str) -> Iterator[ClientConnection]:
    """A connection that has sent its auth message and been told it is subscribed."""
    with connect(ws_url(planner), open_timeout=RECV_TIMEOUT) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        hello = receive(ws)
        assert hello["type"] == "authenticated", hello
        assert hello["expires_at"] == planner.core.verifier.verify_access_token(token).expires_at
        yield ws


def receive(ws: ClientConnection) -> dict:
    return json.loads(ws.recv(timeout=RECV_TIMEOUT))


def close_code(ws: ClientConnection) -> int:
    """Read until the server closes; the close code it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=RECV_TIMEOUT)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@pytest.fixture
def writer(planner, shop):
    """alice's write client, to make changes the live channel should (or should not) push."""
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
        yield client


def test_changes_are_pushed_to_the_owner(planner, shop, writer):
    with open_live(planner, mint(planner.core, shop.entity.id, user="alice")) as ws:
        created = writer.post("/v1/assets", json={"name": "Sofa", "kind": "k"}).json()
        writer.patch(f"/v1/assets/{created['id']}", json={"name": "Couch"})
        writer.delete(f"/v1/assets/{created['id']}")

        events = [receive(ws) for _ in range(3)]

    assert [e["type"] for e in events] == ["asset.changed"] * 3
    assert events[0]["asset"] == {**created, "deleted": False}
    assert events[1]["asset"]["name"] == "Couch" and events[1]["asset"]["version"] == 2
    assert events[2]["asset"]["id"] == created["id"] and events[2]["asset"]["deleted"] is True


def test_only_what_the_token_may_see_is_pushed(planner, shop, writer):
    bob = mint(planner.core, shop.entity.id, rights=WRITE, user="bob")
    entity_token = mint(planner.core, shop.entity.id, rights=WRITE)
    with (
        open_live(planner, mint(planner.core, shop.entity.id, user="bob")) as ws_bob,
        open_live(planner, mint(planner.core, shop.entity.id)) as ws_entity,
    ):
        writer.post("/v1/assets", json={"name": "alice's", "kind": "k"})  # seen by neither
        httpx.post(
            f"{planner.url}/v1/assets", json={"name": "bob's", "kind": "k"}, headers=bearer(bob)
        )
        httpx.post(
            f"{planner.url}/v1/assets",
            json={"name": "catalog", "kind": "k"},
            headers=bearer(entity_token),
        )

        # Events arrive in order, so the first event each one gets shows what was skipped.
        bob_saw = [receive(ws_bob)["asset"]["name"] for _ in range(2)]
        entity_saw = receive(ws_entity)["asset"]["name"]

    assert bob_saw == ["bob's", "catalog"]
    assert entity_saw == "catalog"


def test_changes_of_another_entity_are_not_pushed(planner, shop, writer):
    other, _ = blocking(
        planner.core.entities.create("Other", ["http://127.0.0.1:9"], allow_write=True)
    )
    other_token = mint(planner.core, other.id, rights=WRITE, user="alice")
    with open_live(planner, mint(planner.core, shop.entity.id, user="alice")) as ws:
        httpx.post(
            f"{planner.url}/v1/assets",
            json={"name": "other entity", "kind": "k"},
            headers=bearer(other_token),
        )
        writer.post("/v1/assets", json={"name": "mine", "kind": "k"})

        assert receive(ws)["asset"]["name"] == "mine"


def test_token_expiry_sends_token_expired_and_closes_4401(start_planner):
    planner = start_planner(leeway=0)
    entity, _ = blocking(
        planner.core.entities.create("S", ["http://localhost:8000"], allow_write=True)
    )
    short = mint(planner.core, entity.id, user="alice", lifetime=2)

    with open_live(planner, short) as ws:
        assert receive(ws) == {"type": "token_expired"}
        assert close_code(ws) == 4401


def test_a_fresh_connection_resumes_the_pushes(start_planner):
    planner = start_planner(leeway=0)
    entity, _ = blocking(
        planner.core.entities.create("S", ["http://localhost:8000"], allow_write=True)
    )
    writer = mint(planner.core, entity.id, rights=WRITE, user="alice")
    with open_live(planner, mint(planner.core, entity.id, user="alice", lifetime=2)) as ws:
        assert receive(ws)["type"] == "token_expired"
        assert close_code(ws) == 4401

    with open_live(planner, mint(planner.core, entity.id, user="alice")) as ws:
        httpx.post(
            f"{planner.url}/v1/assets", json={"name": "after", "kind": "k"}, headers=bearer(writer)
        )
        assert receive(ws)["asset"]["name"] == "after"


def test_an_expired_token_is_refused_at_auth(start_planner):
    planner = start_planner(leeway=0)
    entity, _ = blocking(
        planner.core.entities.create("S", ["http://localhost:8000"], allow_write=True)
    )
    token = mint(planner.core, entity.id, lifetime=1)
    wait_until(
        lambda: httpx.get(f"{planner.url}/v1/assets", headers=bearer(token)).status_code == 401
    )

    with connect(ws_url(planner)) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert receive(ws)["error"] == "invalid_token"
        assert close_code(ws) == 4401


@pytest.mark.parametrize("token", ["nope", "a.b.c", "", 42])
def test_invalid_token_is_refused_with_4401(planner, token):
    with connect(ws_url(planner)) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        refusal = receive(ws)
        assert (refusal["type"], refusal["error"]) == ("error", "invalid_token")
        assert close_code(ws) == 4401


@pytest.mark.parametrize("token", ["\ud800", "\udfff.e30.e30", "\u00e9.e30.e30"])
def test_a_token_with_a_lone_surrogate_or_non_ascii_is_refused_with_4401(planner, token):
    """Sent as JSON escapes (`json.dumps` keeps to ASCII), as a browser would send a lone
    surrogate: the text frame itself is valid UTF-8."""
    with connect(ws_url(planner)) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        refusal = receive(ws)
        assert (refusal["type"], refusal["error"]) == ("error", "invalid_token")
        assert close_code(ws) == 4401


@pytest.mark.parametrize(
    "first", ["hello", json.dumps({"type": "subscribe"}), json.dumps(["auth"]), "[" * 5000]
)
def test_a_first_message_that_is_not_auth_closes_1008(planner, first):
    with connect(ws_url(planner)) as ws:
        ws.send(first)
        assert receive(ws)["error"] == "invalid_request"
        assert close_code(ws) == 1008


def test_a_binary_first_message_closes_1008(planner):
    with connect(ws_url(planner)) as ws:
        ws.send(b"\x00\x01")
        assert receive(ws)["error"] == "invalid_request"
        assert close_code(ws) == 1008


def test_no_auth_message_in_time_closes_4408(planner, monkeypatch):
    monkeypatch.setattr(live_socket, "AUTH_DEADLINE", 0.5)  # the 5 s default, shortened
    with connect(ws_url(planner)) as ws:
        assert close_code(ws) == 4408


def test_a_subscription_ends_with_its_connection(planner, shop, writer):
    token = mint(planner.core, shop.entity.id, user="alice")
    with open_live(planner, token) as ws:
        writer.post("/v1/assets", json={"name": "one", "kind": "k"})
        assert receive(ws)["asset"]["name"] == "one"
    # After the client left, writes still succeed (no push to a dead socket breaks them).
    assert writer.post("/v1/assets", json={"name": "two", "kind": "k"}).status_code == 201


def test_a_seeded_catalog_change_made_over_http_reaches_a_legal_entity(planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, None)
    editor = mint(planner.core, shop.entity.id, rights=WRITE)
    with open_live(planner, mint(planner.core, shop.entity.id, rights=READ)) as ws:
        httpx.patch(
            f"{planner.url}/v1/assets/{asset.id}", json={"data": {"x": 1}}, headers=bearer(editor)
        )
        event = receive(ws)
    assert event["asset"]["id"] == asset.id and event["asset"]["data"] == {"x": 1}


# The hub itself, without a server.


def _claims(core, entity_id, user=None):
    return core.verifier.verify_access_token(mint(core, entity_id, user=user))


def test_a_subscriber_that_falls_behind_is_cut_off(core):
    entity, _ = blocking(core.entities.create("S", ["http://localhost:8000"], allow_write=True))
    asset = seed_asset(core, entity.id, None)

    async def scenario():
        hub = LiveHub()
        subscription = hub.subscribe(_claims(core, entity.id))
        for _ in range(QUEUE_LIMIT + 1):
            hub.publish(asset)
        return await subscription.next(), subscription.cut_off

    assert asyncio.run(scenario()) == (None, True)


def test_publish_from_another_thread_reaches_the_subscriber(core):
    entity, _ = blocking(core.entities.create("S", ["http://localhost:8000"], allow_write=True))
    asset = seed_asset(core, entity.id, "alice")

    async def scenario():
        hub = LiveHub()
        alice = hub.subscribe(_claims(core, entity.id, user="alice"))
        bob = hub.subscribe(_claims(core, entity.id, user="bob"))
        thread = threading.Thread(target=hub.publish, args=(asset, True))
        thread.start()
        event = await asyncio.wait_for(alice.next(), RECV_TIMEOUT)
        thread.join()
        return event, bob

    event, bob = asyncio.run(scenario())
    assert event["asset"]["id"] == asset.id and event["asset"]["deleted"] is True
    assert bob._queue.empty()
