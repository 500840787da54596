"""RFC 9421 request signatures: what `sign_request` produces, and every way a signature is refused.

The refusals are checked end to end on `/v1/tokens` (real server): 401 `invalid_client`, a
`Signature` challenge, and no token in the answer. Window edges are checked on a frozen clock.
"""

from __future__ import annotations

import datetime
import json
import secrets
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from http_message_signatures import HTTPMessageSigner, algorithms

from asset_helpers import seed_asset
from planner_bridge.clients.entities import EntityRegistry
from planner_bridge.clients.signatures import CHALLENGE, COVERED, SignatureVerifier, sign_request
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidClient
from planner_bridge.serving import blocking
from support import PlannerServer, SharedSecret, Shop, register_shop

BODY = json.dumps({"type": "legal_entity"}).encode()
HOUR = datetime.timedelta(hours=1)


def signed(planner: PlannerServer, shop: Shop, body: bytes = BODY, **kwargs: Any) -> dict[str, str]:
    options: dict[str, Any] = {"key_id": shop.key_id, "secret": shop.secret}
    options.update(kwargs)
    path = options.pop("path", "/v1/tokens")
    method = options.pop("method", "POST")
    return sign_request(method=method, url=planner.url + path, body=body, **options)


def send(planner: PlannerServer, headers: dict[str, str], body: bytes = BODY) -> httpx.Response:
    headers = {**headers, "Content-Type": "application/json"}
    return httpx.post(planner.url + "/v1/tokens", content=body, headers=headers)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Signature realm="planner-bridge"'
    assert "token" not in response.json()


def library_signed(planner: PlannerServer, shop: Shop, **sign: Any) -> dict[str, str]:
    """Headers made by the library's own signer with non-default options."""
    message = SimpleNamespace(method="POST", url=planner.url + "/v1/tokens", headers={})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=SharedSecret(shop.key_id, shop.secret),
    )
    signer.sign(message, key_id=shop.key_id, label="sig", **sign)
    return dict(message.headers)


# -- what a signature looks like ------------------------------------------------------------


def test_sign_request_covers_method_path_and_content_digest(planner, shop):
    headers = signed(planner, shop, nonce="n-0123456789", created=1_800_000_000)
    assert headers["Content-Digest"].startswith("sha-256=:")
    signature_input = headers["Signature-Input"]
    assert signature_input.startswith('sig=("@method" "@path" "content-digest")')
    for parameter in (
        "created=1800000000",
        f'keyid="{shop.key_id}"',
        'alg="hmac-sha256"',
        'nonce="n-0123456789"',
    ):
        assert parameter in signature_input
    assert headers["Signature"].startswith("sig=:")


def test_sign_request_uses_a_fresh_nonce_each_time(planner, shop):
    first, second = signed(planner, shop), signed(planner, shop)
    assert first["Signature-Input"] != second["Signature-Input"]
    nonce = first["Signature-Input"].split('nonce="')[1].split('"')[0]
    assert len(nonce) == 22  # 16 random bytes, base64url


def test_sign_request_dates_the_signature_as_asked_on_any_local_time_zone(planner, shop):
    headers = signed(planner, shop, created=1_800_000_000, expires=1_800_000_060)
    assert ";created=1800000000;" in headers["Signature-Input"]
    assert ";expires=1800000060;" in headers["Signature-Input"]


def test_a_good_signature_is_accepted_under_any_label(planner, shop):
    for label in ("sig", "pyhms", "backend-1"):
        assert send(planner, signed(planner, shop, label=label)).status_code == 201


# -- every refusal, end to end -----------------------------------------------------------------


def test_stale_signature_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, created=int(time.time()) - 301)))
    assert send(planner, signed(planner, shop, created=int(time.time()) - 280)).status_code == 201


def test_signature_dated_in_the_future_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, created=int(time.time()) + 45)))
    assert send(planner, signed(planner, shop, created=int(time.time()) + 10)).status_code == 201


def test_signature_past_its_expires_is_refused(planner, shop):
    now = int(time.time())
    assert_refused(send(planner, signed(planner, shop, created=now - 20, expires=now - 10)))
    assert send(planner, signed(planner, shop, expires=now + 60)).status_code == 201


