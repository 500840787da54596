"""Writes that no request waits for (a key's last use): tasks of the running loop, kept until
they finish, their failures logged and never raised into whoever started them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWrites:
    def __init__(self) -> None:
        # The loop keeps only weak references to its tasks: without these, one could be
        # collected before it ran.
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, write: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(write)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A bookkeeping write lost (the database away a moment) costs a "last used" a
            # minute stale, never the request it describes.
            log.warning("background write failed: %s", task.exception())

    async def settle(self) -> None:
        """Wait for the writes under way, on this loop; the failed ones are logged already."""
        mine = [t for t in self._tasks if t.get_loop() is asyncio.get_running_loop()]
        if mine:
            await asyncio.wait(mine)
