"""The shared store suite: every implementation of `Store` (SQLite in worker threads,
PostgreSQL through asyncpg) passes all of it, on a real database, through the async interface.

To add one, add its name to `IMPLEMENTATIONS` and a branch in `database_url`; nothing
else in the shared part may know which store it is talking to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from planner_bridge.storage import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AuditEvent,
    Conflict,
    DatabaseUnavailable,
    Entity,
    IdempotentAnswer,
    Reservation,
    Revocation,
    SigningKeyRecord,
    Store,
    migrations,
    sqlite_transactions,
)
from planner_bridge.storage.location import locate_database
from planner_bridge.storage.migrations import v0002_reservation_owner, v0005_admin_console
from planner_bridge.storage.opening import open_store as open_location
from planner_bridge.storage.sqlite import SQLiteStore
from postgres_server import PostgresServer

IMPLEMENTATIONS = ["sqlite", "postgresql"]
NOW = 1_800_000_000.0

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def database_url(name: str, tmp_path: Path, postgres: PostgresServer) -> str:
    """A new, empty database of that backend."""
    if name == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if name == "postgresql":
        return postgres.create_database("store")
    raise AssertionError(f"unknown store {name}")


@pytest.fixture(params=IMPLEMENTATIONS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def postgres(request, backend):
    # The shared PostgreSQL is started only for the tests that need it.
    return request.getfixturevalue("postgres_server") if backend == "postgresql" else None


@pytest.fixture
def url(backend, tmp_path, postgres) -> str:
    return database_url(backend, tmp_path, postgres)


async def open_store(url: str, tmp_path: Path) -> Store:
    return await open_location(locate_database(url, tmp_path / "unused.sqlite3"))


@pytest.fixture
async def store(url, tmp_path) -> AsyncIterator[Store]:
    opened = await open_store(url, tmp_path)
    yield opened
    await opened.close()


@pytest.fixture
async def other_instance(store, url, tmp_path) -> AsyncIterator[Store]:
    """A second store on the same database, as another instance of the planner origin has."""
    opened = await open_store(url, tmp_path)
    yield opened
    await opened.close()


def entity(entity_id: str = "ent_1", **changes) -> Entity:
    values = dict(id=entity_id, name="Demo Store", origins=("http://localhost:8000",))
    values.update(allow_write=True, created=NOW)
    values.update(changes)
    return Entity(**values)


def asset(asset_id: str, owner: str | None = None, entity_id: str = "ent_1", **changes) -> Asset:
    values = dict(id=asset_id, entity_id=entity_id, owner_id=owner, name=f"asset {asset_id}")
    values.update(kind="sofa", data={"w": 200, "tags": ["a", "ü"]}, created=NOW, updated=NOW)
    values.update(version=1)
    values.update(changes)
    return Asset(**values)


def api_token(token_id: str = "tok_1", **changes) -> ApiTokenRecord:
    values = dict(id=token_id, entity_id="ent_1", user_id="alice", user_name="Alice")
    values.update(name="nightly sync", rights=("read", "write"), created=NOW, expires=NOW + 86400)
    values.update(changes)
    return ApiTokenRecord(**values)


@pytest.fixture
async def with_entity(store: Store) -> Store:
    await store.add_entity(entity())
    return store


# -- legal entities and API keys ------------------------------------------------------------------


async def test_entity_round_trip(store):
    added = entity(origins=("http://localhost:8000", "https://shop.example"), allow_write=False)
    await store.add_entity(added)
    assert await store.get_entity("ent_1") == added


async def test_entity_keeps_its_dpop_policy(store):
    await store.add_entity(entity("ent_1", dpop_required=True))
    await store.add_entity(entity("ent_2"))
    assert (await store.get_entity("ent_1")).dpop_required is True
    assert [e.dpop_required for e in await store.list_entities()] == [True, False]


async def test_unknown_entity_is_none(store):
    assert await store.get_entity("ent_nope") is None


async def test_entities_are_listed_oldest_first(store):
    await store.add_entity(entity("ent_b", created=NOW + 1))
    await store.add_entity(entity("ent_a", created=NOW + 2))
    await store.add_entity(entity("ent_c", created=NOW))
    assert [e.id for e in await store.list_entities()] == ["ent_c", "ent_b", "ent_a"]


async def test_entity_ids_are_unique(store):
    await store.add_entity(entity())
    with pytest.raises(Exception):
        await store.add_entity(entity(name="Another"))
    assert (await store.get_entity("ent_1")).name == "Demo Store"


async def test_api_key_round_trip_and_listing(with_entity):
    store = with_entity
    first = ApiKey("pbk_1", "ent_1", created=NOW)
    second = ApiKey("pbk_2", "ent_1", created=NOW + 5)
    await store.add_api_key(second)
    await store.add_api_key(first)
    assert await store.get_api_key("pbk_1") == first and first.active
    assert await store.list_api_keys("ent_1") == [first, second]
    assert await store.list_api_keys("ent_other") == []
    assert await store.get_api_key("pbk_nope") is None


async def test_revoking_a_key_keeps_it_but_marks_it(with_entity):
    store = with_entity
    await store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW))
    assert await store.revoke_api_key("pbk_1", NOW + 10) is True
    revoked = await store.get_api_key("pbk_1")
    assert revoked.revoked == NOW + 10 and not revoked.active


async def test_revoking_twice_or_an_unknown_key_changes_nothing(with_entity):
    store = with_entity
    await store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW))
    await store.revoke_api_key("pbk_1", NOW + 10)
    assert await store.revoke_api_key("pbk_1", NOW + 20) is False
    assert (await store.get_api_key("pbk_1")).revoked == NOW + 10  # the first revocation time stays
    assert await store.revoke_api_key("pbk_nope", NOW) is False


async def test_api_key_keeps_its_comment_and_last_use(with_entity):
    store = with_entity
    key = ApiKey("pbk_1", "ent_1", created=NOW, comment="nightly sync, ticket 42")
    await store.add_api_key(key)
    assert (await store.get_api_key("pbk_1")).comment == "nightly sync, ticket 42"
    assert (await store.get_api_key("pbk_1")).last_used is None
    await store.touch_api_key("pbk_1", NOW + 60)
    assert (await store.list_api_keys("ent_1"))[0].last_used == NOW + 60
    await store.touch_api_key("pbk_nope", NOW)  # an unknown key is no error and adds nothing
    assert await store.get_api_key("pbk_nope") is None


async def test_an_entity_update_changes_its_name_origins_and_settings_only(with_entity):
    changed = entity(name="Renamed", origins=("https://www.shop.example",), allow_write=False)
    assert await with_entity.update_entity(dataclasses.replace(changed, created=NOW + 5))
    assert await with_entity.get_entity("ent_1") == changed  # created is kept
    assert not await with_entity.update_entity(entity("ent_nope"))


async def test_an_origin_change_on_one_instance_is_seen_by_another(with_entity, other_instance):
    changed = entity(origins=("http://localhost:8000", "https://staging.shop.example"))
    await with_entity.update_entity(changed)
    assert (await other_instance.get_entity("ent_1")).origins == changed.origins


async def test_audit_events_are_listed_newest_first_per_entity(with_entity):
    await with_entity.add_entity(entity("ent_2"))
    events = [
        AuditEvent("ent_1", NOW, "cli", "key.created", "pk_1"),
        AuditEvent("ent_2", NOW + 1, "cli", "key.created", "pk_2"),
        AuditEvent("ent_1", NOW + 1, "alice", "key.revoked", "pk_1"),
        AuditEvent("ent_1", NOW + 1, "alice", "origin.added", "https://www.shop.example"),
    ]
    for event in events:
        await with_entity.add_audit_event(event)
    assert await with_entity.list_audit_events("ent_1") == [events[3], events[2], events[0]]
    assert await with_entity.list_audit_events("ent_1", limit=1) == [events[3]]
    assert await with_entity.list_audit_events("ent_nope") == []


# -- console administrators and sessions ---------------------------------------------------------


def admin(username: str = "ada", entity_id: str = "ent_1", **changes) -> Administrator:
    values = dict(username=username, entity_id=entity_id, password_hash="scrypt$x", created=NOW)
    values.update(changes)
    return Administrator(**values)


def session(id_hash: str = "h1", username: str = "ada", **changes) -> AdminSession:
    values = dict(id_hash=id_hash, username=username, entity_id="ent_1", created=NOW)
    values.update(last_seen=NOW)
    values.update(changes)
    return AdminSession(**values)


async def test_admin_round_trip_and_listing_per_entity(with_entity):
    store = with_entity
    await store.add_entity(entity("ent_2"))
    await store.add_admin(admin("bob", created=NOW + 1))
    await store.add_admin(admin("ada"))
    await store.add_admin(admin("eve", "ent_2"))
    assert await store.get_admin("ada") == admin("ada")
    assert [a.username for a in await store.list_admins("ent_1")] == ["ada", "bob"]
    assert [a.username for a in await store.list_admins("ent_2")] == ["eve"]
    assert await store.get_admin("nobody") is None


async def test_admin_usernames_are_unique_across_entities(with_entity):
    store = with_entity
    await store.add_entity(entity("ent_2"))
    await store.add_admin(admin("ada"))
    with pytest.raises(Conflict):
        await store.add_admin(admin("ada", "ent_2"))
    assert (await store.get_admin("ada")).entity_id == "ent_1"


async def test_admin_session_round_trip_touch_and_delete(with_entity):
    store = with_entity
    await store.add_admin(admin("ada"))
    await store.add_admin_session(session("h1"))
    assert await store.get_admin_session("h1") == session("h1")
    await store.touch_admin_session("h1", NOW + 30)
    assert (await store.get_admin_session("h1")).last_seen == NOW + 30
    assert await store.delete_admin_session("h1") is True
    assert await store.get_admin_session("h1") is None
    assert await store.delete_admin_session("h1") is False


async def test_a_shown_once_value_is_taken_once_and_dies_with_its_session(with_entity):
    store = with_entity
    await store.add_admin(admin("ada"))
    await store.add_admin_session(session("h1"))
    assert await store.take_shown_once("h1") is None
    assert await store.keep_shown_once("h1", b"sealed") is True
    assert await store.get_admin_session("h1") == session("h1")  # not part of the record
    assert await store.take_shown_once("h1") == b"sealed"
    assert await store.take_shown_once("h1") is None  # a reload shows nothing again
    assert await store.keep_shown_once("h_nope", b"sealed") is False
    await store.keep_shown_once("h1", b"again")
    await store.delete_admin_session("h1")
    assert await store.take_shown_once("h1") is None


async def test_concurrent_takes_of_a_shown_once_value_get_it_once(with_entity, other_instance):
    await with_entity.add_admin(admin("ada"))
    await with_entity.add_admin_session(session("h1"))
    await with_entity.keep_shown_once("h1", b"sealed")
    taken = await asyncio.gather(
        *(s.take_shown_once("h1") for s in [with_entity, other_instance] * 4)
    )
    assert sorted(taken, key=lambda t: t is None) == [b"sealed"] + [None] * 7


async def test_sweeping_admin_sessions_drops_only_idle_or_old_ones(with_entity):
    store = with_entity
    await store.add_admin(admin("ada"))
    await store.add_admin_session(session("idle", last_seen=NOW - 100))
    await store.add_admin_session(session("old", created=NOW - 1000, last_seen=NOW))
    await store.add_admin_session(session("live", created=NOW - 10, last_seen=NOW))
    assert await store.sweep_admin_sessions(seen_before=NOW - 50, opened_before=NOW - 500) == 2
    assert await store.get_admin_session("live") is not None
    assert await store.get_admin_session("idle") is None
    assert await store.get_admin_session("old") is None


async def test_deleting_an_admin_ends_its_sessions(with_entity):
    store = with_entity
    await store.add_admin(admin("ada"))
    await store.add_admin(admin("bob"))
    await store.add_admin_session(session("h1", "ada"))
    await store.add_admin_session(session("h2", "bob"))
    assert await store.delete_admin("ada") is True
    assert await store.get_admin("ada") is None and await store.get_admin_session("h1") is None
    assert await store.get_admin_session("h2") is not None
    assert await store.delete_admin("ada") is False


# -- signature nonces -----------------------------------------------------------------------------


async def test_a_nonce_is_accepted_once(store):
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    with pytest.raises(Conflict):
        await store.remember_nonce("pbk_1", "nonce-1", NOW + 340, NOW + 10)


async def test_nonces_are_scoped_by_key(store):
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    await store.remember_nonce("pbk_2", "nonce-1", NOW + 330, NOW)


async def test_an_expired_nonce_may_be_used_again(store):
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 1000, NOW + 331)
    with pytest.raises(Conflict):  # and it is held again from then on
        await store.remember_nonce("pbk_1", "nonce-1", NOW + 1000, NOW + 332)


async def test_many_nonces_survive_the_sweeps(store):
    for i in range(600):  # past several sweeps of expired entries
        await store.remember_nonce("pbk_1", f"nonce-{i}", NOW + 330, NOW + i / 1000)
    for i in (0, 299, 599):
        with pytest.raises(Conflict):
            await store.remember_nonce("pbk_1", f"nonce-{i}", NOW + 330, NOW + 1)


async def test_concurrent_uses_of_one_nonce_let_exactly_one_through(store):
    async def spend() -> str:
        try:
            await store.remember_nonce("pbk_1", "contested", NOW + 330, NOW)
        except Conflict:
            return "conflict"
        return "ok"

    outcomes = await asyncio.gather(*(spend() for _ in range(16)))
    assert sorted(outcomes) == ["conflict"] * 15 + ["ok"]


async def test_a_nonce_used_on_one_instance_is_refused_on_another(store, other_instance):
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    with pytest.raises(Conflict):
        await other_instance.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW + 1)


# -- API tokens ----------------------------------------------------------------------------------


async def test_api_token_round_trip(with_entity):
    store = with_entity
    record = api_token()
    await store.add_api_token(record)
    assert await store.get_api_token("tok_1") == record
    assert await store.get_api_token("tok_nope") is None


async def test_api_token_that_never_expires(with_entity):
    store = with_entity
    await store.add_api_token(api_token(expires=None, rights=("read",)))
    assert (await store.get_api_token("tok_1")).expires is None
    assert (await store.get_api_token("tok_1")).rights == ("read",)


async def test_api_tokens_are_listed_per_entity_oldest_first(with_entity):
    store = with_entity
    await store.add_entity(entity("ent_2"))
    await store.add_api_token(api_token("tok_b", created=NOW + 2))
    await store.add_api_token(api_token("tok_a", created=NOW + 1))
    await store.add_api_token(api_token("tok_other", entity_id="ent_2"))
    assert [t.id for t in await store.list_api_tokens("ent_1")] == ["tok_a", "tok_b"]


async def test_api_token_disable_enable_touch_delete(with_entity):
    store = with_entity
    await store.add_api_token(api_token())
    assert await store.set_api_token_disabled("tok_1", True) is True
    assert (await store.get_api_token("tok_1")).disabled
    assert await store.set_api_token_disabled("tok_1", False) is True
    assert not (await store.get_api_token("tok_1")).disabled
    await store.touch_api_token("tok_1", NOW + 60)
    assert (await store.get_api_token("tok_1")).last_used == NOW + 60
    assert await store.delete_api_token("tok_1") is True
    assert await store.get_api_token("tok_1") is None
    assert await store.delete_api_token("tok_1") is False
    assert await store.set_api_token_disabled("tok_1", True) is False


# -- assets ------------------------------------------------------------------------------------


async def test_asset_round_trip_keeps_the_document(store):
    added = asset("a1", owner="alice", data={"nested": {"list": [1, 2.5, None, "ü"]}})
    await store.add_asset(added)
    assert await store.get_asset("a1") == added
    assert await store.get_asset("nope") is None


async def test_optimistic_update_needs_the_previous_version(store):
    await store.add_asset(asset("a1"))
    second = dataclasses.replace(asset("a1"), name="renamed", version=2, updated=NOW + 1)
    assert await store.update_asset(second) is True
    assert await store.get_asset("a1") == second
    stale = dataclasses.replace(asset("a1"), name="lost update", version=2)
    assert await store.update_asset(stale) is False  # version 1 is gone
    assert (await store.get_asset("a1")).name == "renamed"
    skipping = dataclasses.replace(asset("a1"), name="skips", version=4)
    assert await store.update_asset(skipping) is False
    assert await store.update_asset(dataclasses.replace(asset("missing"), version=2)) is False


async def test_update_changes_only_the_mutable_fields(store):
    await store.add_asset(asset("a1", owner="alice"))
    changed = dataclasses.replace(
        asset("a1", owner="alice"), kind="table", data={"w": 1}, version=2, updated=NOW + 9
    )
    await store.update_asset(changed)
    stored = await store.get_asset("a1")
    assert (stored.kind, stored.data, stored.updated, stored.created) == (
        "table",
        {"w": 1},
        NOW + 9,
        NOW,
    )


async def test_delete_asset(store):
    await store.add_asset(asset("a1"))
    assert await store.delete_asset("a1") is True
    assert await store.get_asset("a1") is None
    assert await store.delete_asset("a1") is False


async def test_list_assets_by_owner(store):
    for asset_id, owner in [("a1", None), ("a2", "alice"), ("a3", "bob"), ("a4", None)]:
        await store.add_asset(asset(asset_id, owner))
    await store.add_asset(asset("b1", None, entity_id="ent_2"))

    async def ids(owners):
        return [a.id for a in await store.list_assets("ent_1", owners)]

    assert await ids((None,)) == ["a1", "a4"]  # the entity's catalog only
    assert await ids((None, "alice")) == ["a1", "a2", "a4"]
    assert await ids(("bob",)) == ["a3"]
    assert await ids(()) == []
    assert [a.id for a in await store.list_assets("ent_2", (None,))] == ["b1"]


async def test_list_assets_pages_in_id_order(store):
    for i in range(7):
        await store.add_asset(asset(f"a{i}", None))
    pages, after = [], ""
    while page := await store.list_assets("ent_1", (None,), after=after, limit=3):
        pages.append([a.id for a in page])
        after = page[-1].id
    assert pages == [["a0", "a1", "a2"], ["a3", "a4", "a5"], ["a6"]]


async def test_asset_ids_are_ordered_bytewise_whatever_the_locale(store):
    ids = ["a_1", "a-2", "aB", "ab", "A0", "Z9", "z"]  # token_urlsafe's alphabet
    for asset_id in ids:
        await store.add_asset(asset(asset_id, None))
    pages, after = [], ""
    while page := await store.list_assets("ent_1", (None,), after=after, limit=2):
        pages.extend(a.id for a in page)
        after = page[-1].id
    assert pages == sorted(ids, key=str.encode)


# -- idempotency keys --------------------------------------------------------------------------


async def claim(store, key="k1", request_hash="h", when=NOW, scope="s") -> Reservation:
    held = await store.claim_idempotency_key(scope, key, request_hash, when, 60)
    assert isinstance(held, Reservation), held
    return held


def answer(held, status=201, body=b'{"id": "a1"}', expires=NOW + 86400, headers=()):
    return AnswerRecord(held.scope, held.key, held.owner, status, body, expires, headers)


async def replayed(store, key="k1", request_hash="h", when=NOW + 1, scope="s") -> IdempotentAnswer:
    earlier = await store.claim_idempotency_key(scope, key, request_hash, when, 60)
    assert isinstance(earlier, IdempotentAnswer), earlier
    return earlier


async def test_idempotency_claim_then_answer_with_the_write_then_replay(store):
    held = await claim(store, "k1", "hash-1", scope="ent_1:alice")
    in_flight = await replayed(store, "k1", "hash-1", NOW + 1, scope="ent_1:alice")
    assert in_flight.status == 0  # the first is still running
    await store.add_asset(asset("a1"), answer(held))
    replay = await replayed(store, "k1", "hash-1", NOW + 2, scope="ent_1:alice")
    assert (replay.request_hash, replay.status, replay.body, replay.created) == (
        "hash-1",
        201,
        b'{"id": "a1"}',
        NOW,
    )
    assert await store.get_asset("a1") == asset("a1")


async def test_each_claim_draws_its_own_owner(store):
    first = await claim(store, "k1")
    other_key = await claim(store, "k2")
    taken_over = await claim(store, "k1", when=NOW + 61)  # the first one's lease lapsed
    assert (first.scope, first.key) == ("s", "k1")
    assert len({first.owner, other_key.owner, taken_over.owner}) == 3
    assert all(len(r.owner) >= 16 for r in (first, other_key, taken_over))


async def test_an_answer_keeps_its_headers(store):
    held = await claim(store)
    headers = (("etag", '"1"'), ("cache-control", "no-store"), ("x-twice", "a"), ("x-twice", "b"))
    await store.add_asset(asset("a1"), answer(held, headers=headers))
    assert (await replayed(store)).headers == headers


async def test_update_and_delete_keep_their_answer_too(store):
    await store.add_asset(asset("a1"))
    patch, delete = await claim(store, "patch"), await claim(store, "delete")
    renamed = dataclasses.replace(asset("a1"), name="renamed", version=2)
    assert await store.update_asset(renamed, answer(patch, status=200, body=b"v2")) is True
    assert await store.delete_asset("a1", answer(delete, status=204, body=b"")) is True
    assert (await replayed(store, "patch")).body == b"v2"
    assert (await replayed(store, "delete")).status == 204


async def test_a_write_whose_key_holds_no_reservation_is_not_applied(store):
    """The write and its answer are one transaction: no answer kept, no write either."""
    never_claimed = Reservation("s", "k1", "nobody")
    with pytest.raises(Conflict):
        await store.add_asset(asset("a1"), answer(never_claimed))
    assert await store.get_asset("a1") is None
    await store.add_asset(asset("a2"))
    held = await claim(store)
    await store.add_asset(asset("a3"), answer(held))  # answers k1
    renamed = dataclasses.replace(asset("a2"), name="twice?", version=2)
    with pytest.raises(Conflict):
        await store.update_asset(renamed, answer(held))  # k1 is answered already: not applied twice
    with pytest.raises(Conflict):
        await store.delete_asset("a2", answer(held))
    assert await store.get_asset("a2") == asset("a2")
    assert (await replayed(store)).body == b'{"id": "a1"}'


async def test_a_reservation_taken_over_cannot_be_answered_by_its_first_owner(store):
    """A stalls past its lease, B (another request) takes the key over; A's write is refused
    whether or not B has answered yet, and B's answer is B's alone."""
    await store.add_asset(asset("a0"))
    stalled = await claim(store, request_hash="hash-A")
    took_over = await claim(store, request_hash="hash-B", when=NOW + 61)
    with pytest.raises(Conflict):
        await store.add_asset(asset("a1"), answer(stalled, body=b"A"))
    renamed = dataclasses.replace(asset("a0"), name="by A", version=2)
    with pytest.raises(Conflict):
        await store.update_asset(renamed, answer(stalled, body=b"A"))
    with pytest.raises(Conflict):
        await store.delete_asset("a0", answer(stalled, body=b"A"))
    assert await store.get_asset("a1") is None and await store.get_asset("a0") == asset("a0")
    assert (await replayed(store, request_hash="hash-B", when=NOW + 62)).status == 0  # B still runs
    await store.add_asset(asset("a2"), answer(took_over, body=b"B"))
    replay = await replayed(store, request_hash="hash-B", when=NOW + 63)
    assert (replay.request_hash, replay.status, replay.body) == ("hash-B", 201, b"B")


async def test_a_write_that_does_not_apply_keeps_no_answer(store):
    await store.add_asset(asset("a1"))
    held = await claim(store)
    stale = dataclasses.replace(asset("a1"), name="stale", version=5)
    assert await store.update_asset(stale, answer(held)) is False
    assert await store.delete_asset("gone", answer(held)) is False
    assert (await replayed(store)).status == 0  # still reserved


async def test_idempotency_answer_tells_a_different_request_apart(store):
    held = await claim(store, request_hash="hash-1")
    await store.add_asset(asset("a1"), answer(held, status=200, body=b"{}"))
    other = await replayed(store, request_hash="hash-2")
    assert other.request_hash == "hash-1"  # the caller compares and refuses (422)


async def test_concurrent_claims_of_one_key_reserve_it_once(store, other_instance):
    async def claim_on(instance: Store) -> IdempotentAnswer | Reservation:
        return await instance.claim_idempotency_key("s", "k1", "h", NOW, 60)

    held = await asyncio.gather(*(claim_on(i) for i in [store, other_instance] * 8))
    reservations = [h for h in held if isinstance(h, Reservation)]
    assert len(reservations) == 1
    assert all(h.status == 0 for h in held if isinstance(h, IdempotentAnswer))


async def test_an_answer_written_on_one_instance_is_replayed_on_another(store, other_instance):
    held = await claim(store)
    await store.add_asset(asset("a1"), answer(held, body=b"first"))
    assert (await replayed(other_instance)).body == b"first"
    assert await other_instance.get_asset("a1") == asset("a1")
    with pytest.raises(Conflict):  # and it cannot be answered (applied) a second time there
        await other_instance.add_asset(asset("a2"), answer(held))
    assert await store.get_asset("a2") is None


async def test_a_revocation_on_one_instance_holds_on_another(store, other_instance):
    await store.add_entity(entity())
    await store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW))
    await store.add_api_token(api_token())
    assert await other_instance.revoke_api_key("pbk_1", NOW + 1) is True
    assert await other_instance.set_api_token_disabled("tok_1", True) is True
    assert not (await store.get_api_key("pbk_1")).active
    assert (await store.get_api_token("tok_1")).disabled


async def test_idempotency_keys_are_scoped(store):
    await claim(store, scope="ent_1:alice")
    await claim(store, scope="ent_1:bob")


async def test_idempotency_release_frees_an_unfinished_claim_only(store):
    await store.release_idempotency_key(await claim(store))
    held = await claim(store)
    await store.add_asset(asset("a1"), answer(held, body=b"done"))
    await store.release_idempotency_key(held)  # a finished answer is kept
    assert (await replayed(store, when=NOW)).body == b"done"


async def test_idempotency_release_frees_only_its_own_reservation(store):
    stalled = await claim(store, request_hash="hash-A")
    took_over = await claim(store, request_hash="hash-B", when=NOW + 61)
    await store.release_idempotency_key(stalled)  # A's write failed late: B's key stays reserved
    assert (await replayed(store, request_hash="hash-B", when=NOW + 62)).status == 0
    await store.add_asset(asset("a1"), answer(took_over, body=b"B"))
    assert (await replayed(store, request_hash="hash-B", when=NOW + 63)).body == b"B"


async def test_a_reservation_lapses_after_its_lease(store):
    await claim(store)
    assert (await replayed(store, when=NOW + 59)).status == 0
    await claim(store, when=NOW + 61)  # reserved anew


HOLD_A_CLAIM = """
import asyncio, sys
from pathlib import Path
from planner_bridge.storage.location import locate_database
from planner_bridge.storage.opening import open_store

