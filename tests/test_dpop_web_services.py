"""The web services for DPoP-bound tokens (RFC 9449 §7, SPEC "Sender-constrained tokens"), over a
real server: a fresh proof on every call, the nonce dance, `WWW-Authenticate: DPoP` refusals, a
bound token sent as Bearer or with someone else's proof refused, and `/v1/live`."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.sync.client import connect

from asset_helpers import WRITE, bearer, seed_asset
from dpop_keys import DPoPKey
from planner_bridge.serving import blocking
from support import HOST_ORIGIN, Shop
from test_live import RECV_TIMEOUT, close_code, receive, ws_url
from test_signed_assets import call

KEY = DPoPKey()


def mint_bound(core, entity_id: str, *, key: DPoPKey = KEY, rights=("read",), lifetime=600) -> str:
    minted = core.issuer.mint_access_token(
        entity_id=entity_id,
        client_id="test-client",
        rights=rights,
        lifetime=lifetime,
        user_id="alice",
        user_name="alice",
        jkt=key.jkt,
    )
    return blocking(minted).token


class Caller:
    """The planner's side: its key, its token, the last nonce the server gave it."""

    def __init__(self, planner, token: str, key: DPoPKey = KEY) -> None:
        self.planner, self.token, self.key = planner, token, key
        self.nonce: str | None = None

    def headers(self, method: str, path: str, **proof) -> dict[str, str]:
        options = {"token": self.token, "nonce": self.nonce, **proof}
        made = self.key.proof(method, self.planner.url + path, **options)
        return {"Authorization": f"DPoP {self.token}", "DPoP": made}

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One call; once more with the server's nonce when it asks for one (as the planner)."""
        for _ in range(2):
            headers = {**self.headers(method, path), **kwargs.pop("headers", {})}
            answer = httpx.request(method, self.planner.url + path, headers=headers, **kwargs)
            self.nonce = answer.headers.get("DPoP-Nonce", self.nonce)
            if answer.headers.get("www-authenticate", "").find("use_dpop_nonce") < 0:
                return answer
        return answer


def challenge(answer: httpx.Response, error: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == f'DPoP error="{error}", algs="ES256"'
    assert answer.json()["error"] == error
    assert answer.headers["DPoP-Nonce"]


@pytest.fixture
def asset(planner, shop):
    return seed_asset(planner.core, shop.entity.id, None, "Catalog sofa")


@pytest.fixture
def caller(planner, shop):
    return Caller(planner, mint_bound(planner.core, shop.entity.id))


def test_the_first_call_is_asked_for_a_nonce_then_answered_with_one(caller, asset):
    path = f"/v1/assets/{asset.id}"
    first = httpx.get(caller.planner.url + path, headers=caller.headers("GET", path))
    challenge(first, "use_dpop_nonce")
    caller.nonce = first.headers["DPoP-Nonce"]
    answer = httpx.get(caller.planner.url + path, headers=caller.headers("GET", path))
    assert answer.status_code == 200 and answer.json()["name"] == "Catalog sofa"
    assert answer.headers["DPoP-Nonce"] == caller.nonce


def test_every_call_takes_a_fresh_proof_and_a_replayed_one_is_refused(caller, asset):
    path = f"/v1/assets/{asset.id}"
    assert caller.call("GET", path).status_code == 200
    headers = caller.headers("GET", path)
    assert httpx.get(caller.planner.url + path, headers=headers).status_code == 200
    replayed = httpx.get(caller.planner.url + path, headers=headers)
    challenge(replayed, "invalid_dpop_proof")
    assert "used before" in replayed.json()["error_description"]


def test_a_replayed_read_proof_learns_nothing_of_the_handlers_answer(caller, asset):
    path = "/v1/assets/ast_missing"
    assert caller.call("GET", f"/v1/assets/{asset.id}").status_code == 200  # the nonce
    headers = caller.headers("GET", path)
    assert httpx.get(caller.planner.url + path, headers=headers).status_code == 404
    replayed = httpx.get(caller.planner.url + path, headers=headers)
    challenge(replayed, "invalid_dpop_proof")  # not the handler's 404


def test_a_replayed_write_proof_applies_nothing(caller, planner, shop):
    caller.token = mint_bound(planner.core, shop.entity.id, rights=WRITE)
    assert caller.call("GET", "/v1/assets").status_code == 200  # the nonce
    headers = caller.headers("POST", "/v1/assets")
    body = {"name": "Lamp", "kind": "light"}
    assert httpx.post(planner.url + "/v1/assets", headers=headers, json=body).status_code == 201
    challenge(
        httpx.post(planner.url + "/v1/assets", headers=headers, json=body), "invalid_dpop_proof"
    )
    listed = caller.call("GET", "/v1/assets").json()["assets"]
    assert [a["name"] for a in listed] == ["Lamp"]


def test_a_bound_token_sent_as_bearer_is_refused(caller, asset):
    answer = httpx.get(f"{caller.planner.url}/v1/assets/{asset.id}", headers=bearer(caller.token))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'DPoP error="invalid_token", algs="ES256"'


def test_a_stolen_token_with_the_attackers_own_fresh_proof_is_refused(caller, asset):
    assert caller.call("GET", "/v1/assets").status_code == 200
    thief = Caller(caller.planner, caller.token, key=DPoPKey())
    thief.nonce = caller.nonce
    answer = thief.call("GET", f"/v1/assets/{asset.id}")
    challenge(answer, "invalid_dpop_proof")
    assert "cnf.jkt" in answer.json()["error_description"]


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"claims": {"htm": "POST"}}, "htm"),
        ({"claims": {"htu": "http://elsewhere.example/v1/assets"}}, "htu"),
        ({"token": "another.token.here"}, "ath"),
        ({"iat": 1}, "iat"),
        ({"header": {"typ": "JWT"}}, "typ"),
    ],
)
def test_a_mismatched_proof_is_invalid_dpop_proof(caller, broken, why):
    assert caller.call("GET", "/v1/assets").status_code == 200
    headers = caller.headers("GET", "/v1/assets", **broken)
    answer = httpx.get(caller.planner.url + "/v1/assets", headers=headers)
    challenge(answer, "invalid_dpop_proof")
    assert why in answer.json()["error_description"]


