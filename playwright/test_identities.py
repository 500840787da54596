"""Who the planner acts for: the shop (anonymous visitor), a logged-in user, and back again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bridge_e2e import (
    CATALOG_ROWS,
    OWN_ROWS,
    TokenGate,
    add_asset_for,
    bridge_events,
    log_in,
    open_shop,
    planner_frame,
    received,
)
from planner_bridge.demo.seed import CATALOG

pytestmark = pytest.mark.browser


def test_anonymous_visitor_sees_the_catalog_and_a_write_is_refused(page, bridge):
    planner = open_shop(page, bridge)
    expect(planner.get_by_test_id("identity")).to_have_text("Demo Store")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "legal_entity")
    expect(planner.locator(CATALOG_ROWS)).to_have_count(len(CATALOG))
    # Write controls are disabled with a hint; a write made anyway is refused by the service.
    expect(planner.get_by_test_id("add-asset-submit")).to_be_disabled()
    expect(planner.get_by_test_id("write-hint")).to_have_text(
        "Log in on the shop's page to save your designs."
    )
    forced = planner_frame(page, bridge).evaluate(
        """() => window.planner.api.create({ name: "My kitchen", kind: "design" })
          .then(() => "created", (e) => e.code)"""
    )
    assert forced == "insufficient_scope"
    assert [(r.method, r.status) for r in bridge.writes()] == [("POST", 403)]
    assert len(bridge.assets(None)) == len(CATALOG)
    assert len(bridge.token_requests()) == 1  # Ready and AuthenticationRequired share one fetch
    delivered = [m["event"] for m in received(planner_frame(page, bridge)) if m["hasToken"]]
    assert delivered == ["Authentication"]
    assert bridge_events(page)[-1] == "AuthenticationSucceeded"


def test_login_required_then_login_lets_the_user_manage_only_their_own_assets(page, bridge):
    add_asset_for(bridge, "bob", "Bob's secret room")
    planner = open_shop(page, bridge)
    expect(planner.get_by_test_id("save-to-account")).to_have_text("Log in to save")
    planner.get_by_test_id("save-to-account").click()
    expect(page.get_by_test_id("login-hint")).to_be_visible()
    assert "LoginRequired" in bridge_events(page) and bridge.writes() == []

    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_text("Alice")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    expect(page.locator("[data-testid=bridge-log] li[data-event=LoginSucceeded]")).to_have_count(1)
    planner.get_by_test_id("asset-name-input").fill("Alice's kitchen")
    planner.get_by_test_id("add-asset-submit").click()
    expect(planner.locator(OWN_ROWS)).to_have_count(1)
    row = planner.locator(OWN_ROWS).first
    expect(row.get_by_test_id("asset-name")).to_have_text("Alice's kitchen")

    row.get_by_test_id("rename-asset").click()
    row.get_by_test_id("rename-input").fill("Alice's big kitchen")
    row.get_by_test_id("rename-save").click()
    expect(row.get_by_test_id("asset-name")).to_have_text("Alice's big kitchen")
    assert [a.name for a in bridge.assets("alice")] == ["Alice's big kitchen"]

    row.get_by_test_id("delete-asset").click()
    planner.get_by_test_id("confirm-yes").click()  # deleting asks first
    expect(planner.locator(OWN_ROWS)).to_have_count(0)
    expect(planner.locator(CATALOG_ROWS)).to_have_count(len(CATALOG))
    expect(planner.get_by_text("Bob's secret room")).to_have_count(0)

    assert bridge.assets("alice") == []
    assert [a.name for a in bridge.assets("bob")] == ["Bob's secret room"]
    writes = [(r.method, r.status, r.acting_for) for r in bridge.writes()]
    assert writes == [
        ("POST", 201, "user:alice"),
        ("PATCH", 200, "user:alice"),
        ("DELETE", 204, "user:alice"),
    ]
    login = [m for m in received(planner_frame(page, bridge)) if m["event"] == "Login"]
    assert [(m["user"], m["origin"]) for m in login] == [("alice", bridge.host_url)]


def test_logout_mid_session_sends_no_user_call_after_it(page, start_bridge):
    bridge = start_bridge(token_ttl=4)
    planner = open_shop(page, bridge)
    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_text("Alice")
    frame = planner_frame(page, bridge)
    # Let alice's token run out with nobody answering, and queue three of her writes.
    gate = TokenGate(page)
    frame.wait_for_function("() => !window.planner.keeper.state.valid")
    frame.evaluate(
        """() => { window.queuedOutcomes = [];
        for (const i of [1, 2, 3]) window.planner.api.create({name: `queued ${i}`, kind: "design"})
          .then(() => queuedOutcomes.push("sent"), (e) => queuedOutcomes.push(e.code)); }"""
    )
    expect(planner.get_by_test_id("queue-count")).to_have_text("3")
    writes_before = len(bridge.planner_log.requests)

    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("login-button")).to_be_visible()
    gate.open()

    expect(planner.get_by_test_id("identity")).to_have_text("Demo Store")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "legal_entity")
    frame.wait_for_function("() => window.queuedOutcomes.length === 3")
    assert frame.evaluate("window.queuedOutcomes") == ["IdentityChanged"] * 3
    expect(planner.get_by_test_id("queue-count")).to_have_text("0")
    after = bridge.planner_log.requests[writes_before:]
    assert after and all(r.acting_for in (None, "legal_entity") for r in after), after
    assert bridge.writes() == [] and bridge.assets("alice") == []
    events = [m["event"] for m in received(frame) if m["hasToken"]]
    assert events[-1] == "Logout" and "Login" in events
