"""The console's routes and the guard around each of its actions (`apps.admin`,
`apps.admin_entity`): a GET of an action's URL goes to the console, signed out goes to the
sign-in form, and a form without the session's CSRF token is refused (403)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ..errors import ProtocolError
from ..storage import AdminSession
from .admin import HOME, Console, to_console
from .admin_entity import EntityPages
from .admin_session import Forbidden, read_form
from .planner_site import PublicFiles

ACTIVITY = "/admin/activity"
FORBIDDEN = (
    "This form has expired or did not come from this console. Go back, reload and try again."
)
Endpoint = Callable[[Request], Awaitable[Response]]
Action = Callable[[Request, AdminSession, str, dict[str, str]], Awaitable[Response]]


def signed_in(console: Console, action: Action) -> Endpoint:
    """A GET (Back to an action's URL, a bookmark): to the console, never a 405. Signed out:
    back to the sign-in form. Signed in: the form must carry the session's CSRF token (else
    403) before `action` runs."""

    async def endpoint(request: Request) -> Response:
        if request.method != "POST":
            return to_console()
        found = await console.guard.session(request)
        if found is None:
            return to_console()
        session, sid = found
        form = await read_form(request)
        console.guard.check_csrf(sid, form)
        return await action(request, session, sid, form)

    return endpoint


def answered(console: Console, endpoint: Endpoint) -> Endpoint:
    """Refusals as pages of the console: 403 for a missing CSRF token, else the coded error's
    status and words (a 404 for another entity's id, as for an absent one)."""

    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Forbidden:
            return console.page(request, "error.html", 403, message=FORBIDDEN)
        except ProtocolError as exc:
            message = exc.description or exc.error
            return console.page(request, "error.html", exc.status_code, message=message)

    return answer


def routes(console: Console) -> list[BaseRoute]:
    pages = EntityPages(console)
    actions: list[tuple[str, Action]] = [
        ("/admin/sign-out", console.sign_out),
        ("/admin/origins", pages.add_origin),
        ("/admin/origins/remove", pages.remove_origin),
        ("/admin/api-keys", console.generate_key),
        ("/admin/api-keys/{key_id}/revoke", console.revoke_key),
        ("/admin/tokens", console.generate_token),
        ("/admin/tokens/{token_id}/{action:str}", console.change_token),
        ("/admin/users/sign-out", console.sign_out_user),
    ]
    return [
        Route(HOME, answered(console, console.home), methods=["GET"]),
        Route(ACTIVITY, answered(console, pages.activity), methods=["GET"]),
        Route("/admin/sign-in", answered(console, console.sign_in), methods=["GET", "POST"]),
        *(
            Route(path, answered(console, signed_in(console, act)), methods=["GET", "POST"])
            for path, act in actions
        ),
        Mount("/admin/static", PublicFiles("admin", (".js", ".css"))),
    ]
