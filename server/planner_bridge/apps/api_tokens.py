"""(stub) routes of the planner origin: api_tokens."""

from __future__ import annotations

from starlette.routing import BaseRoute

from ..core import Core


def routes(core: Core) -> list[BaseRoute]:
    return []
