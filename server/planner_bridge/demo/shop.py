"""The integrator demo's back-end (the "host"): shop page, login session, POST /planner-token.

It holds the shop's API key/secret and gets every token from the token service over HTTP with
`TokenClient`. The browser sees a token only in the answer to POST /planner-token, which the
host page hands straight to the planner over postMessage. The session cookie (signed, HttpOnly,
SameSite=Lax) holds only a random session id; who is logged in is kept on the server
(`sessions`), so logout really ends the session. Passwords are kept only as scrypt hashes, and
guessing them is braked per address, never by locking an account (`accounts.LoginBrakes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from ..addresses import brake_subject
from ..apps import web_files
from ..apps.responses import (
    error_response,
    json_response,
    protocol_error_handler,
)
from ..client import IssuedToken, TokenClient, TokenServiceError
from ..errors import InvalidGrant, InvalidRequest, ProtocolError
from .accounts import LoginBrakes, UserBook
from .host_config import SHOP_NAME, HostConfig
from .sessions import LIFETIME, SessionStore
from .token_request import PlannerTokenRequest, read_token_request

# Same-origin proof for fetch() calls: a cross-site form or <img> cannot set a custom header,
# and a cross-origin fetch() that sets one needs a CORS preflight we never grant.
REQUEST_HEADER = "X-Requested-With"
REQUEST_HEADER_VALUE = "planner-bridge"
# The product page's cabinet, looked up by name in the entity's planner catalog: a real shop
# knows its products' catalog ids; this demo learns them from the planner once.
FEATURED_PRODUCT = "Base cabinet 60"
PRODUCT_RETRY_S = 60


# -- the app -------------------------------------------------------------------------------------


class Host:
    """The routes, with what they share: config, accounts, token client, templates."""

    def __init__(self, config: HostConfig, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.users = UserBook(config.users_file)
        secret = json.loads(config.secret_file.read_text())["secret"]
        self.http = http or _token_service_http()
        self.tokens = TokenClient(
            config.planner_url, config.api_key, secret, http=self.http, clock=config.clock
        )
        self.product: dict[str, Any] | None = None
        self.product_asked_at = -float(PRODUCT_RETRY_S)
        self.login_brakes = LoginBrakes(config.clock)
        self.sessions = SessionStore(config.clock)
        self.templates = web_files.templates("templates")
        self.templates.env.globals["shop_name"] = SHOP_NAME

    def page_config(self, request: Request) -> dict[str, Any]:
        """What the host page's script needs; rendered into the page with |tojson only."""
        return {
            "plannerUrl": self.config.planner_url,
            "plannerPageUrl": self.planner_page_url(),
            "entityId": self.config.entity_id,
            "user": self.session_user(request),
            "answerDeadlineMs": self.config.answer_deadline_ms,
            "product": self.product,
        }

    def planner_page_url(self) -> str:
        """The planner page as the SDK would make it from plannerUrl and answerDeadlineMs (it
        adopts the iframe only if the two are the same)."""
        query = {"entity": self.config.entity_id}
        if self.config.answer_deadline_ms is not None:
            query["answerDeadlineMs"] = str(self.config.answer_deadline_ms)
        return f"{self.config.planner_url}/planner/?{urlencode(query)}"

    async def find_product(self) -> None:
        """The featured cabinet from the planner's catalog, once; the page shows no product
        card while the planner cannot say (asked again at most once a minute)."""
        now = self.config.clock.now()
        if self.product is not None or now - self.product_asked_at < PRODUCT_RETRY_S:
            return
        self.product_asked_at = now
        try:
            token = await self.tokens.legal_entity_token(rights=("read",))
            answer = await self.http.get(
                f"{self.config.planner_url}/v1/assets",
                params={"limit": "100"},
                headers={"Authorization": f"Bearer {token.token}"},
            )
            assets = answer.json()["assets"] if answer.status_code == 200 else []
        except (TokenServiceError, httpx.HTTPError, ValueError, KeyError):
            return
        for asset in assets:
            if asset.get("owner") is None and asset.get("name") == FEATURED_PRODUCT:
                price = float(asset.get("data", {}).get("price", 0))
                self.product = {
                    "catalogId": asset["id"],
                    "name": asset["name"],
                    "priceText": f"{price:.2f} EUR",
                }

    def session_user(self, request: Request) -> dict[str, str] | None:
        """Who is logged in: the user of the live session the cookie names, if any."""
        session_id = request.session.get("sid")
        user = self.sessions.user(session_id)
        if user is None and session_id is not None:
            request.session.clear()  # an ended session: the cookie is dropped as well
        return user

    async def shop_page(self, request: Request) -> Response:
        await self.find_product()
        return self.render(request, status_code=200)

    def render(self, request: Request, status_code: int, login_error: str = "") -> Response:
        context = {
            "config": self.page_config(request),
            "login_error": login_error,
            "debug": "debug" in request.query_params,  # the developers' bridge event panel
        }
        response = self.templates.TemplateResponse(
            request, "shop.html", context, status_code=status_code
        )
        response.headers["Content-Security-Policy"] = content_security_policy(self.config)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def login(self, request: Request) -> Response:
        require_same_origin(request, self.config.host_url, header=False)
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        address = brake_subject(self.config.proxies.client_address(request.scope))
        delay = self.login_brakes.check(address, username)
        if delay:  # the account is being guessed at from elsewhere: slowed, never locked
            await asyncio.sleep(delay)
        # scrypt takes tens of milliseconds on purpose: not on the event loop.
        user = await run_in_threadpool(self.users.check, username, password)
        if user is None:
            self.login_brakes.failed(address, username)
            return self.login_refused(request)
        # A new login never inherits the previous session (nor its id: no session fixation).
        self.sessions.delete(request.session.get("sid"))
        request.session.clear()
        request.session["sid"] = self.sessions.create(user)
        if wants_json(request):
            return json_response({"user": user}, no_store=True)
        return RedirectResponse("/", status_code=303)

    def login_refused(self, request: Request) -> Response:
        refusal = InvalidGrant("wrong username or password")
        if wants_json(request):
            return error_response(refusal)
        return self.render(request, refusal.status_code, login_error=refusal.description)

    async def logout(self, request: Request) -> Response:
        require_same_origin(request, self.config.host_url, header=False)
        user = self.session_user(request)
        if user is not None:  # the planner's user token too, not only the shop's session
            with contextlib.suppress(TokenServiceError):  # the session ends all the same
                await self.tokens.sign_out(user["id"])
        self.sessions.delete(request.session.get("sid"))  # a replayed cookie now names nothing
        request.session.clear()
        if wants_json(request):
            return json_response({"user": None}, no_store=True)
        return RedirectResponse("/", status_code=303)

    async def planner_token(self, request: Request) -> Response:
        require_same_origin(request, self.config.host_url, header=True)
        asked = await read_token_request(request)
        user = self.session_user(request)
        try:
            token = await self.issue(user, asked)
            if token.remaining(self.config.clock.now()) < 1:  # the planner needs expiresIn ≥ 1
                token = await self.issue(user, PlannerTokenRequest("invalid_token", asked.jkt))
        except (TokenServiceError, httpx.HTTPError) as exc:
            return token_service_failure(exc)
        answer: dict[str, Any] = {
            "kind": token.kind,
            "token": token.token,
            # What is left of it: TokenClient may answer from its cache.
            "expiresIn": token.remaining(self.config.clock.now()),
        }
        if user:
            answer["user"] = user
        return json_response(answer, no_store=True)

    async def issue(self, user: dict[str, str] | None, asked: PlannerTokenRequest) -> IssuedToken:
        """A token bound to the planner's key when the page named one (`jkt`)."""
        ttl, fresh, jkt = self.config.token_ttl, asked.fresh, asked.jkt
        if user is None:
            return await self.tokens.legal_entity_token(
                rights=("read",), expires_in=ttl, fresh=fresh, jkt=jkt
            )
        return await self.tokens.user_token(
            user["id"],
            user["name"],
            rights=self.config.user_rights,
            expires_in=ttl,
            fresh=fresh,
            jkt=jkt,
        )


