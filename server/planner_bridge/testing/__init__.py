"""planner_bridge.testing: a pytest plugin for integrators' own Playwright tests of the bridge.

Load it with `pytest -p planner_bridge.testing` (or `pytest_plugins = ["planner_bridge.testing"]`).
It gives:

- `planner_origin`: a real planner origin on a free port, its data in the test's temp dir
  (`.url`, `.planner_url(entity_id)`, `.create_entity(name, origins, allow_write=False)` →
  `{"id", "api_key", "secret"}`, `.set_token_ttl(seconds)`, `.token_service_down()`);
- `bridge_browser`: one headless Chromium per session (the system's, else Playwright's);
- `ThreadedServer(build_app, url_host="localhost")`: your shop's back-end on a free port
  (`build_app(url)` returns the ASGI app; `.url` once entered), on another origin than the
  planner's (127.0.0.1), as in production;
- `BridgeRecorder(page)`: the bridge events the page and its frames saw (name, origin,
  direction, time; never a token), `.wait_for(name)`, `.assert_no_token_leak()`.

Playwright is an optional dependency: only `bridge_browser` and BridgeRecorder need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..serving import ThreadedServer
from .browser import CHROMIUM_ARGS, chromium_path, launch_chromium
from .origin import PlannerOrigin
from .recorder import JWT, RECORD_MESSAGES, BridgeEvent, BridgeRecorder

__all__ = [
    "CHROMIUM_ARGS",
    "JWT",
    "RECORD_MESSAGES",
    "BridgeEvent",
    "BridgeRecorder",
    "PlannerOrigin",
    "ThreadedServer",
    "bridge_browser",
    "chromium_path",
    "launch_chromium",
    "planner_origin",
]


@pytest.fixture
def planner_origin(tmp_path: Path) -> Iterator[PlannerOrigin]:
    """A planner origin of this test's own, stopped after it."""
    with PlannerOrigin(tmp_path / "planner-origin") as origin:
        yield origin


@pytest.fixture(scope="session")
def bridge_browser() -> Iterator[Any]:
    """Headless Chromium for the session; needs the `playwright` package."""
    from playwright.sync_api import sync_playwright  # optional: only this fixture needs it

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
