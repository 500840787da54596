"""Cross-tab sessions: logging in or out in one tab of the shop reaches the planner in the other
tab (each tab fetching its own token), and nothing of it reaches a page of another origin."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bridge_e2e import bridge_events, log_in, open_shop

pytestmark = pytest.mark.browser

# Listen on the SDK's session channel as any page of an origin could, and keep what arrives.
LISTEN = """(name) => {
  window.__heard = [];
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event) => window.__heard.push(event.data);
}"""


def channel_name(bridge) -> str:
    return f"planner-bridge:session:{bridge.planner_url}"


def test_login_and_logout_in_one_tab_reach_the_other_tab_and_no_other_site(
    context, bridge, third_origin
):
    tab_a, tab_b, elsewhere = context.new_page(), context.new_page(), context.new_page()
    planner_a, planner_b = open_shop(tab_a, bridge), open_shop(tab_b, bridge)
    elsewhere.goto(third_origin + "/")
    elsewhere.evaluate(LISTEN, channel_name(bridge))
    tab_b.evaluate(LISTEN, channel_name(bridge))
    fetched_before = len(bridge.token_requests())

    log_in(tab_a, "alice")
    expect(planner_a.get_by_test_id("identity")).to_have_text("Alice")
    # SPEC: within 1 s. The bound is the test's wait, not an assertion on a timing.
    expect(planner_b.get_by_test_id("identity")).to_have_text("Alice", timeout=1000)
    expect(tab_b.get_by_test_id("shop-user")).to_have_text("Alice")
    assert "LoginSucceeded" in bridge_events(tab_b)
    # Each tab asked its own back-end: one token for tab a's login(), one for tab b's.
    assert len(bridge.token_requests()) == fetched_before + 2

    tab_a.get_by_test_id("logout-button").click()
    expect(planner_a.get_by_test_id("identity")).to_have_attribute("data-kind", "legal_entity")
    expect(planner_b.get_by_test_id("identity")).to_have_attribute(
        "data-kind", "legal_entity", timeout=1000
    )
    expect(tab_b.get_by_test_id("login-button")).to_be_visible()

    assert tab_b.evaluate("window.__heard") == ["Login", "Logout"]  # names, never a token
    assert elsewhere.evaluate("window.__heard") == []
