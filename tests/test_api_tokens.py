"""API tokens over a real planner origin: issue, list, disable/enable, delete, exchange, expiry,
forgeries and altered copies, the exchange brake, and the documented background-job example
(docs/integration.md)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import json
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from planner_bridge import logs
from planner_bridge.clock import FrozenClock
from planner_bridge.core import Core
from planner_bridge.errors import InvalidToken
from planner_bridge.serving import blocking
from planner_bridge.storage import Asset
from planner_bridge.tokens.api_tokens import DAY, MAX_DAYS, new_record
from support import high_s, low_s

# -- helpers ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed(planner, shop, method: str, path: str, payload: Any = None) -> httpx.Response:
    """A request signed with the shop's API key/secret (RFC 9421), body sent byte for byte."""
    from planner_bridge.clients.signatures import sign_request

    url = planner.url + path
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = sign_request(
        method=method, url=url, body=body, key_id=shop.key_id, secret=shop.secret
    )
    if payload is not None:
        headers["Content-Type"] = "application/json"
    return httpx.request(method, url, content=body, headers=headers)


def create_token(planner, shop, **fields: Any) -> dict[str, Any]:
    payload = {"name": "nightly sync", "user": {"id": "alice", "name": "Alice"}, **fields}
    response = signed(planner, shop, "POST", "/v1/api-tokens", payload)
    assert response.status_code == 201, response.text
    return response.json()


def exchange(planner, token: str) -> httpx.Response:
    return httpx.post(
        planner.url + "/v1/api-tokens/exchange", headers={"Authorization": f"Bearer {token}"}
    )


def assert_invalid_token(response: httpx.Response, description: str | None = None) -> None:
    """401 invalid_token; with `description`, exactly that error_description (integrators and
    operators tell an expired token from a disabled one by it)."""
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    if description is not None:
        assert response.json()["error_description"] == description
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def listed(planner, shop) -> dict[str, dict[str, Any]]:
    response = signed(planner, shop, "GET", "/v1/api-tokens")
    assert response.status_code == 200, response.text
    return {t["id"]: t for t in response.json()["api_tokens"]}


def add_asset(core: Core, entity_id: str, owner: str | None, name: str) -> str:
    asset_id = "ast_" + secrets.token_hex(12)
    now = core.clock.now()
    blocking(core.store.add_asset(Asset(asset_id, entity_id, owner, name, "room", {}, now, now, 1)))
    return asset_id


def get_assets(planner, access_token: str, path: str = "/v1/assets") -> httpx.Response:
    return httpx.get(planner.url + path, headers={"Authorization": f"Bearer {access_token}"})


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def encode(header: dict[str, Any], payload: dict[str, Any], *, spaced: bool = False) -> str:
    """JSON as another encoder might write it: keys reversed, optionally with whitespace."""
    separators = (", ", ": ") if spaced else (",", ":")

    def dump(value: dict[str, Any]) -> str:
        reordered = dict(reversed(list(value.items())))
        return b64url(json.dumps(reordered, separators=separators).encode())

    return f"{dump(header)}.{dump(payload)}"


