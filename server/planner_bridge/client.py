"""The integrators' Python client for the token service: signed `/v1/tokens` requests, cached.

    async with TokenClient("https://planner.example", api_key, secret) as tokens:
        token = await tokens.user_token("u-42", "Alice", rights=("read", "write"))
        # hand token.token and token.remaining(now) to the planner (Login / TokenRefreshed)

`jkt=` (the planner's DPoP key thumbprint, which the SDK hands to the page's fetchToken) binds
the token to the planner's key: `token_type` is then "DPoP" and a copy of the token is worthless
without that key (SPEC "Sender-constrained tokens"). Each request is signed afresh (RFC 9421, new
nonce). Tokens are cached per identity (kind, user, rights, asked lifetime, jkt: a token bound to
one key is no use to a planner holding another) and reused while more than
min(lifetime / 2, 300 s) remains, so a planner that asks again shortly before expiry
(SPEC: min(60 s, 10 %)) always gets a new one;
tokens past that point are swept out, and at most `max_cached` (10,000) are kept, oldest out;
`fresh=True` skips the cache (the planner said the token was refused). However many callers
ask at once, one request per identity is in flight and they all get its answer.
Expiry is counted on this side's clock from the moment the request was sent, never from the
server's `expires_at`, so clock skew between the two machines does not matter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import Any

import httpx

from .client_errors import (
    ERRORS,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    RateLimitedError,
    TokenServiceError,
    TokenServiceUnavailable,
)
from .clients.signatures import sign_request
from .clock import Clock, SystemClock
from .validation import ascii_number

__all__ = [  # the errors live in client_errors; integrators import them from here
    "InvalidClientError",
    "InvalidRequestError",
    "InvalidScopeError",
    "IssuedToken",
    "RateLimitedError",
    "TokenClient",
    "TokenServiceError",
    "TokenServiceUnavailable",
]
CACHE_MARGIN_CAP = 300
MAX_CACHED = 10_000  # identities; beyond it the oldest token is dropped
CACHE_SWEEP_INTERVAL = 60.0  # seconds between sweeps of tokens past use
JKT = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    token: str = dataclasses.field(repr=False)
    kind: str
    rights: tuple[str, ...]
    expires_in: int
    expires_at: float  # epoch seconds on this side's clock
    token_type: str = "Bearer"  # "DPoP" when bound to a key (jkt=)

    def remaining(self, now: float) -> int:
        """Whole seconds left at `now` (never negative)."""
        return max(0, int(self.expires_at - now))


# kind, user id, user name, rights, asked lifetime, jkt
Identity = tuple[str, str | None, str | None, tuple[str, ...], int | None, str | None]


class TokenClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        max_cached: int = MAX_CACHED,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._secret = secret
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=10.0)
        self.clock = clock or SystemClock()
        if max_cached < 0:
            raise ValueError("max_cached must be 0 (no cache) or more")
        self.max_cached = max_cached
        self._cache: dict[Identity, IssuedToken] = {}  # oldest first
        # Every user token handed out and not yet expired, per user, cached or not: what
        # `sign_out` revokes (a token replaced in the cache may still be held by a page).
        self._handed: dict[str, list[IssuedToken]] = {}
        self._next_sweep = 0.0
        self._flights: dict[Identity, asyncio.Future[IssuedToken]] = {}

    def __repr__(self) -> str:
        return f"TokenClient({self.base_url!r}, api_key={self.api_key!r})"

    async def __aenter__(self) -> TokenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def legal_entity_token(
        self,
        *,
        rights: Any = ("read",),
        expires_in: int | None = None,
        fresh: bool = False,
        jkt: str | None = None,
    ) -> IssuedToken:
        identity: Identity = ("legal_entity", None, None, _rights(rights), expires_in, _jkt(jkt))
        return await self._token(identity, fresh)

    async def user_token(
        self,
        user_id: str,
        user_name: str,
        *,
        rights: Any = ("read",),
        expires_in: int | None = None,
        fresh: bool = False,
        jkt: str | None = None,
    ) -> IssuedToken:
        identity: Identity = ("user", user_id, user_name, _rights(rights), expires_in, _jkt(jkt))
        return await self._token(identity, fresh)

    async def sign_out(self, user_id: str) -> int:
        """Revoke the user's tokens this client holds, and forget them (a shop's logout):
        refused by the planner everywhere within a second. Answers how many."""
        for identity in [i for i in self._cache if i[0] == "user" and i[1] == user_id]:
            del self._cache[identity]
        now = self.clock.now()
        tokens = [t.token for t in self._handed.pop(user_id, []) if t.expires_at > now]
        for token in tokens:
            await self.revoke(token)
        return len(tokens)

    async def revoke(self, token: str) -> None:
        """RFC 7009 `POST /oauth/revoke`, authenticated with the API key and secret."""
        form = {"token": token, "token_type_hint": "access_token"}
        try:
            response = await self._http.post(
                self.base_url + "/oauth/revoke", data=form, auth=(self.api_key, self._secret)
            )
        except httpx.HTTPError as exc:
            raise TokenServiceUnavailable("unavailable", type(exc).__name__) from None
        if response.status_code != 200:
            _answer(response)  # raises the coded error

    # -- cache and single flight ---------------------------------------------------------------

    async def _token(self, identity: Identity, fresh: bool) -> IssuedToken:
        cached = self._cache.get(identity)
        if cached is not None and not fresh and self._still_good(cached):
            return cached
        # Whoever asks while a request flies shares its answer, `fresh` callers too: the
        # answer is a token minted after they asked.
        flight = self._flights.get(identity)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch(identity))
            self._flights[identity] = flight
            flight.add_done_callback(lambda done: self._landed(identity, done))
        # shield: one caller giving up (cancelled) must not cancel the others' request
        return await asyncio.shield(flight)

    def _landed(self, identity: Identity, flight: asyncio.Future[IssuedToken]) -> None:
        if self._flights.get(identity) is flight:
            del self._flights[identity]
        if not flight.cancelled() and flight.exception() is None:
            self._remember(identity, flight.result())
            if identity[0] == "user" and identity[1] is not None:
                self._hand_out(identity[1], flight.result())

    def _hand_out(self, user_id: str, token: IssuedToken) -> None:
        """Note a user token until it expires; the expired ones go as the user's list grows."""
        now = self.clock.now()
        alive = [t for t in self._handed.get(user_id, []) if t.expires_at > now]
        self._handed[user_id] = [*alive, token]

    def _remember(self, identity: Identity, token: IssuedToken) -> None:
        """Cache `token`, newest last; sweep out tokens past use, then the oldest beyond the
        bound, so a service with many users never holds every user's token for good."""
        self._cache.pop(identity, None)
        self._cache[identity] = token
        now = self.clock.now()
        if now >= self._next_sweep or len(self._cache) > self.max_cached:
            self._next_sweep = now + CACHE_SWEEP_INTERVAL
            for old in [i for i, t in self._cache.items() if not self._still_good(t)]:
                del self._cache[old]
            for user, handed in list(self._handed.items()):  # a user long gone is forgotten
                if all(t.expires_at <= now for t in handed):
                    del self._handed[user]
        while len(self._cache) > self.max_cached:
            del self._cache[next(iter(self._cache))]

    def _still_good(self, token: IssuedToken) -> bool:
        margin = min(token.expires_in / 2, CACHE_MARGIN_CAP)
        return token.expires_at - self.clock.now() > margin

    # -- the request -----------------------------------------------------------------------------

    async def _fetch(self, identity: Identity) -> IssuedToken:
        kind, user_id, user_name, rights, expires_in, jkt = identity
        asked: dict[str, Any] = {"type": kind, "rights": list(rights)}
        if kind == "user":
            asked["user"] = {"id": user_id, "name": user_name}
        if expires_in is not None:
            asked["expires_in"] = expires_in
        if jkt is not None:
            asked["jkt"] = jkt
        sent_at = self.clock.now()
        answer = await self._post("/v1/tokens", json.dumps(asked).encode())
        return _issued(answer, sent_at)

    async def _post(self, path: str, body: bytes) -> dict[str, Any]:
        # Signed over the URL exactly as httpx will send it (its percent-encoding of the base
        # URL's path included): the server checks `@path` as sent.
        url = httpx.URL(self.base_url + path)
        headers = sign_request(
            method="POST", url=str(url), body=body, key_id=self.api_key, secret=self._secret
        )
        headers["Content-Type"] = "application/json"
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TokenServiceUnavailable("unavailable", type(exc).__name__) from None
        return _answer(response)


