"""What the end-to-end tests share besides fixtures: the recording middleware, the two-origin
bridge under test, and the page-side steps (open the shop, log in, hold token requests, fire
bursts of calls). Fixtures are in conftest.py.

Not in conftest.py because pytest imports every conftest.py under the one module name
"conftest", and modules in tests/ import helpers from theirs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import functools
import json
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, FrameLocator, Page, Route, expect

from planner_bridge.core import Core
from planner_bridge.demo.accounts import write_users
from planner_bridge.planner.assets import AssetCatalog
from planner_bridge.serving import blocking
from planner_bridge.storage import Asset
from planner_bridge.testing import PlannerOrigin
from planner_bridge.testing.browser import CHROMIUM_ARGS  # noqa: F401  (helpers import it here)
from planner_bridge.testing.recorder import RECORD_MESSAGES, WAIT_MS  # noqa: F401

DOCS = Path(__file__).resolve().parents[1] / "docs"


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a README screenshot goes: docs/ under `make screenshots` (UPDATE_SCREENSHOTS=1),
    else the test's temporary dir, so an ordinary test run leaves the checkout as it was."""
    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(exist_ok=True)
    return folder / name


PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-2"}
NAMES = {"alice": "Alice", "bob": "Bob"}


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    idempotency_key: str | None
    # Who the token says it acts for ("legal_entity", "user:alice"), read without
    # verification: the test only wants to know which identity a call was sent under.
    acting_for: str | None
    # How the token went: "Bearer", or "DPoP" (bound to the planner's key, with a proof).
    scheme: str | None = None
    has_proof: bool = False
    # A 401 that only asked for a DPoP nonce (the planner retries at once): no token refused.
    nonce_asked: bool = False


def scheme_of(authorization: bytes | None) -> str | None:
    scheme = (authorization or b"").partition(b" ")[0].decode("latin-1")
    return scheme if scheme in ("Bearer", "DPoP") else None


