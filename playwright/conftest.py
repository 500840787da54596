"""End-to-end fixtures: real servers on two origins and a real Chromium.

- the planner origin on http://127.0.0.1:<ephemeral> (token service, web services, planner, SDK),
  wrapped in a small recording middleware so tests can count what reached it;
- the shop (host) on http://localhost:<ephemeral>, bound to 127.0.0.1, with a legal entity
  registered for exactly that origin;
- a third origin (another port) for forged messages and unregistered framing.
One Chromium per session (Debian's /usr/bin/chromium, headless), a fresh context per test.
The planner origin, the browser and the bridge recorder come from the integrators' test kit,
planner_bridge.testing: this suite drives the bridge the way theirs do.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bridge_e2e import WAIT_MS, Bridge, Recorder, write_host_files
from planner_bridge.demo import shop
from planner_bridge.demo.host_config import HostConfig
from planner_bridge.demo.seed import seed_catalog
from planner_bridge.serving import ThreadedServer, blocking
from planner_bridge.testing import JWT, BridgeRecorder, PlannerOrigin, launch_chromium


@pytest.fixture
def start_bridge(tmp_path: Path) -> Iterator[Callable[..., Bridge]]:
    """Start a planner origin and a shop embedding it. Options: token_ttl (what the shop asks
    for), answer_deadline_ms (embedPlanner's), allow_write, dpop_required (the entity's policy,
    as the demo's: no unbound token). The planner origin may be stopped
    and started again in place (Bridge.stop_planner, start_planner); one Recorder notes the
    requests of every run."""
    servers: list[Any] = []

    def start(
        *,
        token_ttl: int = 3600,
        answer_deadline_ms: int | None = None,
        allow_write: bool = True,
        dpop_required: bool = False,
    ) -> Bridge:
        logs: list[Recorder] = []

        def recording(app: Any) -> Recorder:
            if logs:  # a restart in place: the same log, the new app
                logs[0].app = app
            else:
                logs.append(Recorder(app))
            return logs[0]

        origin = PlannerOrigin(tmp_path / "planner", wrap=recording)
        servers.append(origin.__enter__())
        core = origin.core
        assert core is not None
        planner_log = logs[0]
        host_box: list[tuple[HostConfig, Recorder]] = []

        def build_host(url: str) -> Any:
            entity, key = blocking(
                core.entities.create(
                    "Demo Store", [url], allow_write=allow_write, dpop_required=dpop_required
                )
            )
            blocking(seed_catalog(core, entity.id))
            files = write_host_files(tmp_path / "host", key.secret)
            config = HostConfig(
                url,
                origin.url,
                entity.id,
                key.key_id,
                *files,
                session_key="s" * 32,
                allow_write=allow_write,
                token_ttl=token_ttl,
                answer_deadline_ms=answer_deadline_ms,
            )
            host_box.append((config, Recorder(shop.create_app(config))))
            return host_box[0][1]

        servers.append(ThreadedServer(build_host, url_host="localhost").__enter__())
        config, host_log = host_box[0]
        return Bridge(
            config.planner_url,
            config.host_url,
            core,
            config.entity_id,
            planner_log,
            host_log,
            origin,
        )

    yield start
    for server in reversed(servers):
        server.__exit__(None, None, None)


@pytest.fixture
def bridge(start_bridge: Callable[..., Bridge]) -> Bridge:
    return start_bridge()


@pytest.fixture
def third_origin() -> Iterator[str]:
    """A third origin (same host, another port): a page the bridge must not trust."""

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>third origin</title><p>elsewhere</p>")

    async def framing(request: Any) -> HTMLResponse:
        src = html.escape(request.query_params.get("src", ""))
        return HTMLResponse(
            "<!doctype html><title>unregistered shop</title>"
            f'<iframe src="{src}" onload="document.body.dataset.frameLoaded = 1"></iframe>'
        )

    app = Starlette(routes=[Route("/", page), Route("/frame", framing)])
    with ThreadedServer(lambda url: app) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


class LogRecorder(logging.Handler):
    """Every server-side log record (uvicorn, starlette, ours) during one test."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context whose bridge messages the `recorder` fixture lists; afterwards, no
    token may have reached a browser console, storage, URL or cookie, or a server log."""
    opened = browser.new_context()
    opened.set_default_timeout(WAIT_MS)
    recorder = BridgeRecorder(opened)
    opened.recorder = recorder  # type: ignore[attr-defined]  # for the `recorder` fixture
    server_log = LogRecorder()
    # uvicorn's own loggers do not propagate to the root logger: listen to them directly.
    loggers = [
        logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    ]
    for logger in loggers:
        logger.addHandler(server_log)
    try:
        yield opened
        recorder.assert_no_token_leak()
    finally:
        for logger in loggers:
            logger.removeHandler(server_log)
        opened.close()
    leaked = [line for line in server_log.lines if JWT.search(line)]
    assert not leaked, f"a token reached a server log: {leaked[0][:80]}..."


@pytest.fixture
def recorder(context: BrowserContext) -> BridgeRecorder:
    """The bridge events of every page and frame of the test's context."""
    return context.recorder  # type: ignore[attr-defined]


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
