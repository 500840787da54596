"""The console's pages about the entity itself: its registered origins (added and removed
here, as `planner-bridge entity set` does) and its activity (the audit trail, newest first)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import audit
from ..clients.entity_settings import EntityChange, EntityChangeRefused, change_entity
from ..storage import AdminSession
from .admin import Console, to_console

ACTIVITY_LIMIT = 200
ORIGIN_LIMIT = 300  # the longest origin `normalize_origin` can accept is shorter


class EntityPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def add_origin(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        origin = form.get("origin", "").strip()[:ORIGIN_LIMIT]
        return await self._change(
            request, session, sid, EntityChange(add_origins=(origin,)), "origin", origin
        )

    async def remove_origin(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        origin = form.get("origin", "")[:ORIGIN_LIMIT]
        change = EntityChange(remove_origins=(origin,))
        return await self._change(request, session, sid, change, "origins", "")

    async def _change(
        self,
        request: Request,
        session: AdminSession,
        sid: str,
        change: EntityChange,
        field: str,
        typed: str,
    ) -> Response:
        """Done: to the console. Refused: the console again, the reasons next to `field`."""
        console = self.console
        try:
            await change_entity(
                console.store, console.clock, session.entity_id, change, actor=session.username
            )
        except EntityChangeRefused as refused:
            errors = {field: " ".join(_sentence(p) for p in refused.problems)}
            return await console.console_page(
                request, session, sid, status=400, errors=errors, origin=typed
            )
        return to_console()

    async def activity(self, request: Request) -> Response:
        console = self.console
        found = await console.guard.session(request)
        if found is None:
            return to_console()
        session, sid = found
        entity = await console.entity(session)
        events = await audit.recent(console.store, entity.id, ACTIVITY_LIMIT)
        return console.page(
            request,
            "activity.html",
            entity=entity,
            username=session.username,
            csrf=console.guard.csrf(sid),
            events=events,
        )


def _sentence(problem: str) -> str:
    """A refusal as the form says it: the origin field's words, capitalised, with a stop."""
    for prefix in ("add origin: ", "remove origin: "):
        problem = problem.removeprefix(prefix)
    return problem[:1].upper() + problem[1:] + ("" if problem.endswith(".") else ".")
