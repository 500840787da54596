"""A real planner origin for integrators' tests: token service, web services, planner app and
SDK on a free port, its data in a directory of the test's own, with the switches expiry and
outage tests need (`set_token_ttl`, `token_service_down`)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..apps import planner
from ..core import Core
from ..serving import ThreadedServer, blocking
from ..settings import Settings

# The token endpoints `token_service_down()` makes fail (the web services keep answering).
TOKEN_PATHS = ("/v1/tokens", "/auth/token", "/v1/api-tokens/exchange")


class ShortLivedIssuer:
    """The planner origin's TokenIssuer, except that while `ttl` is set every access token it
    mints lives that many seconds, whatever the integrator's back-end asked for: expiry tests
    need not change the code under test."""

    def __init__(self, issuer: Any) -> None:
        self._issuer = issuer
        self.ttl: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._issuer, name)

    async def mint_access_token(self, *, lifetime: int, **fields: Any) -> Any:
        return await self._issuer.mint_access_token(lifetime=self.ttl or lifetime, **fields)

    def prepare_access_token(self, *, lifetime: int, **fields: Any) -> Any:
        return self._issuer.prepare_access_token(lifetime=self.ttl or lifetime, **fields)


class TokenOutage:
    """ASGI middleware: while `down`, token requests get 503 `temporarily_unavailable`, as a
    token service that is being restarted would answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._down = threading.Event()

    @property
    def down(self) -> bool:
        return self._down.is_set()

    @down.setter
    def down(self, value: bool) -> None:
        (self._down.set if value else self._down.clear)()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and self.down and scope["path"] in TOKEN_PATHS:
            body = json.dumps(
                {"error": "temporarily_unavailable", "error_description": "token service down"}
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"retry-after", b"1"),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class PlannerOrigin:
    """A running planner origin. `wrap` may put ASGI middleware of the test's own around the app
    (e.g. one that records requests); `settings` may change the defaults (any Settings field).

    `stop()` and `start()` restart it in place, as a deployment restarts its server: the same
    port (so the same origin and issuer) and the same data dir (signing keys, entities, assets),
    a new Core and app (`wrap` is called again with the new app; a token lifetime set with
    `set_token_ttl` is kept). Open connections are closed by the stop: live sockets drop, and
    requests made while it is stopped are refused. Use it as a context manager, or `start()`
    then `stop()`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        wrap: Callable[[Any], Any] | None = None,
        **settings: Any,
    ) -> None:
        self._data_dir = Path(data_dir)
        self._wrap = wrap or (lambda app: app)
        self._settings = {"min_token_ttl": 1, **settings}
        self._server: ThreadedServer | None = None
        self._port = 0  # 0 until the first start: then the port every restart binds again
        self._issuer: ShortLivedIssuer | None = None
        self._outage: TokenOutage | None = None
        self.core: Core | None = None

    def __enter__(self) -> PlannerOrigin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> PlannerOrigin:
        """Start the server: on a free port the first time, on that same port after `stop()`."""
        if self._server is not None:
            raise RuntimeError("the planner origin is already running")
        self._server = ThreadedServer(self._build, port=self._port).__enter__()
        self._port = self._server.sock.getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop the server (uvicorn's own shutdown) and close the core; `start()` brings both
        back on the same port and data dir."""
        server, self._server = self._server, None
        if server is not None:
            server.__exit__(None, None, None)
        if self.core is not None:
            blocking(self.core.aclose())
            self.core = None

    def _build(self, url: str) -> Any:
        settings = Settings(data_dir=self._data_dir, issuer=url, **self._settings)
        self.core = blocking(Core.connect(settings))
        ttl = self._issuer.ttl if self._issuer is not None else None
        self._issuer = ShortLivedIssuer(self.core.issuer)
        self._issuer.ttl = ttl  # a restart keeps what the test set
        self.core.issuer = self._issuer  # type: ignore[assignment]  # same interface
        self._outage = TokenOutage(planner.create_app(self.core))
        return self._wrap(self._outage)

    @property
    def url(self) -> str:
        """The origin, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        assert self._server is not None, "not running: use PlannerOrigin as a context manager"
        return self._server.url

    def planner_url(self, entity_id: str) -> str:
        """The planner page for one entity: what embedPlanner's `plannerUrl` takes."""
        return f"{self.url}/planner/?entity={entity_id}"

    def create_entity(
        self, name: str, origins: Sequence[str], allow_write: bool = False
    ) -> dict[str, str]:
        """Register a legal entity for `origins`; its id, API key and secret (shown once, as
        `planner-bridge entity create` does)."""
        assert self.core is not None
        # The store is async; the test calling this runs on no event loop of its own.
        entity, key = blocking(
            self.core.entities.create(name, list(origins), allow_write=allow_write)
        )
        return {"id": entity.id, "api_key": key.key_id, "secret": key.secret}

    def set_token_ttl(self, seconds: int | None) -> None:
        """From now on every token lives `seconds` (None: what was asked for)."""
        if seconds is not None and (not isinstance(seconds, int) or seconds < 1):
            raise ValueError("seconds must be a whole number of at least 1")
        assert self._issuer is not None
        self._issuer.ttl = seconds

    @contextlib.contextmanager
    def token_service_down(self) -> Iterator[None]:
        """Token requests fail (503) inside the block and work again after it."""
        assert self._outage is not None
        self._outage.down = True
        try:
            yield
        finally:
            self._outage.down = False
