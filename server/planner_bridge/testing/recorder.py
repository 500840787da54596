"""What the bridge said, as a test sees it: every bridge message that arrived in a page or one of
its frames (name, sender's origin, direction, time; never a token), and a check that no token
reached web storage, a URL, the console or a cookie.

Playwright is imported only for type checking: the kit loads without it, and only these classes
need it (they are handed Playwright objects).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from typing import TYPE_CHECKING, Any, cast

from .wire_names import HOST_EVENTS

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Frame, Page

# A compact JWS: what a token looks like wherever it might leak.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")
# The host → planner messages; every other bridge message goes to the host.
TO_PLANNER = frozenset(HOST_EVENTS)
BINDING = "__plannerBridgeRecord"
# In every document: note each message that arrives, with its sender's origin and whether it
# carries a token (never the token itself), in `window.__bridgeReceived` and to the test.
RECORD_MESSAGES = """
(() => {
  if (Object.hasOwn(window, "__bridgeReceived")) return;
  const received = [];
  Object.defineProperty(window, "__bridgeReceived", { value: received });
  window.addEventListener("message", (event) => {
    const data = event.data && typeof event.data === "object" ? event.data : {};
    const content = data.content && typeof data.content === "object" ? data.content : {};
    const entry = { at: Date.now(), origin: event.origin, event: String(data.event),
      hasToken: typeof content.token === "string", user: content.user?.id ?? null,
      reason: content.reason ?? null, jkt: typeof content.jkt === "string" ? content.jkt : null };
    received.push(entry);
    if (typeof window.__plannerBridgeRecord === "function") window.__plannerBridgeRecord(entry);
  }, true);
})();
"""
WAIT_MS = 20_000


@dataclasses.dataclass(frozen=True)
class BridgeEvent:
    """One bridge message as it arrived: its name, the sender's origin, "to_planner" or
    "to_host", when (seconds, `time.time()`), the frame's URL, and what is safe to show of its
    content: whether it carried a token, the user id, the reason, and the planner's DPoP key
    thumbprint (`jkt`, in Ready and TokenExpired: public, it names a key)."""

    name: str
    origin: str
    direction: str
    at: float
    frame_url: str
    carries_token: bool = False
    user: str | None = None
    reason: str | None = None
    jkt: str | None = None


class BridgeRecorder:
    """Records bridge messages in `target` (a Page, or a BrowserContext for all its pages) from
    now on: create it before the page loads the shop. Also notes every request URL and console
    line for `assert_no_token_leak()`."""

    def __init__(self, target: Page | BrowserContext, *, timeout_ms: int = WAIT_MS) -> None:
        # Page and BrowserContext share what is used here; Any spares mypy their overloads.
        self.target: Any = cast(Any, target)
        self.timeout_ms = timeout_ms
        self._events: list[BridgeEvent] = []
        self._urls: list[str] = []
        self._console: list[str] = []
        self._lock = threading.Lock()
        self.target.expose_binding(BINDING, self._record)
        self.target.add_init_script(RECORD_MESSAGES)
        self.target.on("request", lambda request: self._note(self._urls, request.url))
        self.target.on("console", lambda message: self._note(self._console, message.text))
        if hasattr(target, "main_frame"):
            self.target.on("pageerror", lambda error: self._note(self._console, str(error)))
        else:
            self.target.on("weberror", lambda error: self._note(self._console, str(error.error)))

    def _note(self, into: list[str], text: str) -> None:
        with self._lock:
            into.append(text)

    def _record(self, source: dict[str, Any], entry: dict[str, Any]) -> None:
        frame = source["frame"]
        name = str(entry.get("event"))
        event = BridgeEvent(
            name=name,
            origin=str(entry.get("origin")),
            direction="to_planner" if name in TO_PLANNER else "to_host",
            at=time.time(),
            frame_url=frame.url,
            carries_token=bool(entry.get("hasToken")),
            user=entry.get("user"),
            reason=entry.get("reason"),
            jkt=entry.get("jkt"),
        )
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[BridgeEvent]:
        with self._lock:
            return list(self._events)

    def names(self, direction: str | None = None) -> list[str]:
        """The names of the events so far, in order (optionally of one direction)."""
        return [e.name for e in self.events if direction in (None, e.direction)]

    def count(self, name: str) -> int:
        return sum(1 for e in self.events if e.name == name)

    def wait_for(self, name: str, *, count: int = 1, timeout_ms: int | None = None) -> BridgeEvent:
        """Wait until `count` events named `name` arrived; the last of them."""
        deadline = time.monotonic() + (timeout_ms or self.timeout_ms) / 1000
        while True:
            seen = [e for e in self.events if e.name == name]
            if len(seen) >= count:
                return seen[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {name} (#{count}) within the wait; saw {self.names()}")
            self._pump()

    def _pump(self) -> None:
        """Let Playwright deliver what the browser sent (bindings run during its calls)."""
        pages = self.target.pages if hasattr(self.target, "pages") else [self.target]
        if pages:
            pages[0].wait_for_timeout(20)  # a poll interval: the wait is on the condition above
        else:
            time.sleep(0.02)

    def assert_no_token_leak(self) -> None:
        """No token in any frame's localStorage or sessionStorage, any URL requested or shown,
        any console line or page error, or any cookie."""
        places = [("URL", u) for u in self._urls] + [("console", c) for c in self._console]
        pages = self.target.pages if hasattr(self.target, "pages") else [self.target]
        context = self.target if hasattr(self.target, "cookies") else self.target.context
        for page in pages:
            for frame in page.frames:
                places.append(("URL", frame.url))
                places.append(("storage", _storage_of(frame)))
        places += [("cookie", f"{c['name']}={c['value']}") for c in context.cookies()]
        leaked = [(where, text) for where, text in places if JWT.search(text)]
        assert not leaked, f"a token reached a {leaked[0][0]}: {leaked[0][1][:60]}..."


STORAGE = """() => {
  const dump = (s) => { try { return JSON.stringify(Object.entries(s)); } catch { return ""; } };
  return dump(localStorage) + dump(sessionStorage);
}"""


def _storage_of(frame: Frame) -> str:
    try:
        return str(frame.evaluate(STORAGE))
    except Exception:  # a frame navigating away or detached has no storage left to leak
        return ""