def server_signed(core: Core, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """Re-encoded claims signed with the planner's own key: a valid token, another string."""
    key = core.keyring.current
    body = json.dumps(dict(reversed(list(payload.items()))), indent=1).encode()
    return low_s(
        jwt.api_jws.encode(
            body, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": header["typ"]}
        )
    )


# -- issuing and listing ---------------------------------------------------------------------


def test_create_shows_the_token_once_and_lists_only_metadata(planner, shop):
    response = signed(
        planner,
        shop,
        "POST",
        "/v1/api-tokens",
        {"name": "sync", "user": {"id": "alice", "name": "Alice"}, "rights": ["read", "write"]},
    )
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert set(created) == {"id", "name", "token", "expires_at"}
    assert re.fullmatch(r"apt_[A-Za-z0-9_-]{16}", created["id"])  # 96 random bits
    header, claims, _ = split(created["token"])
    assert header["typ"] == "pb-api+jwt"
    assert claims["aud"] == planner.url and claims["jti"] == created["id"]
    assert created["expires_at"] == claims["iat"] + 30 * DAY  # the default: 30 days

    forever = create_token(planner, shop, name="gateway", expires_in_days=None)
    assert forever["expires_at"] is None

    listing = signed(planner, shop, "GET", "/v1/api-tokens")
    assert listing.headers["cache-control"] == "no-store"
    assert created["token"] not in listing.text and forever["token"] not in listing.text
    rows = {t["id"]: t for t in listing.json()["api_tokens"]}
    assert rows[created["id"]] == {
        "id": created["id"],
        "name": "sync",
        "user": {"id": "alice", "name": "Alice"},
        "rights": ["read", "write"],
        "created": claims["iat"],
        "expires_at": created["expires_at"],
        "never_expires": False,
        "last_used": None,
        "disabled": False,
    }
    assert rows[forever["id"]]["never_expires"] is True
    assert rows[forever["id"]]["expires_at"] is None


def test_write_rights_need_an_entity_allowed_to_write(planner, readonly_shop):
    payload = {"name": "sync", "user": {"id": "alice"}, "rights": ["read", "write"]}
    response = signed(planner, readonly_shop, "POST", "/v1/api-tokens", payload)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "this entity may not grant write rights",
    }
    assert listed(planner, readonly_shop) == {}
    read_only = create_token(planner, readonly_shop, rights=["read"])
    assert split(read_only["token"])[1]["scope"] == "read"


