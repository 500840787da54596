"""Idempotency-Key on writes: replays answer as the first did and change nothing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading

import httpx
import pytest

from asset_helpers import WRITE, bearer, mint, seed_asset
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidRequest, NotFound, UnprocessableRequest
from planner_bridge.planner.assets import AssetCatalog
from planner_bridge.planner.idempotency import (
    KEY_TTL,
    RESERVATION_LEASE,
    IdempotencyKeys,
    fingerprint,
    key_scope,
)
from planner_bridge.serving import blocking
from planner_bridge.storage import Conflict, Entity, IdempotentAnswer, Reservation
from planner_bridge.storage.sqlite import SQLiteStore
from planner_bridge.tokens.verification import AccessClaims
from support import wait_until


@pytest.fixture
def alice(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
        yield client


def owned(planner, shop, user="alice"):
    return blocking(planner.core.store.list_assets(shop.entity.id, (user,)))


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


def test_the_fingerprint_stored_with_a_key_keeps_its_form_across_releases():
    """Every instance compares the fingerprints stored in the last 24 h, those the previous
    release stored too during a rolling deploy: a changed canonical form would answer a client's
    retry across the deploy with 422 instead of the first answer. The value is the released one."""
    body = {"name": "Kitchen \u00e9", "data": {"b": [1, 2.5, None], "a": True}}
    assert fingerprint("PATCH", "/v1/assets/ast_1", body, '"3"') == (
        "6b3b3be15a7c1a1ba7fb0bd419b92767c7d9584506aa28612932335172508745"
    )


def test_same_key_with_another_body_is_422_and_changes_nothing(alice, planner, shop):
    post(alice, json.dumps({"name": "Sofa", "kind": "furniture"}))

    other = post(alice, json.dumps({"name": "Chair", "kind": "furniture"}))

    assert other.status_code == 422 and other.json() == {
        "error": "invalid_request",
        "error_description": "Idempotency-Key was already used with another request",
    }
    assert [a.name for a in owned(planner, shop)] == ["Sofa"]


def test_same_key_on_another_asset_or_method_is_422(alice, planner, shop):
    a, b = (seed_asset(planner.core, shop.entity.id, "alice") for _ in range(2))
    headers = {"Idempotency-Key": "k"}

    assert alice.patch(f"/v1/assets/{a.id}", json={"name": "X"}, headers=headers).status_code == 200
    assert alice.patch(f"/v1/assets/{b.id}", json={"name": "X"}, headers=headers).status_code == 422
    assert alice.delete(f"/v1/assets/{a.id}", headers=headers).status_code == 422
    assert blocking(planner.core.store.get_asset(b.id)) == b


def test_same_key_with_another_if_match_is_another_request(alice, planner, shop):
    # If-Match is part of what the key stands for: a retry that asks about another version is
    # not the first request again, and must not be answered with the first one's 200.
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    url = f"/v1/assets/{asset.id}"
    key = {"Idempotency-Key": "patch-if-match"}

    first = alice.patch(url, json={"name": "X"}, headers={**key, "If-Match": '"1"'})
    again = alice.patch(url, json={"name": "X"}, headers={**key, "If-Match": '"1"'})
    other = alice.patch(url, json={"name": "X"}, headers={**key, "If-Match": '"2"'})
    unconditional = alice.patch(url, json={"name": "X"}, headers=key)

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    for answer in (other, unconditional):
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"
        assert "idempotent-replayed" not in answer.headers
    assert blocking(planner.core.store.get_asset(asset.id)).version == 2
    assert fingerprint("PATCH", url, {}, '"1"') != fingerprint("PATCH", url, {}, '"2"')


def test_replayed_patch_is_applied_once(alice, planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    headers = {"Idempotency-Key": "patch-1"}

    answers = [
        alice.patch(f"/v1/assets/{asset.id}", json={"name": "Renamed"}, headers=headers)
        for _ in range(3)
    ]

    assert {a.json()["version"] for a in answers} == {2}
    assert blocking(planner.core.store.get_asset(asset.id)).version == 2


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


# Headers every answer gets from the server itself, not from the application.
# Set per response by the server (x-request-id: each request has its own, replay or not).
PER_RESPONSE = {"date", "server", "idempotent-replayed", "x-request-id"}


def same_headers(first: httpx.Response, replay: httpx.Response) -> None:
    def kept(response: httpx.Response) -> list[tuple[str, str]]:
        return [(k, v) for k, v in response.headers.multi_items() if k not in PER_RESPONSE]

    assert kept(replay) == kept(first)
    assert replay.headers["idempotent-replayed"] == "true"


def test_a_replay_answers_with_the_first_answers_headers(alice, planner, shop):
    """The ETag (and every other header) of the first answer comes back with its replay."""
    asset = seed_asset(planner.core, shop.entity.id, "alice")
    url, body = f"/v1/assets/{asset.id}", json.dumps({"name": "Sofa", "kind": "furniture"})
    patch = {"Idempotency-Key": "patch-etag", "If-Match": '"1"'}
    delete = {"Idempotency-Key": "delete-etag"}

    created = [post(alice, body, key="post-etag") for _ in range(2)]
    patched = [alice.patch(url, json={"name": "Renamed"}, headers=patch) for _ in range(2)]
    deleted = [alice.delete(url, headers=delete) for _ in range(2)]

    assert [r.status_code for r in created + patched + deleted] == [201] * 2 + [200] * 2 + [204] * 2
    assert created[1].headers["etag"] == '"1"' and patched[1].headers["etag"] == '"2"'
    for first, replay in (created, patched, deleted):
        same_headers(first, replay)
        assert replay.content == first.content


def test_a_stalled_write_cannot_take_back_its_key_over_http(alice, planner, shop):
    """A (on another instance, say) claims a key and stalls past its lease; B, with another
    body, takes the key over and answers. A's late write is refused and its release frees
    nothing: B's retry gets B's own answer, ETag included."""
    claims = planner.core.verifier.verify_access_token(alice.headers["authorization"][7:])
    scope, body_a = key_scope(claims), {"name": "A", "kind": "k"}
    then = FrozenClock(planner.core.clock.now() - 2 * RESERVATION_LEASE)
    stalled_keys = IdempotencyKeys(planner.core.store, then)
    stalled = reserved(stalled_keys, scope, "K", fingerprint("POST", "/v1/assets", body_a, None))

    first_b = post(alice, json.dumps({"name": "B", "kind": "k"}), key="K")
    catalog = AssetCatalog(planner.core.store, planner.core.clock)
    with pytest.raises(Conflict):  # A wakes up and writes (the server answers 409)
        blocking(catalog.create(claims, body_a, answer=kept_with(stalled_keys, stalled, body=b"A")))
    blocking(stalled_keys.release(stalled))
    retry_b = post(alice, json.dumps({"name": "B", "kind": "k"}), key="K")

    assert first_b.status_code == retry_b.status_code == 201
    assert retry_b.content == first_b.content and retry_b.json()["name"] == "B"
    same_headers(first_b, retry_b)
    assert [a.name for a in owned(planner, shop)] == ["B"]


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
def test_malformed_keys_are_400(alice, planner, shop, key):
    response = post(alice, b'{"name": "A", "kind": "k"}', key=key.encode("utf-8"))
    assert response.status_code == 400 and owned(planner, shop) == []
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Idempotency-Key must be 1 to 255 visible ASCII characters",
    }


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
    held = reserved(keys, scope, "busy", request)  # as if in flight
    first = seed_asset(planner.core, shop.entity.id, "alice", name="Elsewhere")
    first_answer = keys.answer(held, 201, json.dumps({"id": first.id}).encode())
    blocking(planner.core.store.delete_asset(first.id))  # written again below, as the first request
    claims_made = planner.core.store._sweeper.inserts  # a claim counts one; a waiter again
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
            answers.append(post(client, json.dumps(body), "busy"))

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(lambda: planner.core.store._sweeper.inserts >= claims_made + 2)  # it is waiting
    blocking(
        planner.core.store.add_asset(first, first_answer)
    )  # the first request's write + answer
    sender.join(10)
    response = answers[0]

    assert response.status_code == 201 and response.json() == {"id": first.id}
    assert owned(planner, shop) == [first]  # the waiter wrote nothing of its own


# The key store itself, on a real SQLite file and a frozen clock.

CLAIMS = AccessClaims("alice", "ent_1", "user", ("read", "write"), "c", "j", 0, 0, "kid")
WRITER = CLAIMS.entity_id


@pytest.fixture
def keys(tmp_path):
    store = SQLiteStore(tmp_path / "keys.sqlite3")
    yield IdempotencyKeys(store, FrozenClock(), in_flight_wait=0.2)
    blocking(store.close())


@pytest.fixture
def catalog(keys):
    blocking(keys.store.add_entity(Entity(WRITER, "Shop", ("http://localhost",), True, 0.0)))
    return AssetCatalog(keys.store, keys.clock)


def kept_with(keys, held, status=201, body=b"{}"):
    return lambda asset: keys.answer(held, status, body)


def reserved(keys, scope="s", key="k", request="req") -> Reservation:
    held = blocking(keys.claim(scope, key, request))
    assert isinstance(held, Reservation) and (held.scope, held.key) == (scope, key), held
    return held


def earlier(keys, scope="s", key="k", request="req") -> IdempotentAnswer:
    found = blocking(keys.claim(scope, key, request))
    assert isinstance(found, IdempotentAnswer), found
    return found


def test_keys_are_remembered_for_24_hours(keys, catalog):
    held = reserved(keys)
    blocking(catalog.create(CLAIMS, {"name": "A", "kind": "k"}, answer=kept_with(keys, held)))
    keys.clock.advance(KEY_TTL - 1)
    assert earlier(keys).status == 201
    keys.clock.advance(2)
    reserved(keys, request="other request")  # forgotten: a new reservation


def test_a_reservation_whose_request_died_frees_itself_after_its_lease(keys):
    reserved(keys)  # ... and the request dies before writing
    keys.clock.advance(RESERVATION_LEASE - 1)
    assert earlier(keys).status == 0  # still in progress, as far as we know
    keys.clock.advance(2)
    reserved(keys)  # the lease lapsed: reserved for this retry


def test_a_write_whose_answer_cannot_be_kept_is_not_applied(keys, catalog, tmp_path):
    """The crash window: recording the answer fails after the asset row was written, in the
    same transaction. Neither is kept, and the key is still only reserved (then lapses)."""
    held = reserved(keys)
    with sqlite3.connect(tmp_path / "keys.sqlite3") as db:
        db.execute(
            "CREATE TRIGGER answer_lost BEFORE UPDATE ON idempotency_keys"
            " BEGIN SELECT RAISE(ABORT, 'power cut'); END"
        )
    with pytest.raises(sqlite3.DatabaseError, match="power cut"):
        blocking(catalog.create(CLAIMS, {"name": "A", "kind": "k"}, answer=kept_with(keys, held)))

    assert blocking(keys.store.list_assets(WRITER, ("alice",))) == []
    assert earlier(keys).status == 0


def test_an_answer_is_never_kept_for_a_write_that_failed(keys, catalog, tmp_path):
    seeded = blocking(catalog.create(CLAIMS, {"name": "A", "kind": "k"}))
    held = reserved(keys)
    with sqlite3.connect(tmp_path / "keys.sqlite3") as db:
        db.execute(
            "CREATE TRIGGER write_lost BEFORE UPDATE ON assets"
            " BEGIN SELECT RAISE(ABORT, 'power cut'); END"
        )
    with pytest.raises(sqlite3.DatabaseError, match="power cut"):
        blocking(catalog.change(CLAIMS, seeded.id, {"name": "B"}, answer=kept_with(keys, held)))

    assert blocking(keys.store.get_asset(seeded.id)) == seeded
    assert earlier(keys).status == 0  # no answer for a write that did not happen


def test_a_write_after_its_reservation_was_taken_over_is_not_applied_twice(keys, catalog):
    stalled = reserved(keys)  # the first request stalls past its lease
    keys.clock.advance(RESERVATION_LEASE + 1)
    retry = reserved(keys)  # a retry takes the key over and writes
    created = blocking(
        catalog.create(CLAIMS, {"name": "A", "kind": "k"}, answer=kept_with(keys, retry))
    )

    with pytest.raises(Conflict):  # the stalled one wakes up
        blocking(catalog.change(CLAIMS, created.id, {"name": "B"}, answer=kept_with(keys, stalled)))

    assert blocking(keys.store.get_asset(created.id)) == created


def test_a_key_still_in_flight_after_the_wait_is_409(keys):
    reserved(keys)

    with pytest.raises(InvalidRequest) as caught:
        asyncio.run(keys.claim_or_wait("s", "k", "req"))

    assert caught.value.status_code == 409
    assert caught.value.description == (
        "a request with this Idempotency-Key is still in progress; retry"
    )


def test_a_body_too_deep_to_fingerprint_is_400():
    """json.loads may accept a body one level shallower than the fingerprint can encode (it
    wraps the body in a list): a coded 400, not a 500."""
    body: list = []
    for _ in range(sys.getrecursionlimit()):
        body = [body]

    with pytest.raises(InvalidRequest) as caught:
        fingerprint("POST", "/v1/assets", body, None)

    assert (caught.value.status_code, caught.value.description) == (400, "body must be plain JSON")


def test_in_flight_with_another_request_is_422_at_once(keys):
    reserved(keys)
    with pytest.raises(UnprocessableRequest):
        asyncio.run(keys.claim_or_wait("s", "k", "another"))


def test_a_released_key_can_be_claimed_again(keys):
    blocking(keys.release(reserved(keys)))
    reserved(keys, request="another")


def test_a_stalled_request_cannot_answer_for_nor_free_the_one_that_took_its_key_over(keys, catalog):
    """The reviewer's scenario, on a frozen clock: A claims K and stalls past the lease; B
    (another body) takes K over and is still running when A writes. A's write is refused and
    not applied; A's refused PATCH (404) releases nothing of B's; B answers, and its retry
    gets B's answer under B's fingerprint."""
    a_print = fingerprint("POST", "/v1/assets", {"name": "A", "kind": "k"}, None)
    b_print = fingerprint("POST", "/v1/assets", {"name": "B", "kind": "k"}, None)
    stalled = reserved(keys, "s", "K", a_print)
    keys.clock.advance(RESERVATION_LEASE + 1)
    took_over = reserved(keys, "s", "K", b_print)
    assert took_over.owner != stalled.owner

    with pytest.raises(Conflict):  # A's write: 409, not applied
        blocking(
            catalog.create(CLAIMS, {"name": "A", "kind": "k"}, answer=kept_with(keys, stalled))
        )
    with pytest.raises(NotFound):  # A's PATCH of a missing asset is refused ...
        blocking(
            catalog.change(CLAIMS, "a_missing", {"name": "X"}, answer=kept_with(keys, stalled))
        )
    blocking(keys.release(stalled))  # ... and its key released, as the write path does
    assert earlier(keys, "s", "K", b_print).status == 0  # B's reservation still holds
    blocking(
        catalog.create(
            CLAIMS, {"name": "B", "kind": "k"}, answer=kept_with(keys, took_over, 201, b"B")
        )
    )

    replay = earlier(keys, "s", "K", b_print)
    assert (replay.request_hash, replay.status, replay.body) == (b_print, 201, b"B")
    assert [a.name for a in blocking(keys.store.list_assets(WRITER, ("alice",)))] == ["B"]
    with pytest.raises(UnprocessableRequest):
        blocking(keys.claim("s", "K", a_print))  # A's retry: the key belongs to another request