def test_library_signature_past_its_expires_is_refused(planner, shop):
    now = datetime.datetime.now(datetime.UTC)
    for expires, status in ((now - datetime.timedelta(seconds=5), 401), (now + HOUR, 201)):
        headers = library_signed(
            planner,
            shop,
            created=now,
            expires=expires,
            nonce=secrets.token_urlsafe(16),
            body=BODY,
            covered_component_ids=COVERED,
        )
        assert "expires=" in headers["Signature-Input"]
        assert send(planner, headers).status_code == status


def test_expires_before_created_is_refused(planner, shop):
    now = int(time.time())
    assert_refused(send(planner, signed(planner, shop, created=now + 20, expires=now + 10)))


def test_reused_nonce_is_refused(planner, shop):
    headers = signed(planner, shop)
    assert send(planner, headers).status_code == 201
    assert_refused(send(planner, headers))


def test_reused_nonce_is_refused_even_in_a_new_signature(planner, shop):
    assert send(planner, signed(planner, shop, nonce="same-nonce-1")).status_code == 201
    other = json.dumps({"type": "legal_entity", "expires_in": 60}).encode()
    assert_refused(send(planner, signed(planner, shop, other, nonce="same-nonce-1"), other))


def test_nonces_are_per_key(planner, shop):
    other_shop = register_shop(planner.core, name="Other Store")
    assert send(planner, signed(planner, shop, nonce="shared-nonce")).status_code == 201
    assert send(planner, signed(planner, other_shop, nonce="shared-nonce")).status_code == 201


def test_body_changed_after_signing_is_refused(planner, shop):
    headers = signed(planner, shop)
    changed = json.dumps({"type": "legal_entity", "rights": ["read", "write"]}).encode()
    assert_refused(send(planner, headers, changed))


def test_body_and_digest_changed_after_signing_is_refused(planner, shop):
    changed = json.dumps({"type": "legal_entity", "rights": ["read", "write"]}).encode()
    headers = signed(planner, shop)
    headers["Content-Digest"] = signed(planner, shop, changed)["Content-Digest"]
    assert_refused(send(planner, headers, changed))


def test_path_changed_after_signing_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, path="/v1/api-tokens")))


def percent_encoded_asset_path(planner: PlannerServer, shop: Shop) -> tuple[str, str]:
    """A real asset's path with its id's first character percent-encoded, and the decoded one."""
    asset = seed_asset(planner.core, shop.entity.id, owner=None)
    return f"/v1/assets/%{ord(asset.id[0]):02X}{asset.id[1:]}", f"/v1/assets/{asset.id}"


def test_path_is_signed_as_sent_percent_encoded(planner, shop):
    """RFC 9421 §2.2.6: `@path` is the path before percent-encoded octets are decoded."""
    sent, decoded = percent_encoded_asset_path(planner, shop)
    headers = signed(planner, shop, b"", method="GET", path=sent)
    response = httpx.get(planner.url + sent, headers=headers)
    assert response.status_code == 200, response.text
    assert "/v1/assets/" + response.json()["id"] == decoded


def test_a_signature_over_the_decoded_path_is_refused_for_the_encoded_one(planner, shop):
    sent, decoded = percent_encoded_asset_path(planner, shop)
    headers = signed(planner, shop, b"", method="GET", path=decoded)
    assert_refused(httpx.get(planner.url + sent, headers=headers))


@pytest.mark.parametrize("host", ["elsewhere.example", "elsewhere.example/v1/api-tokens?x=1"])
def test_the_host_header_has_no_say_in_the_signed_path(planner, shop, host):
    """`@path` comes from the request line alone: a Host header (not covered), even one that
    looks like a path and a query, does not break a good signature."""
    headers = {**signed(planner, shop), "Content-Type": "application/json", "Host": host}
    assert httpx.post(planner.url + "/v1/tokens", content=BODY, headers=headers).status_code == 201


def test_method_changed_after_signing_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, method="PUT")))


def test_unknown_key_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, key_id="pbk_nobody")))