def test_an_api_token_never_keeps_write_when_its_entity_may_not_write(planner, readonly_shop):
    # A record granting write under an entity without --allow-write (its permission withdrawn
    # after the token was issued, or a record written by hand): the exchange hands out read.
    core = planner.core
    record = new_record(
        dataclasses.replace(readonly_shop.entity, allow_write=True),
        now=int(core.clock.now()),
        name="old sync",
        user_id="alice",
        rights=["read", "write"],
        expires_in_days=30,
    )
    blocking(core.store.add_api_token(record))
    token = blocking(
        core.issuer.mint_api_token(
            token_id=record.id,
            entity_id=record.entity_id,
            user_id=record.user_id,
            rights=record.rights,
            issued_at=int(record.created),
            expires_at=int(record.expires or 0),
        )
    ).token
    assert split(token)[1]["scope"] == "read write"
    answer = exchange(planner, token)
    assert answer.status_code == 200, answer.text
    access = answer.json()["access_token"]
    assert core.verifier.verify_access_token(access).rights == ("read",)
    write = httpx.post(
        planner.url + "/v1/assets",
        json={"name": "x", "kind": "y"},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert write.status_code == 403 and write.json()["error"] == "insufficient_scope"


@pytest.mark.parametrize(
    "change",
    [
        lambda record: {"entity_id": "ent_other"},
        lambda record: {"user_id": "mallory"},
        lambda record: {"rights": ("read", "write")},
        lambda record: {"issued_at": int(record.created) - 60},
        lambda record: {"expires_at": int(record.created) + 3650 * DAY},
    ],
    ids=["entity", "sub", "scope", "iat", "exp"],
)
def test_the_exchange_refuses_a_validly_signed_token_that_disagrees_with_its_record(
    planner, shop, change
):
    # Signed with the planner's own key (as a leaked signing key, or a bug in minting, would
    # allow), under the genuine jti: only the comparison with the stored record refuses it.
    created = create_token(planner, shop, rights=["read"])
    record = blocking(planner.core.store.get_api_token(created["id"]))
    assert record is not None and record.expires is not None
    claims: dict[str, Any] = {
        "token_id": record.id,
        "entity_id": record.entity_id,
        "user_id": record.user_id,
        "rights": record.rights,
        "issued_at": int(record.created),
        "expires_at": int(record.expires),
    }
    twin = blocking(planner.core.issuer.mint_api_token(**claims)).token
    assert exchange(planner, twin).status_code == 200  # the same claims, signed anew: fine
    altered = blocking(planner.core.issuer.mint_api_token(**{**claims, **change(record)})).token
    assert_invalid_token(exchange(planner, altered), "API token does not match its record")


TEXT = "must be a string of 1 to 200 characters"
DAYS = "expires_in_days must be a whole number from 1 to 3650, or null"
CONTROL = "must not contain control characters, bidirectional overrides or invisible characters"
NOT_UTF8 = "holds text that is not valid UTF-8"


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        ({"user": {"id": "alice"}}, f"name {TEXT}"),
        ({"name": "", "user": {"id": "alice"}}, f"name {TEXT}"),
        ({"name": "x" * 201, "user": {"id": "alice"}}, f"name {TEXT}"),
        ({"name": "sync"}, 'user must be an object {"id", "name"}'),
        ({"name": "sync", "user": "alice"}, 'user must be an object {"id", "name"}'),
        ({"name": "sync", "user": {"id": ""}}, f"user.id {TEXT}"),
        ({"name": "sync", "user": {"id": "a" * 201}}, f"user.id {TEXT}"),
        ({"name": "sync", "user": {"id": "alice", "name": "A" * 201}}, f"user.name {TEXT}"),
        ({"name": "sync", "user": {"id": "alice"}, "expires_in_days": 0}, DAYS),
        ({"name": "sync", "user": {"id": "alice"}, "expires_in_days": "30"}, DAYS),
        ({"name": "sync", "user": {"id": "alice"}, "expires_in_days": True}, DAYS),
        ({"name": "sync", "user": {"id": "alice"}, "expires_in_days": 3651}, DAYS),
        (
            {"name": "sync", "user": {"id": "alice"}, "rights": ["admin"]},
            "rights: unknown right 'admin'",
        ),
        (
            {"name": "sync", "user": {"id": "alice"}, "rights": "read"},
            "rights must be a list of strings",
        ),
        (
            {"name": "sync", "user": {"id": "alice"}, "expires_in": 3600},
            "unknown field 'expires_in'",
        ),
        (
            {"name": "sync", "user": {"id": "alice", "email": "a@example.com"}},
            "unknown field 'user.email'",
        ),
        ({"name": "sync\nid=apt_forged", "user": {"id": "alice"}}, f"name {CONTROL}"),
        ({"name": "sync", "user": {"id": "alice", "name": "Al\u0007ice"}}, f"user.name {CONTROL}"),
        ({"name": "sync\ud800", "user": {"id": "alice"}}, f"name {NOT_UTF8}"),  # a lone surrogate
        ({"name": "sync", "user": {"id": "\udcff"}}, f"user.id {NOT_UTF8}"),
        (["not", "an", "object"], "body must be a JSON object"),
    ],
)
def test_bad_create_requests_are_refused_with_a_named_field(planner, shop, payload, description):
    response = signed(planner, shop, "POST", "/v1/api-tokens", payload)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_request", "error_description": description}
    assert listed(planner, shop) == {}


def test_the_longest_names_and_lifetime_are_accepted(planner, shop):
    created = create_token(
        planner,
        shop,
        name="n" * 200,
        user={"id": "u" * 200, "name": "U" * 200},
        expires_in_days=MAX_DAYS,
    )
    claims = split(created["token"])[1]
    assert created["expires_at"] == claims["iat"] + MAX_DAYS * DAY
    row = listed(planner, shop)[created["id"]]
    assert (row["name"], row["user"]) == ("n" * 200, {"id": "u" * 200, "name": "U" * 200})


