"""Back-end calls to the web services signed with the API key (SPEC "Planner web services"),
made with the http-message-signatures library's own signer over a real server."""

from __future__ import annotations

import datetime
import json
import secrets
from types import SimpleNamespace
from typing import Any

import httpx
from http_message_signatures import HTTPMessageSigner, algorithms

from planner_bridge.serving import blocking
from support import PlannerServer, SharedSecret, Shop, wait_until

SOFA = json.dumps({"name": "Sofa", "kind": "sofa"}).encode()


def sign(shop: Shop, method: str, url: str, body: bytes | None = None, **options: Any) -> dict:
    """The library's signature: "@method" "@path" (+ "@query" when there is one), and with a
    body its Content-Digest; `created` now and a fresh nonce unless given."""
    message = SimpleNamespace(method=method, url=url, headers={})
    covered = ["@method", "@path"] + (["@query"] if "?" in url else [])
    options.setdefault("nonce", secrets.token_urlsafe(16))
    options.setdefault("created", datetime.datetime.now(datetime.UTC))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=SharedSecret(shop.key_id, shop.secret),
    )
    signer.sign(
        message,
        key_id=shop.key_id,
        label="sig",
        covered_component_ids=options.pop("covered", covered),
        body=body,
        **options,
    )
    return dict(message.headers)


def call(
    planner: PlannerServer,
    shop: Shop,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    send_url: str | None = None,
    send_body: bytes | None = None,
    extra: dict | None = None,
) -> httpx.Response:
    """Sign for `path` and `body`, then send (possibly another URL or body than signed)."""
    url = planner.url + path
    headers = sign(shop, method, url, body)
    if body is not None:
        headers["Content-Type"] = "application/json"
    headers.update(extra or {})
    content = send_body if send_body is not None else body
    return httpx.request(method, send_url or url, headers=headers, content=content)


def assert_invalid_client(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Signature")


def test_a_signed_call_reads_the_catalog(planner, readonly_shop):
    created = planner.core.store
    assert blocking(created.list_assets(readonly_shop.entity.id, (None,))) == []
    response = call(planner, readonly_shop, "GET", "/v1/assets?limit=5")
    assert response.status_code == 200, response.text
    assert response.json() == {"assets": [], "next": None}
    assert "access-control-allow-origin" not in response.headers


def test_write_is_refused_without_allow_write(planner, readonly_shop):
    response = call(planner, readonly_shop, "POST", "/v1/assets", SOFA)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert blocking(planner.core.store.list_assets(readonly_shop.entity.id, (None,))) == []


def test_with_allow_write_a_signed_call_creates_changes_and_deletes(planner, shop):
    created = call(planner, shop, "POST", "/v1/assets", SOFA, extra={"Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    asset = created.json()
    assert (asset["owner"], asset["entity"]) == (None, shop.entity.id)  # the entity's catalog
    one = f"/v1/assets/{asset['id']}"
    assert call(planner, shop, "GET", one).json()["name"] == "Sofa"
    patch = json.dumps({"name": "Big sofa"}).encode()
    changed = call(planner, shop, "PATCH", one, patch)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert call(planner, shop, "DELETE", one).status_code == 204
    assert call(planner, shop, "GET", one).status_code == 404


def test_a_changed_query_is_refused(planner, shop):
    signed_for = "/v1/assets?limit=5"
    response = call(planner, shop, "GET", signed_for, send_url=planner.url + "/v1/assets?limit=6")
    assert_invalid_client(response)


def test_a_query_the_signature_does_not_cover_is_refused(planner, shop):
    url = planner.url + "/v1/assets?limit=5"
    headers = sign(shop, "GET", url, covered=["@method", "@path"])
    assert_invalid_client(httpx.get(url, headers=headers))


def test_a_changed_body_is_refused(planner, shop):
    other = json.dumps({"name": "Chair", "kind": "chair"}).encode()
    assert_invalid_client(call(planner, shop, "POST", "/v1/assets", SOFA, send_body=other))
    assert blocking(planner.core.store.list_assets(shop.entity.id, (None,))) == []


def test_a_body_without_a_signed_digest_is_refused(planner, shop):
    url = planner.url + "/v1/assets"
    headers = sign(shop, "POST", url)  # signed with no body, so no Content-Digest covered
    headers["Content-Type"] = "application/json"
    assert_invalid_client(httpx.post(url, headers=headers, content=SOFA))


def test_a_revoked_key_is_refused(planner, shop):
    assert call(planner, shop, "GET", "/v1/assets").status_code == 200
    blocking(planner.core.entities.revoke_key(shop.key_id))
    assert_invalid_client(call(planner, shop, "GET", "/v1/assets"))


def test_a_replayed_nonce_is_refused(planner, shop):
    url = planner.url + "/v1/assets"
    headers = sign(shop, "GET", url)
    assert httpx.get(url, headers=headers).status_code == 200
    assert_invalid_client(httpx.get(url, headers=headers))


def test_a_wrong_secret_is_refused(planner, shop):
    forged = Shop(shop.entity, shop.key_id, "not-the-secret")
    assert_invalid_client(call(planner, forged, "GET", "/v1/assets"))


def test_a_bearer_token_and_a_signature_together_are_refused(planner, shop):
    token = issue_entity_token(planner, shop)
    response = call(planner, shop, "GET", "/v1/assets", extra={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "not both" in response.json()["error_description"]


def test_the_bearer_token_alone_still_works(planner, shop):
    token = issue_entity_token(planner, shop)
    response = httpx.get(planner.url + "/v1/assets", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_no_cors_preflight_lets_a_browser_send_a_signature(planner, shop):
    response = httpx.options(
        planner.url + "/v1/assets",
        headers={
            "Origin": "http://localhost:8000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "signature, signature-input",
        },
    )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-headers" not in response.headers


def test_a_signed_call_records_the_keys_last_use(planner, shop):
    assert blocking(planner.core.store.get_api_key(shop.key_id)).last_used is None
    assert call(planner, shop, "GET", "/v1/assets").status_code == 200
    # Written in the background (the call never waits for it): there soon after the answer.
    wait_until(lambda: blocking(planner.core.store.get_api_key(shop.key_id)).last_used)


def issue_entity_token(planner: PlannerServer, shop: Shop) -> str:
    response = httpx.post(
        planner.url + "/auth/token",
        auth=(shop.key_id, shop.secret),
        data={"grant_type": "client_credentials"},
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
