"""The shared Store suite: every implementation (SQLite now, PostgreSQL later) must pass it.

To add one, add its name to `IMPLEMENTATIONS` and a branch in `open_implementation`; nothing
else here may know which store it is talking to.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner_bridge.sqlite_store import SCHEMA_VERSION, SQLiteStore
from planner_bridge.store import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    Conflict,
    Entity,
    IdempotentAnswer,
    Reservation,
    Store,
)

IMPLEMENTATIONS = ["sqlite"]
NOW = 1_800_000_000.0


def open_implementation(name: str, tmp_path: Path) -> Store:
    if name == "sqlite":
        return SQLiteStore(tmp_path / "store.sqlite3")
    raise AssertionError(f"unknown store {name}")


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request, tmp_path) -> Iterator[Store]:
    opened = open_implementation(request.param, tmp_path)
    yield opened
    opened.close()


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
def with_entity(store: Store) -> Store:
    store.add_entity(entity())
    return store


# -- legal entities and API keys ------------------------------------------------------------------


def test_entity_round_trip(store):
    added = entity(origins=("http://localhost:8000", "https://shop.example"), allow_write=False)
    store.add_entity(added)
    assert store.get_entity("ent_1") == added


def test_unknown_entity_is_none(store):
    assert store.get_entity("ent_nope") is None


def test_entities_are_listed_oldest_first(store):
    store.add_entity(entity("ent_b", created=NOW + 1))
    store.add_entity(entity("ent_a", created=NOW + 2))
    store.add_entity(entity("ent_c", created=NOW))
    assert [e.id for e in store.list_entities()] == ["ent_c", "ent_b", "ent_a"]


def test_entity_ids_are_unique(store):
    store.add_entity(entity())
    with pytest.raises(Exception):
        store.add_entity(entity(name="Another"))
    assert store.get_entity("ent_1").name == "Demo Store"


def test_api_key_round_trip_and_listing(with_entity):
    store = with_entity
    first = ApiKey("pbk_1", "ent_1", created=NOW)
    second = ApiKey("pbk_2", "ent_1", created=NOW + 5)
    store.add_api_key(second)
    store.add_api_key(first)
    assert store.get_api_key("pbk_1") == first and first.active
    assert store.list_api_keys("ent_1") == [first, second]
    assert store.list_api_keys("ent_other") == []
    assert store.get_api_key("pbk_nope") is None


def test_revoking_a_key_keeps_it_but_marks_it(with_entity):
    store = with_entity
    store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW))
    assert store.revoke_api_key("pbk_1", NOW + 10) is True
    revoked = store.get_api_key("pbk_1")
    assert revoked.revoked == NOW + 10 and not revoked.active


def test_revoking_twice_or_an_unknown_key_changes_nothing(with_entity):
    store = with_entity
    store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW))
    store.revoke_api_key("pbk_1", NOW + 10)
    assert store.revoke_api_key("pbk_1", NOW + 20) is False
    assert store.get_api_key("pbk_1").revoked == NOW + 10  # the first revocation time stays
    assert store.revoke_api_key("pbk_nope", NOW) is False


def test_api_key_keeps_its_comment_and_last_use(with_entity):
    store = with_entity
    store.add_api_key(ApiKey("pbk_1", "ent_1", created=NOW, comment="nightly sync, ticket 42"))
    assert store.get_api_key("pbk_1").comment == "nightly sync, ticket 42"
    assert store.get_api_key("pbk_1").last_used is None
    store.touch_api_key("pbk_1", NOW + 60)
    assert store.list_api_keys("ent_1")[0].last_used == NOW + 60
    store.touch_api_key("pbk_nope", NOW)  # an unknown key is no error and adds nothing
    assert store.get_api_key("pbk_nope") is None


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


def test_admin_round_trip_and_listing_per_entity(with_entity):
    store = with_entity
    store.add_entity(entity("ent_2"))
    store.add_admin(admin("bob", created=NOW + 1))
    store.add_admin(admin("ada"))
    store.add_admin(admin("eve", "ent_2"))
    assert store.get_admin("ada") == admin("ada")
    assert [a.username for a in store.list_admins("ent_1")] == ["ada", "bob"]
    assert [a.username for a in store.list_admins("ent_2")] == ["eve"]
    assert store.get_admin("nobody") is None


def test_admin_usernames_are_unique_across_entities(with_entity):
    store = with_entity
    store.add_entity(entity("ent_2"))
    store.add_admin(admin("ada"))
    with pytest.raises(Conflict):
        store.add_admin(admin("ada", "ent_2"))
    assert store.get_admin("ada").entity_id == "ent_1"


def test_admin_session_round_trip_touch_and_delete(with_entity):
    store = with_entity
    store.add_admin(admin("ada"))
    store.add_admin_session(session("h1"))
    assert store.get_admin_session("h1") == session("h1")
    store.touch_admin_session("h1", NOW + 30)
    assert store.get_admin_session("h1").last_seen == NOW + 30
    assert store.delete_admin_session("h1") is True
    assert store.get_admin_session("h1") is None
    assert store.delete_admin_session("h1") is False


def test_sweeping_admin_sessions_drops_only_idle_or_old_ones(with_entity):
    store = with_entity
    store.add_admin(admin("ada"))
    store.add_admin_session(session("idle", last_seen=NOW - 100))
    store.add_admin_session(session("old", created=NOW - 1000, last_seen=NOW))
    store.add_admin_session(session("live", created=NOW - 10, last_seen=NOW))
    assert store.sweep_admin_sessions(seen_before=NOW - 50, opened_before=NOW - 500) == 2
    assert store.get_admin_session("live") is not None
    assert store.get_admin_session("idle") is None and store.get_admin_session("old") is None


def test_deleting_an_admin_ends_its_sessions(with_entity):
    store = with_entity
    store.add_admin(admin("ada"))
    store.add_admin(admin("bob"))
    store.add_admin_session(session("h1", "ada"))
    store.add_admin_session(session("h2", "bob"))
    assert store.delete_admin("ada") is True
    assert store.get_admin("ada") is None and store.get_admin_session("h1") is None
    assert store.get_admin_session("h2") is not None
    assert store.delete_admin("ada") is False


# -- signature nonces -----------------------------------------------------------------------------


def test_a_nonce_is_accepted_once(store):
    store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    with pytest.raises(Conflict):
        store.remember_nonce("pbk_1", "nonce-1", NOW + 340, NOW + 10)


def test_nonces_are_scoped_by_key(store):
    store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    store.remember_nonce("pbk_2", "nonce-1", NOW + 330, NOW)


def test_an_expired_nonce_may_be_used_again(store):
    store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    store.remember_nonce("pbk_1", "nonce-1", NOW + 1000, NOW + 331)
    with pytest.raises(Conflict):  # and it is held again from then on
        store.remember_nonce("pbk_1", "nonce-1", NOW + 1000, NOW + 332)


def test_many_nonces_survive_the_sweeps(store):
    for i in range(600):  # past several sweeps of expired entries
        store.remember_nonce("pbk_1", f"nonce-{i}", NOW + 330, NOW + i / 1000)
    for i in (0, 299, 599):
        with pytest.raises(Conflict):
            store.remember_nonce("pbk_1", f"nonce-{i}", NOW + 330, NOW + 1)


def test_concurrent_uses_of_one_nonce_let_exactly_one_through(store):
    outcomes: list[str] = []

    def spend() -> None:
        try:
            store.remember_nonce("pbk_1", "contested", NOW + 330, NOW)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=spend) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 15 + ["ok"]


# -- API tokens ----------------------------------------------------------------------------------


def test_api_token_round_trip(with_entity):
    store = with_entity
    record = api_token()
    store.add_api_token(record)
    assert store.get_api_token("tok_1") == record
    assert store.get_api_token("tok_nope") is None


def test_api_token_that_never_expires(with_entity):
    store = with_entity
    store.add_api_token(api_token(expires=None, rights=("read",)))
    assert store.get_api_token("tok_1").expires is None
    assert store.get_api_token("tok_1").rights == ("read",)


def test_api_tokens_are_listed_per_entity_oldest_first(with_entity):
    store = with_entity
    store.add_entity(entity("ent_2"))
    store.add_api_token(api_token("tok_b", created=NOW + 2))
    store.add_api_token(api_token("tok_a", created=NOW + 1))
    store.add_api_token(api_token("tok_other", entity_id="ent_2"))
    assert [t.id for t in store.list_api_tokens("ent_1")] == ["tok_a", "tok_b"]


def test_api_token_disable_enable_touch_delete(with_entity):
    store = with_entity
    store.add_api_token(api_token())
    assert store.set_api_token_disabled("tok_1", True) is True
    assert store.get_api_token("tok_1").disabled
    assert store.set_api_token_disabled("tok_1", False) is True
    assert not store.get_api_token("tok_1").disabled
    store.touch_api_token("tok_1", NOW + 60)
    assert store.get_api_token("tok_1").last_used == NOW + 60
    assert store.delete_api_token("tok_1") is True
    assert store.get_api_token("tok_1") is None
    assert store.delete_api_token("tok_1") is False
    assert store.set_api_token_disabled("tok_1", True) is False


# -- assets ------------------------------------------------------------------------------------


def test_asset_round_trip_keeps_the_document(store):
    added = asset("a1", owner="alice", data={"nested": {"list": [1, 2.5, None, "ü"]}})
    store.add_asset(added)
    assert store.get_asset("a1") == added
    assert store.get_asset("nope") is None


def test_optimistic_update_needs_the_previous_version(store):
    store.add_asset(asset("a1"))
    second = dataclasses.replace(asset("a1"), name="renamed", version=2, updated=NOW + 1)
    assert store.update_asset(second) is True
    assert store.get_asset("a1") == second
    stale = dataclasses.replace(asset("a1"), name="lost update", version=2)
    assert store.update_asset(stale) is False  # version 1 is gone
    assert store.get_asset("a1").name == "renamed"
    skipping = dataclasses.replace(asset("a1"), name="skips", version=4)
    assert store.update_asset(skipping) is False
    assert store.update_asset(dataclasses.replace(asset("missing"), version=2)) is False


def test_update_changes_only_the_mutable_fields(store):
    store.add_asset(asset("a1", owner="alice"))
    changed = dataclasses.replace(
        asset("a1", owner="alice"), kind="table", data={"w": 1}, version=2, updated=NOW + 9
    )
    store.update_asset(changed)
    stored = store.get_asset("a1")
    assert (stored.kind, stored.data, stored.updated, stored.created) == (
        "table",
        {"w": 1},
        NOW + 9,
        NOW,
    )


def test_delete_asset(store):
    store.add_asset(asset("a1"))
    assert store.delete_asset("a1") is True
    assert store.get_asset("a1") is None
    assert store.delete_asset("a1") is False


def test_list_assets_by_owner(store):
    for asset_id, owner in [("a1", None), ("a2", "alice"), ("a3", "bob"), ("a4", None)]:
        store.add_asset(asset(asset_id, owner))
    store.add_asset(asset("b1", None, entity_id="ent_2"))
    ids = lambda owners: [a.id for a in store.list_assets("ent_1", owners)]  # noqa: E731
    assert ids((None,)) == ["a1", "a4"]  # the entity's catalog only
    assert ids((None, "alice")) == ["a1", "a2", "a4"]
    assert ids(("bob",)) == ["a3"]
    assert ids(()) == []
    assert [a.id for a in store.list_assets("ent_2", (None,))] == ["b1"]


def test_list_assets_pages_in_id_order(store):
    for i in range(7):
        store.add_asset(asset(f"a{i}", None))
    pages, after = [], ""
    while page := store.list_assets("ent_1", (None,), after=after, limit=3):
        pages.append([a.id for a in page])
        after = page[-1].id
    assert pages == [["a0", "a1", "a2"], ["a3", "a4", "a5"], ["a6"]]


# -- idempotency keys --------------------------------------------------------------------------


def claim(store, key="k1", request_hash="h", when=NOW, scope="s") -> Reservation:
    held = store.claim_idempotency_key(scope, key, request_hash, when, 60)
    assert isinstance(held, Reservation), held
    return held


def answer(held, status=201, body=b'{"id": "a1"}', expires=NOW + 86400, headers=()):
    return AnswerRecord(held.scope, held.key, held.owner, status, body, expires, headers)


def replayed(store, key="k1", request_hash="h", when=NOW + 1, scope="s") -> IdempotentAnswer:
    earlier = store.claim_idempotency_key(scope, key, request_hash, when, 60)
    assert isinstance(earlier, IdempotentAnswer), earlier
    return earlier


def test_idempotency_claim_then_answer_with_the_write_then_replay(store):
    held = claim(store, "k1", "hash-1", scope="ent_1:alice")
    in_flight = replayed(store, "k1", "hash-1", NOW + 1, scope="ent_1:alice")
    assert in_flight.status == 0  # the first is still running
    store.add_asset(asset("a1"), answer(held))
    replay = replayed(store, "k1", "hash-1", NOW + 2, scope="ent_1:alice")
    assert (replay.request_hash, replay.status, replay.body, replay.created) == (
        "hash-1",
        201,
        b'{"id": "a1"}',
        NOW,
    )
    assert store.get_asset("a1") == asset("a1")


def test_each_claim_draws_its_own_owner(store):
    first = claim(store, "k1")
    other_key = claim(store, "k2")
    taken_over = claim(store, "k1", when=NOW + 61)  # the first one's lease lapsed
    assert (first.scope, first.key) == ("s", "k1")
    assert len({first.owner, other_key.owner, taken_over.owner}) == 3
    assert all(len(r.owner) >= 16 for r in (first, other_key, taken_over))


def test_an_answer_keeps_its_headers(store):
    held = claim(store)
    headers = (("etag", '"1"'), ("cache-control", "no-store"), ("x-twice", "a"), ("x-twice", "b"))
    store.add_asset(asset("a1"), answer(held, headers=headers))
    assert replayed(store).headers == headers


def test_update_and_delete_keep_their_answer_too(store):
    store.add_asset(asset("a1"))
    patch, delete = claim(store, "patch"), claim(store, "delete")
    renamed = dataclasses.replace(asset("a1"), name="renamed", version=2)
    assert store.update_asset(renamed, answer(patch, status=200, body=b"v2")) is True
    assert store.delete_asset("a1", answer(delete, status=204, body=b"")) is True
    assert replayed(store, "patch").body == b"v2"
    assert replayed(store, "delete").status == 204


def test_a_write_whose_key_holds_no_reservation_is_not_applied(store):
    """The write and its answer are one transaction: no answer kept, no write either."""
    never_claimed = Reservation("s", "k1", "nobody")
    with pytest.raises(Conflict):
        store.add_asset(asset("a1"), answer(never_claimed))
    assert store.get_asset("a1") is None
    store.add_asset(asset("a2"))
    held = claim(store)
    store.add_asset(asset("a3"), answer(held))  # answers k1
    renamed = dataclasses.replace(asset("a2"), name="twice?", version=2)
    with pytest.raises(Conflict):
        store.update_asset(renamed, answer(held))  # k1 is answered already: not applied twice
    with pytest.raises(Conflict):
        store.delete_asset("a2", answer(held))
    assert store.get_asset("a2") == asset("a2")
    assert replayed(store).body == b'{"id": "a1"}'


def test_a_reservation_taken_over_cannot_be_answered_by_its_first_owner(store):
    """A stalls past its lease, B (another request) takes the key over; A's write is refused
    whether or not B has answered yet, and B's answer is B's alone."""
    store.add_asset(asset("a0"))
    stalled = claim(store, request_hash="hash-A")
    took_over = claim(store, request_hash="hash-B", when=NOW + 61)
    with pytest.raises(Conflict):
        store.add_asset(asset("a1"), answer(stalled, body=b"A"))
    renamed = dataclasses.replace(asset("a0"), name="by A", version=2)
    with pytest.raises(Conflict):
        store.update_asset(renamed, answer(stalled, body=b"A"))
    with pytest.raises(Conflict):
        store.delete_asset("a0", answer(stalled, body=b"A"))
    assert store.get_asset("a1") is None and store.get_asset("a0") == asset("a0")
    assert replayed(store, request_hash="hash-B", when=NOW + 62).status == 0  # B still runs
    store.add_asset(asset("a2"), answer(took_over, body=b"B"))
    replay = replayed(store, request_hash="hash-B", when=NOW + 63)
    assert (replay.request_hash, replay.status, replay.body) == ("hash-B", 201, b"B")


def test_a_write_that_does_not_apply_keeps_no_answer(store):
    store.add_asset(asset("a1"))
    held = claim(store)
    stale = dataclasses.replace(asset("a1"), name="stale", version=5)
    assert store.update_asset(stale, answer(held)) is False
    assert store.delete_asset("gone", answer(held)) is False
    assert replayed(store).status == 0  # still reserved


def test_idempotency_answer_tells_a_different_request_apart(store):
    held = claim(store, request_hash="hash-1")
    store.add_asset(asset("a1"), answer(held, status=200, body=b"{}"))
    other = replayed(store, request_hash="hash-2")
    assert other.request_hash == "hash-1"  # the caller compares and refuses (422)


def test_idempotency_keys_are_scoped(store):
    claim(store, scope="ent_1:alice")
    claim(store, scope="ent_1:bob")


def test_idempotency_release_frees_an_unfinished_claim_only(store):
    store.release_idempotency_key(claim(store))
    held = claim(store)
    store.add_asset(asset("a1"), answer(held, body=b"done"))
    store.release_idempotency_key(held)  # a finished answer is kept
    assert replayed(store, when=NOW).body == b"done"


def test_idempotency_release_frees_only_its_own_reservation(store):
    stalled = claim(store, request_hash="hash-A")
    took_over = claim(store, request_hash="hash-B", when=NOW + 61)
    store.release_idempotency_key(stalled)  # A's write failed late: B's key stays reserved
    assert replayed(store, request_hash="hash-B", when=NOW + 62).status == 0
    store.add_asset(asset("a1"), answer(took_over, body=b"B"))
    assert replayed(store, request_hash="hash-B", when=NOW + 63).body == b"B"


def test_a_reservation_lapses_after_its_lease(store):
    claim(store)
    assert replayed(store, when=NOW + 59).status == 0
    claim(store, when=NOW + 61)  # reserved anew


def test_answers_expire_when_the_record_says(store):
    held = claim(store)
    store.add_asset(asset("a1"), answer(held, body=b"old", expires=NOW + 600))
    assert replayed(store, when=NOW + 599).body == b"old"
    claim(store, when=NOW + 601)


# -- SQLite specifics -----------------------------------------------------------------------------


def test_sqlite_schema_is_versioned_and_reopens(tmp_path):
    path = tmp_path / "store.sqlite3"
    SQLiteStore(path).close()
    reopened = SQLiteStore(path)
    reopened.add_entity(entity())
    reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    again = SQLiteStore(path)
    assert again.get_entity("ent_1") is not None
    again.close()


def test_sqlite_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "store.sqlite3"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(RuntimeError, match="newer"):
        SQLiteStore(path)


def test_sqlite_stores_no_secret_columns(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite3")
    store.close()
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(api_keys)")}
        columns |= {row[1] for row in db.execute("PRAGMA table_info(api_tokens)")}
    assert not {c for c in columns if "secret" in c or "token" in c or "hash" in c}


def test_sqlite_only_nonces_skip_waiting_for_the_disk(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite3")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # the one connection every write uses
    store.add_entity(entity())
    store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)
    with pytest.raises(Conflict):
        store.remember_nonce("pbk_1", "nonce-1", NOW + 330, NOW)  # refused: still restored
    store.add_entity(entity("ent_2"))
    synchronous = [s for s in statements if "synchronous" in s]
    assert synchronous == ["PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL"] * 2
    last_commit = len(statements) - 1 - statements[::-1].index("COMMIT")  # ent_2's
    before = [s for s in statements[:last_commit] if "synchronous" in s]
    assert before[-1] == "PRAGMA synchronous = FULL"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL for the rest
    store.close()


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


def test_sqlite_opens_a_version_1_database_and_keeps_its_rows(tmp_path):
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

    store = SQLiteStore(path)

    assert store.get_entity("ent_1").name == "Old"
    assert store.get_api_key("pbk_old") == ApiKey("pbk_old", "ent_1", created=NOW)
    store.add_admin(admin("ada"))  # schema 3's tables are there
    kept = replayed(store, "old")
    assert (kept.status, kept.body, kept.headers) == (201, b'{"id": "a0"}', ())
    assert replayed(store, "running").status == 0  # a v1 reservation still holds its lease...
    with pytest.raises(Conflict):  # ... but no request of this version owns it
        store.add_asset(asset("a1"), answer(Reservation("s", "running", "any-owner")))
    claim(store, "running", when=NOW + 61)  # then it lapses as any other
    held = claim(store, "new")
    store.add_asset(asset("a2"), answer(held, headers=(("etag", '"1"'),)))
    assert replayed(store, "new").headers == (("etag", '"1"'),)
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    db.close()
