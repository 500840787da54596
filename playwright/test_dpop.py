"""Sender-constrained planner tokens (DPoP, RFC 9449) across the bridge, on two origins with real
servers and Chromium: a token taken from the planner's own request is worthless elsewhere (as
`Bearer`, with the proof that went with it, with an attacker's fresh proof), while the planner
keeps working; the planner's key survives an iframe reload (same jkt, from IndexedDB as shoppers'
browsers partition it); where the browser denies the frame IndexedDB, the key lives in memory and
the planner still works."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, Frame, Page, Request, expect

from bridge_e2e import CATALOG_ROWS, WAIT_MS, Bridge, open_shop, planner_frame
from planner_bridge.testing import BridgeRecorder
from planner_bridge.testing.browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.browser

LISTING = "/v1/assets"
IFRAME = "[data-testid=planner-container] iframe"


@pytest.fixture
def bridge(start_bridge: Any) -> Bridge:
    """The shop's entity requires DPoP, as the demo's does."""
    return start_bridge(dpop_required=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


class Attacker:
    """Someone holding a copied token and a P-256 key of their own."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    def proof(self, method: str, url: str, token: str, nonce: str | None) -> str:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url.split("?")[0],
            "iat": int(time.time()),
            "ath": b64url(hashlib.sha256(token.encode()).digest()),
        }
        if nonce:
            claims["nonce"] = nonce
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        return jwt.encode(claims, self.key, algorithm="ES256", headers=headers)

    def call(self, method: str, url: str, token: str, body: Any = None) -> httpx.Response:
        """With a fresh proof of the attacker's key, and once more with the server's nonce if it
        asks for one: the refusal must be for the key, not for a missing nonce."""
        nonce = None
        for _ in range(2):
            headers = {
                "Authorization": f"DPoP {token}",
                "DPoP": self.proof(method, url, token, nonce),
            }
            answer = httpx.request(method, url, headers=headers, json=body)
            if 'error="use_dpop_nonce"' not in answer.headers.get("www-authenticate", ""):
                return answer
            nonce = answer.headers["dpop-nonce"]
        return answer


def error_of(answer: httpx.Response) -> str:
    """The error code in a DPoP challenge (`WWW-Authenticate: DPoP error="..."`)."""
    challenge = answer.headers.get("www-authenticate", "")
    assert challenge.startswith("DPoP "), challenge
    return challenge.split('error="')[1].split('"')[0]


def capture_listing(page: Page, frame: Frame) -> Request:
    """The planner's next listing of its assets, as it went out (its answer read): a real
    request the planner made, with its token and proof."""
    with page.expect_request(lambda r: LISTING in r.url and r.method == "GET") as caught:
        frame.evaluate("window.planner.refresh()")
    request = caught.value
    assert request.response() is not None and request.response().status == 200
    return request


def token_and_proof(request: Request) -> tuple[str, str]:
    headers = request.all_headers()
    scheme, _, token = headers["authorization"].partition(" ")
    assert scheme == "DPoP", "the planner sends its bound token as DPoP"
    return token, headers["dpop"]