def test_signed_bodies_must_be_json(planner, shop):
    from planner_bridge.clients.signatures import sign_request

    url = planner.url + "/v1/api-tokens"
    body = json.dumps({"name": "sync", "user": {"id": "alice"}}).encode()
    headers = sign_request(
        method="POST", url=url, body=body, key_id=shop.key_id, secret=shop.secret
    )
    response = httpx.post(url, content=body, headers={**headers, "Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "application/json" in response.json()["error_description"]
    assert listed(planner, shop) == {}


def test_unsigned_or_wrongly_signed_management_calls_are_refused(planner, shop):
    body = json.dumps({"name": "sync", "user": {"id": "alice"}}).encode()
    assert httpx.post(planner.url + "/v1/api-tokens", content=body).status_code == 401
    assert httpx.get(planner.url + "/v1/api-tokens").json()["error"] == "invalid_client"
    from planner_bridge.clients.signatures import sign_request

    url = planner.url + "/v1/api-tokens"
    headers = sign_request(method="GET", url=url, body=b"", key_id=shop.key_id, secret="wrong")
    assert httpx.get(url, headers=headers).status_code == 401


def test_an_entity_sees_and_changes_only_its_own_tokens(planner, shop, readonly_shop):
    mine = create_token(planner, shop)
    assert mine["id"] not in listed(planner, readonly_shop)
    for method, payload in (("PATCH", {"disabled": True}), ("DELETE", None)):
        response = signed(planner, readonly_shop, method, f"/v1/api-tokens/{mine['id']}", payload)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert (
        signed(planner, shop, "PATCH", "/v1/api-tokens/apt_nope", {"disabled": True}).status_code
        == 404
    )
    long_id = "apt_" + "x" * 100  # named back in the answer, but never more than 64 characters
    for method, payload in (("PATCH", {"disabled": True}), ("DELETE", None)):
        response = signed(planner, shop, method, f"/v1/api-tokens/{long_id}", payload)
        assert response.status_code == 404
        assert response.json()["error_description"] == f"no such API token: {long_id[:64]}"
    assert listed(planner, shop)[mine["id"]]["disabled"] is False
    assert exchange(planner, mine["token"]).status_code == 200


def test_patch_takes_only_a_boolean(planner, shop):
    token_id = create_token(planner, shop)["id"]
    for payload in ({"disabled": "yes"}, {}, {"disabled": 1}):
        response = signed(planner, shop, "PATCH", f"/v1/api-tokens/{token_id}", payload)
        assert response.status_code == 400
    assert listed(planner, shop)[token_id]["disabled"] is False


@pytest.mark.parametrize(("method", "payload"), [("PATCH", {"disabled": True}), ("DELETE", None)])
def test_a_token_deleted_meanwhile_is_404_and_nothing_is_logged(planner, shop, method, payload):
    # Found by the entity check, gone by the time it is changed (another request deleted it):
    # a trigger makes the store's UPDATE or DELETE find no row, as that race would.
    token_id = create_token(planner, shop)["id"]
    with sqlite3.connect(planner.core.settings.sqlite_path) as db:
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER lost_{action} BEFORE {action} ON api_tokens"
                " BEGIN SELECT RAISE(IGNORE); END"
            )
    stream = io.StringIO()
    handler = logs.configure("json", stream)
    try:
        response = signed(planner, shop, method, f"/v1/api-tokens/{token_id}", payload)
    finally:
        logs.unconfigure(handler)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "error_description": f"no such API token: {token_id}",
    }
    assert "API token disabled" not in stream.getvalue()


