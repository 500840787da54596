"""A planner that does not load is named (SPEC "Loading"): in a real Chromium, a page on another
origin embeds the planner with the SDK from the planner origin, and `ready` rejects with
PlannerLoadFailed whose message names the cause: the page's origin not registered for the
entity, an unknown entity, the planner origin down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from planner_bridge.serving import ThreadedServer

pytestmark = pytest.mark.browser

EMBEDDER = """<!doctype html><html lang="en"><title>embedder</title><div id="planner"></div>
<script type="module">
const q = new URLSearchParams(location.search);
const { embedPlanner } = await import(q.get("sdk"));
const errors = [];
const planner = embedPlanner({ container: document.getElementById("planner"),
  plannerUrl: q.get("planner"), fetchToken: () => new Promise(() => {}),
  loadTimeoutMs: Number(q.get("timeout")) });
planner.on("error", (error) => errors.push([error.code, error.message]));
window.outcome = planner.ready.then(() => "ready",
  (error) => ({ name: error.name, code: error.code, message: error.message, errors }));
</script></html>"""


@pytest.fixture
def embedder() -> Iterator[str]:
    """An origin registered for no entity, whose page embeds what its query says."""

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse(EMBEDDER)

    app = Starlette(routes=[Route("/", page)])
    with ThreadedServer(lambda url: app) as server:
        yield server.url


def outcome(page: Page, embedder: str, sdk_origin: str, planner_url: str, timeout: int) -> Any:
    query = urlencode({"sdk": f"{sdk_origin}/sdk/planner-bridge.js", "planner": planner_url,
                       "timeout": timeout})  # fmt: skip
    page.goto(f"{embedder}/?{query}")
    page.wait_for_function("() => window.outcome !== undefined")
    return page.evaluate("() => window.outcome")


def failed(message: str) -> dict[str, Any]:
    full = f"the planner did not load: {message}"
    return {
        "name": "PlannerBridgeError",
        "code": "PlannerLoadFailed",
        "message": full,
        "errors": [["PlannerLoadFailed", full]],
    }


def test_an_origin_not_registered_for_the_entity_is_named(page, bridge, embedder):
    # A long deadline: the refused frame's load and the planner origin's answer name it at once.
    seen = outcome(page, embedder, bridge.planner_url, bridge.planner_page_url, 60_000)
    assert seen == failed(
        f"this page's origin {embedder} is not registered for the legal entity "
        f'"{bridge.entity_id}" (register it with the planner\'s administration)'
    )


def test_an_unknown_entity_is_named_and_the_frame_says_so_in_words(page, bridge, embedder):
    seen = outcome(page, embedder, bridge.planner_url, f"{bridge.planner_url}/planner/?entity=nope",
                   60_000)  # fmt: skip
    assert seen == failed(
        f'the planner origin {bridge.planner_url} knows no legal entity "nope" '
        "(check the entity in plannerUrl)"
    )
    frame = page.frame_locator("#planner iframe")
    expect(frame.locator("body")).to_contain_text(
        "This planner is not available here: "
        "no shop is registered with the entity it was asked for."
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_planner_origin_that_is_down_is_named_at_the_deadline(page, bridge, embedder):
    down = f"http://127.0.0.1:{free_port()}"
    seen = outcome(page, embedder, bridge.planner_url, f"{down}/planner/?entity=e", 2_000)
    assert seen == failed(
        f"the planner origin {down} could not be reached (or this page's "
        "Content-Security-Policy does not allow connecting to it)"
    )


def test_a_registered_origin_loads_without_a_failure(page, bridge):
    page.goto(bridge.host_url + "/?debug")
    page.wait_for_function("() => window.shopPlanner !== undefined")
    assert page.evaluate("() => window.shopPlanner.ready.then(() => 'ready')") == "ready"
    expect(page.get_by_test_id("planner-problem")).to_be_hidden()


def test_the_demo_shop_tells_the_shopper_when_the_planner_origin_is_down(page, bridge):
    bridge.stop_planner()
    try:
        page.goto(bridge.host_url + "/?debug")
        expect(page.get_by_test_id("planner-problem")).to_be_visible()
        expect(page.get_by_test_id("planner-problem")).to_have_text(
            "The planner could not be loaded just now. Please try again later."
        )
        expect(page.get_by_test_id("bridge-status")).to_have_text(
            "could not start the planner (TypeError)"
        )
    finally:
        bridge.start_planner()
