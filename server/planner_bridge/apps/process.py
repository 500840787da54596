"""The planner origin as one server process runs it: the core opened at start-up, closed at exit,
in Starlette's lifespan.

`serve` hands uvicorn this app rather than a built one: a worker process receives it pickled
(settings only, validated once in the parent) and opens its own core in the lifespan start-up,
on the loop that then serves, which a PostgreSQL pool belongs to.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.routing import Router

from ..core import Core
from ..serving import loop_name
from ..settings import Settings
from .planner import create_app

Message = dict[str, Any]


def ready_line() -> str:
    """Says which loop really serves (uvloop when installed), for operators and tests."""
    return f"worker {os.getpid()} ready (event loop {loop_name()})"


class PlannerProcess:
    """An ASGI app: Starlette's lifespan opens and closes the core; requests go to the planner
    app built on it. Picklable until started (settings only)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: Any = None
        self._failure = ""

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, scope: Message, receive: Any, send: Any) -> None:
        # Starlette runs the protocol and reports a failed start to the server, then raises
        # again: the server has been told (in one line, see `_told`), so nothing is left to say.
        with contextlib.suppress(Exception):
            await Router(lifespan=self._opened).lifespan(scope, receive, self._told(send))

    @contextlib.asynccontextmanager
    async def _opened(self, _app: object) -> AsyncIterator[None]:
        try:
            core = await Core.connect(self.settings)
        except Exception as exc:  # the parent checked the database; it may have gone since
            self._failure = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise
        try:
            self.app = create_app(core)
            # The line and its newline in one write: with several workers on one unbuffered
            # stdout, print's two writes interleaved ("worker A ...worker B ...\n\n").
            print(ready_line() + "\n", end="", flush=True)
            yield
        finally:
            await core.aclose()

    def _told(self, send: Any) -> Any:
        """`send`, with a failed start told as its one-line reason, not Starlette's traceback."""

        async def told(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and self._failure:
                message = {**message, "message": self._failure}
            await send(message)

        return told
