"""The console's pieces without HTTP: administrators, sessions and CSRF tokens, and a key's last
use (written at most once a minute), on a frozen clock and a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner_bridge.admin_sessions import (
    ABSOLUTE_SECONDS,
    IDLE_SECONDS,
    SessionBook,
    csrf_matches,
    csrf_token,
    id_hash,
)
from planner_bridge.admins import AdminBook
from planner_bridge.clock import FrozenClock
from planner_bridge.credentials import SecretDeriver
from planner_bridge.entities import LAST_USE_RESOLUTION, EntityRegistry
from planner_bridge.sqlite_store import SQLiteStore
from planner_bridge.store import Store


class CountingStore(SQLiteStore):
    """The real store, counting the writes of a key's last use."""

    touches = 0

    def touch_api_key(self, key_id: str, when: float) -> None:
        self.touches += 1
        super().touch_api_key(key_id, when)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    opened = CountingStore(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def registry(store: Store, clock: FrozenClock) -> EntityRegistry:
    return EntityRegistry(store, SecretDeriver(b"m" * 32), clock)


@pytest.fixture
def entity_id(registry: EntityRegistry) -> str:
    return registry.create("Shop", ["http://localhost:8000"])[0].id


@pytest.fixture
def book(store: Store, clock: FrozenClock) -> AdminBook:
    return AdminBook(store, clock)


# -- administrators --------------------------------------------------------------------------


def test_a_generated_password_checks_and_is_stored_only_as_a_hash(book, entity_id, store):
    admin, password = book.create(entity_id, "ada")
    assert len(password) >= 20
    assert book.check("ada", password) == admin
    assert password not in store.get_admin("ada").password_hash
    assert store.get_admin("ada").password_hash.startswith("scrypt$")
    assert book.check("ada", password + "!") is None
    assert book.check("nobody", password) is None
    assert admin.password_hash not in repr(admin)


def test_a_given_password_must_be_long_enough(book, entity_id):
    with pytest.raises(ValueError, match="12"):
        book.create(entity_id, "ada", "short")
    book.create(entity_id, "ada", "long enough passphrase")
    assert book.check("ada", "long enough passphrase") is not None


def test_odd_usernames_and_huge_passwords_are_refused_without_error(book, entity_id):
    book.create(entity_id, "ada", "long enough passphrase")
    assert book.check("ada' OR 1=1 --", "long enough passphrase") is None
    assert book.check("ada", "x" * 100_000) is None
    with pytest.raises(ValueError, match="username"):
        book.create(entity_id, "a\nb")


def test_deleting_an_administrator(book, entity_id):
    book.create(entity_id, "ada")
    book.delete("ada")
    assert book.of_entity(entity_id) == []
    with pytest.raises(LookupError):
        book.delete("ada")


# -- sessions --------------------------------------------------------------------------------


def test_a_session_resolves_until_it_is_closed(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    admin, _ = book.create(entity_id, "ada")
    session_id = sessions.open(admin)
    resolved = sessions.resolve(session_id)
    assert (resolved.username, resolved.entity_id) == ("ada", entity_id)
    assert store.get_admin_session(session_id) is None  # only the hash is a key
    assert store.get_admin_session(id_hash(session_id)) is not None
    sessions.close(session_id)
    assert sessions.resolve(session_id) is None


def test_a_session_ends_after_30_idle_minutes(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = sessions.open(book.create(entity_id, "ada")[0])
    clock.advance(IDLE_SECONDS - 1)
    assert sessions.resolve(session_id) is not None  # ... and this use restarts the idle time
    clock.advance(IDLE_SECONDS - 1)
    assert sessions.resolve(session_id) is not None
    clock.advance(IDLE_SECONDS)
    assert sessions.resolve(session_id) is None
    assert store.get_admin_session(id_hash(session_id)) is None  # and it is gone


def test_a_session_ends_after_8_hours_however_busy(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = sessions.open(book.create(entity_id, "ada")[0])
    for _ in range(ABSOLUTE_SECONDS // 600 - 1):
        clock.advance(600)
        assert sessions.resolve(session_id) is not None
    clock.advance(600)
    assert sessions.resolve(session_id) is None


def test_a_sign_in_sweeps_sessions_nobody_signed_out_of(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    admin, _ = book.create(entity_id, "ada")
    abandoned = sessions.open(admin)
    clock.advance(IDLE_SECONDS)
    sessions.open(admin)
    assert store.get_admin_session(id_hash(abandoned)) is None


def test_unknown_and_absurd_session_ids_resolve_to_nobody(store, clock):
    sessions = SessionBook(store, clock)
    assert sessions.resolve(None) is None
    assert sessions.resolve("") is None
    assert sessions.resolve("x" * 10_000) is None
    assert sessions.resolve("not-a-session") is None


def test_deleting_an_administrator_ends_its_sessions(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = sessions.open(book.create(entity_id, "ada")[0])
    book.delete("ada")
    assert sessions.resolve(session_id) is None


def test_csrf_tokens_belong_to_one_session():
    assert csrf_matches("session-a", csrf_token("session-a"))
    assert not csrf_matches("session-b", csrf_token("session-a"))
    assert not csrf_matches("session-a", "")
    assert csrf_token("session-a") != "session-a"


# -- a key's last use ------------------------------------------------------------------------


def test_a_keys_use_is_written_at_most_once_a_minute(registry, entity_id, store, clock):
    key = registry.issue_key(entity_id, "ERP")
    found = registry.active_key(key.key_id)[0]
    registry.note_use(found)
    assert store.get_api_key(key.key_id).last_used == clock.now()
    first = clock.now()
    for _ in range(10):
        clock.advance(LAST_USE_RESOLUTION / 20)
        registry.note_use(found)
    assert store.touches == 1 and store.get_api_key(key.key_id).last_used == first
    clock.advance(LAST_USE_RESOLUTION)
    registry.note_use(found)
    assert store.touches == 2 and store.get_api_key(key.key_id).last_used == clock.now()


def test_a_key_keeps_its_comment(registry, entity_id, store):
    key = registry.issue_key(entity_id, "  ERP sync  ")
    assert store.get_api_key(key.key_id).comment == "ERP sync"
    assert store.get_api_key(registry.issue_key(entity_id).key_id).comment == ""
