"""Client addresses: X-Forwarded-For believed only from PLANNER_BRIDGE_TRUSTED_PROXIES, read right
to left past trusted hops; the brakes count what `TrustedProxies.client_address` finds, over a real
server (uvicorn's own proxy-header handling is off)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from planner_bridge.addresses import TrustedProxies, brake_subject
from planner_bridge.clients.signatures import sign_request
from planner_bridge.settings import Settings, SettingsError
from support import register_shop

LIMIT = 10
GRANT = b"grant_type=client_credentials"


def scope(peer: str, *forwarded: str) -> dict:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 5000), "headers": headers}


# -- the rule ---------------------------------------------------------------------------------


def test_no_trusted_proxy_means_the_peer_whatever_the_header_says():
    proxies = TrustedProxies()
    assert proxies.client_address(scope("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


def test_a_forged_header_from_an_untrusted_peer_is_ignored():
    proxies = TrustedProxies.parse("10.0.0.0/8")
    assert proxies.client_address(scope("198.51.100.4", "203.0.113.9")) == "198.51.100.4"


def test_from_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client():
    proxies = TrustedProxies.parse("10.0.0.0/8, 192.0.2.1")
    # The client wrote "1.1.1.1" itself; 203.0.113.9 is what the first trusted proxy saw.
    forwarded = scope("10.0.0.2", "1.1.1.1, 203.0.113.9, 192.0.2.1", "10.0.0.7")
    assert proxies.client_address(forwarded) == "203.0.113.9"


def test_every_hop_trusted_gives_the_leftmost():
    proxies = TrustedProxies.parse("10.0.0.0/8")
    assert proxies.client_address(scope("10.0.0.2", "10.0.0.5, 10.0.0.6")) == "10.0.0.5"
    assert proxies.client_address(scope("10.0.0.2")) == "10.0.0.2"  # no header: the proxy


def test_an_unreadable_hop_is_blamed_on_the_proxy_that_passed_it():
    proxies = TrustedProxies.parse("10.0.0.0/8")
    assert proxies.client_address(scope("10.0.0.2", "203.0.113.9, nonsense")) == "10.0.0.2"


def test_addresses_are_normalised_and_ipv6_is_braked_per_64():
    proxies = TrustedProxies.parse("::1")
    assert proxies.client_address(scope("::1", "[2001:DB8::1]")) == "2001:db8::1"
    assert proxies.client_address(scope("::1", "[2001:db8::1]:443")) == "2001:db8::1"
    assert proxies.client_address(scope("::1", "203.0.113.9:5000")) == "203.0.113.9"
    assert proxies.client_address(scope("::ffff:127.0.0.9")) == "127.0.0.9"
    assert brake_subject("2001:db8::1") == brake_subject("2001:db8::ffff:1")
    assert brake_subject("2001:db8::1") != brake_subject("2001:db8:0:1::1")
    assert brake_subject("127.0.0.2") != brake_subject("127.0.0.3")


def test_the_setting_is_checked_at_start():
    settings = Settings.from_env({"PLANNER_BRIDGE_TRUSTED_PROXIES": "10.0.0.0/8 ::1,192.0.2.7"})
    assert len(TrustedProxies.parse(settings.trusted_proxies).networks) == 3
    assert Settings.from_env({}).trusted_proxies == ""  # default: none
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PLANNER_BRIDGE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"})
    assert "PLANNER_BRIDGE_TRUSTED_PROXIES" in str(caught.value)
    assert "proxy.local" in str(caught.value)


# -- over a real server -------------------------------------------------------------------------


def token_request(url: str, key_id: str, secret: str, forwarded: str | None, peer: str):
    """`/auth/token` with Basic credentials from `peer`, claiming to forward for `forwarded`."""
    credentials = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    with httpx.Client(transport=httpx.HTTPTransport(local_address=peer)) as http:
        return http.post(url + "/auth/token", content=GRANT, headers=headers)


def signed_token(url: str, shop, forwarded: str, peer: str = "127.0.0.1"):
    body = json.dumps({"type": "legal_entity"}).encode()
    headers = sign_request(
        method="POST", url=url + "/v1/tokens", body=body, key_id=shop.key_id, secret=shop.secret
    )
    headers = {**headers, "Content-Type": "application/json", "X-Forwarded-For": forwarded}
    with httpx.Client(transport=httpx.HTTPTransport(local_address=peer)) as http:
        return http.post(url + "/v1/tokens", content=body, headers=headers)


def test_a_forged_header_does_not_spread_one_peers_failures(planner, shop):
    # Without trusted proxies (the default), each guess naming another address is still counted
    # against the real peer. (uvicorn's default would have believed the header from 127.0.0.1.)
    for i in range(LIMIT):
        forged = f"203.0.113.{i + 1}"
        response = token_request(planner.url, shop.key_id, "wrong", forged, "127.0.0.1")
        assert response.status_code == 401
    braked = token_request(planner.url, shop.key_id, shop.secret, "203.0.113.200", "127.0.0.1")
    assert braked.status_code == 429
    assert int(braked.headers["retry-after"]) >= 1


def test_behind_a_trusted_proxy_each_forwarded_client_pays_for_its_own_failures(
    start_planner,
):
    planner = start_planner(trusted_proxies="127.0.0.1")
    shop = register_shop(planner.core)
    attacker, holder = "203.0.113.7", "198.51.100.20"
    for _ in range(LIMIT):
        response = token_request(planner.url, shop.key_id, "wrong", attacker, "127.0.0.1")
        assert response.status_code == 401
    braked = token_request(planner.url, shop.key_id, shop.secret, attacker, "127.0.0.1")
    assert braked.status_code == 429
    assert int(braked.headers["retry-after"]) >= 1
    assert signed_token(planner.url, shop, attacker).status_code == 429
    # The key's holder, behind the same proxy, is served at once on both endpoints.
    ok = token_request(planner.url, shop.key_id, shop.secret, holder, "127.0.0.1")
    assert ok.status_code == 200, ok.text
    assert signed_token(planner.url, shop, holder).status_code == 201
    # The same header from a peer that is not a trusted proxy names nobody: not braked.
    elsewhere = token_request(planner.url, shop.key_id, shop.secret, attacker, "127.0.0.2")
    assert elsewhere.status_code == 200
