"""The administration console at /admin/ (SPEC "Administration console"): one more front door
to the operations the CLI and the signed HTTP API already offer (`entities`, `api_tokens`).

    GET  /admin/                               sign-in form, or the entity's console
    POST /admin/sign-in | /admin/sign-out
    POST /admin/api-keys                       generate (comment) -> key id + secret, shown once
    POST /admin/api-keys/{key_id}/revoke
    POST /admin/tokens                         generate -> token, shown once ("never expires"
                                               first answers a confirmation page)
    POST /admin/tokens/{token_id}/disable | enable | delete (delete confirms first)
    POST /admin/users/sign-out                 "Sign out everywhere": revokes the user's tokens
    GET  /admin/static/admin.css | admin.js

Plain HTML forms, working without JavaScript (the script only adds a copy button). What is
shown once is answered as the POST's own page, `no-store`: never in a URL, a redirect, a log or
the store. An administrator sees and changes only its own entity; another entity's key or token
id answers 404, as an absent one. Security mechanics: `apps.admin_session`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Scope

from ..admin.accounts import AdminBook
from ..admin.sessions import SessionBook
from ..clients.entities import EntityRegistry
from ..clock import Clock, utc_minute
from ..errors import NotFound, ProtocolError, TooManyRequests
from ..storage import AdminSession, Entity, Store
from ..tokens.api_tokens import MAX_USER_ID_LENGTH, ApiTokens
from ..validation import one_line_text
from . import web_files
from .admin_forms import TokenForm, key_comment
from .admin_session import (
    HEADERS,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Forbidden,
    Guard,
    SignInBrakes,
    read_form,
)
from .planner_site import PublicFiles

HOME = "/admin/"
TOKEN_ACTIONS = ("disable", "enable", "delete")
FORBIDDEN = (
    "This form has expired or did not come from this console. Go back, reload and try again."
)
Endpoint = Callable[[Request], Awaitable[Response]]
Action = Callable[[Request, AdminSession, str, dict[str, str]], Awaitable[Response]]


class Console:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        entities: EntityRegistry,
        tokens: ApiTokens,
        *,
        issuer: str,
        subject_of: Callable[[Scope], str],
        default_days: int,
    ) -> None:
        self.store = store
        self.clock = clock
        self.entities = entities
        self.default_days = default_days
        self.admins = AdminBook(store, clock)
        self.tokens = tokens
        self.guard = Guard(SessionBook(store, clock), secure=issuer.startswith("https:"))
        self.brakes = SignInBrakes(clock, subject_of)
        self.templates = web_files.templates("templates")
        self.templates.env.filters["when"] = utc_minute

    # -- pages -----------------------------------------------------------------------------

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return self.templates.TemplateResponse(
            request, f"admin/{name}", context, status_code=status, headers=HEADERS
        )

    def sign_in_page(
        self, request: Request, status: int = 200, error: str = "", username: str = ""
    ) -> Response:
        token = self.guard.sign_in_token(request)
        response = self.page(
            request, "sign_in.html", status, csrf=token, error=error, username=username
        )
        self.guard.set_cookie(response, SIGN_IN_COOKIE, token)
        return response

    async def console_page(
        self,
        request: Request,
        session: AdminSession,
        session_id: str,
        status: int = 200,
        **extra: Any,
    ) -> Response:
        entity = await self._entity(session)
        context = {
            "entity": entity,
            "username": session.username,
            "csrf": self.guard.csrf(session_id),
            "keys": await self.store.list_api_keys(entity.id),
            "tokens": await self.tokens.of_entity(entity.id),
            "now": self.clock.now(),
            "token_form": TokenForm.blank(self.default_days),
            "errors": {},
            "comment": "",
            **extra,
        }
        return self.page(request, "console.html", status, **context)

    async def _entity(self, session: AdminSession) -> Entity:
        entity = await self.store.get_entity(session.entity_id)
        if entity is None:
            raise NotFound("this administrator's entity no longer exists")
        return entity

    async def home(self, request: Request) -> Response:
        found = await self.guard.session(request)
        if found is None:
            return self.sign_in_page(request)
        return await self.console_page(request, *found)

    # -- signing in and out ----------------------------------------------------------------

    async def sign_in(self, request: Request) -> Response:
        form = await read_form(request)
        self.guard.check_sign_in_csrf(request, form)
        username = form.get("username", "").strip()
        try:
            self.brakes.check(request, username)
        except TooManyRequests as exc:
            error = f"Too many failed sign-ins. Try again in {exc.retry_after} seconds."
            response = self.sign_in_page(request, 429, error, username)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        admin = await self.admins.check(username, form.get("password", ""))
        if admin is None:
            self.brakes.record_failure(request, username)
            return self.sign_in_page(request, 401, "Wrong username or password.", username)
        await self.guard.sessions.close(request.cookies.get(SESSION_COOKIE))  # never reuse an id
        response = RedirectResponse(HOME, status_code=303, headers=HEADERS)
        self.guard.set_cookie(response, SESSION_COOKIE, await self.guard.sessions.open(admin))
        self.guard.clear_cookie(response, SIGN_IN_COOKIE)
        return response

    async def sign_out(
        self, request: Request, session: AdminSession, sid: str, form: Any
    ) -> Response:
        await self.guard.sessions.close(sid)
        response = RedirectResponse(HOME, status_code=303, headers=HEADERS)
        self.guard.clear_cookie(response, SESSION_COOKIE)
        return response

    # -- API keys --------------------------------------------------------------------------

    async def generate_key(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        comment, error = key_comment(form.get("comment", ""))
        if error:
            return await self.console_page(
                request, session, sid, status=400, errors={"comment": error}, comment=comment
            )
        issued = await self.entities.issue_key(session.entity_id, comment)
        shown = {"kind": "key", "key_id": issued.key_id, "secret": issued.secret}
        return await self.console_page(request, session, sid, shown_once=shown)

    async def revoke_key(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        key_id = request.path_params["key_id"]
        key = await self.store.get_api_key(key_id)
        if key is None or key.entity_id != session.entity_id:
            raise NotFound("no such API key")
        if key.active:
            await self.entities.revoke_key(key_id, actor=f"admin:{session.username}")
        return RedirectResponse(HOME, status_code=303, headers=HEADERS)

    # -- web service tokens ----------------------------------------------------------------

    async def generate_token(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        entity = await self._entity(session)
        token_form = TokenForm.read(form)
        if token_form.errors:
            return await self.console_page(
                request, session, sid, status=400, token_form=token_form, errors=token_form.errors
            )
        if token_form.never and form.get("confirm") != "yes":
            csrf = self.guard.csrf(sid)
            return self.page(request, "confirm_never.html", form=token_form, csrf=csrf)
        try:
            issued = await self.tokens.issue(entity, **token_form.fields())
        except ProtocolError as exc:
            errors = token_form.refused(exc)
            return await self.console_page(
                request, session, sid, status=400, token_form=token_form, errors=errors
            )
        shown = {"kind": "token", "name": issued.record.name, "token": issued.token}
        return await self.console_page(request, session, sid, shown_once=shown)

    async def change_token(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        token_id, action = request.path_params["token_id"], request.path_params["action"]
        if action not in TOKEN_ACTIONS:
            raise NotFound("no such action")
        record = await self.tokens.get(token_id, session.entity_id)  # another entity's: 404
        if action == "delete":
            if form.get("confirm") != "yes":
                csrf = self.guard.csrf(sid)
                return self.page(request, "confirm_delete.html", record=record, csrf=csrf)
            await self.tokens.delete(record.id, session.entity_id)
        else:
            await self.tokens.set_disabled(record.id, action == "disable", session.entity_id)
        return RedirectResponse(HOME, status_code=303, headers=HEADERS)

    async def sign_out_user(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        """Every token of the user issued until now, refused within a second everywhere."""
        user_id = one_line_text(form.get("user_id"), "user id", MAX_USER_ID_LENGTH)
        revoker, actor = self.tokens.revoker, f"admin:{session.username}"
        assert revoker is not None  # the core's API tokens always have one
        way = "console sign out everywhere"
        await revoker.revoke_user(session.entity_id, user_id, way=way, actor=actor)
        return RedirectResponse(HOME, status_code=303, headers=HEADERS)

    # -- the guard around every action -----------------------------------------------------

    def signed_in(self, action: Action) -> Endpoint:
        """Signed out: back to the sign-in form. Signed in: the form must carry the session's
        CSRF token (else 403) before `action` runs."""

        async def endpoint(request: Request) -> Response:
            found = await self.guard.session(request)
            if found is None:
                return RedirectResponse(HOME, status_code=303, headers=HEADERS)
            session, sid = found
            form = await read_form(request)
            self.guard.check_csrf(sid, form)
            return await action(request, session, sid, form)

        return endpoint

    def answered(self, endpoint: Endpoint) -> Endpoint:
        """Refusals as pages of the console: 403 for a missing CSRF token, else the coded
        error's status and words (a 404 for another entity's id, as for an absent one)."""

        async def answer(request: Request) -> Response:
            try:
                return await endpoint(request)
            except Forbidden:
                return self.page(request, "error.html", 403, message=FORBIDDEN)
            except ProtocolError as exc:
                message = exc.description or exc.error
                return self.page(request, "error.html", exc.status_code, message=message)

        return answer


def routes(console: Console) -> list[BaseRoute]:
    def guarded(action: Action) -> Endpoint:
        return console.answered(console.signed_in(action))

    return [
        Route(HOME, console.answered(console.home), methods=["GET"]),
        Route("/admin/sign-in", console.answered(console.sign_in), methods=["POST"]),
        Route("/admin/sign-out", guarded(console.sign_out), methods=["POST"]),
        Route("/admin/api-keys", guarded(console.generate_key), methods=["POST"]),
        Route("/admin/api-keys/{key_id}/revoke", guarded(console.revoke_key), methods=["POST"]),
        Route("/admin/tokens", guarded(console.generate_token), methods=["POST"]),
        Route("/admin/users/sign-out", guarded(console.sign_out_user), methods=["POST"]),
        Route(
            "/admin/tokens/{token_id}/{action:str}",
            guarded(console.change_token),
            methods=["POST"],
        ),
        Mount("/admin/static", PublicFiles("admin", (".js", ".css"))),
    ]