def test_disabling_and_enabling_are_logged_for_operators(planner, shop):
    token_id = create_token(planner, shop)["id"]
    stream = io.StringIO()
    handler = logs.configure("json", stream)
    try:
        for disabled in (True, False):
            path = f"/v1/api-tokens/{token_id}"
            assert signed(planner, shop, "PATCH", path, {"disabled": disabled}).status_code == 200
    finally:
        logs.unconfigure(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [(e["message"], e["api_token_id"]) for e in lines if e["logger"].endswith("events")]
    assert events == [("API token disabled", token_id), ("API token enabled", token_id)]


# -- the lifecycle ---------------------------------------------------------------------------


def test_lifecycle_create_exchange_disable_enable_delete(planner, shop):
    core = planner.core
    catalog = add_asset(core, shop.entity.id, None, "catalog sofa")
    alices = add_asset(core, shop.entity.id, "alice", "alice's kitchen")
    bobs = add_asset(core, shop.entity.id, "bob", "bob's kitchen")
    created = create_token(planner, shop, rights=["read"])
    path = f"/v1/api-tokens/{created['id']}"

    first = exchange(planner, created["token"])
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    access = first.json()["access_token"]
    seen = get_assets(planner, access)
    assert seen.status_code == 200, seen.text
    ids = {a["id"] for a in seen.json()["assets"]}
    assert {catalog, alices} <= ids and bobs not in ids
    assert get_assets(planner, access, f"/v1/assets/{bobs}").status_code == 404
    assert listed(planner, shop)[created["id"]]["last_used"] is not None

    assert signed(planner, shop, "PATCH", path, {"disabled": True}).json()["disabled"] is True
    assert_invalid_token(exchange(planner, created["token"]), "API token is disabled")
    assert signed(planner, shop, "PATCH", path, {"disabled": False}).json()["disabled"] is False
    assert exchange(planner, created["token"]).status_code == 200

    assert signed(planner, shop, "DELETE", path).status_code == 204
    assert_invalid_token(exchange(planner, created["token"]), "API token is unknown or deleted")
    assert signed(planner, shop, "PATCH", path, {"disabled": False}).status_code == 404
    assert_invalid_token(exchange(planner, created["token"]))
    assert created["id"] not in listed(planner, shop)


def test_exchanged_access_token_is_a_short_user_token_with_no_more_rights(start_planner):
    planner = start_planner(exchange_token_ttl=300)
    from support import register_shop

    shop = register_shop(planner.core)
    created = create_token(planner, shop, rights=["read"], user={"id": "u-7", "name": "Job"})
    answer = exchange(planner, created["token"]).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 300
    header, claims, _ = split(answer["access_token"])
    assert header["typ"] == "at+jwt"
    assert claims["aud"] == "planner" and claims["iss"] == planner.url
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"] != created["id"]
    assert claims["scope"] == "read"
    assert claims["kind"] == "user" and claims["sub"] == "u-7" and claims["name"] == "Job"
    assert claims["entity"] == shop.entity.id
    assert claims["client_id"] == "api-token:" + created["id"]
    verified = planner.core.verifier.verify_access_token(answer["access_token"])
    assert verified.rights == ("read",)
    second = exchange(planner, created["token"]).json()["access_token"]
    assert split(second)[1]["jti"] != claims["jti"]


def test_exchange_never_grants_more_than_900_seconds(planner, shop):
    # The default exchange lifetime is the SPEC's ceiling; nothing lets it grow past it.
    token = create_token(planner, shop, rights=["read", "write"])["token"]
    answer = exchange(planner, token).json()
    _, claims, _ = split(answer["access_token"])
    assert answer["expires_in"] == claims["exp"] - claims["iat"] <= 900
    assert claims["scope"] == "read write"


# -- expiry ----------------------------------------------------------------------------------


def past_core(make_settings, planner, seconds_ago: float) -> Core:
    """A second core on the planner's data dir and issuer, its clock set in the past."""
    clock = FrozenClock(planner.core.clock.now() - seconds_ago)
    return blocking(Core.connect(make_settings(issuer=planner.url), clock=clock))


def test_an_expired_api_token_is_refused_by_the_server(planner, shop, make_settings):
    earlier = past_core(make_settings, planner, 2 * DAY)
    try:
        issued = blocking(
            earlier.api_tokens().issue(
                shop.entity, name="old", user_id="alice", rights=["read"], expires_in_days=1
            )
        )
    finally:
        blocking(earlier.aclose())
    assert issued.record.expires < planner.core.clock.now()
    assert_invalid_token(exchange(planner, issued.token), "token has expired")  # the JWT's exp


def test_the_record_expires_on_our_clock_even_within_the_jwt_leeway(make_settings):
    clock = FrozenClock()
    core = blocking(Core.connect(make_settings(), clock=clock))
    try:
        entity, _ = blocking(core.entities.create("Shop", ["http://localhost:8000"]))
        tokens = core.api_tokens()
        issued = blocking(
            tokens.issue(entity, name="n", user_id="alice", rights=None, expires_in_days=1)
        )
        clock.advance(DAY - 1)
        assert blocking(tokens.exchange(issued.token)).expires_in == 900
        assert issued.record.expires == clock.now() + 1
        clock.advance(1)  # at expiry exactly (expiry is exclusive), inside the JWT's 30 s leeway
        with pytest.raises(InvalidToken, match=r"^API token has expired$"):  # the record's
            blocking(tokens.exchange(issued.token))
        clock.advance(1)  # past expiry
        with pytest.raises(InvalidToken, match=r"^API token has expired$"):  # the record's
            blocking(tokens.exchange(issued.token))
        forever = blocking(
            tokens.issue(entity, name="f", user_id="alice", rights=None, expires_in_days=None)
        )
        clock.advance(20 * 365 * DAY)
        assert blocking(tokens.exchange(forever.token)).expires_in == 900
    finally:
        blocking(core.aclose())


# -- wrong tokens in the wrong places --------------------------------------------------------


def live_answer(planner, token: str) -> tuple[dict[str, Any], int | None]:
    """The first answer of `/v1/live` to an auth message, and the close code if it closed."""
    url = planner.url.replace("http://", "ws://") + "/v1/live"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        answer = json.loads(ws.recv(timeout=10))
        if answer.get("type") == "authenticated":
            return answer, None
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        return answer, closed.value.rcvd.code if closed.value.rcvd else None


def test_an_api_token_is_refused_by_the_planner_web_services(planner, shop):
    catalog = add_asset(planner.core, shop.entity.id, None, "catalog sofa")
    token = create_token(planner, shop, rights=["read", "write"])["token"]
    assert_invalid_token(get_assets(planner, token))
    assert_invalid_token(get_assets(planner, token, f"/v1/assets/{catalog}"))
    created = httpx.post(
        planner.url + "/v1/assets",
        json={"name": "sneaked in", "kind": "room", "data": {}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k1"},
    )
    assert_invalid_token(created)
    answer, code = live_answer(planner, token)
    assert answer["error"] == "invalid_token" and code == 4401
    # The same token, exchanged, is welcome everywhere it was refused.
    access = exchange(planner, token).json()["access_token"]
    assert get_assets(planner, access).status_code == 200
    assert live_answer(planner, access)[0]["type"] == "authenticated"


def test_an_access_token_presented_to_the_exchange_is_refused(planner, shop):
    api_token = create_token(planner, shop)["token"]
    access = exchange(planner, api_token).json()["access_token"]
    assert_invalid_token(exchange(planner, access))
    entity_token = blocking(
        planner.core.issuer.mint_access_token(
            entity_id=shop.entity.id, client_id=shop.key_id, rights=["read"], lifetime=60
        )
    )
    assert_invalid_token(exchange(planner, entity_token.token))


def test_missing_or_malformed_credentials_at_the_exchange(planner):
    # The same Bearer parser as the web services (apps.bearer), so the same answers.
    url = planner.url + "/v1/api-tokens/exchange"
    for headers in ({}, {"Authorization": "Basic YTpi"}):  # no Bearer credentials at all
        bare = httpx.post(url, headers=headers)
        assert bare.status_code == 401 and bare.content == b""
        challenge = bare.headers["www-authenticate"]
        assert challenge.startswith("Bearer") and "error=" not in challenge
    for header in ("Bearer", "Bearer a b", "Bearer  abc", "Bearer ab,c"):
        response = httpx.post(url, headers={"Authorization": header})
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    for header in ("Bearer not-a-jwt", "Bearer " + "a" * 5000):
        assert_invalid_token(httpx.post(url, headers={"Authorization": header}))


def test_an_api_token_in_the_url_is_refused_at_the_exchange(planner, shop):
    token = create_token(planner, shop)["token"]
    response = httpx.post(
        planner.url + "/v1/api-tokens/exchange",
        params={"access_token": token},
        headers={"Authorization": f"bEaReR {token}"},
    )
    assert response.status_code == 400 and "URL" in response.json()["error_description"]
    assert exchange(planner, token).status_code == 200  # the header alone is welcome


def test_an_altered_copy_of_a_disabled_token_is_refused(planner, shop):
    created = create_token(planner, shop)
    token = created["token"]
    header, claims, signature = split(token)
    reencoded = f"{encode(header, claims, spaced=True)}.{signature}"
    valid_copy = server_signed(planner.core, header, claims)
    malleated = high_s(token)
    foreign = jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers=header
    )
    # A copy signed anew with the planner's key is accepted while the token is enabled: a
    # different string for the same jti, which is why revocation keys on jti. The high-S twin
    # of the signature is never accepted (one token, one string).
    assert len({token, valid_copy, malleated}) == 3
    assert exchange(planner, valid_copy).status_code == 200
    assert_invalid_token(exchange(planner, malleated))

    path = f"/v1/api-tokens/{created['id']}"
    assert signed(planner, shop, "PATCH", path, {"disabled": True}).status_code == 200
    for copy in (token, reencoded, valid_copy, malleated, foreign):
        assert_invalid_token(exchange(planner, copy))
    assert_invalid_token(exchange(planner, valid_copy), "API token is disabled")


def test_a_validly_signed_token_without_a_string_jti_is_refused(planner, shop):
    # Only our own key could sign one. PyJWT refuses it; the exchange relies on that and looks
    # the jti up as it is (a list would make the store raise: a 500).
    header, claims, _ = split(create_token(planner, shop)["token"])
    for jti in (["apt_x"], {"id": "apt_x"}, 7, None):
        odd = server_signed(planner.core, header, {**claims, "jti": jti})
        assert_invalid_token(exchange(planner, odd))
    del claims["jti"]
    assert_invalid_token(exchange(planner, server_signed(planner.core, header, claims)))


def test_a_token_whose_entity_was_removed_from_the_store_is_refused(planner, shop):
    # No command removes an entity; a store edited by hand must still answer in words, not 500.
    token = create_token(planner, shop)["token"]
    with sqlite3.connect(planner.core.settings.sqlite_path) as db:  # foreign keys off here
        for table in ("api_keys", "entities"):
            column = "id" if table == "entities" else "entity_id"
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (shop.entity.id,))
    assert_invalid_token(exchange(planner, token), "API token's entity no longer exists")


