"""Forged and broken tokens: every one is refused with 401 invalid_token, and nothing leaks.

Each forgery starts from what an attacker can have: a genuine token (any of its parts), the
public keys from the JWKS, and keys of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from asset_helpers import READ, WRITE, assert_invalid_token, bearer, mint, seed_asset
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidToken
from planner_bridge.keys.ring import generate_private_key
from planner_bridge.serving import ThreadedServer, blocking
from planner_bridge.tokens.issuer import TokenIssuer
from support import key_ring, low_s


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def encode(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{signature}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HMAC-signed by hand: PyJWT (rightly) refuses a PEM as an HMAC secret."""
    unsigned = encode(header, claims).rstrip(".")
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{b64(mac)}"


@pytest.fixture
def target(planner, shop):
    """A genuine write token, and a catalog asset it may read, for the forgeries to aim at."""
    asset = seed_asset(planner.core, shop.entity.id, None)
    token = mint(planner.core, shop.entity.id, rights=READ)
    assert httpx.get(url_of(planner, asset), headers=bearer(token)).status_code == 200
    return planner, asset, token


def url_of(planner, asset) -> str:
    return f"{planner.url}/v1/assets/{asset.id}"


def refused(target, forged: str) -> None:
    planner, asset, _ = target
    assert_invalid_token(httpx.get(url_of(planner, asset), headers=bearer(forged)))
    listing = httpx.get(f"{planner.url}/v1/assets", headers=bearer(forged))
    assert_invalid_token(listing)
    write = httpx.post(
        f"{planner.url}/v1/assets", json={"name": "x", "kind": "y"}, headers=bearer(forged)
    )
    assert_invalid_token(write)


def sign_with_ring(planner, claims: dict[str, Any], **header: Any) -> str:
    """Signed by the genuine current key: only the claims (or typ) are wrong."""
    key = planner.core.keyring.current
    headers = {"kid": key.kid, "typ": "at+jwt", **header}
    return low_s(jwt.encode(claims, key.private_key, algorithm=key.alg, headers=headers))


def attacker_key():
    return generate_private_key("ES256")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_case(target, alg):
    header, claims, signature = parts(target[2])
    refused(target, encode({**header, "alg": alg}, claims))
    refused(target, encode({**header, "alg": alg}, claims, signature))


def test_hs256_signed_with_the_public_key_pem(target):
    planner = target[0]
    header, claims, _ = parts(target[2])
    pem = planner.core.keyring.current.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    refused(target, hs256({**header, "alg": "HS256"}, claims, pem))


def test_hs256_signed_with_the_public_jwk(target):
    planner = target[0]
    header, claims, _ = parts(target[2])
    jwks = httpx.get(f"{planner.url}/.well-known/jwks.json")
    jwk = (
        planner.core.keyring.jwks()["keys"][0]
        if jwks.status_code != 200
        else jwks.json()["keys"][0]
    )
    for secret in (json.dumps(jwk).encode(), json.dumps(jwk, separators=(",", ":")).encode()):
        refused(target, hs256({**header, "alg": "HS256"}, claims, secret))


def test_embedded_jwk_header_is_not_trusted(target):
    header, claims, _ = parts(target[2])
    own = attacker_key()
    own_jwk = json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(own.public_key()))
    for kid in (header["kid"], "attacker"):
        forged = jwt.encode(
            claims, own, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt", "jwk": own_jwk}
        )
        refused(target, forged)


def test_jku_header_is_never_fetched(target):
    _, claims, _ = parts(target[2])
    own = attacker_key()
    own_jwk = {
        **json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(own.public_key())),
        "kid": "a",
    }
    fetched: list[str] = []

    async def jwks(request):
        fetched.append(request.url.path)
        return JSONResponse({"keys": [own_jwk]})

    with ThreadedServer(lambda url: Starlette(routes=[Route("/jwks.json", jwks)])) as evil:
        forged = jwt.encode(
            claims,
            own,
            algorithm="ES256",
            headers={"kid": "a", "typ": "at+jwt", "jku": f"{evil.url}/jwks.json"},
        )
        refused(target, forged)
        assert fetched == []


