"""The example shop's own bridge tests, written against planner_bridge.testing alone: what the
planner is told for an anonymous visitor, after a login, across a token's expiry, and while the
token service is down; and that logging out ends the shop's session."""

import time

import httpx
import jwt
from playwright.sync_api import expect

from conftest import USERS


def planner_of(page):
    return page.frame_locator("#planner iframe")


def log_in(page, bridge):
    page.locator("[name=username]").fill("alice")
    page.locator("[name=password]").fill(USERS["alice"])
    page.get_by_role("button", name="Log in").click()
    bridge.wait_for("LoginSucceeded")


def let_token_run_out(page):
    """Wait until the planner holds no valid token (its documented `window.planner` hook)."""
    frame = page.locator("#planner iframe").element_handle().content_frame()
    frame.wait_for_function("() => window.planner && !window.planner.keeper.state.valid")


def add_design(page, name):
    planner = planner_of(page)
    planner.get_by_test_id("asset-name-input").fill(name)
    planner.get_by_test_id("add-asset-submit").click()


def test_an_anonymous_visitor_gets_the_shop_token(page, shop, planner_origin, bridge):
    page.goto(shop)
    succeeded = bridge.wait_for("AuthenticationSucceeded")
    assert succeeded.origin == planner_origin.url and succeeded.direction == "to_host"
    sent = [e for e in bridge.events if e.direction == "to_planner"]
    assert [(e.name, e.origin, e.carries_token) for e in sent] == [("Authentication", shop, True)]


def test_the_shops_tokens_are_bound_to_the_planners_key(page, shop, bridge):
    calls = []
    page.on("request", lambda r: calls.append(r) if "/v1/assets" in r.url else None)
    page.goto(shop)
    bridge.wait_for("AuthenticationSucceeded")
    jkt = bridge.wait_for("Ready").jkt  # the planner's key, which fetchToken passed on
    scheme, _, token = calls[0].all_headers()["authorization"].partition(" ")
    assert scheme == "DPoP" and "dpop" in calls[0].all_headers()
    assert jwt.decode(token, options={"verify_signature": False})["cnf"] == {"jkt": jkt}


def test_a_login_reaches_the_planner_as_login(page, shop, bridge):
    page.goto(shop)
    bridge.wait_for("AuthenticationSucceeded")
    log_in(page, bridge)
    logins = [e for e in bridge.events if e.name == "Login"]
    assert [(e.user, e.carries_token) for e in logins] == [("alice", True)]
    expect(planner_of(page).get_by_test_id("identity")).to_have_attribute("data-kind", "user")


def test_an_expired_token_is_asked_for_once_and_the_waiting_calls_complete(
    page, shop, planner_origin, bridge
):
    planner_origin.set_token_ttl(2)
    page.goto(shop)
    log_in(page, bridge)
    held = []  # the shop's back-end is slow to answer
    page.route("**/planner-token", lambda route: held.append(route))
    let_token_run_out(page)
    planner_origin.set_token_ttl(None)  # the next token lasts: one expiry episode only
    for n in range(3):
        add_design(page, f"kitchen {n}")
    expect(planner_of(page).get_by_test_id("queue-count")).to_have_text("3")
    for route in held:
        route.continue_()
    page.unroute("**/planner-token")
    expect(planner_of(page).locator("[data-testid=my-assets] [data-testid=asset]")).to_have_count(3)
    assert bridge.count("TokenExpired") == 1
    assert bridge.names("to_planner")[-1] == "TokenRefreshed"


def test_while_the_token_service_is_down_the_planner_says_so_then_recovers(
    page, start_shop, planner_origin, bridge
):
    planner_origin.set_token_ttl(2)
    page.goto(start_shop(answer_deadline_ms=1000))
    log_in(page, bridge)
    planner = planner_of(page)
    with planner_origin.token_service_down():
        let_token_run_out(page)
        add_design(page, "lost kitchen")
        expect(planner.get_by_test_id("error")).to_have_attribute(
            "data-code", "TokenRefreshTimeout"
        )
        expect(planner.get_by_test_id("error-box")).to_be_visible()
    planner_origin.set_token_ttl(None)
    add_design(page, "kitchen after all")
    expect(planner.locator("[data-testid=my-assets] [data-testid=asset]")).to_have_count(1)
    expect(planner.get_by_test_id("error-box")).to_be_hidden()


def test_logout_ends_the_session_and_the_old_cookie_gets_no_user_token(shop):
    headers = {"Origin": shop, "X-Requested-With": "shop"}
    with httpx.Client(base_url=shop) as browser:
        browser.post("/login", data={"username": "alice", "password": "correct horse"})
        old = browser.cookies["sid"]
        assert browser.post("/planner-token", json={}, headers=headers).json()["kind"] == "user"
        browser.post("/logout")
    with httpx.Client(base_url=shop, cookies={"sid": old}) as replay:
        answer = replay.post("/planner-token", json={}, headers=headers).json()
        assert answer["kind"] == "legal_entity" and "user" not in answer
        # A wrong password, and a request from another origin, get nothing more.
        replay.post("/login", data={"username": "alice", "password": "wrong"})
        assert replay.post("/planner-token", json={}, headers=headers).json()["kind"] == (
            "legal_entity"
        )
        foreign = {"Origin": "http://evil.example", "X-Requested-With": "shop"}
        assert replay.post("/planner-token", json={}, headers=foreign).status_code == 403


class SteppedClock:
    """The shop's clock, moved by the test: a cached token ages without anyone waiting."""

    def __init__(self):
        self.at = time.time()

    def now(self):
        return self.at


def test_a_cached_token_is_answered_with_the_lifetime_it_has_left(start_shop):
    clock = SteppedClock()
    shop = start_shop(clock=clock)
    headers = {"Origin": shop, "X-Requested-With": "shop"}
    with httpx.Client(base_url=shop) as browser:
        first = browser.post("/planner-token", json={}, headers=headers).json()
        aged = first["expiresIn"] // 4  # still well inside the shop's cache
        clock.at += aged
        cached = browser.post("/planner-token", json={}, headers=headers).json()
    assert cached["token"] == first["token"]  # the same token, from the shop's cache
    assert cached["expiresIn"] == first["expiresIn"] - aged  # not its whole lifetime again


def test_the_product_button_plans_the_cabinet_and_add_to_cart_fills_the_basket(page, shop, bridge):
    page.goto(shop)
    bridge.wait_for("Loaded")
    page.get_by_role("button", name="Plan with this cabinet").click()
    added = bridge.wait_for("ItemAdded")
    assert added.direction == "to_host"
    planner = planner_of(page)
    expect(planner.locator("[data-testid=plan-item]")).to_have_count(1)
    planner.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#basket li")).to_have_text(["1 x Base cabinet 60"])