def test_forged_api_tokens_are_refused(planner, shop):
    token = create_token(planner, shop, rights=["read"])["token"]
    header, claims, signature = split(token)
    head = token.split(".")[0]
    public_pem = planner.core.keyring.current.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def with_payload(changes: dict[str, Any]) -> str:
        return f"{head}.{b64url(json.dumps({**claims, **changes}).encode())}.{signature}"

    none_header = b64url(json.dumps({**header, "alg": "none"}).encode())
    hs_header = b64url(json.dumps({**header, "alg": "HS256"}).encode())
    hs_input = f"{hs_header}.{token.split('.')[1]}"
    hs_signature = b64url(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())
    forgeries = {
        "alg none": f"{none_header}.{token.split('.')[1]}.",
        "HS256 keyed with the public key": f"{hs_input}.{hs_signature}",
        "foreign key": jwt.encode(
            claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers=header
        ),
        "unknown kid": jwt.encode(
            claims,
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={**header, "kid": "nope"},
        ),
        "raised exp": with_payload({"exp": claims["exp"] + 3650 * DAY}),
        "raised rights": with_payload({"scope": "read write"}),
        "other user": with_payload({"sub": "bob"}),
    }
    for name, forged in forgeries.items():
        response = exchange(planner, forged)
        assert response.status_code == 401, name
        assert response.json()["error"] == "invalid_token", name
    assert exchange(planner, token).status_code == 200  # the genuine one still works


