"""What must never work: forged messages, tokens left behind, framing by an unregistered site."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from bridge_e2e import (
    bridge_events,
    log_in,
    open_shop,
    planner_frame,
    received,
)

pytestmark = pytest.mark.browser

# Run in a window on a third origin that the shop page opened: it can reach the shop page
# (window.opener) and the planner frame (opener.frames[0]), and posts forged messages to both.
FORGE = """(to) => {
  const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5Iiwia2luZCI6InVzZXIifQ.AAAA";
  const shop = window.opener;
  const planner = shop.frames[0];
  const user = { id: "mallory", name: "Mallory" };
  planner.postMessage({ event: "Login", content: { token, expiresIn: 3600, user } }, to);
  planner.postMessage({ event: "Authentication", content: { token, expiresIn: 3600 } }, to);
  planner.postMessage({ event: "TokenRefreshed", content: { token, expiresIn: 3600 } }, to);
  shop.postMessage({ event: "TokenExpired", content: { reason: "invalid_token" } }, "*");
  shop.postMessage({ event: "Ready", content: { version: 1 } }, "*");
  shop.postMessage({ event: "AuthenticationRequired", content: {} }, "*");
  planner.postMessage({ event: "Marker", content: {} }, to);
  shop.postMessage({ event: "Marker", content: {} }, "*");
}"""
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.")  # base64url JSON header, then JSON claims
MARKER_ARRIVED = "() => window.__bridgeReceived.some((m) => m.event === 'Marker')"


def test_forged_messages_from_a_third_origin_are_ignored(page, bridge, third_origin):
    planner = open_shop(page, bridge)
    expect(planner.get_by_test_id("identity")).to_have_text("Demo Store")
    frame = planner_frame(page, bridge)
    with page.expect_popup() as opened:
        page.evaluate("url => { window.open(url); }", third_origin + "/")
    forger = opened.value
    forger.wait_for_load_state()
    forger.evaluate(FORGE, bridge.planner_url)
    page.wait_for_function(MARKER_ARRIVED)
    frame.wait_for_function(MARKER_ARRIVED)

    forged_at_planner = [m["event"] for m in received(frame) if m["origin"] == third_origin]
    forged_at_shop = [m["event"] for m in received(page) if m["origin"] == third_origin]
    assert forged_at_planner == ["Login", "Authentication", "TokenRefreshed", "Marker"]
    assert forged_at_shop == ["TokenExpired", "Ready", "AuthenticationRequired", "Marker"]
    expect(planner.get_by_test_id("identity")).to_have_text("Demo Store")
    assert bridge_events(page).count("Ready") == 1 and "TokenExpired" not in bridge_events(page)

    log_in(page, "alice")  # a real token request after the forged ones, to count against
    expect(planner.get_by_test_id("identity")).to_have_text("Alice")
    assert len(bridge.token_requests()) == 2  # the first handshake and the login: none forged
    acting = {r.acting_for for r in bridge.planner_log.requests}
    assert acting <= {None, "legal_entity", "user:alice"}
    # No token refused (a 401 that only asks for a DPoP nonce refuses none: RFC 9449 §9).
    assert all(r.status != 401 or r.nonce_asked for r in bridge.planner_log.requests)
    # No token was posted to any origin but the planner's: only the planner received any.
    assert not any(m["hasToken"] for m in received(page) + received(forger))
    legit = [m for m in received(frame) if m["hasToken"] and m["origin"] != third_origin]
    assert legit and {m["origin"] for m in legit} == {bridge.host_url}


def cookie_payload(value: str) -> dict:
    payload = value.strip('"').split(".", 1)[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


# A third-party frame may be denied storage altogether ("denied"): then nothing is kept there.
STORED = """async () => {
  const entries = (storage) => { try { return Object.entries(storage()); }
    catch { return "denied"; } };
  return {
  local: entries(() => localStorage), session: entries(() => sessionStorage),
  cookie: document.cookie, href: location.href, name: window.name,
  history: [history.length, JSON.stringify(history.state)],
  resources: performance.getEntriesByType("resource").map((e) => e.name),
  databases: await indexedDB.databases().then((d) => d.map((x) => x.name), () => "denied"),
  };
}"""


def test_no_token_is_kept_in_storage_cookies_urls_or_history(page, start_bridge):
    bridge = start_bridge(token_ttl=4)
    answers, urls = [], []
    page.on("response", lambda r: answers.append(r) if r.url.endswith("/planner-token") else None)
    page.context.on("request", lambda r: urls.append(r.url))
    planner = open_shop(page, bridge)
    log_in(page, "alice")
    frame = planner_frame(page, bridge)
    frame.wait_for_function(  # at least one refresh of the short-lived token
        "() => window.__bridgeReceived.some((m) => m.event === 'TokenRefreshed')"
    )
    planner.get_by_test_id("asset-name-input").fill("Kept")
    planner.get_by_test_id("add-asset-submit").click()
    expect(planner.locator("[data-testid=my-assets] [data-testid=asset]")).to_have_count(1)

    session = next(c for c in page.context.cookies() if c["name"] == "shop_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert list(cookie_payload(session["value"])) == ["sid"]  # only a random session id
    tokens = [r.json()["token"] for r in answers]
    assert len(tokens) >= 3 and all(JWT.match(t) for t in tokens)

    places = [frame.evaluate(STORED), page.evaluate(STORED)]
    places += [page.locator("iframe").get_attribute("src"), urls, page.context.cookies()]
    where = json.dumps(places)
    assert not any(token in where for token in tokens)
    assert not JWT.search(where)  # no JWT of any kind, not even a stale one
    assert places[1]["cookie"] == "" and places[1]["session"] == []
    # The shop's origin keeps one thing, for the SDK's early fetch: the planner's public key
    # thumbprint (every proof carries the key it names), never a token.
    jkt = frame.evaluate("window.planner.dpop.jkt")
    assert places[1]["local"] == [[f"planner-bridge.jkt {bridge.planner_url}", jkt]]
    assert places[0]["local"] in ([], "denied") and places[0]["session"] in ([], "denied")


def test_a_page_on_an_unregistered_origin_cannot_frame_the_planner(page, bridge, third_origin):
    page.goto(f"{third_origin}/frame?src={quote(bridge.planner_page_url, safe='')}")
    page.wait_for_function("() => document.body.dataset.frameLoaded === '1'")

    served = [r for r in bridge.planner_log.matching("GET", "/planner/") if r.path == "/planner/"]
    assert [r.status for r in served] == [200]  # the planner answered: the browser refused it
    child = page.frames[1]
    assert not child.url.startswith(bridge.planner_url)
    assert child.evaluate("() => document.querySelector('[data-testid=identity]')") is None
    assert bridge.planner_log.matching("GET", "/planner/app.js") == []  # its script never ran
    csp = httpx.get(bridge.planner_page_url).headers["content-security-policy"]
    assert f"frame-ancestors {bridge.host_url};" in csp
