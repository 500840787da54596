"""Faults in a real browser: the shop's token endpoint failing then slow, the planner origin
restarted mid-session, the planner's iframe reloaded. Each checks the pages and the servers."""

from __future__ import annotations

import collections

import pytest
from playwright.sync_api import expect

from bridge_e2e import Bridge, Fault, wait_until
from scripted_user import ScriptedUser

pytestmark = pytest.mark.browser

DEADLINE_MS = 4000  # the answer deadline: long enough for a loaded machine's normal answers
# What the person reads for TokenRefreshTimeout (web/planner/messages.js; the code is data-code).
REFRESH_TIMEOUT_WORDS = (
    "The shop did not confirm your session in time, so your last change was not saved."
    " Please try again."
)


def started(page, bridge: Bridge) -> ScriptedUser:
    user = ScriptedUser(page, bridge)
    user.open()
    user.log_in("alice", own_assets=0)
    user.expect_live()
    return user


def statuses(bridge: Bridge, method: str, path: str) -> list[int]:
    return [r.status for r in bridge.planner_log.matching(method, path) if r.path == path]


def sockets(bridge: Bridge) -> int:
    return len(bridge.planner_log.matching("WEBSOCKET", "/v1/live"))


def applied_once(bridge: Bridge, names: list[str]) -> None:
    """Alice's assets on the server are exactly `names`, each once, and no write's
    Idempotency-Key was answered 2xx twice."""
    assert sorted(a.name for a in bridge.assets("alice")) == sorted(names)
    answered = collections.Counter(
        r.idempotency_key for r in bridge.writes() if 200 <= r.status < 300
    )
    assert len(answered) == len(names) and set(answered.values()) == {1}


def test_token_endpoint_failing_then_slow_fails_waiting_calls_in_words_then_recovers(
    page, start_bridge
):
    bridge = start_bridge(token_ttl=5, answer_deadline_ms=DEADLINE_MS)
    user = started(page, bridge)
    assert user.add("before the fault").ok
    # The token service goes down: the shop's token endpoint answers 502 (its real path).
    tokens = bridge.planner_log.fault = Fault("POST", "/v1/tokens").fail(503)
    user.wait_token_expired()
    waiting = ["while failing 1", "while failing 2", "while failing 3"]
    for name in waiting:
        user.submit_add(name)
    user.expect_waiting(3)
    outcomes = [user.outcome_of_add(name) for name in waiting]
    assert {o.error for o in outcomes} == {"TokenRefreshTimeout"}
    code, words = user.error_shown()
    assert code == "TokenRefreshTimeout"
    assert words == REFRESH_TIMEOUT_WORDS
    user.expect_waiting(0)
    assert 502 in [r.status for r in bridge.token_requests()]
    assert 503 in statuses(bridge, "POST", "/v1/tokens")
    expect(page.get_by_test_id("bridge-status")).to_have_text("error: FetchTokenFailed")
    applied_once(bridge, ["before the fault"])

    # Then slow: the token service holds the request past the answer deadline.
    tokens.stall()
    seen = tokens.seen
    outcome = user.add("while slow")
    assert outcome.error == "TokenRefreshTimeout"
    assert user.error_shown() == ("TokenRefreshTimeout", REFRESH_TIMEOUT_WORDS)
    assert tokens.seen > seen  # the shop really asked the slow token service
    expect(page.get_by_test_id("bridge-status")).to_have_text("error: FetchTokenTimeout")
    applied_once(bridge, ["before the fault"])

    # Back: the next call asks again and goes through.
    tokens.mend()
    assert user.add("after recovery").ok
    expect(user.locator().get_by_test_id("error-box")).to_be_hidden()
    user.expect_identity("Alice", "user")
    assert user.own_assets() == {a.id: a.name for a in bridge.assets("alice")}
    applied_once(bridge, ["before the fault", "after recovery"])
    assert [r.status for r in bridge.token_requests()][-1] == 200


def test_planner_origin_restarted_mid_session_reconnects_and_loses_no_write(page, start_bridge):
    bridge = start_bridge(token_ttl=5, answer_deadline_ms=DEADLINE_MS)
    user = started(page, bridge)
    before = [f"before restart {i}" for i in range(3)]
    assert all(user.add(name).ok for name in before)
    opened = sockets(bridge)

    bridge.stop_planner()
    user.expect_live(False)
    down = user.add("while down")  # nothing answers: the page must say so, and not apply it
    assert down.error in {"NetworkError", "TokenRefreshTimeout"}, down
    restarted_at = len(bridge.planner_log.requests)
    bridge.start_planner()

    # The live channel reconnects and authenticates with the new server...
    user.expect_live()
    assert sockets(bridge) > opened
    # ...and the planner's next token comes from it (5 s tokens: within a few seconds).
    wait_until(
        page,
        lambda: any(
            r.method == "POST" and r.path == "/v1/tokens" and r.status == 201
            for r in bridge.planner_log.requests[restarted_at:]
        ),
        "a token minted by the restarted planner origin",
    )
    user.wait_quiet()
    after = [f"after restart {i}" for i in range(3)]
    assert all(user.add(name).ok for name in after)
    # A write the planner's list learns of only through the live channel.
    pushed = user.create_quietly("pushed after restart")
    expect(user.rows().filter(has_text="pushed after restart")).to_have_count(1)
    assert pushed in user.own_assets()

    applied_once(bridge, [*before, *after, "pushed after restart"])
    assert user.own_assets() == {a.id: a.name for a in bridge.assets("alice")}
    user.expect_identity("Alice", "user")


def test_planner_frame_reloaded_by_the_shop_shakes_hands_and_gets_its_token_again(page, bridge):
    user = started(page, bridge)
    assert user.add("before reload").ok
    asked, opened = len(bridge.token_requests()), sockets(bridge)

    user.reload_planner_from_shop()
    expect(page.locator("[data-testid=bridge-log] li[data-event=Ready]")).to_have_count(2)
    expect(page.locator("[data-testid=bridge-log] li[data-event=LoginSucceeded]")).to_have_count(2)
    user.attach()
    user.expect_identity("Alice", "user")
    expect(user.rows()).to_have_count(1)
    user.expect_live()
    # The new document got one token, for Alice, from one more fetch by the shop.
    delivered = [(m["event"], m["user"]) for m in user.received() if m["hasToken"]]
    assert delivered == [("Login", "alice")]
    assert len(bridge.token_requests()) == asked + 1
    pages = [r for r in bridge.planner_log.matching("GET", "/planner/") if r.path == "/planner/"]
    assert len(pages) == 2
    assert sockets(bridge) == opened + 1

    assert user.add("after reload").ok
    applied_once(bridge, ["before reload", "after reload"])
    assert user.own_assets() == {a.id: a.name for a in bridge.assets("alice")}