async def main():
    store = await open_store(locate_database(sys.argv[1], Path(sys.argv[2])))
    held = await store.claim_idempotency_key("s", "k1", "h", float(sys.argv[3]), 60)
    print(type(held).__name__, flush=True)
    sys.stdin.read()  # holds the claim, its write never done, until killed

asyncio.run(main())
"""
TAKEOVER = 5.0  # SPEC "Several instances": a retry is applied within 5 s of the crash


async def test_a_reservation_whose_holder_died_is_taken_over_at_once(store, url, tmp_path):
    """Another process (an instance; on SQLite, a server that is then restarted) claims a key
    and is killed before its write: its reservation is left alone while it lives, and taken
    over as soon as it is dead, long before the 60 s lease runs out."""
    unused = str(tmp_path / "unused.sqlite3")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_CLAIM, url, unused, str(NOW)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "Reservation"
        assert (await replayed(store)).status == 0  # alive: its claim stands
    finally:
        holder.kill()
        holder.wait()
        holder.stdin.close()
        holder.stdout.close()
    deadline = time.monotonic() + TAKEOVER  # PostgreSQL ends the dead session within moments
    while isinstance(
        earlier := await store.claim_idempotency_key("s", "k1", "h", NOW + 2, 60), IdempotentAnswer
    ):
        assert earlier.status == 0 and time.monotonic() < deadline, earlier
        await asyncio.sleep(0.02)


async def test_answers_expire_when_the_record_says(store):
    held = await claim(store)
    await store.add_asset(asset("a1"), answer(held, body=b"old", expires=NOW + 600))
    assert (await replayed(store, when=NOW + 599)).body == b"old"
    await claim(store, when=NOW + 601)


# -- the signing key ring -----------------------------------------------------------------------


def signing_key(kid: str, created: float = NOW, sealed: bytes = b"sealed") -> SigningKeyRecord:
    return SigningKeyRecord(kid, "ES256", created, None, False, sealed)


async def test_signing_keys_rotate_oldest_first(store):
    assert await store.list_signing_keys() == []
    assert await store.add_signing_key(signing_key("k1", sealed=b"\x00\xffone")) is True
    assert await store.add_signing_key(signing_key("k2", NOW + 10)) is True
    assert await store.add_signing_key(signing_key("k3", NOW + 20)) is True
    k1, k2, k3 = await store.list_signing_keys()
    assert (k1.kid, k1.retired, k1.dropped, k1.sealed_key) == (
        "k1",
        NOW + 10,
        False,
        b"\x00\xffone",
    )
    assert (k2.kid, k2.retired, k3.kid, k3.retired) == ("k2", NOW + 20, "k3", None)


async def test_a_rotation_that_drops_the_old_keys(store):
    await store.add_signing_key(signing_key("k1"))
    await store.add_signing_key(signing_key("k2", NOW + 10), drop_old=True)
    k1, k2 = await store.list_signing_keys()
    assert (k1.dropped, k1.retired, k2.dropped, k2.retired) == (True, NOW + 10, False, None)


async def test_instances_starting_together_make_one_first_key(store, other_instance):
    async def first(instance: Store, kid: str) -> bool:
        return await instance.add_signing_key(signing_key(kid), first=True)

    made = await asyncio.gather(
        *(first(s, f"k{i}") for i, s in enumerate([store, other_instance] * 4))
    )
    assert sorted(made) == [False] * 7 + [True]
    assert len(await other_instance.list_signing_keys()) == 1
    assert await store.add_signing_key(signing_key("later", NOW + 1), first=True) is False


async def test_imported_keys_come_as_they_are_into_an_empty_ring(store):
    old = dataclasses.replace(signing_key("f1", NOW - 20), retired=NOW - 10)
    newest = signing_key("f2", NOW - 10, sealed=b"\x01two")
    assert await store.import_signing_keys([old, newest], NOW) == 2
    assert await store.list_signing_keys() == [old, newest]
    assert await store.import_signing_keys([old, newest], NOW + 5) == 0  # known kids: untouched
    assert await store.list_signing_keys() == [old, newest]


async def test_imported_keys_come_retired_into_a_ring_with_keys(store):
    await store.add_signing_key(signing_key("own", NOW - 100))
    dropped = dataclasses.replace(signing_key("f1", NOW - 20), retired=NOW - 10, dropped=True)
    assert await store.import_signing_keys([dropped, signing_key("f2", NOW - 10)], NOW) == 2
    own, f1, f2 = await store.list_signing_keys()
    assert (own.kid, own.retired) == ("own", None)  # still the active key
    assert f1 == dropped and (f2.retired, f2.dropped) == (NOW, False)


# -- schema migrations, either backend --------------------------------------------------------


async def test_migrate_then_status(url, tmp_path, backend):
    location = locate_database(url, tmp_path / "unused.sqlite3")
    fresh = await migrations.status(location)
    assert fresh == {"backend": backend, "version": 0, "latest": migrations.LATEST}
    done = await migrations.migrate(location)
    assert done == {"backend": backend, "version": migrations.LATEST, "latest": migrations.LATEST}
    assert await migrations.migrate(location) == done  # again: nothing to do
    store = await open_store(url, tmp_path)  # opens a migrated database as it is
    await store.add_entity(entity())
    await store.close()
    assert await migrations.status(location) == done


async def test_opening_a_store_migrates_it(store, url, tmp_path):
    location = locate_database(url, tmp_path / "unused.sqlite3")
    assert (await migrations.status(location))["version"] == migrations.LATEST


# -- PostgreSQL specifics -------------------------------------------------------------------------


async def test_postgresql_refuses_a_newer_schema(postgres_server, tmp_path):
    url = postgres_server.create_database("newer")
    await (await open_store(url, tmp_path)).close()
    postgres_server.psql("INSERT INTO schema_migrations VALUES (999, 0)", url)
    with pytest.raises(RuntimeError, match="newer"):
        await open_store(url, tmp_path)


async def test_postgresql_migrations_run_once_under_concurrent_starts(postgres_server, tmp_path):
    url = postgres_server.create_database("starts")
    opened = await asyncio.gather(*(open_store(url, tmp_path) for _ in range(5)))
    await opened[0].add_entity(entity())
    assert (await opened[4].get_entity("ent_1")) == entity()
    for store in opened:
        await store.close()
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    assert [r["version"] for r in rows] == [m.version for m in migrations.MIGRATIONS]


async def test_postgresql_instances_hear_each_others_asset_changes(postgres_server, tmp_path):
    url = postgres_server.create_database("changes")
    writer, reader = await open_store(url, tmp_path), await open_store(url, tmp_path)
    heard: list[tuple[Asset, bool]] = []
    own: list[tuple[Asset, bool]] = []
    await reader.watch_assets(lambda asset, deleted: heard.append((asset, deleted)))
    await writer.watch_assets(lambda asset, deleted: own.append((asset, deleted)))
    try:
        big = asset("a1", data={"text": "x" * 20_000})  # larger than a NOTIFY payload may be
        await writer.add_asset(big)
        renamed = dataclasses.replace(big, name="renamed", version=2)
        assert await writer.update_asset(renamed)
        assert not await writer.update_asset(renamed)  # no change: nothing to hear
        assert await writer.delete_asset("a1")
        deadline = asyncio.get_running_loop().time() + 5
        while len(heard) < 3:
            assert asyncio.get_running_loop().time() < deadline, heard
            await asyncio.sleep(0.02)
        assert heard == [(big, False), (renamed, False), (renamed, True)]  # in commit order
        assert own == []  # a process hears its own writes through its own hub already
    finally:
        await writer.close()
        await reader.close()


async def test_a_feed_cut_by_a_database_restart_listens_again_and_catches_up(
    own_postgres, tmp_path
):
    url = own_postgres.create_database("restart")
    writer, reader = await open_store(url, tmp_path), await open_store(url, tmp_path)
    heard: list[str] = []
    await reader.watch_assets(lambda asset, deleted: heard.append(asset.id))
    try:
        await writer.add_asset(asset("a1"))
        await until(lambda: heard == ["a1"])
        await asyncio.to_thread(own_postgres.stop)
        await asyncio.to_thread(own_postgres.start, own_postgres.port)
        for attempt in range(100):  # the writer's pool reconnects on a later call
            try:
                await writer.add_asset(asset("a2"))
                break
            except DatabaseUnavailable:
                await asyncio.sleep(0.05)
        await writer.add_asset(asset("a3"))
        await until(lambda: heard == ["a1", "a2", "a3"])  # a2 may precede the new LISTEN
    finally:
        await writer.close()
        await reader.close()


async def until(condition, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# -- revocations ----------------------------------------------------------------------------------


class Listener:
    def __init__(self) -> None:
        self.sets: list[list[Revocation]] = []
        self.told: list[Revocation] = []
        self.losses = 0

    def reloaded(self, current: list[Revocation]) -> None:
        self.sets.append(sorted(current, key=lambda r: (r.kind, r.subject)))

    def heard(self, revocation: Revocation) -> None:
        self.told.append(revocation)

    def lost(self) -> None:
        self.losses += 1

    def subjects(self) -> set[str]:
        return {r.subject for r in self.told}


async def test_revocations_merge_per_subject_and_list_until_they_expire(store):
    await store.add_revocation(Revocation("jti", "j1", NOW, NOW + 100), NOW)
    await store.add_revocation(Revocation("user", "ent_1\nalice", NOW, NOW + 50), NOW)
    await store.add_revocation(Revocation("user", "ent_1\nalice", NOW - 5, NOW + 80), NOW)
    await store.add_revocation(Revocation("client", "key_1", NOW + 3, NOW + 10), NOW)
    found = sorted(await store.list_revocations(NOW), key=lambda r: r.kind)
    assert found == [
        Revocation("client", "key_1", NOW + 3, NOW + 10),
        Revocation("jti", "j1", NOW, NOW + 100),
        Revocation("user", "ent_1\nalice", NOW, NOW + 80),  # the later edge, the later end
    ]
    assert {r.subject for r in await store.list_revocations(NOW + 10)} == {"j1", "ent_1\nalice"}
    # An add sweeps what has expired: the rows are gone, not only hidden.
    await store.add_revocation(Revocation("jti", "j2", NOW + 90, NOW + 200), NOW + 90)
    assert {r.subject for r in await store.list_revocations(0)} == {"j1", "j2"}


async def test_a_watcher_gets_the_current_set_then_every_revocation(store, other_instance):
    await store.add_revocation(Revocation("jti", "before", NOW, NOW + 100), NOW)
    listener = Listener()
    await other_instance.watch_revocations(listener, lambda: NOW)
    assert listener.sets == [[Revocation("jti", "before", NOW, NOW + 100)]]  # before returning
    await store.add_revocation(Revocation("client", "key_1", NOW, NOW + 100), NOW)
    await until(lambda: "key_1" in listener.subjects())  # from another store on the database
    await other_instance.add_revocation(Revocation("jti", "own", NOW, NOW + 100), NOW)
    await until(lambda: "own" in listener.subjects())  # and its own
    assert listener.losses == 0


async def test_a_revocation_after_the_newest_one_expired_still_reaches_the_watchers(
    store, other_instance
):
    # The newest revocation is a short one; once it has expired, the next write sweeps it. The
    # next one must still be heard by another store's watcher (on SQLite: its seq only grows).
    listener = Listener()
    await other_instance.watch_revocations(listener, lambda: NOW)
    await store.add_revocation(Revocation("user", "ent\nann", NOW, NOW + 100), NOW)
    await store.add_revocation(Revocation("jti", "short", NOW, NOW + 1), NOW)
    await until(lambda: "short" in listener.subjects())
    await store.add_revocation(Revocation("client", "key_after", NOW + 5, NOW + 100), NOW + 5)
    await until(lambda: "key_after" in listener.subjects())


async def test_a_revocation_feed_cut_off_is_lost_then_reloaded_with_what_was_missed(
    postgres_server, tmp_path
):
    url = postgres_server.create_database("revocations")
    writer, reader = await open_store(url, tmp_path), await open_store(url, tmp_path)
    listener = Listener()
    await reader.watch_revocations(listener, lambda: NOW)
    database = url.rsplit("/", 1)[1]
    try:
        # The reader's listening connection cut, and no new one allowed for a while.
        postgres_server.psql(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false", "postgres")
        postgres_server.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{database}' AND query LIKE 'LISTEN%'",
            "postgres",
        )
        await until(lambda: listener.losses == 1)
        await writer.add_revocation(Revocation("jti", "meanwhile", NOW, NOW + 100), NOW)
        assert "meanwhile" not in listener.subjects()  # nobody could tell it
        postgres_server.psql(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true", "postgres")
        await until(lambda: len(listener.sets) == 2)
        assert Revocation("jti", "meanwhile", NOW, NOW + 100) in listener.sets[1]
    finally:
        await writer.close()
        await reader.close()


# -- SQLite specifics -----------------------------------------------------------------------------


async def test_sqlite_schema_is_versioned_and_reopens(tmp_path):
    path = tmp_path / "store.sqlite3"
    await (await SQLiteStore.open(path)).close()
    reopened = await SQLiteStore.open(path)
    await reopened.add_entity(entity())
    await reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    again = await SQLiteStore.open(path)
    assert await again.get_entity("ent_1") is not None
    await again.close()


async def test_sqlite_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "store.sqlite3"
    await (await SQLiteStore.open(path)).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(RuntimeError, match="newer"):
        await SQLiteStore.open(path)


async def test_sqlite_stores_no_secret_columns(tmp_path):
    await (await SQLiteStore.open(tmp_path / "store.sqlite3")).close()
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(api_keys)")}
        columns |= {row[1] for row in db.execute("PRAGMA table_info(api_tokens)")}
    assert not {c for c in columns if "secret" in c or "token" in c or "hash" in c}


async def test_sqlite_only_nonces_skip_waiting_for_the_disk(tmp_path):
    store = await SQLiteStore.open(tmp_path / "store.sqlite3")
    statements: list[str] = []
    connection = store._db.db  # the one connection every write uses
    connection.set_trace_callback(statements.append)
    await store.add_entity(entity())
    await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    with pytest.raises(Conflict):
        await store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)  # refused: still restored
    await store.add_entity(entity("ent_2"))
    synchronous = [s for s in statements if "synchronous" in s]
    assert synchronous == ["PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL"] * 2
    last_commit = len(statements) - 1 - statements[::-1].index("COMMIT")  # ent_2's
    before = [s for s in statements[:last_commit] if "synchronous" in s]
    assert before[-1] == "PRAGMA synchronous = FULL"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL for the rest
    await store.close()


async def test_sqlite_only_expired_nonces_are_swept_oldest_first(tmp_path, monkeypatch):
    """The sweeps between whole ones look only at the head of the table: they keep it as short
    as what is held, and never take a nonce still held."""
    monkeypatch.setattr(sqlite_transactions, "WHOLE_SWEEP_EVERY", 10**9)
    store = await SQLiteStore.open(tmp_path / "store.sqlite3")
    every = sqlite_transactions.SWEEP_EVERY
    for i in range(4 * every):  # one a millisecond, each held 10 ms
        now = NOW + i / 1000
        await store.remember_nonce("dpop:k", f"jti-{i}", now + 0.010, now)
    held = store._db.db.execute("SELECT count(*) FROM nonces").fetchone()[0]
    assert 10 <= held <= every + 10  # no sweep took a held one; each took the expired ones
    with pytest.raises(Conflict):
        await store.remember_nonce("dpop:k", f"jti-{4 * every - 1}", NOW + 2, NOW + 1)
    await store.close()


async def test_sqlite_sweeps_idempotency_keys_by_their_expiry_index(tmp_path):
    """The idempotency-key sweep (every SWEEP_EVERY nonces) finds the expired keys through an
    index, not by reading the whole table, however many keys the last day's writes left."""
    store = await SQLiteStore.open(tmp_path / "store.sqlite3")
    plan = store._db.db.execute(
        "EXPLAIN QUERY PLAN DELETE FROM idempotency_keys WHERE expires <= ?", (NOW,)
    ).fetchall()
    details = " ".join(row["detail"] for row in plan)
    assert "USING INDEX idempotency_keys_by_expiry" in details, details
    await store.close()