@pytest.mark.parametrize(
    "kid",
    ["../../x", "../../../../dev/null", "' OR '1'='1", "x'; DROP TABLE assets; --", "", "*"],
)
def test_kid_injection(target, kid):
    header, claims, _ = parts(target[2])
    # The classic: a path kid pointing at an empty or known file, HMAC-signed with its content.
    refused(target, hs256({**header, "alg": "HS256", "kid": kid}, claims, b""))
    refused(
        target,
        jwt.encode(
            claims, attacker_key(), algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"}
        ),
    )


@pytest.mark.parametrize("kid", [None, 1, ["x"], {"k": "v"}])
def test_kid_missing_or_not_a_string(target, kid):
    header, claims, signature = parts(target[2])
    header = {k: v for k, v in header.items() if k != "kid"}
    if kid is not None:
        header["kid"] = kid
    refused(target, encode(header, claims, signature))


@pytest.mark.parametrize(
    "change",
    [
        {"scope": "read write"},
        {"sub": "bob", "kind": "user", "name": "bob"},
        {"entity": "ent_someoneelse"},
        {"exp": 4_102_444_800},
        {"aud": "planner", "iss": "http://evil.example"},
    ],
    ids=["scope", "user", "entity", "exp", "iss"],
)
def test_edited_claims_under_the_old_signature(target, change):
    header, claims, signature = parts(target[2])
    refused(target, encode(header, {**claims, **change}, signature))


def test_expired_token(target, planner, shop):
    long_ago = FrozenClock(time.time() - 3600)
    issuer = TokenIssuer(planner.core.keyring, long_ago, issuer=planner.url)
    token = blocking(
        issuer.mint_access_token(entity_id=shop.entity.id, client_id="c", rights=READ, lifetime=60)
    ).token
    refused(target, token)


def test_expired_beyond_zero_leeway(start_planner, make_settings):
    planner = start_planner(leeway=0)
    entity, _ = blocking(
        planner.core.entities.create("S", ["http://localhost:8000"], allow_write=False)
    )
    asset = seed_asset(planner.core, entity.id, None)
    issuer = TokenIssuer(planner.core.keyring, FrozenClock(time.time() - 12), issuer=planner.url)
    token = blocking(
        issuer.mint_access_token(entity_id=entity.id, client_id="c", rights=READ, lifetime=5)
    )
    assert_invalid_token(httpx.get(url_of(planner, asset), headers=bearer(token.token)))


def test_recently_expired_token_is_within_the_default_leeway(target, planner, shop):
    # The counterpart of the test above: with the default 30 s leeway this token still passes.
    issuer = TokenIssuer(planner.core.keyring, FrozenClock(time.time() - 12), issuer=planner.url)
    token = blocking(
        issuer.mint_access_token(entity_id=shop.entity.id, client_id="c", rights=READ, lifetime=5)
    )
    assert httpx.get(url_of(planner, target[1]), headers=bearer(token.token)).status_code == 200


def test_future_iat(target, planner, shop):
    issuer = TokenIssuer(planner.core.keyring, FrozenClock(time.time() + 3600), issuer=planner.url)
    token = blocking(
        issuer.mint_access_token(entity_id=shop.entity.id, client_id="c", rights=READ, lifetime=60)
    )
    refused(target, token.token)


def test_future_nbf(target):
    _, claims, _ = parts(target[2])
    refused(target, sign_with_ring(target[0], {**claims, "nbf": int(time.time()) + 3600}))


@pytest.mark.parametrize("claim", ["iat", "exp", "nbf"])
def test_time_claims_that_are_not_integers(target, claim):
    _, claims, _ = parts(target[2])
    refused(target, sign_with_ring(target[0], {**claims, claim: str(int(time.time()))}))


def test_wrong_issuer(target, planner, shop):
    issuer = TokenIssuer(planner.core.keyring, planner.core.clock, issuer="http://evil.example")
    token = blocking(
        issuer.mint_access_token(entity_id=shop.entity.id, client_id="c", rights=READ, lifetime=60)
    )
    refused(target, token.token)


@pytest.mark.parametrize("aud", ["other", ["other"], "", "http://127.0.0.1"])
def test_wrong_audience(target, aud):
    _, claims, _ = parts(target[2])
    refused(target, sign_with_ring(target[0], {**claims, "aud": aud}))