def test_failed_exchanges_are_braked_per_client_address(planner, shop):
    token = create_token(planner, shop)["token"]
    for _ in range(planner.core.exchange_failures.max_failures):
        assert_invalid_token(exchange(planner, "not-a-token"))
    braked = exchange(planner, "not-a-token")
    assert braked.status_code == 429
    assert braked.json()["error"] == "too_many_requests"
    assert 0 < int(braked.headers["retry-after"]) <= 60
    assert exchange(planner, token).status_code == 429  # even a good token waits
    # Issuing (signed, a different brake) is not affected.
    assert signed(planner, shop, "GET", "/v1/api-tokens").status_code == 200


# -- storage ---------------------------------------------------------------------------------


def test_the_store_holds_no_token_string(planner, shop):
    created = create_token(planner, shop, rights=["read", "write"])
    forever = create_token(planner, shop, name="forever", expires_in_days=None)
    assert exchange(planner, created["token"]).status_code == 200
    path = planner.core.settings.sqlite_path
    files = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    stored = b"".join(p.read_bytes() for p in files)
    assert created["id"].encode() in stored  # the search does find what is there
    for token in (created["token"], forever["token"]):
        _, payload, signature = token.split(".")
        for needle in (token, payload, signature, signature[:24]):
            assert needle.encode() not in stored


