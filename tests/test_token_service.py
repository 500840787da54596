"""POST /v1/tokens over a real server: claims, lifetimes, rights, body rules; JWKS; metadata."""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any

import httpx
import jwt
import pytest

from planner_bridge.clients.signatures import sign_request
from planner_bridge.errors import InvalidToken
from planner_bridge.keys.signing import MintedToken
from planner_bridge.serving import blocking
from planner_bridge.tokens.signed_requests import TokenRequest, render_answer
from support import PlannerServer, Shop, register_shop

JSON = "application/json"
TOKEN_ANSWER_KEYS = {"token", "token_type", "type", "rights", "expires_in", "expires_at"}


def ask(
    planner: PlannerServer,
    shop: Shop,
    body: Any,
    *,
    content_type: str | None = "application/json",
    path: str = "/v1/tokens",
) -> httpx.Response:
    """A correctly signed request, as an integrator back-end sends it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = planner.url + path
    headers = sign_request(method="POST", url=url, body=raw, key_id=shop.key_id, secret=shop.secret)
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.post(url, content=raw, headers=headers)


def published_claims(planner: PlannerServer, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, checked the way a third party would: against the published JWKS."""
    header = jwt.get_unverified_header(token)
    jwks = httpx.get(planner.url + "/.well-known/jwks.json").json()
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience="planner",
        issuer=planner.url,
        # Leeway: a 1-second token may expire between minting and this check under CI load.
        leeway=30,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    return header, claims