def test_a_token_taken_from_the_planners_request_is_refused_everywhere_else(
    page: Page, bridge: Bridge, recorder: Any
) -> None:
    planner = open_shop(page, bridge)
    expect(planner.locator(CATALOG_ROWS).first).to_be_visible()
    # The live channel authenticated too: its auth message carried a proof for /v1/live.
    expect(planner.get_by_test_id("live")).to_have_attribute("data-status", "live")
    frame = planner_frame(page, bridge)
    jkt = frame.evaluate("window.planner.dpop.jkt")
    request = capture_listing(page, frame)
    token, proof = token_and_proof(request)
    assert claims_of(token)["cnf"] == {"jkt": jkt}
    proof_header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
    assert proof_header["typ"] == "dpop+jwt" and "d" not in proof_header["jwk"]
    token_requests = len(bridge.token_requests())
    url = request.url

    as_bearer = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401 and error_of(as_bearer) == "invalid_token"
    replayed = httpx.get(url, headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert replayed.status_code == 401 and error_of(replayed) == "invalid_dpop_proof"
    attacker = Attacker()
    read = attacker.call("GET", url, token)
    assert read.status_code == 401 and error_of(read) == "invalid_dpop_proof"
    write_url = bridge.planner_url + LISTING
    write = attacker.call("POST", write_url, token, {"name": "stolen", "kind": "design"})
    assert write.status_code == 401 and error_of(write) == "invalid_dpop_proof"
    assert not [a for a in bridge.assets(None) if a.name == "stolen"]

    # The planner, meanwhile, works on with its token and key: no new token was needed.
    again = capture_listing(page, frame)
    assert token_and_proof(again)[0] == token
    assert len(bridge.token_requests()) == token_requests
    names = recorder.names()
    assert "TokenExpired" not in names and "AuthenticationFailed" not in names, names


def reload_planner(page: Page) -> None:
    """Load the planner's iframe again, as a shopper's reload of the frame would."""
    page.evaluate(f"() => {{ const f = document.querySelector('{IFRAME}'); f.src = f.src; }}")


def fresh_planner(page: Page, bridge: Bridge, ready_before: int, recorder: Any) -> Frame:
    """The planner frame after a reload, once its new page has said Ready and acts again."""
    recorder.wait_for("Ready", count=ready_before + 1)
    frame = planner_frame(page, bridge)
    frame.wait_for_function("() => window.planner && window.planner.dpop")
    expect(page.frame_locator(IFRAME).locator(CATALOG_ROWS).first).to_be_visible()
    return frame


def test_an_iframe_reload_keeps_the_planners_key(page: Page, bridge: Bridge, recorder: Any) -> None:
    open_shop(page, bridge)
    frame = planner_frame(page, bridge)
    first = frame.evaluate("window.planner.dpop")
    assert first["kept"] == "indexeddb", "shoppers' browsers give the frame partitioned storage"
    asked_nonce = sum(r.nonce_asked for r in bridge.planner_log.requests)
    assert asked_nonce >= 1  # the first page had no nonce yet
    reload_planner(page)
    frame = fresh_planner(page, bridge, 1, recorder)
    assert frame.evaluate("window.planner.dpop") == first
    # The nonce the last page kept beside the key was still good: no call asked for one again.
    assert sum(r.nonce_asked for r in bridge.planner_log.requests) == asked_nonce
    readies = [e.jkt for e in recorder.events if e.name == "Ready"]
    assert readies == [first["jkt"], first["jkt"]]
    token, _ = token_and_proof(capture_listing(page, frame))
    assert claims_of(token)["cnf"] == {"jkt": first["jkt"]}

    # The whole shop page again: the SDK remembers the key the planner named, so its early
    # fetch is for that key and the planner's Ready joins it (one token request, not two).
    asked = len(bridge.token_requests())
    page.reload()
    frame = fresh_planner(page, bridge, 2, recorder)
    assert frame.evaluate("window.planner.dpop") == first
    assert len(bridge.token_requests()) == asked + 1


@pytest.fixture
def denying_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium with Playwright's own switches, which disable third-party storage partitioning:
    the cross-site planner frame is then denied IndexedDB (as some browsers' settings do)."""
    launched = browser.browser_type.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


def test_where_indexeddb_is_denied_the_key_lives_in_memory_and_the_planner_works(
    denying_browser: Browser, bridge: Bridge
) -> None:
    context = denying_browser.new_context()
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        recorder = BridgeRecorder(page)
        open_shop(page, bridge)
        frame = planner_frame(page, bridge)
        first = frame.evaluate("window.planner.dpop")
        assert first["kept"] == "memory"
        token, _ = token_and_proof(capture_listing(page, frame))
        assert claims_of(token)["cnf"] == {"jkt": first["jkt"]}

        reload_planner(page)  # a new page, a new key: the host asks for a token bound to it
        frame = fresh_planner(page, bridge, 1, recorder)
        second = frame.evaluate("window.planner.dpop")
        assert second["kept"] == "memory" and second["jkt"] != first["jkt"]
        token, _ = token_and_proof(capture_listing(page, frame))
        assert claims_of(token)["cnf"] == {"jkt": second["jkt"]}
        recorder.assert_no_token_leak()
    finally:
        context.close()
