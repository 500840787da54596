"""The console's HTTP guard: its security headers, the session cookie, the CSRF check of every
form, and the brakes on sign-in. The rules of sessions live in `admin_sessions`.

- Every answer: a strict CSP (no inline script, `frame-ancestors 'none'`), `no-store`.
- The session cookie holds a random id (the store keeps its hash), `HttpOnly`,
  `SameSite=Strict`, `Secure` when the planner origin is https, path `/admin/`.
- Every form carries a CSRF token: the session's (`admin_sessions.csrf_token`); the sign-in
  form, which comes before any session, a value the server made (a random nonce and its HMAC
  under a key derived from the master key), also set in an `HttpOnly` cookie: the form's value
  must equal the cookie's, and be the server's own, so a pair planted by someone who can set
  cookies (a sibling subdomain) signs nobody into an attacker's console. A POST without the
  right one answers 403.
- Failed sign-ins are counted per client address and per (address, username), so a stranger
  elsewhere guessing at a username never locks its real administrator out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from ..admin.sessions import SessionBook, csrf_matches, csrf_token
from ..clock import Clock
from ..errors import InvalidRequest
from ..ratelimit import FailureLimiter
from ..storage import AdminSession
from .responses import read_body

SESSION_COOKIE = "pb_admin"
SIGN_IN_COOKIE = "pb_admin_sign_in"
COOKIE_PATH = "/admin/"
MAX_FORM_BODY = 16 * 1024
SIGN_IN_NONCE_BYTES = 24
MAX_SIGN_IN_TOKEN = 128
# Per address: enough for an office sharing one address to mistype; per (address, username):
# a handful, then a pause. Both slide over five minutes (`FailureLimiter`).
ADDRESS_FAILURES, USERNAME_FAILURES, FAILURE_WINDOW = 30, 5, 300.0
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


class Forbidden(Exception):
    """A form posted without its CSRF token (403)."""


class SignInBrakes:
    """`address_of` names a request's client address (the planner origin's trusted-proxy rule,
    `Core.brake_subject`), so a stranger's failures are counted against the stranger."""

    def __init__(self, clock: Clock, address_of: Callable[[Scope], str]) -> None:
        self.address_of = address_of
        self.by_address = FailureLimiter(
            clock, max_failures=ADDRESS_FAILURES, window=FAILURE_WINDOW, brake="console sign-in"
        )
        self.by_username = FailureLimiter(
            clock,
            max_failures=USERNAME_FAILURES,
            window=FAILURE_WINDOW,
            brake="console sign-in, one username",
        )

    def _subjects(self, request: Request, username: str) -> tuple[str, str]:
        address = self.address_of(request.scope)  # already "addr:…"
        return address, f"admin:{address}|{username[:64]}"

    def check(self, request: Request, username: str) -> None:
        """Raises TooManyRequests while either count is over its limit."""
        by_address, by_username = self._subjects(request, username)
        self.by_address.check(by_address)
        self.by_username.check(by_username)

    def record_failure(self, request: Request, username: str) -> None:
        by_address, by_username = self._subjects(request, username)
        self.by_address.record_failure(by_address)
        self.by_username.record_failure(by_username)


class Guard:
    def __init__(self, sessions: SessionBook, *, secure: bool, sign_in_key: bytes) -> None:
        self.sessions = sessions
        self.secure = secure
        self._sign_in_key = sign_in_key  # derived from the master key: `SecretDeriver.purpose_key`

    async def session(self, request: Request) -> tuple[AdminSession, str] | None:
        """The live session of the request's cookie and its id; None when signed out."""
        session_id = request.cookies.get(SESSION_COOKIE)
        session = await self.sessions.resolve(session_id)
        return (session, session_id) if session and session_id else None

    def csrf(self, session_id: str) -> str:
        return csrf_token(session_id)

    def check_csrf(self, session_id: str, form: dict[str, str]) -> None:
        if not csrf_matches(session_id, form.get("csrf", "")):
            raise Forbidden("the form's CSRF token is missing or wrong")

    def sign_in_token(self, request: Request) -> str:
        """The sign-in form's token: the browser's cookie value if this server made it (a page
        reloaded in another tab keeps working), else a new one to set."""
        current = request.cookies.get(SIGN_IN_COOKIE, "")
        return current if self._made_here(current) else self._new_sign_in_token()

    def _new_sign_in_token(self) -> str:
        nonce = secrets.token_urlsafe(SIGN_IN_NONCE_BYTES)
        return f"{nonce}.{self._sign_in_mac(nonce)}"

    def _sign_in_mac(self, nonce: str) -> str:
        return hmac.new(self._sign_in_key, nonce.encode(), hashlib.sha256).hexdigest()

    def _made_here(self, token: str) -> bool:
        nonce, _, mac = token.partition(".")
        if not nonce or len(token) > MAX_SIGN_IN_TOKEN:
            return False
        return hmac.compare_digest(self._sign_in_mac(nonce).encode(), mac.encode())

    def check_sign_in_csrf(self, request: Request, form: dict[str, str]) -> None:
        cookie, field = request.cookies.get(SIGN_IN_COOKIE, ""), form.get("csrf", "")
        same = secrets.compare_digest(cookie.encode(), field.encode())
        if not cookie or not same or not self._made_here(cookie):
            raise Forbidden("the sign-in form's CSRF token is missing or wrong")

    def set_cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure,
        )

    def clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=self.secure
        )


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (what every console form sends), at most 16 KiB; a field sent twice
    keeps its first value. (A JSON or multipart body is refused: no console form sends one.)"""
    body = await read_body(request, MAX_FORM_BODY)
    if not body:
        return {}  # no form at all: no CSRF token either, so the caller answers 403
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("the console takes urlencoded forms only")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InvalidRequest("the form is not UTF-8") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form
