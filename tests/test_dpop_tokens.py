"""The token service mints DPoP-bound tokens (RFC 9449 §5-6, SPEC "Sender-constrained tokens"):
`jkt` in the signed `/v1/tokens` body, a proof at `/auth/token` and at the API-token exchange,
the metadata, and an entity that requires DPoP refused any unbound token."""

from __future__ import annotations

import httpx
import jwt

from dpop_keys import DPoPKey
from planner_bridge.serving import blocking
from support import HOST_ORIGIN, Shop
from test_api_tokens import create_token
from test_token_service import ask, assert_refused

KEY = DPoPKey()


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def client_credentials(planner, shop, proof: str | None = None, *extra: str) -> httpx.Response:
    headers = {} if proof is None else {"DPoP": proof}
    return httpx.post(
        planner.url + "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(shop.key_id, shop.secret),
        headers=headers,
    )


def strict_shop(planner) -> Shop:
    """An entity created with `--dpop required`."""
    created, key = blocking(
        planner.core.entities.create("Strict", [HOST_ORIGIN], dpop_required=True)
    )
    return Shop(created, key.key_id, key.secret)


def test_a_signed_request_with_jkt_gets_a_bound_dpop_token(planner, shop):
    answer = ask(planner, shop, {"type": "user", "user": {"id": "u1", "name": "U"}, "jkt": KEY.jkt})
    assert answer.status_code == 201, answer.text
    assert answer.json()["token_type"] == "DPoP"
    assert claims(answer.json()["token"])["cnf"] == {"jkt": KEY.jkt}
    unbound = ask(planner, shop, {"type": "legal_entity"}).json()
    assert unbound["token_type"] == "Bearer" and "cnf" not in claims(unbound["token"])


def test_a_malformed_jkt_is_refused(planner, shop):
    for jkt in ("short", KEY.jkt + "A", 7, KEY.jkt[:-1] + "="):
        assert_refused(
            ask(planner, shop, {"type": "legal_entity", "jkt": jkt}), 400, "invalid_request"
        )


def test_an_entity_requiring_dpop_gets_no_unbound_token(planner):
    strict = strict_shop(planner)
    refused = assert_refused(ask(planner, strict, {"type": "legal_entity"}), 400, "invalid_request")
    assert "DPoP" in refused["error_description"]
    assert ask(planner, strict, {"type": "legal_entity", "jkt": KEY.jkt}).status_code == 201
    refused = assert_refused(client_credentials(planner, strict), 400, "invalid_request")
    assert "DPoP" in refused["error_description"]
    proof = KEY.proof("POST", planner.url + "/auth/token")
    assert client_credentials(planner, strict, proof).json()["token_type"] == "DPoP"


def test_client_credentials_with_a_proof_binds_the_token_to_its_key(planner, shop):
    answer = client_credentials(planner, shop, KEY.proof("POST", planner.url + "/auth/token"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "DPoP" and claims(body["access_token"])["cnf"]["jkt"] == KEY.jkt
    assert client_credentials(planner, shop).json()["token_type"] == "Bearer"


def test_client_credentials_refuses_bad_replayed_and_stale_nonce_proofs_with_400(planner, shop):
    url = planner.url + "/auth/token"
    wrong = assert_refused(
        client_credentials(planner, shop, KEY.proof("GET", url)), 400, "invalid_dpop_proof"
    )
    assert "htm" in wrong["error_description"]
    proof = KEY.proof("POST", url)
    assert client_credentials(planner, shop, proof).status_code == 200
    assert_refused(client_credentials(planner, shop, proof), 400, "invalid_dpop_proof")
    stale = client_credentials(planner, shop, KEY.proof("POST", url, nonce="old"))
    assert_refused(stale, 400, "use_dpop_nonce")
    nonce = stale.headers["DPoP-Nonce"]
    assert client_credentials(planner, shop, KEY.proof("POST", url, nonce=nonce)).status_code == 200


def test_the_api_token_exchange_binds_to_the_proofs_key(planner, shop):
    api_token = create_token(planner, shop, name="sync")["token"]
    url = planner.url + "/v1/api-tokens/exchange"
    answer = httpx.post(
        url, headers={"Authorization": f"Bearer {api_token}", "DPoP": KEY.proof("POST", url)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "DPoP"
    assert claims(answer.json()["access_token"])["cnf"] == {"jkt": KEY.jkt}
    bad = httpx.post(url, headers={"Authorization": f"Bearer {api_token}", "DPoP": "x.y.z"})
    assert_refused(bad, 400, "invalid_dpop_proof")


def test_the_metadata_lists_es256_for_dpop(planner):
    metadata = httpx.get(planner.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256"]
