"""The planner origin as one server process runs it: the core opened at start-up, closed at exit.

`serve` hands uvicorn this app rather than a built one: a worker process receives it pickled
(settings only, validated once in the parent) and opens its own core in the lifespan start-up,
on the loop that then serves, which a PostgreSQL pool belongs to.
"""

from __future__ import annotations

import os
from typing import Any

from ..core import Core
from ..serving import loop_name
from ..settings import Settings
from .planner import create_app

Message = dict[str, Any]


def ready_line() -> str:
    """Says which loop really serves (uvloop when installed), for operators and tests."""
    return f"worker {os.getpid()} ready (event loop {loop_name()})"


class PlannerProcess:
    """An ASGI app: the lifespan opens and closes the core; requests go to the planner app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.core: Core | None = None
        self.app: Any = None

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send(await self._start())
            elif message["type"] == "lifespan.shutdown":
                if self.core is not None:
                    await self.core.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> Message:
        try:
            self.core = await Core.connect(self.settings)
        except Exception as exc:  # the parent checked the database; it may have gone since
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            return {"type": "lifespan.startup.failed", "message": reason}
        self.app = create_app(self.core)
        print(ready_line(), flush=True)
        return {"type": "lifespan.startup.complete"}
