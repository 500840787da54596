"""What the revocation tests share: getting tokens the ways shops do, and waiting, with the
SPEC's bound, for a revoked one to be refused (the delay measured is reported, not judged
finer than the contract)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from planner_bridge.clients.signatures import sign_request

CONTRACT = 1.0  # SPEC "Revocation within a second"
SLACK = 0.5  # the polling requests' own round trips, on a machine shared by many tests
DELAYS: list[tuple[str, float]] = []  # (what, seconds): printed at the end of the session


def status(url: str, token: str) -> int:
    """What the web services answer this token (200, or 401 once it is refused)."""
    answer = httpx.get(url + "/v1/assets", headers={"Authorization": f"Bearer {token}"})
    if answer.status_code == 401:
        assert answer.json()["error"] == "invalid_token", answer.text
    return answer.status_code


def refused_within_contract(what: str, *checks: Callable[[], int]) -> float:
    """Poll until every check answers 401; fail if that takes longer than the contract (plus
    the polling's slack). The delay, from the call to the last refusal, is reported."""
    started = time.monotonic()
    pending = list(checks)
    while pending:
        pending = [check for check in pending if check() != 401]
        delay = time.monotonic() - started
        assert delay <= CONTRACT + SLACK or not pending, (
            f"{what}: still accepted after {delay:.2f} s"
        )
    delay = time.monotonic() - started
    DELAYS.append((what, delay))
    print(f"revocation delay, {what}: {delay * 1000:.0f} ms")
    return delay


def client_credentials_token(url: str, key_id: str, secret: str) -> str:
    form = {"grant_type": "client_credentials"}
    answer = httpx.post(url + "/auth/token", auth=(key_id, secret), data=form)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def signed_call(
    url: str, key_id: str, secret: str, method: str, path: str, body: object = None
) -> httpx.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = sign_request(method=method, url=url + path, body=raw, key_id=key_id, secret=secret)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return httpx.request(method, url + path, content=raw, headers=headers)


def user_token(url: str, key_id: str, secret: str, user: str) -> str:
    body = {"type": "user", "user": {"id": user, "name": user.title()}, "rights": ["read"]}
    answer = signed_call(url, key_id, secret, "POST", "/v1/tokens", body)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def exchanged_token(url: str, key_id: str, secret: str, user: str) -> tuple[str, str]:
    """(API token id, an access token exchanged from it) for `user`."""
    body = {"name": f"job of {user}", "user": {"id": user}, "rights": ["read"]}
    created = signed_call(url, key_id, secret, "POST", "/v1/api-tokens", body)
    assert created.status_code == 201, created.text
    api_token = created.json()["token"]
    answer = httpx.post(
        url + "/v1/api-tokens/exchange", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert answer.status_code == 200, answer.text
    return created.json()["id"], answer.json()["access_token"]


def oauth_revoke(url: str, key_id: str, secret: str, token: str) -> httpx.Response:
    form = {"token": token, "token_type_hint": "access_token"}
    return httpx.post(url + "/oauth/revoke", auth=(key_id, secret), data=form)