def test_no_proof_or_two_proofs_are_refused(caller):
    url = caller.planner.url + "/v1/assets"
    auth = {"Authorization": f"DPoP {caller.token}"}
    challenge(httpx.get(url, headers=auth), "invalid_dpop_proof")
    two = [*auth.items(), ("DPoP", caller.headers("GET", "/v1/assets")["DPoP"])]
    two.append(("DPoP", caller.headers("GET", "/v1/assets")["DPoP"]))
    challenge(httpx.get(url, headers=two), "invalid_dpop_proof")


def test_token_problems_on_a_dpop_call_are_invalid_token_with_the_dpop_challenge(planner, shop):
    unbound = blocking(
        planner.core.issuer.mint_access_token(
            entity_id=shop.entity.id, client_id="c", rights=("read",), lifetime=600
        )
    ).token
    challenge(Caller(planner, unbound).call("GET", "/v1/assets"), "invalid_token")
    challenge(Caller(planner, "e30.e30.c2ln").call("GET", "/v1/assets"), "invalid_token")


def test_an_entity_requiring_dpop_refuses_bearer_tokens_but_not_signed_back_end_calls(planner):
    entity, key = blocking(
        planner.core.entities.create("Strict", [HOST_ORIGIN], dpop_required=True)
    )
    unbound = blocking(
        planner.core.issuer.mint_access_token(
            entity_id=entity.id, client_id=key.key_id, rights=("read",), lifetime=600
        )
    ).token
    answer = httpx.get(planner.url + "/v1/assets", headers=bearer(unbound))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'DPoP error="invalid_token", algs="ES256"'
    assert (
        Caller(planner, mint_bound(planner.core, entity.id)).call("GET", "/v1/assets").status_code
        == 200
    )
    back_end = Shop(entity, key.key_id, key.secret)  # its RFC 9421 calls carry no token
    assert call(planner, back_end, "GET", "/v1/assets").status_code == 200


# -- /v1/live ------------------------------------------------------------------------------------


def live_proof(caller, **options) -> str:
    url = caller.planner.url + "/v1/live"
    return caller.key.proof("GET", url, token=caller.token, **options)


def test_live_takes_a_proof_after_one_nonce_round(caller):
    with connect(ws_url(caller.planner), open_timeout=RECV_TIMEOUT) as ws:
        ws.send(json.dumps({"type": "auth", "token": caller.token, "dpop": live_proof(caller)}))
        asked = receive(ws)
        assert asked["type"] == "use_dpop_nonce" and asked["nonce"]
        proof = live_proof(caller, nonce=asked["nonce"])
        ws.send(json.dumps({"type": "auth", "token": caller.token, "dpop": proof}))
        assert receive(ws)["type"] == "authenticated"


@pytest.mark.parametrize("dpop", [None, "attacker", "wrong htu", "replayed"])
def test_live_refuses_a_bound_token_without_its_own_fresh_proof_with_4401(caller, dpop):
    nonce = blocking_nonce(caller)
    proofs = {
        None: None,
        "attacker": Caller(caller.planner, caller.token, DPoPKey()).key.proof(
            "GET", caller.planner.url + "/v1/live", token=caller.token, nonce=nonce
        ),
        "wrong htu": live_proof(caller, nonce=nonce, claims={"htu": caller.planner.url + "/v1/x"}),
        "replayed": live_proof(caller, nonce=nonce),
    }
    if dpop == "replayed":
        with connect(ws_url(caller.planner), open_timeout=RECV_TIMEOUT) as ws:
            ws.send(json.dumps({"type": "auth", "token": caller.token, "dpop": proofs[dpop]}))
            assert receive(ws)["type"] == "authenticated"
    with connect(ws_url(caller.planner), open_timeout=RECV_TIMEOUT) as ws:
        message = {"type": "auth", "token": caller.token}
        if proofs[dpop] is not None:
            message["dpop"] = proofs[dpop]
        ws.send(json.dumps(message))
        refused = receive(ws)
        assert refused["type"] == "error"
        assert refused["error"] in ("invalid_token", "invalid_dpop_proof")
        assert close_code(ws) == 4401


def blocking_nonce(caller) -> str:
    return caller.planner.core.proofs.nonces.current()


def test_dpop_refusals_are_counted_by_their_own_reason():
    from planner_bridge.apps.observed import failure_reason

    for error in ("invalid_dpop_proof", "use_dpop_nonce", "invalid_token"):
        assert failure_reason(f'DPoP error="{error}", algs="ES256"') == error