def test_revoked_key_is_refused(planner, shop):
    blocking(planner.core.entities.revoke_key(shop.key_id))
    revoked = send(planner, signed(planner, shop))
    assert_refused(revoked)
    wrong = send(planner, signed(planner, shop, secret="wrong"))
    assert revoked.json() == wrong.json()  # a revoked key tells no more than a wrong secret


def test_a_key_revoked_through_this_process_is_refused_at_once_though_remembered(planner, shop):
    assert send(planner, signed(planner, shop)).status_code == 201  # the key is now remembered
    blocking(planner.core.entities.revoke_key(shop.key_id))
    assert_refused(send(planner, signed(planner, shop)))


def test_a_key_revoked_elsewhere_is_refused_by_signed_requests_within_a_second(core):
    """Signed requests remember a key 1 s (no database read on their hot path), as
    `/auth/token` does: a revocation by another instance on the same database (here, another
    registry) reaches them within that second (SPEC)."""
    shop, clock = register_shop(core), FrozenClock(1_800_000_000)
    here = EntityRegistry(core.store, core.deriver, clock)
    elsewhere = EntityRegistry(core.store, core.deriver, clock)
    verifier = SignatureVerifier(here, core.store, clock)

    def verify() -> None:
        url = "http://127.0.0.1:8001/v1/tokens"
        sign = {"key_id": shop.key_id, "secret": shop.secret, "created": int(clock.now())}
        headers = sign_request(method="POST", url=url, body=BODY, **sign)
        blocking(verifier.verify(method="POST", url=url, headers=list(headers.items()), body=BODY))

    verify()
    blocking(elsewhere.revoke_key(shop.key_id))
    clock.advance(0.9)
    verify()  # still remembered
    clock.advance(0.1)
    with pytest.raises(InvalidClient):
        verify()


def test_wrong_secret_is_refused(planner, shop):
    assert_refused(send(planner, signed(planner, shop, secret=shop.secret[:-1] + "x")))


def test_unknown_key_and_wrong_secret_answer_alike(planner, shop):
    unknown = send(planner, signed(planner, shop, key_id="pbk_nobody"))
    wrong = send(planner, signed(planner, shop, secret="wrong"))
    assert (unknown.status_code, unknown.content) == (wrong.status_code, wrong.content)


def test_two_signatures_are_refused(planner, shop):
    first = signed(planner, shop, label="one")
    second = signed(planner, shop, label="two")
    headers = {
        "Content-Digest": first["Content-Digest"],
        "Signature-Input": f"{first['Signature-Input']}, {second['Signature-Input']}",
        "Signature": f"{first['Signature']}, {second['Signature']}",
    }
    assert_refused(send(planner, headers))


def test_signature_not_covering_content_digest_is_refused(planner, shop):
    headers = library_signed(
        planner, shop, covered_component_ids=("@method", "@path"), nonce="n" * 16
    )
    headers["Content-Digest"] = signed(planner, shop)["Content-Digest"]
    assert_refused(send(planner, headers))


def test_signature_without_nonce_is_refused(planner, shop):
    headers = library_signed(planner, shop, body=BODY, covered_component_ids=("@method", "@path"))
    assert "nonce" not in headers["Signature-Input"]
    assert_refused(send(planner, headers))


def test_short_nonce_is_refused(planner, shop):
    response = send(planner, signed(planner, shop, nonce="abc"))
    assert_refused(response)
    description = response.json()["error_description"]
    assert description == "signature needs a nonce of 8 to 128 characters"


def test_a_nonce_is_held_for_the_whole_window_and_then_let_go(core):
    """Held 330 s (300 s of age plus 30 s ahead): a replay is refused for as long as a
    signature carrying it could still be fresh; after that, `created` refuses any replay."""
    shop, now = register_shop(core), 1_800_000_000
    verify_at(core, shop, created=now, now=now, nonce="held-nonce-1")
    with pytest.raises(InvalidClient) as refused:
        verify_at(core, shop, created=now + 329, now=now + 329, nonce="held-nonce-1")
    assert refused.value.description == "signature nonce was already used"
    verify_at(core, shop, created=now + 331, now=now + 331, nonce="held-nonce-1")


