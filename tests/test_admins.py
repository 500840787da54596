"""The console's pieces without HTTP: administrators, sessions and CSRF tokens, and a key's last
use (written at most once a minute), on a frozen clock and a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from planner_bridge.admin.accounts import AdminBook
from planner_bridge.admin.sessions import (
    ABSOLUTE_SECONDS,
    IDLE_SECONDS,
    SessionBook,
    csrf_matches,
    csrf_token,
    id_hash,
)
from planner_bridge.clients.entities import LAST_USE_RESOLUTION, EntityRegistry
from planner_bridge.clock import FrozenClock
from planner_bridge.credentials import SecretDeriver
from planner_bridge.storage import Store
from planner_bridge.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


class CountingStore(SQLiteStore):
    """The real store, counting the writes of a key's last use."""

    touches = 0

    async def touch_api_key(self, key_id: str, when: float) -> None:
        self.touches += 1
        await super().touch_api_key(key_id, when)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def counting(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "store.sqlite3")


@pytest.fixture
async def store(counting: CountingStore) -> AsyncIterator[Store]:
    """The real store as the server has it: async, its SQLite I/O in worker threads."""
    yield counting
    await counting.close()


@pytest.fixture
def registry(store: Store, clock: FrozenClock) -> EntityRegistry:
    return EntityRegistry(store, SecretDeriver(b"m" * 32), clock)


@pytest.fixture
async def entity_id(registry: EntityRegistry) -> str:
    return (await registry.create("Shop", ["http://localhost:8000"]))[0].id


@pytest.fixture
def book(store: Store, clock: FrozenClock) -> AdminBook:
    return AdminBook(store, clock)


# -- administrators --------------------------------------------------------------------------


async def test_a_generated_password_checks_and_is_stored_only_as_a_hash(book, entity_id, store):
    admin, password = await book.create(entity_id, "ada")
    assert len(password) >= 20
    assert await book.check("ada", password) == admin
    assert password not in (await store.get_admin("ada")).password_hash
    assert (await store.get_admin("ada")).password_hash.startswith("scrypt$")
    assert await book.check("ada", password + "!") is None
    assert await book.check("nobody", password) is None
    assert admin.password_hash not in repr(admin)


async def test_a_given_password_must_be_long_enough(book, entity_id):
    with pytest.raises(ValueError, match="12"):
        await book.create(entity_id, "ada", "short")
    await book.create(entity_id, "ada", "long enough passphrase")
    assert await book.check("ada", "long enough passphrase") is not None


async def test_odd_usernames_and_huge_passwords_are_refused_without_error(book, entity_id):
    await book.create(entity_id, "ada", "long enough passphrase")
    assert await book.check("ada' OR 1=1 --", "long enough passphrase") is None
    assert await book.check("ada", "x" * 100_000) is None
    with pytest.raises(ValueError, match="username"):
        await book.create(entity_id, "a\nb")


async def test_deleting_an_administrator(book, entity_id):
    await book.create(entity_id, "ada")
    await book.delete("ada")
    assert await book.of_entity(entity_id) == []
    with pytest.raises(LookupError):
        await book.delete("ada")


# -- sessions --------------------------------------------------------------------------------


async def test_a_session_resolves_until_it_is_closed(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    admin, _ = await book.create(entity_id, "ada")
    session_id = await sessions.open(admin)
    resolved = await sessions.resolve(session_id)
    assert (resolved.username, resolved.entity_id) == ("ada", entity_id)
    assert await store.get_admin_session(session_id) is None  # only the hash is a key
    assert await store.get_admin_session(id_hash(session_id)) is not None
    await sessions.close(session_id)
    assert await sessions.resolve(session_id) is None


async def test_a_session_ends_after_30_idle_minutes(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = await sessions.open((await book.create(entity_id, "ada"))[0])
    clock.advance(IDLE_SECONDS - 1)
    assert await sessions.resolve(session_id) is not None  # ... and this use restarts the idle time
    clock.advance(IDLE_SECONDS - 1)
    assert await sessions.resolve(session_id) is not None
    clock.advance(IDLE_SECONDS)
    assert await sessions.resolve(session_id) is None
    assert await store.get_admin_session(id_hash(session_id)) is None  # and it is gone


async def test_a_session_ends_after_8_hours_however_busy(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = await sessions.open((await book.create(entity_id, "ada"))[0])
    for _ in range(ABSOLUTE_SECONDS // 600 - 1):
        clock.advance(600)
        assert await sessions.resolve(session_id) is not None
    clock.advance(600)
    assert await sessions.resolve(session_id) is None


async def test_a_sign_in_sweeps_sessions_nobody_signed_out_of(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    admin, _ = await book.create(entity_id, "ada")
    abandoned = await sessions.open(admin)
    clock.advance(IDLE_SECONDS)
    await sessions.open(admin)
    assert await store.get_admin_session(id_hash(abandoned)) is None


async def test_unknown_and_absurd_session_ids_resolve_to_nobody(store, clock):
    sessions = SessionBook(store, clock)
    assert await sessions.resolve(None) is None
    assert await sessions.resolve("") is None
    assert await sessions.resolve("x" * 10_000) is None
    assert await sessions.resolve("not-a-session") is None


async def test_deleting_an_administrator_ends_its_sessions(book, entity_id, store, clock):
    sessions = SessionBook(store, clock)
    session_id = await sessions.open((await book.create(entity_id, "ada"))[0])
    await book.delete("ada")
    assert await sessions.resolve(session_id) is None


async def test_csrf_tokens_belong_to_one_session():
    assert csrf_matches("session-a", csrf_token("session-a"))
    assert not csrf_matches("session-b", csrf_token("session-a"))
    assert not csrf_matches("session-a", "")
    assert csrf_token("session-a") != "session-a"


# -- a key's last use ------------------------------------------------------------------------


async def test_a_keys_use_is_written_at_most_once_a_minute(
    registry, entity_id, store, counting, clock
):
    key = await registry.issue_key(entity_id, "ERP")
    found = (await registry.active_key(key.key_id))[0]
    registry.note_use(found)  # not awaited: the write runs in the background...
    await registry.settle()  # ... and is done here
    assert (await store.get_api_key(key.key_id)).last_used == clock.now()
    first = clock.now()
    for _ in range(10):
        clock.advance(LAST_USE_RESOLUTION / 20)
        registry.note_use(found)
    await registry.settle()
    assert counting.touches == 1 and (await store.get_api_key(key.key_id)).last_used == first
    clock.advance(LAST_USE_RESOLUTION)
    registry.note_use(found)
    await registry.settle()
    assert counting.touches == 2
    assert (await store.get_api_key(key.key_id)).last_used == clock.now()


async def test_a_lost_last_use_write_fails_no_request(registry, entity_id, store, counting):
    key = await registry.issue_key(entity_id, "ERP")
    found = (await registry.active_key(key.key_id))[0]
    await counting.close()  # the database is gone: the background write fails...
    registry.note_use(found)  # ... and the caller never hears of it
    await registry.settle()
    assert counting.touches == 1


async def test_a_key_keeps_its_comment(registry, entity_id, store):
    key = await registry.issue_key(entity_id, "  ERP sync  ")
    assert (await store.get_api_key(key.key_id)).comment == "ERP sync"
    other = await registry.issue_key(entity_id)
    assert (await store.get_api_key(other.key_id)).comment == ""
