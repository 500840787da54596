"""One token, one string (SPEC "Under attack"): ECDSA tokens are signed low-S only, and the high-S
twin of a genuine signature, made without the key by replacing s with n - s, is refused as
invalid_token by the web services and at the API-token exchange. Over a real planner origin."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from asset_helpers import assert_invalid_token, bearer, seed_asset
from planner_bridge.clients.signatures import sign_request
from support import high_s, s_is_low

ROUNDS = 40  # a token left to chance is high-S half the time: 2^-40 to pass by luck


def access_token(planner, shop) -> str:
    """A real access token, from `/auth/token` (the batched signing path)."""
    credentials = base64.b64encode(f"{shop.key_id}:{shop.secret}".encode()).decode()
    response = httpx.post(
        planner.url + "/auth/token",
        content=b"grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def signed_post(planner, shop, path: str, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    url = planner.url + path
    headers = sign_request(
        method="POST", url=url, body=body, key_id=shop.key_id, secret=shop.secret
    )
    return httpx.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


def api_token(planner, shop) -> str:
    payload = {"name": "sync", "user": {"id": "alice", "name": "Alice"}}
    response = signed_post(planner, shop, "/v1/api-tokens", payload)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def exchange(planner, token: str) -> httpx.Response:
    url = planner.url + "/v1/api-tokens/exchange"
    return httpx.post(url, headers={"Authorization": f"Bearer {token}"})


def test_a_high_s_copy_of_an_access_token_is_refused_by_the_web_services(planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, None)
    token = access_token(planner, shop)
    copy = high_s(token)
    assert copy != token
    one = f"{planner.url}/v1/assets/{asset.id}"
    assert httpx.get(one, headers=bearer(token)).status_code == 200  # the genuine one, first
    assert_invalid_token(httpx.get(one, headers=bearer(copy)))
    assert_invalid_token(httpx.get(f"{planner.url}/v1/assets", headers=bearer(copy)))
    assert "low-S" in httpx.get(one, headers=bearer(copy)).json()["error_description"]


def test_a_high_s_copy_of_an_api_token_is_refused_at_the_exchange(planner, shop):
    token = api_token(planner, shop)
    copy = high_s(token)
    assert copy != token
    assert_invalid_token(exchange(planner, copy))
    answer = exchange(planner, token)
    assert answer.status_code == 200, answer.text
    assert_invalid_token(exchange(planner, high_s(answer.json()["access_token"])))  # not an API one
    # The exchanged access token's own high-S twin is refused where access tokens are used.
    listing = f"{planner.url}/v1/assets"
    assert httpx.get(listing, headers=bearer(answer.json()["access_token"])).status_code == 200
    assert_invalid_token(httpx.get(listing, headers=bearer(high_s(answer.json()["access_token"]))))


@pytest.mark.parametrize("route", ["/auth/token", "/v1/tokens", "api-token", "exchange"])
def test_freshly_minted_tokens_are_always_low_s(planner, shop, route):
    api = api_token(planner, shop) if route == "exchange" else ""
    for _ in range(ROUNDS):
        if route == "/auth/token":
            token = access_token(planner, shop)
        elif route == "/v1/tokens":
            answer = signed_post(planner, shop, "/v1/tokens", {"type": "legal_entity"})
            token = answer.json()["token"]
        elif route == "api-token":
            token = api_token(planner, shop)
        else:
            token = exchange(planner, api).json()["access_token"]
        assert s_is_low(token), token
