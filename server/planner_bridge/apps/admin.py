"""The administration console at /admin/ (SPEC "Administration console"): one more front door
to the operations the CLI and the signed HTTP API already offer (`entities`, `api_tokens`).

    GET  /admin/                               sign-in form, or the entity's console
    GET  /admin/activity                       the entity's audit trail, newest first
    POST /admin/sign-in | /admin/sign-out
    POST /admin/origins | /admin/origins/remove   add or remove a registered origin
    POST /admin/api-keys                       generate (comment) -> key id + secret, shown once
    POST /admin/api-keys/{key_id}/revoke       (confirms first)
    POST /admin/tokens                         generate -> token, shown once ("never expires"
                                               first answers a confirmation page)
    POST /admin/tokens/{token_id}/disable | enable | delete (delete confirms first)
    POST /admin/users/sign-out                 "Sign out everywhere": revokes the user's tokens
    GET  /admin/static/admin.css | admin.js

Plain HTML forms, working without JavaScript (the script only adds a copy button).
Post/redirect/get: every action done answers 303 to /admin/, so a reload or Back repeats
nothing; what is shown once waits for that page in the session (`admin.shown_once`: sealed,
taken once), never in a URL, a cookie, a log or the store in clear. A refused form answers its
page again with the reasons (400), a confirmation its own page; both change nothing. A GET of
an action's URL (Back to it, a bookmark) is sent to /admin/. An administrator sees and changes
only its own entity; another entity's key or token id answers 404, as an absent one. Every
change goes to the audit trail under the administrator's username. Security mechanics:
`apps.admin_session`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from ..admin import shown_once
from ..admin.accounts import AdminBook
from ..admin.sessions import SessionBook
from ..clients.entities import EntityRegistry
from ..clock import Clock, utc_minute
from ..errors import NotFound, ProtocolError, TooManyRequests
from ..names import check_name
from ..storage import AdminSession, Entity, Store
from ..tokens.api_tokens import MAX_USER_ID_LENGTH, ApiTokens
from . import web_files
from .admin_forms import TokenForm, key_comment
from .admin_session import HEADERS, SESSION_COOKIE, SIGN_IN_COOKIE, Guard, SignInBrakes, read_form

HOME = "/admin/"
TOKEN_ACTIONS = ("disable", "enable", "delete")
SIGN_IN_CSRF_PURPOSE = "admin-sign-in-csrf"


def to_console() -> Response:
    """The answer to every action done (post/redirect/get)."""
    return RedirectResponse(HOME, status_code=303, headers=HEADERS)


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
        self.guard = Guard(
            SessionBook(store, clock),
            secure=issuer.startswith("https:"),
            sign_in_key=entities.deriver.purpose_key(SIGN_IN_CSRF_PURPOSE),
        )
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
        entity = await self.entity(session)
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
            "origin": "",
            **extra,
        }
        return self.page(request, "console.html", status, **context)

    async def entity(self, session: AdminSession) -> Entity:
        entity = await self.store.get_entity(session.entity_id)
        if entity is None:
            raise NotFound("this administrator's entity no longer exists")
        return entity

    async def home(self, request: Request) -> Response:
        found = await self.guard.session(request)
        if found is None:
            return self.sign_in_page(request)
        session, sid = found
        shown = await shown_once.take(self.store, sid)  # once: a reload finds nothing
        return await self.console_page(request, session, sid, shown_once=shown)

    async def show_once(self, sid: str, shown: dict[str, str]) -> Response:
        await shown_once.keep(self.store, sid, shown)
        return to_console()

    # -- signing in and out ----------------------------------------------------------------

    async def sign_in(self, request: Request) -> Response:
        if request.method != "POST":
            return to_console()
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
        response = to_console()
        self.guard.set_cookie(response, SESSION_COOKIE, await self.guard.sessions.open(admin))
        self.guard.clear_cookie(response, SIGN_IN_COOKIE)
        await self.admins.signed_in(admin)
        return response

    async def sign_out(
        self, request: Request, session: AdminSession, sid: str, form: Any
    ) -> Response:
        await self.guard.sessions.close(sid)
        response = to_console()
        self.guard.clear_cookie(response, SESSION_COOKIE)
        await self.admins.signed_out(session.username, session.entity_id)
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
        issued = await self.entities.issue_key(session.entity_id, comment, actor=session.username)
        return await self.show_once(
            sid, {"kind": "key", "key_id": issued.key_id, "secret": issued.secret}
        )

    async def revoke_key(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        key_id = request.path_params["key_id"]
        key = await self.store.get_api_key(key_id)
        if key is None or key.entity_id != session.entity_id:
            raise NotFound("no such API key")
        if key.active and form.get("confirm") != "yes":
            csrf = self.guard.csrf(sid)
            return self.page(request, "confirm_revoke.html", key=key, csrf=csrf)
        if key.active:
            await self.entities.revoke_key(key_id, actor=session.username)
        return to_console()

    # -- web service tokens ----------------------------------------------------------------

    async def generate_token(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        entity = await self.entity(session)
        token_form = TokenForm.read(form)
        if token_form.errors:
            return await self.console_page(
                request, session, sid, status=400, token_form=token_form, errors=token_form.errors
            )
        if token_form.never and form.get("confirm") != "yes":
            csrf = self.guard.csrf(sid)
            return self.page(request, "confirm_never.html", form=token_form, csrf=csrf)
        try:
            fields = token_form.fields()
            issued = await self.tokens.issue(entity, actor=session.username, **fields)
        except ProtocolError as exc:
            errors = token_form.refused(exc)
            return await self.console_page(
                request, session, sid, status=400, token_form=token_form, errors=errors
            )
        return await self.show_once(
            sid, {"kind": "token", "name": issued.record.name, "token": issued.token}
        )

    async def change_token(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        token_id, action = request.path_params["token_id"], request.path_params["action"]
        if action not in TOKEN_ACTIONS:
            raise NotFound("no such action")
        record = await self.tokens.get(token_id, session.entity_id)  # another entity's: 404
        actor = session.username
        if action == "delete":
            if form.get("confirm") != "yes":
                csrf = self.guard.csrf(sid)
                return self.page(request, "confirm_delete.html", record=record, csrf=csrf)
            await self.tokens.delete(record.id, session.entity_id, actor=actor)
        else:
            disabled = action == "disable"
            await self.tokens.set_disabled(record.id, disabled, session.entity_id, actor=actor)
        return to_console()

    async def sign_out_user(
        self, request: Request, session: AdminSession, sid: str, form: dict[str, str]
    ) -> Response:
        """ "Sign out everywhere": every token of the user issued until now, refused within a
        second on every instance (and recorded in the audit trail by the revoker)."""
        user_id = check_name(form.get("user_id"), "user id", MAX_USER_ID_LENGTH)
        revoker = self.tokens.revoker
        assert revoker is not None  # the core's API tokens always have one
        way = "console sign out everywhere"
        await revoker.revoke_user(session.entity_id, user_id, way=way, actor=session.username)
        return to_console()
