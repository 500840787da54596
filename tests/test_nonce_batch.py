"""Signature nonces on SQLite go in batches (`storage.nonce_batch.NonceBatch`): those asked for in
one turn of the event loop are written in one worker-thread hop and one transaction, and each
request still gets its own answer. The shared store suite (test_store.py) holds the meaning of
`remember_nonce` on both databases; this holds what batching must not change."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from planner_bridge.storage import Conflict
from planner_bridge.storage.nonce_batch import _answer
from planner_bridge.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class WatchedStore(SQLiteStore):
    """The real SQLite store, noting each batch it is given; it fails the next one on request."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[int] = []
        self.threads: list[threading.Thread] = []
        self.fail_next = False
        self.hold = threading.Event()  # while cleared, a write waits in its worker thread
        self.hold.set()

    def _remember_nonces(self, nonces: Sequence[tuple[str, str, float, float]]) -> list[bool]:
        self.batches.append(len(nonces))
        self.threads.append(threading.current_thread())
        self.hold.wait(timeout=10)
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk gone")
        return super()._remember_nonces(nonces)


@pytest.fixture
def watched(tmp_path: Path) -> WatchedStore:
    return WatchedStore(tmp_path / "store.sqlite3")


@pytest.fixture
async def store(watched: WatchedStore) -> AsyncIterator[SQLiteStore]:
    yield watched
    await watched.close()


async def remember(store: SQLiteStore, nonce: str, key_id: str = "pbk_1") -> str:
    try:
        await store.remember_nonce(key_id, nonce, NOW + 330, NOW)
    except Conflict:
        return "conflict"
    return "stored"


async def test_nonces_asked_for_together_are_written_together(store, watched):
    answers = await asyncio.gather(*(remember(store, f"nonce-{i}") for i in range(20)))
    assert answers == ["stored"] * 20
    assert watched.batches == [20]
    assert await remember(store, "nonce-7") == "conflict"
    assert watched.batches == [20, 1]


async def test_nonce_batches_and_every_other_call_run_in_the_stores_one_thread(store, watched):
    await remember(store, "first")
    await store.get_entity("nobody")  # a read, through the same connection
    await asyncio.gather(*(remember(store, f"later-{i}") for i in range(3)))
    ran_in = await watched._db.run(threading.current_thread)
    assert len(watched.batches) == 2
    assert watched.threads == [ran_in, ran_in]
    assert ran_in is not threading.current_thread() and ran_in.name.startswith("sqlite")


async def test_a_closed_store_closes_again_and_refuses_a_nonce_without_leaving_it_waiting(watched):
    await watched.close()
    await watched.close()  # test fixtures and shutdown paths may both close it
    with pytest.raises(sqlite3.ProgrammingError):  # the closed connection's own error
        await asyncio.wait_for(remember(watched, "late"), timeout=10)


async def test_nonces_asked_for_during_a_write_go_together_in_the_next(store, watched):
    watched.hold.clear()
    first = asyncio.ensure_future(remember(store, "first"))
    await wait_for(lambda: watched.batches == [1])  # written, held in its worker thread
    later = [asyncio.ensure_future(remember(store, f"later-{i}")) for i in range(3)]
    for _ in range(2):  # a turn for them to ask, one for any write they started to begin
        await asyncio.sleep(0)
    assert len(store._nonces._waiting[asyncio.get_running_loop()]) == 3  # waiting, together
    assert watched.batches == [1]
    watched.hold.set()
    assert await asyncio.gather(first, *later) == ["stored"] * 4
    assert watched.batches == [1, 3]


async def test_a_nonce_is_written_once_asked_for_before_its_answer_is_awaited(store, watched):
    held = store.remember_nonce("pbk_1", "early", NOW + 330, NOW)  # a DPoP read: then its handler
    await wait_for(lambda: watched.batches == [1])
    await held
    assert await remember(store, "early") == "conflict"


async def wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_each_request_of_a_batch_gets_its_own_answer(store, watched):
    assert await remember(store, "held-1") == "stored"
    batch = ["fresh-1", "held-1", "fresh-2", "fresh-1", "held-1", "other-key"]
    answers = await asyncio.gather(
        *(remember(store, n, "pbk_2" if n == "other-key" else "pbk_1") for n in batch)
    )
    assert answers == ["stored", "conflict", "stored", "conflict", "conflict", "stored"]
    assert watched.batches == [1, 6]


async def test_a_failed_write_fails_every_request_of_its_batch_and_only_those(store, watched):
    watched.fail_next = True
    failed = await asyncio.gather(
        *(remember(store, f"lost-{i}") for i in range(3)), return_exceptions=True
    )
    assert [type(f) for f in failed] == [OSError] * 3
    assert await remember(store, "lost-1") == "stored"  # nothing of the failed batch was kept


async def test_a_request_gone_before_its_batch_is_written_leaves_the_others_answered(store):
    tasks = [asyncio.ensure_future(remember(store, f"n-{i}")) for i in range(3)]
    await asyncio.sleep(0)  # each now waits for the batch
    tasks[1].cancel()
    assert [await tasks[0], await tasks[2]] == ["stored", "stored"]
    assert tasks[1].cancelled()
    assert await remember(store, "n-1") == "conflict"  # its nonce was spent all the same


async def test_a_spent_nonce_is_still_held_after_a_restart(tmp_path):
    path = tmp_path / "restart.sqlite3"
    first = await SQLiteStore.open(path)
    assert await asyncio.gather(remember(first, "a"), remember(first, "b")) == ["stored"] * 2
    await first.close()
    again = await SQLiteStore.open(path)
    assert await remember(again, "b") == "conflict"
    await again.close()


def test_a_batch_never_mixes_two_event_loops(watched):
    """A store shared by two loops (the tests' servers run in threads of their own): a nonce
    asked for on a loop other than the one whose batch is pending goes in a batch of its own."""
    store = watched
    first = asyncio.new_event_loop()
    try:
        pending = first.create_task(remember(store, "on-first"))
        first.call_soon(first.stop)  # one turn: it asks, its batch's write is still to come
        first.run_forever()
        assert watched.batches == []
        assert asyncio.run(remember(store, "on-second")) == "stored"
        assert watched.batches == [1]  # not added to the first loop's batch
        assert first.run_until_complete(pending) == "stored"
        assert watched.batches == [1, 1]
        assert asyncio.run(remember(store, "on-first")) == "conflict"
    finally:
        first.close()
        asyncio.run(watched.close())


async def test_a_write_cancelled_under_its_batch_cancels_the_requests_waiting_for_it():
    """What the executor does to a pending write when the loop shuts down."""
    loop = asyncio.get_running_loop()
    written: asyncio.Future[list[bool]] = loop.create_future()
    waiting = [loop.create_future(), loop.create_future()]
    waiting[1].set_result(True)  # already answered: left alone
    written.cancel()
    _answer(waiting, written)
    assert waiting[0].cancelled() and waiting[1].result() is True


async def test_a_write_cancelled_at_shutdown_cancels_the_nonces_waiting_behind_it(store):
    loop, batch = asyncio.get_running_loop(), store._nonces
    behind: asyncio.Future[bool] = loop.create_future()
    batch._waiting[loop] = [(("pbk_1", "behind", NOW + 330, NOW), behind)]
    batch._writing.add(loop)
    written: asyncio.Future[list[bool]] = loop.create_future()
    written.cancel()
    batch._written(loop, [], written)
    assert behind.cancelled()
    assert loop not in batch._writing and loop not in batch._waiting
