"""DPoP across two `serve` processes on one PostgreSQL (SPEC "Sender-constrained tokens"): a
proof's `jti` spent on one instance is refused on the other, and a nonce made by one is taken
by the other (derived from the shared master key: no database round trip to check one).

The instances' issuer is `http://planner.test` while they listen on 127.0.0.1: proofs name the
public URL (the issuer's), as behind a proxy, never the address the request reached."""

from __future__ import annotations

import httpx

from dpop_keys import DPoPKey
from test_several_instances import ISSUER, instances, shared, shop  # noqa: F401 (fixtures)

KEY = DPoPKey()


def dpop_token(url: str, created: dict, proof: str) -> httpx.Response:
    return httpx.post(
        url + "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["api_key"], created["secret"]),
        headers={"DPoP": proof},
    )


def get_assets(url: str, token: str, proof: str) -> httpx.Response:
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    return httpx.get(url + "/v1/assets", headers=headers)


def test_jti_replay_and_nonces_hold_across_instances(instances, shop):  # noqa: F811
    first, second = instances
    token_proof = KEY.proof("POST", ISSUER + "/auth/token")
    answer = dpop_token(first, shop, token_proof)
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "DPoP"
    replayed_at_token_endpoint = dpop_token(second, shop, token_proof)
    assert replayed_at_token_endpoint.status_code == 400
    assert replayed_at_token_endpoint.json()["error"] == "invalid_dpop_proof"
    token = answer.json()["access_token"]

    asked = get_assets(first, token, KEY.proof("GET", ISSUER + "/v1/assets", token=token))
    assert asked.status_code == 401 and "use_dpop_nonce" in asked.headers["www-authenticate"]
    nonce = asked.headers["DPoP-Nonce"]

    proof = KEY.proof("GET", ISSUER + "/v1/assets", token=token, nonce=nonce)
    on_second = get_assets(second, token, proof)  # the first's nonce, taken by the second
    assert on_second.status_code == 200, on_second.text
    assert on_second.headers["DPoP-Nonce"]  # every answer carries the current nonce

    replayed = get_assets(first, token, proof)
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert "used before" in replayed.json()["error_description"]
    fresh = KEY.proof("GET", ISSUER + "/v1/assets", token=token, nonce=nonce)
    assert get_assets(first, token, fresh).status_code == 200
