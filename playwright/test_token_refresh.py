"""Tokens that run out, get refused, or never come: the queue, the replay, the deadline."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from bridge_e2e import (
    OWN_ROWS,
    Overtake,
    SlowBody,
    TokenGate,
    expect_error,
    fire_burst,
    log_in,
    open_shop,
    planner_frame,
    received,
    wait_for_burst,
    wait_until,
)
from planner_bridge.demo.seed import CATALOG
from planner_bridge.serving import blocking

pytestmark = pytest.mark.browser

SETTLED = "() => { const s = window.planner.keeper.state; return s.valid && !s.asking; }"
CREATE = """async (name) =>
  (await window.planner.api.create({ name, kind: "design", data: {} })).id"""
RENAME_TWICE = """(id) => {
  window.renamed = Promise.all(["A", "B"].map((name) =>
    window.planner.api.rename(id, name).then((asset) => asset.name, (e) => e.code)));
}"""


def logged_in_planner(page, bridge, user="alice"):
    planner = open_shop(page, bridge)
    log_in(page, user)
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    expect(page.locator("[data-testid=bridge-log] li[data-event=LoginSucceeded]")).to_have_count(1)
    return planner, planner_frame(page, bridge)


def test_a_burst_of_50_calls_during_expiry_asks_once_and_completes_in_call_order(
    page, start_bridge
):
    bridge = start_bridge(token_ttl=5)
    planner, frame = logged_in_planner(page, bridge)
    frame.wait_for_function(SETTLED)
    episode_start = page.evaluate("Date.now()")
    gate = TokenGate(page)
    frame.wait_for_function("() => !window.planner.keeper.state.valid")  # really expired
    # The first answer's body comes last: completing in call order must not depend on bodies.
    slow = bridge.planner_log.slow_body = SlowBody("POST", "/v1/assets", others=49)
    fire_burst(frame, 50)  # through window.planner.api, the client the shopper's clicks use
    expect(planner.get_by_test_id("queue-count")).to_have_text("50")
    wait_until(page, lambda: len(gate.held) == 1, "the planner's one token request")
    assert bridge.writes() == []
    gate.open()

    done, failed = wait_for_burst(frame, 50)
    assert failed == [] and done == list(range(50))
    assert slow.held is not None and slow.held.status == 201  # the slow body really happened
    refreshed = [m for m in received(frame) if m["event"] == "TokenRefreshed"]
    episode_end = next(m["at"] for m in refreshed if m["at"] >= episode_start)
    expired = [
        m
        for m in received(page)
        if m["event"] == "TokenExpired" and episode_start <= m["at"] <= episode_end
    ]
    assert len(expired) == 1 and len(gate.held) == 1
    posts = bridge.writes()
    assert len(posts) == 50 and {(r.status, r.acting_for) for r in posts} == {(201, "user:alice")}
    assert len({r.idempotency_key for r in posts}) == 50
    assert sorted(a.name for a in bridge.assets("alice")) == sorted(f"burst {i}" for i in range(50))


def test_a_refused_token_is_replaced_and_each_call_replayed_once(page, bridge):
    planner, frame = logged_in_planner(page, bridge)
    asset_id = frame.evaluate(CREATE, "to rename")
    # Two renames of it sent together would be applied in reverse: it must never come to that.
    overtake = bridge.planner_log.overtake = Overtake("PATCH", f"/v1/assets/{asset_id}")
    asked_before = len(bridge.token_requests())
    sent: list[str | None] = []  # what the shop page sent its back-end: the SDK's reason
    page.on(
        "request", lambda r: sent.append(r.post_data) if r.url.endswith("/planner-token") else None
    )
    blocking(bridge.core.keyring.rotate(drop_old=True))  # every token out there is now refused
    fire_burst(frame, 5)
    frame.evaluate(RENAME_TWICE, asset_id)  # "A" then "B": the server must apply them in order

    done, failed = wait_for_burst(frame, 5)
    assert failed == [] and done == [0, 1, 2, 3, 4]
    assert frame.evaluate("window.renamed") == ["A", "B"]
    by_key: dict[str, list[int]] = {}
    for request in bridge.writes():
        if request.method == "POST":
            by_key.setdefault(request.idempotency_key, []).append(request.status)
    assert len(by_key) == 6  # the asset to rename, then the burst
    assert all(statuses[-1] == 201 and statuses.count(201) == 1 for statuses in by_key.values())
    assert any(statuses == [401, 201] for statuses in by_key.values())
    names = sorted(a.name for a in bridge.assets("alice"))
    assert names == ["B"] + [f"burst {i}" for i in range(5)]  # the renames applied in call order
    # ...because the second was sent only after the first had its final answer (its replay if
    # refused): no rename of the asset ever reached the server while another was there.
    # The server notes a request once its answer is sent: the browser may have it first.
    wait_until(
        page,
        lambda: [r.status for r in bridge.writes() if r.method == "PATCH"].count(200) >= 2,
        "the second rename's record",
    )
    patches = [r.status for r in bridge.writes() if r.method == "PATCH"]
    assert overtake.overtaken == 0 and patches.count(200) == 2, patches
    reasons = [m["reason"] for m in received(page) if m["event"] == "TokenExpired"]
    assert reasons == ["invalid_token"]
    assert len(bridge.token_requests()) == asked_before + 1
    assert [json.loads(body or "{}").get("reason") for body in sent] == ["invalid_token"]
    expect(planner.get_by_test_id("identity")).to_have_text("Alice")


def test_when_the_shop_never_answers_calls_fail_with_token_refresh_timeout_then_recover(
    page, start_bridge
):
    bridge = start_bridge(token_ttl=4, answer_deadline_ms=1500)
    planner, frame = logged_in_planner(page, bridge)
    gate = TokenGate(page)  # requests from now on are never answered
    frame.wait_for_function("() => !window.planner.keeper.state.valid")
    planner.get_by_test_id("asset-name-input").fill("Never sent")
    planner.get_by_test_id("add-asset-submit").click()
    expect_error(planner, "TokenRefreshTimeout")
    expect(planner.get_by_test_id("queue-count")).to_have_text("0")
    expect(page.get_by_test_id("bridge-status")).to_have_text("error: FetchTokenTimeout")
    assert bridge.writes() == [] and gate.held

    gate.is_open = True  # the shop answers again (the old requests stay unanswered)
    planner.get_by_test_id("asset-name-input").fill("Sent after recovery")
    planner.get_by_test_id("add-asset-submit").click()
    expect(planner.locator(OWN_ROWS)).to_have_count(1)
    expect(planner.locator(OWN_ROWS).get_by_test_id("asset-name")).to_have_text(
        "Sent after recovery"
    )
    expect(planner.get_by_test_id("error-box")).to_be_hidden()
    assert [(r.method, r.status) for r in bridge.writes()] == [("POST", 201)]
    assert [a.name for a in bridge.assets("alice")] == ["Sent after recovery"]


def test_a_reloaded_planner_frame_gets_its_token_again_without_user_action(page, bridge):
    planner, frame = logged_in_planner(page, bridge)
    asked_before = len(bridge.token_requests())
    frame.evaluate("() => { setTimeout(() => location.reload(), 0); }")

    expect(page.locator("[data-testid=bridge-log] li[data-event=Ready]")).to_have_count(2)
    expect(page.locator("[data-testid=bridge-log] li[data-event=LoginSucceeded]")).to_have_count(2)
    expect(planner.get_by_test_id("identity")).to_have_text("Alice")
    expect(planner.locator("[data-testid=catalog] [data-testid=asset]")).to_have_count(len(CATALOG))
    reloaded = planner_frame(page, bridge)
    delivered = [(m["event"], m["user"]) for m in received(reloaded) if m["hasToken"]]
    assert delivered == [("Login", "alice")]
    assert len(bridge.token_requests()) == asked_before + 1
    pages = [r for r in bridge.planner_log.matching("GET", "/planner/") if r.path == "/planner/"]
    assert len(pages) == 2