def test_access_token_for_the_issuers_own_audience_is_refused(target, planner):
    """The issuer's own URL is the API tokens' audience (the token service), never the web
    services': a genuine at+jwt naming it is no access token for them."""
    _, claims, _ = parts(target[2])
    assert planner.core.issuer.issuer == planner.url  # what API tokens carry as `aud`
    for aud in (planner.url, [planner.url]):
        refused(target, sign_with_ring(target[0], {**claims, "aud": aud}))


@pytest.mark.parametrize("typ", ["JWT", "at+JWT-x", "pb-api+jwt", None])
def test_wrong_typ(target, typ):
    _, claims, _ = parts(target[2])
    refused(target, sign_with_ring(target[0], claims, typ=typ))


@pytest.mark.parametrize("claim", ["jti", "client_id", "iss", "aud", "exp", "iat", "sub", "scope"])
def test_missing_required_claim(target, claim):
    _, claims, _ = parts(target[2])
    del claims[claim]
    refused(target, sign_with_ring(target[0], claims))


def test_api_token_is_not_an_access_token(target, planner, shop):
    now = int(time.time())
    api_token = blocking(
        planner.core.issuer.mint_api_token(
            token_id="apt_test",
            entity_id=shop.entity.id,
            user_id="alice",
            rights=WRITE,
            issued_at=now,
            expires_at=now + 3600,
        )
    ).token
    refused(target, api_token)


def test_signed_by_a_key_not_in_the_ring(target, planner, shop, tmp_path):
    foreign = key_ring(tmp_path / "foreign.sqlite3", planner.core.clock, published_for=60)
    issuer = TokenIssuer(foreign, planner.core.clock, issuer=planner.url)
    token = blocking(
        issuer.mint_access_token(entity_id=shop.entity.id, client_id="c", rights=READ, lifetime=60)
    ).token
    refused(target, token)


def test_foreign_key_under_the_genuine_kid(target):
    header, claims, _ = parts(target[2])
    refused(target, jwt.encode(claims, attacker_key(), algorithm="ES256", headers=header))


def test_algorithm_swapped_in_the_header(target):
    header, claims, signature = parts(target[2])
    for alg in ("ES384", "ES512", "RS256", "PS256", "EdDSA", "HS512"):
        refused(target, encode({**header, "alg": alg}, claims, signature))


def test_token_of_a_dropped_key(target):
    planner, _, token = target
    blocking(planner.core.keyring.rotate(drop_old=True))
    refused(target, token)  # even though it was verified (and cached) before


def test_oversized_token_even_when_genuinely_signed(target):
    _, claims, _ = parts(target[2])
    refused(target, sign_with_ring(target[0], {**claims, "name": "x" * 5000}))


@pytest.mark.parametrize(
    "token",
    ["abc", "a.b.c", "a.b", "....", "eyJhbGciOiJub25lIn0.e30.", "e30.e30.e30"],
)
def test_garbage(target, token):
    refused(target, token)


def test_stripped_signature(target):
    header, claims, _ = parts(target[2])
    refused(target, encode(header, claims))


@pytest.mark.parametrize("token", ["\ud800", "\ud800.e30.e30", "é.e30.e30", "a.b.c\n", "a b.c.d"])
def test_a_token_outside_the_compact_jws_charset_is_refused_before_decoding(planner, token):
    """A lone surrogate once reached PyJWT, which raised UnicodeEncodeError (not a PyJWTError)."""
    for verify in (
        planner.core.verifier.verify_access_token,
        planner.core.verifier.verify_api_token,
    ):
        with pytest.raises(InvalidToken, match="not a compact JWS"):
            verify(token)


def test_non_ascii_bearer_bytes_are_a_clear_400_over_http(target):
    planner, asset, _ = target
    for raw in (b"Bearer \xed\xa0\x80.e30.e30", b"Bearer \xc3\xa9.e30.e30"):
        answer = httpx.get(url_of(planner, asset), headers={"Authorization": raw})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("token", ["a+b.c/d.e", "a~b.c.d", "a.b.c==", "a.b.c.d"])
def test_a_b64token_that_is_not_a_compact_jws_is_invalid_token_over_http(target, token):
    refused(target, token)