@pytest.mark.parametrize(("length", "status"), [(7, 401), (8, 201), (128, 201), (129, 401)])
def test_nonces_of_8_to_128_characters_are_accepted(planner, shop, length, status):
    response = send(planner, signed(planner, shop, nonce="n" * length))
    assert response.status_code == status
    if status == 401:
        assert_refused(response)


def test_unsigned_request_is_refused(planner):
    assert_refused(send(planner, {}))


@pytest.mark.parametrize(
    "signature_input",
    ['sig=("@method"', "sig=garbage", 'sig=("@method" "@path" "content-digest");created="x"'],
)
def test_malformed_signature_headers_are_refused(planner, shop, signature_input):
    headers = signed(planner, shop)
    headers["Signature-Input"] = signature_input
    assert_refused(send(planner, headers))


def test_a_refused_signature_does_not_spend_its_nonce(planner, shop):
    assert_refused(send(planner, signed(planner, shop, secret="wrong", nonce="kept-nonce-1")))
    assert send(planner, signed(planner, shop, nonce="kept-nonce-1")).status_code == 201


# -- the window's edges, on a frozen clock ---------------------------------------------------------


def verify_at(
    core: Any,
    shop: Shop,
    *,
    created: int,
    now: float,
    expires: int | None = None,
    nonce: str | None = None,
) -> None:
    verifier = SignatureVerifier(core.entities, core.store, FrozenClock(now))
    url = "http://127.0.0.1:8001/v1/tokens"
    sign = {"key_id": shop.key_id, "secret": shop.secret, "created": created, "expires": expires}
    sign["nonce"] = nonce
    headers = sign_request(method="POST", url=url, body=BODY, **sign)
    blocking(verifier.verify(method="POST", url=url, headers=list(headers.items()), body=BODY))


@pytest.mark.parametrize("offset", [-300, 0, 30])
def test_signatures_within_the_window_verify(core, offset):
    shop = register_shop(core)
    verify_at(core, shop, created=1_800_000_000 + offset, now=1_800_000_000)


@pytest.mark.parametrize("offset", [-301, 31])
def test_signatures_outside_the_window_do_not(core, offset):
    shop = register_shop(core)
    with pytest.raises(InvalidClient):
        verify_at(core, shop, created=1_800_000_000 + offset, now=1_800_000_000)


def test_a_signature_may_expire_the_second_it_was_created(core):
    shop, now = register_shop(core), 1_800_000_000
    verify_at(core, shop, created=now + 10, expires=now + 10, now=now)


def test_expires_is_honoured_to_the_second_with_no_leeway(core):
    shop = register_shop(core)
    now = 1_800_000_000
    verify_at(core, shop, created=now - 10, expires=now, now=now)
    with pytest.raises(InvalidClient, match="expired"):
        verify_at(core, shop, created=now - 10, expires=now - 1, now=now)


def test_the_window_is_ours_alone_on_the_injected_clock(core):
    """The library's own wall-clock checks stay off (our _Verifier overrides them): a signature
    fresh on our clock verifies even when that clock reads 2017, years behind the wall clock."""
    shop = register_shop(core)
    verify_at(core, shop, created=1_500_000_000 - 10, now=1_500_000_000)


@pytest.mark.parametrize(
    ("created", "expires", "description"),
    [
        (-301, None, "signature is too old"),
        (31, None, "signature is dated in the future"),
        (-10, -20, "signature expires before it was created"),
        (-10, -1, "signature has expired"),
    ],
)
def test_each_window_refusal_says_which_edge_it_crossed(core, created, expires, description):
    """The integrator debugging a refused request reads error_description (mutation testing
    found these words unguarded: emptied or reworded, no test noticed)."""
    shop = register_shop(core)
    now = 1_800_000_000
    with pytest.raises(InvalidClient) as refused:
        verify_at(
            core,
            shop,
            created=now + created,
            expires=None if expires is None else now + expires,
            now=now,
        )
    assert refused.value.description == description
    assert refused.value.scheme == CHALLENGE


def test_a_signature_that_does_not_verify_says_so(planner, shop):
    response = send(planner, signed(planner, shop, secret="wrong"))
    assert_refused(response)
    assert response.json()["error_description"] == "request signature is invalid"