def require_same_origin(request: Request, host_url: str, *, header: bool) -> None:
    """Refuse anything not sent by our own pages: `Origin` must be ours (browsers always send
    it on POST), and fetch() calls must carry the custom header as well."""
    if request.headers.get("origin") != host_url:
        raise InvalidRequest("cross-origin request refused", status_code=403)
    if header and request.headers.get(REQUEST_HEADER) != REQUEST_HEADER_VALUE:
        raise InvalidRequest(f"the {REQUEST_HEADER} header is missing", status_code=403)


def wants_json(request: Request) -> bool:
    return request.headers.get(REQUEST_HEADER) == REQUEST_HEADER_VALUE


def token_service_failure(exc: Exception) -> Response:
    code = exc.code if isinstance(exc, TokenServiceError) else "unreachable"
    body = {"error": "token_service_error", "error_description": f"token service: {code}"}
    return json_response(body, status_code=502, no_store=True)


def content_security_policy(config: HostConfig) -> str:
    planner = config.planner_url
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {planner}",
            f"frame-src {planner}",
            f"connect-src 'self' {planner}",  # the SDK's embed check, when a load fails
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def create_app(config: HostConfig, *, http: httpx.AsyncClient | None = None) -> Starlette:
    host = Host(config, http=http)
    routes = [
        Route("/", host.shop_page, methods=["GET"]),
        Route("/login", host.login, methods=["POST"]),
        Route("/logout", host.logout, methods=["POST"]),
        Route("/planner-token", host.planner_token, methods=["POST"]),
        Mount("/static", web_files.static_files("host"), name="static"),
    ]
    session = Middleware(
        SessionMiddleware,
        secret_key=config.session_key,
        session_cookie="shop_session",
        same_site="lax",
        https_only=config.host_url.startswith("https://"),
        # The cookie outlives no session (the server ends them: logout, idle, 8 h after login).
        max_age=LIFETIME,
    )
    app = Starlette(
        routes=routes,
        middleware=[session],
        exception_handlers={ProtocolError: protocol_error_handler},
    )
    app.state.host = host
    return app


def _token_service_http() -> httpx.AsyncClient:
    # No idle keep-alive connections: the servers run without a lifespan, so nothing would
    # close a pooled socket at shutdown; a loopback connect per mint costs well under 1 ms.
    return httpx.AsyncClient(timeout=10.0, limits=httpx.Limits(max_keepalive_connections=0))
