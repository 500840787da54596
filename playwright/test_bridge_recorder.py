"""planner_bridge.testing's recorder in a real browser: what it lists, and that its leak check
catches a token wherever one lands (storage, console, cookie, URL)."""

from __future__ import annotations

import dataclasses

import pytest

from bridge_e2e import open_shop
from planner_bridge.testing import JWT, BridgeRecorder

pytestmark = pytest.mark.browser

FAKE_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


def test_the_recorder_lists_names_origins_and_directions_and_never_a_token(browser, bridge):
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = BridgeRecorder(page)
        open_shop(page, bridge)
        recorder.wait_for("AuthenticationSucceeded")
        by_name = {e.name: e for e in recorder.events}
        assert by_name["Ready"].direction == "to_host"
        assert by_name["Ready"].origin == bridge.planner_url
        assert by_name["Authentication"].direction == "to_planner"
        assert by_name["Authentication"].origin == bridge.host_url
        assert by_name["Authentication"].carries_token
        assert recorder.names("to_planner") == ["Authentication"]
        for event in recorder.events:
            assert not any(JWT.search(str(v)) for v in dataclasses.asdict(event).values())
        recorder.assert_no_token_leak()
        with pytest.raises(AssertionError, match="no Nothing"):
            recorder.wait_for("Nothing", timeout_ms=200)
    finally:
        context.close()


@pytest.mark.parametrize("where", ["storage", "console", "cookie", "URL"])
def test_the_leak_check_finds_a_token(browser, third_origin, where):
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = BridgeRecorder(page)
        page.goto(third_origin + "/")
        if where == "storage":
            page.evaluate("(t) => sessionStorage.setItem('t', t)", FAKE_TOKEN)
        if where == "console":
            page.evaluate("(t) => console.log('token', t)", FAKE_TOKEN)
        if where == "cookie":
            context.add_cookies([{"name": "t", "value": FAKE_TOKEN, "url": third_origin}])
        if where == "URL":
            page.goto(f"{third_origin}/?token={FAKE_TOKEN}")
        with pytest.raises(AssertionError, match=f"a token reached a {where}"):
            recorder.assert_no_token_leak()
    finally:
        context.close()
