"""Signature nonces written in groups on SQLite: one worker-thread hop and one transaction for
all the nonces asked for while the previous group was being written (or, with none under way,
in the same turn of the event loop); each request still gets its own answer.

Why: the hop (a thread woken, the result handed back to the loop) and the commit cost more than
the write itself, and a signed request waits for its nonce before it is answered. A lone
request waits one loop turn more, nothing else; an answered request's nonce is as durable as
before, so a restart never re-opens a replay.

`remember` asks at once and answers when awaited, so a caller can start its nonce's write and
do other work meanwhile (a DPoP read: `apps.bearer`). Tried and dropped: the waiting group
riding in the hop of the next store call of the same loop instead of one of its own. A hop
costs more than a transaction (~50 µs of CPU unbatched, against ~15 µs), but the groups then
shrank to one nonce each, and the transactions per request cost more than the hops saved.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Executor
from typing import Any

from . import Conflict

Nonce = tuple[str, str, float, float]  # key id, nonce, expires, now: `remember_nonce`'s arguments
Waiting = tuple[Nonce, "asyncio.Future[bool]"]  # a nonce and the request waiting to hear of it
# Writes a group in one transaction (in a worker thread): for each, whether it was stored.
WriteNonces = Callable[[Sequence[Nonce]], list[bool]]


class NonceBatch:
    def __init__(
        self, write: WriteNonces, executor: Callable[[], Executor | None] = lambda: None
    ) -> None:
        self.write = write
        self.executor = executor  # where `write` runs now (None: the loop's default pool)
        # Per event loop: a store shared by the loops of several threads (the tests' servers
        # and their callers) never hands a future to a loop it does not belong to.
        self._waiting: dict[asyncio.AbstractEventLoop, list[Waiting]] = {}
        self._writing: set[asyncio.AbstractEventLoop] = set()

    def remember(self, nonce: Nonce) -> Held:
        """Asks for the nonce now; the answer, awaited, is that it is stored, or Conflict when
        it is still held."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[bool] = loop.create_future()
        waiting = self._waiting.setdefault(loop, [])
        waiting.append((nonce, stored))
        if len(waiting) == 1 and loop not in self._writing:
            loop.call_soon(self._write, loop)  # else the write under way starts the next one
        return Held(stored)

    def _write(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._waiting.pop(loop)
        self._writing.add(loop)
        try:
            written = loop.run_in_executor(self.executor(), self.write, [n for n, _ in batch])
        except RuntimeError as exc:  # its thread shut down meanwhile: each request hears it
            written = loop.create_future()
            written.set_exception(exc)
        written.add_done_callback(functools.partial(self._written, loop, [f for _, f in batch]))

    def _written(
        self,
        loop: asyncio.AbstractEventLoop,
        waiting: list[asyncio.Future[bool]],
        written: asyncio.Future[list[bool]],
    ) -> None:
        self._writing.discard(loop)
        _answer(waiting, written)
        if written.cancelled():  # the executor shut down under it (the loop is closing)
            _answer([f for _, f in self._waiting.pop(loop, [])], written)
        elif self._waiting.get(loop):
            self._write(loop)


class Held:
    """The answer to `NonceBatch.remember`, to await (an object, not a coroutine: a request
    that goes away before awaiting it leaves no "never awaited" warning)."""

    def __init__(self, stored: asyncio.Future[bool]) -> None:
        self.stored = stored

    def __await__(self) -> Generator[Any, None, None]:
        if not (yield from self.stored.__await__()):
            raise Conflict("nonce already used")


def _answer(waiting: list[asyncio.Future[bool]], written: asyncio.Future[list[bool]]) -> None:
    """Each request its own answer; a failed write fails all of them, as each would have."""
    failure = None if written.cancelled() else written.exception()
    for index, stored in enumerate(waiting):
        if stored.done():  # its request went away meanwhile
            continue
        if written.cancelled():  # the executor shut down under it (the loop is closing)
            stored.cancel()
        elif failure is not None:
            stored.set_exception(failure)
        else:
            stored.set_result(written.result()[index])