# The schema as version 1 of this program made it (before reservations had owners and answers
# their headers): data dirs made by it exist and must open with their rows.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, origins TEXT NOT NULL,
    allow_write INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    created REAL NOT NULL, revoked REAL);
CREATE TABLE IF NOT EXISTS nonces (
    key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (key_id, nonce));
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL REFERENCES entities(id),
    user_id TEXT NOT NULL, user_name TEXT NOT NULL, name TEXT NOT NULL, rights TEXT NOT NULL,
    created REAL NOT NULL, expires REAL, last_used REAL, disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, owner_id TEXT, name TEXT NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS assets_by_owner ON assets (entity_id, owner_id, id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
    status INTEGER NOT NULL, body BLOB NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (scope, key));
PRAGMA user_version = 1;
"""


async def test_sqlite_opens_a_version_1_database_and_keeps_its_rows(tmp_path):
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.execute("INSERT INTO entities VALUES ('ent_1', 'Old', '[]', 1, ?)", (NOW,))
        db.execute("INSERT INTO api_keys VALUES ('pbk_old', 'ent_1', ?, NULL)", (NOW,))
        db.execute(
            "INSERT INTO idempotency_keys VALUES ('s', 'old', 'h', 201, ?, ?, ?)",
            (b'{"id": "a0"}', NOW, NOW + 86400),
        )
        db.execute(
            "INSERT INTO idempotency_keys VALUES ('s', 'running', 'h', 0, ?, ?, ?)",
            (b"", NOW, NOW + 60),
        )
    db.close()

    store = await SQLiteStore.open(path)

    assert (await store.get_entity("ent_1")).name == "Old"
    assert await store.get_api_key("pbk_old") == ApiKey("pbk_old", "ent_1", created=NOW)
    await store.add_admin(admin("ada"))  # schema 5's tables are there
    kept = await replayed(store, "old")
    assert (kept.status, kept.body, kept.headers) == (201, b'{"id": "a0"}', ())
    assert (await replayed(store, "running")).status == 0  # a v1 reservation holds its lease...
    with pytest.raises(Conflict):  # ... but no request of this version owns it
        await store.add_asset(asset("a1"), answer(Reservation("s", "running", "any-owner")))
    await claim(store, "running", when=NOW + 61)  # then it lapses as any other
    held = await claim(store, "new")
    await store.add_asset(asset("a2"), answer(held, headers=(("etag", '"1"'),)))
    assert (await replayed(store, "new")).headers == (("etag", '"1"'),)
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    db.close()


async def test_sqlite_opens_the_admin_consoles_first_schema_3_and_keeps_its_rows(tmp_path):
    # The admin console first shipped its tables as SQLite schema 3 (before the PostgreSQL
    # migrations 3 and 4 existed); such a file must reach LATEST with its rows.
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1.replace("PRAGMA user_version = 1;", ""))
        db.executescript(v0002_reservation_owner.SQLITE + v0005_admin_console.SQLITE)
        db.execute("PRAGMA user_version = 3")
        db.execute("INSERT INTO entities VALUES ('ent_1', 'Old', '[]', 1, ?)", (NOW,))
        db.execute(
            "INSERT INTO api_keys VALUES ('pbk_old', 'ent_1', ?, NULL, 'ERP', ?)", (NOW, NOW + 5)
        )
        db.execute("INSERT INTO admins VALUES ('ada', 'ent_1', 'scrypt$x', ?)", (NOW,))
    db.close()

    store = await SQLiteStore.open(path)

    assert (await store.get_api_key("pbk_old")).comment == "ERP"
    assert (await store.get_admin("ada")).entity_id == "ent_1"
    assert await store.list_signing_keys() == []  # version 3's table is there now
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    db.close()