def acting_for(authorization: bytes | None) -> str | None:
    if not authorization or scheme_of(authorization) is None:
        return None
    try:
        payload = authorization.split(b".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return "unreadable"
    return f"user:{claims.get('sub')}" if claims.get("kind") == "user" else claims.get("kind")


class SlowBody:
    """Holds the body of the first answer to METHOD PATH (its status and headers go out at once)
    until `others` later such answers have been sent whole: the browser then has that first
    answer's status long before its body, and every other answer complete before it."""

    def __init__(self, method: str, path: str, others: int) -> None:
        self.method, self.path, self.others = method, path, others
        self.held: Request | None = None  # set once the held answer has been sent whole
        self._first: dict | None = None
        self._sent = 0
        self._released: asyncio.Event | None = None

    def matches(self, scope: dict) -> bool:
        return scope["method"] == self.method and scope["path"] == self.path

    def wrap(self, scope: dict, send: Callable) -> Callable:
        """The `send` the app gets for this request: the first match's body waits."""
        if self._first is None:
            self._first = scope
            self._released = asyncio.Event()  # created on the server's event loop
        if scope is not self._first:
            return send
        released = self._released
        assert released is not None

        async def holding_send(message: dict) -> None:
            if message["type"] == "http.response.body":
                await released.wait()
            await send(message)

        return holding_send

    def finished(self, scope: dict, request: Request) -> None:
        if scope is self._first:
            self.held = request
            return
        self._sent += 1
        if self._sent >= self.others and self._released is not None:
            self._released.set()


class _Hold:
    """One request held by Overtake: `claimed` once a later one takes its turn, `done` after."""

    def __init__(self) -> None:
        self.claimed = asyncio.Event()
        self.done = asyncio.Event()


class Overtake:
    """Lets a later METHOD PATH request overtake an earlier one still at the server, as a real
    server (several workers, several instances) may: each matching request waits, before the app
    sees it, until the next matching request arrives, which is then handled first; or until
    `patience` seconds pass, when it goes on alone. Two writes of one resource sent together are
    then applied in reverse order; a client that sends the second only after the first's answer
    is never reordered and only pays the wait, so the test's outcome does not depend on timing."""

    def __init__(self, method: str, path: str, patience: float = 1.0) -> None:
        self.method, self.path, self.patience = method, path, patience
        self.overtaken = 0  # how many requests were handled after a later one
        self._held: _Hold | None = None

    def matches(self, scope: dict) -> bool:
        return scope["method"] == self.method and scope["path"] == self.path

    async def run(self, handle: Callable[[], Awaitable[None]]) -> None:
        earlier, self._held = self._held, None
        if earlier is not None:  # overtake it: handled first, then it goes on
            earlier.claimed.set()
            try:
                await handle()
            finally:
                earlier.done.set()
            return
        mine = self._held = _Hold()
        with contextlib.suppress(TimeoutError):  # nobody came: go on alone
            await asyncio.wait_for(mine.claimed.wait(), self.patience)
        if self._held is mine:
            self._held = None
        if mine.claimed.is_set():
            self.overtaken += 1
            await mine.done.wait()
        await handle()


class Fault:
    """Breaks METHOD PATH before the app sees it: `fail` answers `status` with an RFC 6749 error
    body, `stall` holds each request until `mend` (then it goes on to the app). Noted in the
    Recorder's log like any request (status 0 while stalled)."""

    def __init__(self, method: str, path: str) -> None:
        self.method, self.path = method, path
        self.mode = "fail"
        self.status = 503
        self.seen = 0
        self._mended = threading.Event()

    def matches(self, scope: dict) -> bool:
        return scope["method"] == self.method and scope["path"] == self.path

    def fail(self, status: int = 503) -> Fault:
        self.mode, self.status = "fail", status
        return self

    def stall(self) -> Fault:
        self.mode = "stall"
        return self

    def mend(self) -> None:
        """Back to normal: stalled requests go on, later ones reach the app at once."""
        self.mode = "none"
        self._mended.set()

    async def run(self, app: Any, scope: dict, receive: Callable, send: Callable) -> None:
        self.seen += 1
        if self.mode == "fail":
            body = json.dumps({"error": "temporarily_unavailable"}).encode()
            headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        while self.mode == "stall" and not self._mended.is_set():
            await asyncio.sleep(0.05)  # a poll on the server's loop, not a wait in a test
        await app(scope, receive, send)


class Recorder:
    """ASGI middleware that notes every HTTP request that reached the app and how it ended, and
    every WebSocket as it opens; `slow_body` (set by a test) delays one answer's body, see
    SlowBody; `overtake` lets later requests overtake earlier ones, see Overtake; `fault` makes
    requests fail or stall before the app sees them, see Fault."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[Request] = []
        self.slow_body: SlowBody | None = None
        self.overtake: Overtake | None = None
        self.fault: Fault | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket":  # noted as it opens: a live channel lasts
            with self._lock:
                self.requests.append(Request("WEBSOCKET", scope["path"], 0, None, None))
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        status = 0
        nonce_asked = False
        slow = self.slow_body if self.slow_body and self.slow_body.matches(scope) else None
        request: Request | None = None

        def note() -> Request:
            nonlocal request
            if request is None:
                key = headers.get(b"idempotency-key")
                authorization = headers.get(b"authorization")
                request = Request(
                    scope["method"],
                    scope["path"],
                    status,
                    key and key.decode(),
                    acting_for(authorization),
                    scheme_of(authorization),
                    b"dpop" in headers,
                    nonce_asked,
                )
                with self._lock:
                    self.requests.append(request)
            return request

        async def noting_send(message: dict) -> None:
            nonlocal status, nonce_asked
            if message["type"] == "http.response.start":
                status = message["status"]
                challenge = dict(message.get("headers", [])).get(b"www-authenticate", b"")
                nonce_asked = status == 401 and b'error="use_dpop_nonce"' in challenge
            # Noted before the last body part leaves: once the browser holds the answer, a
            # test asking what reached the server must already find it (noting after the app
            # returned raced the browser, and a check run at once sometimes found nothing).
            if message["type"] == "http.response.body" and not message.get("more_body"):
                note()
            await send(message)

        answer = slow.wrap(scope, noting_send) if slow else noting_send  # held before noted
        app = self.app
        if self.fault and self.fault.matches(scope):
            app = functools.partial(self.fault.run, self.app)
        overtake = self.overtake if self.overtake and self.overtake.matches(scope) else None
        try:
            if overtake:
                await overtake.run(lambda: app(scope, receive, answer))
            else:
                await app(scope, receive, answer)
        finally:
            noted = note()  # also a request whose app failed before answering
            if slow:
                slow.finished(scope, noted)

    def matching(self, method: str | None = None, path_prefix: str = "") -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and r.path.startswith(path_prefix)
            ]


@dataclasses.dataclass
class Bridge:
    """Both origins of one test, with what their servers recorded."""

    planner_url: str
    host_url: str
    core: Core
    entity_id: str
    planner_log: Recorder
    host_log: Recorder
    origin: PlannerOrigin  # the kit's handle: set_token_ttl, token_service_down, stop/start

    def stop_planner(self) -> None:
        """Stop the planner origin's server (start_planner brings it back in place)."""
        self.origin.stop()

    def start_planner(self) -> None:
        """Start it again on the same port and data dir: a new Core, which `core` then is."""
        self.origin.start()
        assert self.origin.core is not None and self.origin.url == self.planner_url
        self.core = self.origin.core

    @property
    def planner_page_url(self) -> str:
        return f"{self.planner_url}/planner/?entity={self.entity_id}"

    def writes(self) -> list[Request]:
        return [r for r in self.planner_log.matching(path_prefix="/v1/assets") if r.method != "GET"]

    def token_requests(self) -> list[Request]:
        return self.host_log.matching("POST", "/planner-token")

    def assets(self, owner_id: str | None) -> list[Any]:
        return blocking(self.core.store.list_assets(self.entity_id, (owner_id,), limit=1000))


def add_asset_for(bridge: Bridge, owner_id: str, name: str) -> None:
    """An asset put straight into the store, behind the pages' backs."""
    now = bridge.core.clock.now()
    asset_id = AssetCatalog(bridge.core.store, bridge.core.clock).new_id()
    blocking(
        bridge.core.store.add_asset(
            Asset(asset_id, bridge.entity_id, owner_id, name, "design", {}, now, now, 1)
        )
    )


def write_host_files(directory: Path, secret: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    secret_file = directory / "credentials.json"
    secret_file.write_text(json.dumps({"secret": secret}))
    users_file = directory / "users.json"
    write_users(users_file, {u: (NAMES[u], p) for u, p in PASSWORDS.items()})
    return secret_file, users_file


def planner_frame(page: Page, bridge: Bridge) -> Frame:
    """The planner's iframe (as a Frame, to evaluate in it); call after open_shop."""
    frames = [f for f in page.frames if f.url.startswith(bridge.planner_url + "/planner/")]
    assert len(frames) == 1, [f.url for f in page.frames]
    return frames[0]


def received(frame: Frame | Page) -> list[dict[str, Any]]:
    """The messages that arrived in this document (the kit's RECORD_MESSAGES keeps them there;
    the `recorder` fixture lists those of every document)."""
    return frame.evaluate("window.__bridgeReceived")


class TokenGate:
    """Holds the shop page's POST /planner-token requests until the test opens the gate."""

    def __init__(self, page: Page) -> None:
        self.held: list[Route] = []
        self.is_open = False
        page.route("**/planner-token", self._arrived)

    def _arrived(self, route: Route) -> None:
        if self.is_open:
            route.continue_()
        else:
            self.held.append(route)

    def open(self) -> None:
        self.is_open = True
        for route in self.held:
            route.continue_()


expect.set_options(timeout=WAIT_MS)


def open_shop(page: Page, bridge: Bridge) -> FrameLocator:
    """Load the shop page (with its developers' event panel, ?debug) and wait until the planner
    acts for someone."""
    page.goto(bridge.host_url + "/?debug")
    planner = page.frame_locator("[data-testid=planner-container] iframe")
    expect(planner.get_by_test_id("identity")).not_to_have_attribute("data-kind", "none")
    return planner


# The planner's page as these tests read it (its hooks are listed in web/planner/app.js): the
# one place their selectors live.
OWN_ROWS = "[data-testid=my-assets] [data-testid=asset]"
CATALOG_ROWS = "[data-testid=catalog] [data-testid=asset]"


def expect_error(planner: FrameLocator, code: str) -> None:
    """The planner shows the error named `code` (as a sentence; the name is its data-code)."""
    expect(planner.get_by_test_id("error-box")).to_be_visible()
    expect(planner.get_by_test_id("error")).to_have_attribute("data-code", code)


def bridge_events(page: Page) -> list[str]:
    """The event names the shop page logged, in order."""
    return page.locator("[data-testid=bridge-log] li").evaluate_all(
        "items => items.map(item => item.dataset.event)"
    )


def log_in(page: Page, username: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORDS[username])
    page.get_by_test_id("login-button").click()
    expect(page.get_by_test_id("shop-user")).to_have_text(NAMES[username])


# Fire `n` real asset creations in the planner at once, through `window.planner.api` (the client
# a shopper's clicks use, so its queue, replay and body reading are all under test), and note
# how each completes, in order.
BURST = """(n) => {
  window.burstDone = [];
  window.burstFailed = [];
  for (let i = 0; i < n; i += 1) {
    window.planner.api.create({ name: `burst ${i}`, kind: "design", data: {} }).then(
      (asset) => asset.name === `burst ${i}` ? window.burstDone.push(i)
        : window.burstFailed.push(`${i}: answered ${asset.name}`),
      (e) => window.burstFailed.push(`${i}: ${e.code}`));
  }
}"""


def fire_burst(frame: Frame, n: int) -> None:
    frame.evaluate(BURST, n)


def wait_for_burst(frame: Frame, n: int) -> tuple[list[int], list[str]]:
    frame.wait_for_function("n => window.burstDone.length + window.burstFailed.length === n", arg=n)
    return frame.evaluate("window.burstDone"), frame.evaluate("window.burstFailed")


def wait_until(page: Page, condition: Callable[[], bool], what: str) -> None:
    """Poll a Python-side condition while Playwright keeps delivering events."""
    for _ in range(WAIT_MS // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")