# -- the documented example ---------------------------------------------------------------------

INTEGRATION_DOC = Path(__file__).resolve().parents[1] / "docs" / "integration.md"


def readme_example() -> str:
    """The background-job example of docs/integration.md, read from the page itself so the two
    never drift."""
    blocks = re.findall(r"```python\n(.*?)```", INTEGRATION_DOC.read_text(), flags=re.DOTALL)
    (example,) = [b for b in blocks if "class ApiTokenAuth" in b]
    return example


def test_readme_background_job_example_runs_and_refreshes_on_401(
    planner, shop, make_settings, monkeypatch, capsys
):
    catalog = add_asset(planner.core, shop.entity.id, None, "catalog sofa")
    monkeypatch.setenv("PLANNER_URL", planner.url)
    monkeypatch.setenv("PLANNER_API_TOKEN", create_token(planner, shop)["token"])
    namespace: dict[str, Any] = {}
    exec(compile(readme_example(), "docs/integration.md example", "exec"), namespace)
    assert catalog in capsys.readouterr().out
    first = namespace["auth"].access_token

    # An access token that really expired (minted on a clock an hour back) gets 401; the
    # example exchanges again and the same call succeeds.
    earlier = past_core(make_settings, planner, 3600)
    try:
        stale = blocking(
            earlier.issuer.mint_access_token(
                entity_id=shop.entity.id,
                client_id="x",
                rights=["read"],
                lifetime=60,
                user_id="alice",
            )
        ).token
    finally:
        blocking(earlier.aclose())
    auth = namespace["auth"]
    auth.access_token = stale
    with httpx.Client(base_url=planner.url, auth=auth) as client:
        response = client.get("/v1/assets")
    assert response.status_code == 200
    assert catalog in {a["id"] for a in response.json()["assets"]}
    assert auth.access_token not in (stale, first)