def assert_refused(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_description"]
    assert "token" not in body and "access_token" not in body
    assert response.headers["cache-control"] == "no-store"
    return body


def test_legal_entity_token_carries_the_spec_claims(planner, shop):
    before = int(time.time())
    response = ask(planner, shop, {"type": "legal_entity"})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    answer = response.json()
    assert set(answer) == TOKEN_ANSWER_KEYS
    assert answer["token_type"] == "Bearer" and answer["type"] == "legal_entity"
    assert answer["rights"] == ["read"] and answer["expires_in"] == 3600

    header, claims = published_claims(planner, answer["token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    assert header["kid"] == planner.core.keyring.current.kid
    assert claims["iss"] == planner.url and claims["aud"] == "planner"
    assert claims["sub"] == claims["entity"] == shop.entity.id
    assert claims["kind"] == "legal_entity" and claims["scope"] == "read"
    assert claims["client_id"] == shop.key_id
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 3600 and claims["exp"] == answer["expires_at"]
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert "name" not in claims


def test_user_token_carries_the_user(planner, shop):
    body = {"type": "user", "user": {"id": "u-42", "name": "Alice Ørsted"}, "expires_in": 900}
    answer = ask(planner, shop, body).json()
    assert answer["type"] == "user" and answer["expires_in"] == 900
    _, claims = published_claims(planner, answer["token"])
    assert claims["sub"] == "u-42" and claims["name"] == "Alice Ørsted"
    assert claims["entity"] == shop.entity.id and claims["kind"] == "user"
    assert claims["client_id"] == shop.key_id and claims["scope"] == "read"
    assert claims["exp"] - claims["iat"] == 900


def test_the_answer_is_compact_json_in_the_order_it_always_had(planner, shop):
    """The 201 body is formatted directly (`render_answer`): the same bytes `json.dumps` made."""
    for body in (
        {"type": "legal_entity"},
        {
            "type": "user",
            "user": {"id": "u", "name": "Ü"},
            "rights": ["write", "read"],
            "expires_in": 600,
        },
    ):
        response = ask(planner, shop, body)
        assert response.status_code == 201, response.text
        answer = response.json()
        assert list(answer) == ["token", "token_type", "type", "rights", "expires_in", "expires_at"]
        assert response.content == json.dumps(answer, separators=(",", ":")).encode()
        assert response.headers["content-length"] == str(len(response.content))


@pytest.mark.parametrize("rights", [("read",), ("read", "write")])
@pytest.mark.parametrize("jkt", [None, "A" * 43])
def test_render_answer_is_json_dumps(rights, jkt):
    minted = MintedToken("eyJh.eyJi.c2ln-_", "jti", 1_700_000_000, 1_700_003_600)
    asked = TokenRequest("user", rights, 3600, "u", "U", jkt)
    expected = {
        "token": minted.token,
        "token_type": "Bearer" if jkt is None else "DPoP",
        "type": "user",
        "rights": list(rights),
        "expires_in": 3600,
        "expires_at": 1_700_003_600,
    }
    assert render_answer(minted, asked) == json.dumps(expected, separators=(",", ":")).encode()


def test_every_token_has_its_own_jti(planner, shop):
    tokens = [ask(planner, shop, {"type": "legal_entity"}).json()["token"] for _ in range(3)]
    jtis = {published_claims(planner, t)[1]["jti"] for t in tokens}
    assert len(jtis) == 3


def test_write_rights_for_an_entity_allowed_to_write(planner, shop):
    body = {"type": "user", "user": {"id": "u", "name": "U"}, "rights": ["write", "read"]}
    answer = ask(planner, shop, body).json()
    assert answer["rights"] == ["read", "write"]
    assert published_claims(planner, answer["token"])[1]["scope"] == "read write"
    assert planner.core.verifier.verify_access_token(answer["token"]).may("write")


@pytest.mark.parametrize("kind", ["legal_entity", "user"])
def test_write_is_refused_for_an_entity_without_allow_write(planner, readonly_shop, kind):
    body: dict[str, Any] = {"type": kind, "rights": ["read", "write"]}
    if kind == "user":
        body["user"] = {"id": "u", "name": "U"}
    body = assert_refused(ask(planner, readonly_shop, body), 403, "invalid_scope")
    assert body["error_description"] == "this legal entity may not ask for write rights"


def test_read_only_entity_still_gets_read_tokens(planner, readonly_shop):
    response = ask(planner, readonly_shop, {"type": "legal_entity", "rights": ["read"]})
    assert response.status_code == 201


@pytest.mark.parametrize("expires_in", [1, 60, 86400])
def test_lifetimes_within_bounds_are_granted(planner, shop, expires_in):
    answer = ask(planner, shop, {"type": "legal_entity", "expires_in": expires_in}).json()
    _, claims = published_claims(planner, answer["token"])
    assert answer["expires_in"] == claims["exp"] - claims["iat"] == expires_in


@pytest.mark.parametrize("expires_in", [0, -5, 86401, 10**12, "3600", 3600.0, True, [60]])
def test_lifetimes_outside_bounds_are_refused(planner, shop, expires_in):
    response = ask(planner, shop, {"type": "legal_entity", "expires_in": expires_in})
    assert assert_refused(response, 400, "invalid_request")["error_description"] == (
        "expires_in must be a whole number of seconds from 1 to 86400"
    )


def test_min_token_ttl_setting_sets_the_floor(start_planner):
    planner = start_planner(min_token_ttl=60)
    shop = register_shop(planner.core)
    assert_refused(
        ask(planner, shop, {"type": "legal_entity", "expires_in": 59}), 400, "invalid_request"
    )
    assert ask(planner, shop, {"type": "legal_entity", "expires_in": 60}).status_code == 201


def test_default_lifetime_follows_the_setting(start_planner):
    planner = start_planner(default_token_ttl=1800)
    shop = register_shop(planner.core)
    assert ask(planner, shop, {"type": "legal_entity"}).json()["expires_in"] == 1800


TYPE = 'type must be "legal_entity" or "user"'
NEEDS_USER = 'user tokens need "user": {"id", "name"}'
USER_ID = "user.id must be a string of 1 to 200 characters"
RIGHTS_LIST = "rights must be a list of strings"
# name: (body, error_description)
BAD_BODIES = {
    "no type": ({"rights": ["read"]}, TYPE),
    "unknown type": ({"type": "admin"}, TYPE),
    "type not a string": ({"type": ["user"]}, TYPE),
    "user token without user": ({"type": "user"}, NEEDS_USER),
    "user for a legal-entity token": (
        {"type": "legal_entity", "user": {"id": "u", "name": "U"}},
        "user is only for user tokens",
    ),
    "user not an object": ({"type": "user", "user": "alice"}, NEEDS_USER),
    "user id missing": ({"type": "user", "user": {"name": "U"}}, USER_ID),
    "user id not a string": ({"type": "user", "user": {"id": 7, "name": "U"}}, USER_ID),
    "user id empty": ({"type": "user", "user": {"id": "", "name": "U"}}, USER_ID),
    "user id blank": ({"type": "user", "user": {"id": "   ", "name": "U"}}, USER_ID),
    "user id too long": ({"type": "user", "user": {"id": "u" * 201, "name": "U"}}, USER_ID),
    "user name control characters": (
        {"type": "user", "user": {"id": "u", "name": "A\nB"}},
        "user.name must not contain control characters,"
        " bidirectional overrides or invisible characters",
    ),
    "user name null": (
        {"type": "user", "user": {"id": "u", "name": None}},
        "user.name must be a string of 1 to 200 characters",
    ),
    "unknown user field": (
        {"type": "user", "user": {"id": "u", "name": "U", "admin": True}},
        "unknown field 'user.admin'",
    ),
    "rights not a list": ({"type": "legal_entity", "rights": "read write"}, RIGHTS_LIST),
    "unknown right": (
        {"type": "legal_entity", "rights": ["read", "admin"]},
        "rights: unknown right 'admin'",
    ),
    "right not a string": ({"type": "legal_entity", "rights": [1]}, RIGHTS_LIST),
    "unknown field": ({"type": "legal_entity", "scope": "read write"}, "unknown field 'scope'"),
    "a list, not an object": ([{"type": "legal_entity"}], "body must be a JSON object"),
    "a string": ("legal_entity", "body must be a JSON object"),
}


@pytest.mark.parametrize(("body", "description"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_bodies_are_refused_with_invalid_request(planner, shop, body, description):
    refused = assert_refused(ask(planner, shop, body), 400, "invalid_request")
    assert refused["error_description"] == description


def test_user_fields_of_200_characters_are_accepted(planner, shop):
    user = {"id": "u" * 200, "name": "N" * 200}
    answer = ask(planner, shop, {"type": "user", "user": user})
    assert answer.status_code == 201, answer.text
    _, claims = published_claims(planner, answer.json()["token"])
    assert (claims["sub"], claims["name"]) == (user["id"], user["name"])


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b'{"type": "user"'],
    ids=["malformed", "empty", "not utf-8", "deeply nested", "truncated"],
)
def test_bodies_that_are_not_json_are_refused(planner, shop, raw):
    response = ask(planner, shop, raw)
    assert response.status_code in (400, 413), response.text
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_must_be_declared_json(planner, shop, content_type):
    response = ask(planner, shop, {"type": "legal_entity"}, content_type=content_type)
    assert_refused(response, 400, "invalid_request")


def test_json_content_type_with_charset_is_accepted(planner, shop):
    response = ask(
        planner, shop, {"type": "legal_entity"}, content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 201


def test_huge_bodies_are_refused_before_reading_them_whole(planner, shop):
    response = ask(planner, shop, b"{" + b" " * 2_000_000 + b"}")
    assert_refused(response, 413, "invalid_request")


def test_huge_bodies_sent_in_chunks_are_refused_before_reading_them_whole(planner, shop):
    """No Content-Length to refuse early: the body is refused once it grows past the limit."""
    raw = b"{" + b" " * 2_000_000 + b"}"
    url = planner.url + "/v1/tokens"
    headers = sign_request(method="POST", url=url, body=raw, key_id=shop.key_id, secret=shop.secret)
    chunks = (raw[i : i + 65536] for i in range(0, len(raw), 65536))
    response = httpx.post(url, content=chunks, headers={**headers, "Content-Type": JSON})
    assert "content-length" not in response.request.headers  # chunked, as meant
    assert_refused(response, 413, "invalid_request")


def test_only_post_is_allowed(planner):
    assert httpx.get(planner.url + "/v1/tokens").status_code == 405


def test_jwks_publishes_public_keys_only(planner):
    response = httpx.get(planner.url + "/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age=60" in response.headers["cache-control"]
    (key,) = response.json()["keys"]
    assert key["kid"] == planner.core.keyring.current.kid
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key  # the private part never leaves the server


def test_authorization_server_metadata(planner):
    metadata = httpx.get(planner.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == planner.url
    assert metadata["token_endpoint"] == planner.url + "/auth/token"
    assert metadata["jwks_uri"] == planner.url + "/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert metadata["scopes_supported"] == ["read", "write"]
    assert httpx.get(metadata["jwks_uri"]).status_code == 200


def test_key_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key(planner, shop):
    old = ask(planner, shop, {"type": "legal_entity"}).json()["token"]
    old_kid = jwt.get_unverified_header(old)["kid"]
    blocking(planner.core.keyring.rotate())
    new = ask(planner, shop, {"type": "legal_entity"}).json()["token"]
    new_kid = jwt.get_unverified_header(new)["kid"]
    assert new_kid != old_kid

    kids = [k["kid"] for k in httpx.get(planner.url + "/.well-known/jwks.json").json()["keys"]]
    assert set(kids) == {old_kid, new_kid} and kids[0] == new_kid  # newest first
    for token in (old, new):
        assert published_claims(planner, token)[1]["entity"] == shop.entity.id
        assert planner.core.verifier.verify_access_token(token).entity_id == shop.entity.id


def test_rotation_with_drop_old_stops_the_old_key_at_once(planner, shop):
    old = ask(planner, shop, {"type": "legal_entity"}).json()["token"]
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_key = blocking(planner.core.keyring.rotate(drop_old=True))
    kids = [k["kid"] for k in httpx.get(planner.url + "/.well-known/jwks.json").json()["keys"]]
    assert kids == [new_key.kid] and old_kid not in kids
    with pytest.raises(InvalidToken):
        planner.core.verifier.verify_access_token(old)
    new = ask(planner, shop, {"type": "legal_entity"}).json()["token"]
    assert jwt.get_unverified_header(new)["kid"] == new_key.kid


def test_garbage_never_gets_a_server_error(planner, shop):
    """Seeded random bodies, content types and credentials on both token endpoints."""
    rng = random.Random(20261125)
    content_types = ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
    with httpx.Client(base_url=planner.url) as http:
        for _ in range(120):
            body = rng.randbytes(rng.choice([0, 1, 17, 300, 5000]))
            if rng.random() < 0.3:
                body = b"grant_type=client_credentials&" + body
            headers = {"Content-Type": rng.choice(content_types)}
            if rng.random() < 0.5:
                headers["Authorization"] = "Basic " + base64.b64encode(rng.randbytes(40)).decode()
            if rng.random() < 0.3:
                signed = sign_request(
                    method="POST",
                    url=planner.url + "/v1/tokens",
                    body=body,
                    key_id=shop.key_id,
                    secret=shop.secret,
                )
                headers.update(signed)
            path = rng.choice(["/v1/tokens", "/auth/token"])
            response = http.post(path, content=body, headers=headers)
            assert response.status_code < 500, (path, body[:40], response.text)
            assert response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/token"),
        ("PUT", "/auth/token"),
        ("GET", "/v1/tokens"),
        ("DELETE", "/v1/tokens"),
    ],
)
def test_a_wrong_method_is_a_coded_json_error_not_plain_text(planner, method, path):
    response = httpx.request(method, planner.url + path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "method not allowed",
    }


def test_an_unknown_path_is_a_coded_json_error(planner):
    response = httpx.get(planner.url + "/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
