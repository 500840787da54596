"""A right a DPoP-bound token lacks is refused with the DPoP scheme (RFC 9449 §7.1): the 403
`insufficient_scope` challenge names the scheme the call used, as a Bearer call's names Bearer."""

from __future__ import annotations

import httpx

from asset_helpers import bearer
from planner_bridge.serving import blocking
from test_dpop_web_services import Caller, mint_bound

ASSET = {"name": "Lamp", "kind": "light"}


def test_a_dpop_call_without_the_write_right_gets_a_dpop_challenge(planner, shop):
    caller = Caller(planner, mint_bound(planner.core, shop.entity.id, rights=("read",)))
    answer = caller.call("POST", "/v1/assets", json=ASSET)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "insufficient_scope"
    assert answer.headers["www-authenticate"] == 'DPoP error="insufficient_scope", algs="ES256"'
    assert answer.headers["DPoP-Nonce"]


def test_a_bearer_call_without_the_write_right_still_gets_a_bearer_challenge(planner, shop):
    minted = planner.core.issuer.mint_access_token(
        entity_id=shop.entity.id, client_id="c", rights=("read",), lifetime=600
    )
    answer = httpx.post(
        planner.url + "/v1/assets", json=ASSET, headers=bearer(blocking(minted).token)
    )
    assert answer.status_code == 403, answer.text
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="planner", error="insufficient_scope"'
    )