def _rights(rights: Any) -> tuple[str, ...]:
    if isinstance(rights, str):
        raise TypeError('rights must be a sequence such as ("read", "write"), not a string')
    return tuple(sorted(set(rights)))


def _jkt(jkt: str | None) -> str | None:
    """None, or a thumbprint's form (SHA-256, base64url: 43 characters); anything else is a
    programming error here, not a request worth sending."""
    if jkt is not None and not (isinstance(jkt, str) and JKT.fullmatch(jkt)):
        raise ValueError("jkt must be the planner's key thumbprint (43 base64url characters)")
    return jkt


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TokenServiceUnavailable("unavailable", "not a JSON answer", response.status_code)
    if response.status_code == 201:
        return body
    code = str(body.get("error") or "unavailable")
    error = ERRORS.get(code, TokenServiceUnavailable)(
        code, str(body.get("error_description", "")), response.status_code
    )
    if isinstance(error, RateLimitedError):
        # Delay-seconds only; an HTTP date or anything else means "soon": try again in 1 s.
        seconds = ascii_number(response.headers.get("retry-after", ""))
        error.retry_after = 1 if seconds is None else seconds
    raise error


def _issued(body: dict[str, Any], sent_at: float) -> IssuedToken:
    try:
        token, kind, expires_in = body["token"], body["type"], body["expires_in"]
        rights = tuple(body["rights"])
    except (KeyError, TypeError):
        raise TokenServiceUnavailable("unavailable", "malformed token answer", 201) from None
    if not isinstance(token, str) or not isinstance(expires_in, int):
        raise TokenServiceUnavailable("unavailable", "malformed token answer", 201)
    token_type = body.get("token_type", "Bearer")
    return IssuedToken(token, kind, rights, expires_in, sent_at + expires_in, str(token_type))
