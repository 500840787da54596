"""POST /auth/token (RFC 6749 §4.4 client credentials), real server: success, every §5.2 error."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import jwt
import pytest
from starlette.responses import JSONResponse

from planner_bridge.clients.entities import EntityRegistry
from planner_bridge.clock import FrozenClock
from planner_bridge.credentials import SecretDeriver, b64url
from planner_bridge.errors import InvalidClient
from planner_bridge.keys.signing import SigningBatch
from planner_bridge.ratelimit import FailureLimiter
from planner_bridge.serving import blocking
from planner_bridge.tokens import client_credentials
from planner_bridge.tokens.client_credentials import (
    COMMON_FORM,
    MAX_ANSWER_TAILS,
    ClientCredentialsGrant,
    FormRequest,
    parse_form,
)
from support import PlannerServer, Shop, wait_until

FORM = "application/x-www-form-urlencoded"
MISSING_GRANT = "grant_type is missing"
NOT_A_FORM = f"the body must be {FORM}"
GRANT = "grant_type=client_credentials"


def basic(key_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def token_request(
    planner: PlannerServer,
    body: str | bytes = GRANT,
    *,
    authorization: str | None = None,
    content_type: str | None = FORM,
) -> httpx.Response:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if content_type is not None:
        headers["Content-Type"] = content_type
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(planner.url + "/auth/token", content=content, headers=headers)


def as_shop(planner: PlannerServer, shop: Shop, body: str | bytes = GRANT, **kw: Any):
    return token_request(planner, body, authorization=basic(shop.key_id, shop.secret), **kw)


def assert_error(
    response: httpx.Response, status: int, error: str, description: str | None = None
) -> dict[str, Any]:
    """The coded error; with `description`, exactly that error_description (the words an
    integrator debugging a refused request reads)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error
    if description is not None:
        assert body["error_description"] == description
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    return body


def assert_invalid_client(response: httpx.Response) -> None:
    assert_error(response, 401, "invalid_client", "client authentication failed")
    assert response.headers["www-authenticate"].startswith("Basic")


# -- success ----------------------------------------------------------------------------------


def test_client_credentials_gets_a_legal_entity_token(planner, shop):
    response = as_shop(planner, shop)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    answer = response.json()
    assert set(answer) == {"access_token", "token_type", "expires_in", "scope"}
    assert (answer["token_type"], answer["expires_in"], answer["scope"]) == ("Bearer", 3600, "read")

    token = answer["access_token"]
    header = jwt.get_unverified_header(token)
    assert (header["typ"], header["kid"]) == ("at+jwt", planner.core.keyring.current.kid)
    key = planner.core.keyring.verification_key(header["kid"], access_token=True)
    claims = jwt.decode(
        token, key.public_key, algorithms=["ES256"], audience="planner", issuer=planner.url
    )
    assert claims["sub"] == claims["entity"] == shop.entity.id
    assert (claims["kind"], claims["scope"], claims["client_id"]) == (
        "legal_entity",
        "read",
        shop.key_id,
    )
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5


def test_scope_read_write_for_an_entity_allowed_to_write(planner, shop):
    answer = as_shop(planner, shop, GRANT + "&scope=read+write").json()
    assert answer["scope"] == "read write"
    assert planner.core.verifier.verify_access_token(answer["access_token"]).may("write")


def test_scope_write_alone_implies_read(planner, shop):
    assert as_shop(planner, shop, GRANT + "&scope=write").json()["scope"] == "read write"


def test_lifetime_follows_the_default_token_ttl_setting(start_planner):
    from support import register_shop

    planner = start_planner(default_token_ttl=600)
    shop = register_shop(planner.core)
    assert as_shop(planner, shop).json()["expires_in"] == 600


def test_form_content_type_with_charset_is_accepted(planner, shop):
    response = as_shop(planner, shop, content_type=FORM + "; charset=UTF-8")
    assert response.status_code == 200


def test_credentials_are_form_decoded_as_rfc_6749_2_3_1_says(planner, shop):
    every_char_escaped = "".join(f"%{b:02X}" for b in shop.secret.encode())
    response = token_request(planner, authorization=basic(quote(shop.key_id), every_char_escaped))
    assert response.status_code == 200


def test_a_matching_client_id_in_the_body_is_accepted(planner, shop):
    assert as_shop(planner, shop, f"{GRANT}&client_id={shop.key_id}").status_code == 200


def test_unknown_parameters_are_ignored(planner, shop):
    assert as_shop(planner, shop, GRANT + "&audience=planner").status_code == 200


# -- invalid_client (401, WWW-Authenticate: Basic) -------------------------------------------------


def test_unknown_client_is_refused(planner, shop):
    assert_invalid_client(token_request(planner, authorization=basic("pbk_nobody", shop.secret)))


def test_wrong_secret_is_refused(planner, shop):
    assert_invalid_client(token_request(planner, authorization=basic(shop.key_id, "wrong")))


def test_unknown_client_and_wrong_secret_answer_byte_for_byte_alike(planner, shop):
    unknown = token_request(planner, authorization=basic("pbk_nobody", shop.secret))
    wrong = token_request(planner, authorization=basic(shop.key_id, shop.secret + "x"))
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"]


def test_revoked_key_is_refused(planner, shop):
    blocking(planner.core.entities.revoke_key(shop.key_id))
    assert_invalid_client(as_shop(planner, shop))


def test_a_key_revoked_while_in_use_is_refused_within_a_second(planner, shop):
    assert as_shop(planner, shop).status_code == 200  # now remembered by the hot path
    blocking(planner.core.entities.revoke_key(shop.key_id))
    response = wait_until(lambda: (r := as_shop(planner, shop)).status_code != 200 and r)
    assert_invalid_client(response)


def test_the_hot_path_remembers_a_key_for_one_second_only(core):
    clock = FrozenClock(time.time())
    entities = EntityRegistry(core.store, core.deriver, clock)
    grant = ClientCredentialsGrant(entities, core.issuer, core.settings, FailureLimiter(clock))
    entity, key = blocking(entities.create("Shop", ["http://localhost:8000"]))
    assert blocking(grant.authenticate((key.key_id, key.secret)))[1] == entity
    # Revoked elsewhere (the CLI, another instance): straight in the store, behind this registry.
    blocking(core.store.revoke_api_key(key.key_id, clock.now()))
    clock.advance(0.9)
    assert blocking(grant.authenticate((key.key_id, key.secret)))[1] == entity  # still remembered
    clock.advance(0.1)
    with pytest.raises(InvalidClient):
        blocking(grant.authenticate((key.key_id, key.secret)))


def test_a_key_revoked_through_this_process_is_refused_at_once(core):
    clock = FrozenClock(time.time())
    entities = EntityRegistry(core.store, core.deriver, clock)
    grant = ClientCredentialsGrant(entities, core.issuer, core.settings, FailureLimiter(clock))
    _, key = blocking(entities.create("Shop", ["http://localhost:8000"]))
    blocking(grant.authenticate((key.key_id, key.secret)))  # now remembered
    blocking(entities.revoke_key(key.key_id))
    with pytest.raises(InvalidClient):
        blocking(grant.authenticate((key.key_id, key.secret)))


def test_another_key_of_the_same_entity_still_works_after_a_revocation(planner, shop):
    spare = blocking(planner.core.entities.issue_key(shop.entity.id))
    blocking(planner.core.entities.revoke_key(shop.key_id))
    response = token_request(planner, authorization=basic(spare.key_id, spare.secret))
    assert response.status_code == 200


def test_missing_authorization_is_refused(planner):
    assert_invalid_client(token_request(planner))


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic ====",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b":secret-without-id").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(("pbk_" + "x" * 5000 + ":s").encode()).decode(),
        "Bearer some-token",
        "Digest username=x",
    ],
    ids=[
        "no credentials",
        "empty credentials",
        "bad base64",
        "no colon",
        "empty client id",
        "not utf-8",
        "overlong client id",
        "bearer scheme",
        "digest scheme",
    ],
)
def test_malformed_authorization_is_refused(planner, authorization):
    assert_invalid_client(token_request(planner, authorization=authorization))


def test_basic_credentials_must_be_strict_base64(planner, shop):
    # A lenient decoder would skip the stray character and read the genuine credentials.
    encoded = basic(shop.key_id, shop.secret).removeprefix("Basic ")
    assert token_request(planner, authorization="Basic " + encoded).status_code == 200
    for stray in ("!", "*", "."):
        mangled = f"Basic {encoded[:8]}{stray}{encoded[8:]}"
        assert_invalid_client(token_request(planner, authorization=mangled))


def test_non_ascii_authorization_header_is_refused(planner):
    headers = [
        (b"authorization", "Basic Zm9vOmJhcg==é".encode("latin-1")),
        (b"content-type", FORM.encode()),
    ]
    response = httpx.post(planner.url + "/auth/token", content=GRANT.encode(), headers=headers)
    assert_invalid_client(response)


# -- invalid_request, unsupported_grant_type, invalid_scope (400) ---------------------------------


def test_missing_grant_type_is_invalid_request(planner, shop):
    assert_error(as_shop(planner, shop, "scope=read"), 400, "invalid_request", MISSING_GRANT)


def test_empty_body_is_invalid_request(planner, shop):
    assert_error(as_shop(planner, shop, ""), 400, "invalid_request", MISSING_GRANT)


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token", "x"])
def test_other_grant_types_are_unsupported(planner, shop, grant_type):
    response = as_shop(planner, shop, f"grant_type={grant_type}")
    assert_error(
        response, 400, "unsupported_grant_type", "only grant_type=client_credentials is supported"
    )


@pytest.mark.parametrize(
    "body",
    [GRANT + "&" + GRANT, GRANT + "&scope=read&scope=write", GRANT + "&grant_type=password"],
    ids=["grant_type twice", "scope twice", "conflicting grant_type"],
)
def test_duplicated_parameters_are_refused(planner, shop, body):
    once = "a parameter was sent more than once"
    assert_error(as_shop(planner, shop, body), 400, "invalid_request", once)


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "multipart/form-data; boundary=x", "text/plain"]
)
def test_only_form_encoded_bodies_are_accepted(planner, shop, content_type):
    response = as_shop(planner, shop, content_type=content_type)
    assert_error(response, 400, "invalid_request", NOT_A_FORM)


def test_json_body_is_refused(planner, shop):
    body = b'{"grant_type": "client_credentials"}'
    response = as_shop(planner, shop, body, content_type="application/json")
    assert_error(response, 400, "invalid_request", NOT_A_FORM)


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"grant_type=client_credentials&&", "the form body is malformed"),
        (b"=x", MISSING_GRANT),  # a nameless parameter: parsed, and no grant_type
        (b"grant_type=%ff%fe", "the form body is malformed"),
        (b"\xff=\xfe", "the form body is malformed"),
    ],
)
def test_malformed_forms_are_invalid_request(planner, shop, body, description):
    assert_error(as_shop(planner, shop, body), 400, "invalid_request", description)


def test_client_secret_post_gets_the_same_token(planner, shop):
    body = f"{GRANT}&scope=read+write&client_id={shop.key_id}&client_secret={quote(shop.secret)}"
    response = token_request(planner, body)
    assert response.status_code == 200, response.text
    claims = planner.core.verifier.verify_access_token(response.json()["access_token"])
    assert (claims.entity_id, claims.client_id) == (shop.entity.id, shop.key_id)


def test_client_secret_post_with_a_wrong_secret_is_invalid_client(planner, shop):
    body = f"{GRANT}&client_id={shop.key_id}&client_secret=wrong"
    described = assert_error(token_request(planner, body), 401, "invalid_client")
    assert "wrong" not in described["error_description"]


def test_client_secret_post_without_client_id_is_invalid_request(planner, shop):
    body = f"{GRANT}&client_secret={quote(shop.secret)}"
    missing = "client_id is missing (client_secret_post needs both)"
    assert_error(token_request(planner, body), 400, "invalid_request", missing)


def test_credentials_in_both_places_are_invalid_request(planner, shop):
    body = f"{GRANT}&client_id={shop.key_id}&client_secret={quote(shop.secret)}"
    once = "client credentials must be sent once: in the Authorization header or the body"
    assert_error(as_shop(planner, shop, body), 400, "invalid_request", once)


@pytest.mark.parametrize("path", ["/auth/token", "/oauth/revoke"])
def test_two_authorization_headers_are_invalid_request(planner, shop, path):
    """As at the web services (RFC 6749 §2.3: one way of authenticating per request), whichever
    of the two would have passed."""
    good, other = basic(shop.key_id, shop.secret), basic("pbk_someone_else", "x")
    for first, second in [(good, other), (good, good)]:
        headers = [("Authorization", first), ("Authorization", second), ("Content-Type", FORM)]
        answer = httpx.post(planner.url + path, content=GRANT + "&token=t", headers=headers)
        assert_error(answer, 400, "invalid_request", "Authorization: more than one header")


@pytest.mark.parametrize("client_id", ["pbk_someone_else", ""])
def test_client_id_in_the_body_must_match_the_authenticated_client(planner, shop, client_id):
    # A blank client_id is sent all the same, and is not the authenticated client's.
    response = as_shop(planner, shop, f"{GRANT}&client_id={client_id}")
    mismatch = "client_id does not match the authenticated client"
    assert_error(response, 400, "invalid_request", mismatch)


def test_unknown_scope_is_invalid_scope(planner, shop):
    response = as_shop(planner, shop, GRANT + "&scope=read+admin")
    assert_error(response, 400, "invalid_scope", "unknown scope 'admin'")


def test_write_scope_for_an_entity_without_allow_write_is_invalid_scope(planner, readonly_shop):
    response = as_shop(planner, readonly_shop, GRANT + "&scope=read+write")
    assert_error(response, 400, "invalid_scope", "this legal entity may not ask for write rights")


def test_huge_body_is_refused(planner, shop):
    response = as_shop(planner, shop, GRANT + "&pad=" + "x" * 100_000)
    assert_error(response, 413, "invalid_request")


def test_only_post_is_allowed(planner):
    assert httpx.get(planner.url + "/auth/token").status_code == 405


# -- the bare ASGI endpoint reads bodies and answers as Starlette would -----------------------


def test_the_answer_is_declared_json(planner, shop):
    response = as_shop(planner, shop)
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)


def grant_answer(core, grant: ClientCredentialsGrant, key_id: str, secret: str, scope: str):
    """The grant's own answer (no HTTP): what the bare endpoint sends as it is."""
    body = f"{GRANT}&scope={scope}".encode() if scope else GRANT.encode()

    async def body_reader() -> bytes:
        return body

    request = FormRequest(basic(key_id, secret), FORM, "addr:192.0.2.1", body_reader)
    answer = blocking(grant.create_token_response(request))
    assert answer is not None
    return answer


def test_the_grant_answers_what_json_response_would_send(core):
    grant = ClientCredentialsGrant(
        core.entities, core.issuer, core.settings, FailureLimiter(core.clock)
    )
    entity, key = blocking(
        core.entities.create("Shop", ["http://localhost:8000"], allow_write=True)
    )
    for scope in ("", "read", "read write", "write", ""):  # the last one from the cache
        answer = grant_answer(core, grant, key.key_id, key.secret, scope)
        decoded = json.loads(answer.body)
        # Byte for byte Starlette's rendering of the same members in the same order.
        assert answer.body == JSONResponse(decoded).body
        assert list(decoded) == ["access_token", "token_type", "expires_in", "scope"]
        assert decoded["scope"] == {"": "read", "write": "read write"}.get(scope, scope)
        assert decoded["token_type"] == "Bearer"
        claims = core.verifier.verify_access_token(decoded["access_token"])
        assert claims.entity_id == entity.id
        # ASGI header names are lower case; the length is the body's.
        assert answer.headers == (
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"pragma", b"no-cache"),
            (b"content-length", str(len(answer.body)).encode()),
        )
        assert (answer.status, answer.kind) == (200, "legal_entity")


def test_the_rendered_answer_tails_stay_bounded_and_right(core):
    grant = ClientCredentialsGrant(
        core.entities, core.issuer, core.settings, FailureLimiter(core.clock)
    )
    minted = blocking(
        core.issuer.prepare_access_token(
            entity_id="e", client_id="k", rights=("read",), lifetime=60
        ).sign()
    )
    for lifetime in range(MAX_ANSWER_TAILS + 5):  # more kinds of answer than the cache keeps
        answer = {"access_token": minted.token, "token_type": "Bearer", "expires_in": lifetime}
        rendered = grant._render(dict(answer))
        assert rendered == JSONResponse(answer).body
        assert 1 <= len(grant._tails) <= MAX_ANSWER_TAILS
    assert grant._render(dict(answer)) == JSONResponse(answer).body  # a cached tail


def test_an_answer_tail_is_rendered_once_per_kind_of_answer(core, monkeypatch):
    grant = ClientCredentialsGrant(
        core.entities, core.issuer, core.settings, FailureLimiter(core.clock)
    )
    answer = {"access_token": "h.p.s", "token_type": "Bearer", "expires_in": 60, "scope": "read"}
    first = grant._render(dict(answer))

    def never(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the tail of a known kind of answer was rendered again")

    monkeypatch.setattr(client_credentials, "json", SimpleNamespace(dumps=never))
    assert grant._render(dict(answer, access_token="h.p.t")) == first.replace(b"h.p.s", b"h.p.t")


def test_a_body_sent_in_chunks_is_read_whole(planner, shop):
    chunks = [b"grant_type=client", b"_credentials&scope=", b"read+write"]
    headers = {"Authorization": basic(shop.key_id, shop.secret), "Content-Type": FORM}
    response = httpx.post(planner.url + "/auth/token", content=iter(chunks), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write"


def test_a_chunked_body_growing_too_large_is_refused(planner, shop):
    chunks = [GRANT.encode()] + [b"&pad=" + b"x" * 1000] * 10  # no Content-Length to go by
    headers = {"Authorization": basic(shop.key_id, shop.secret), "Content-Type": FORM}
    response = httpx.post(planner.url + "/auth/token", content=iter(chunks), headers=headers)
    assert_error(response, 413, "invalid_request")


def test_the_common_form_is_parsed_exactly_as_the_parser_would():
    assert parse_form(FORM, COMMON_FORM) == dict(parse_qsl(COMMON_FORM.decode()))
    assert parse_form(FORM, COMMON_FORM + b"&scope=read") == {
        "grant_type": "client_credentials",
        "scope": "read",
    }


def test_the_secret_is_the_documented_derivation_every_time():
    master = b"m" * 32
    deriver = SecretDeriver(master)
    expected = hmac.new(master, b"api-secret/v1/pbk_abc", hashlib.sha256).digest()
    assert deriver.secret_for("pbk_abc") == deriver.secret_for("pbk_abc") == b64url(expected)
    assert deriver.secret_for("pbk_abd") != deriver.secret_for("pbk_abc")
    assert deriver.matches("pbk_abc", b64url(expected))
    assert not deriver.matches("pbk_abc", b64url(expected)[:-1] + "x")


# -- signatures made in batches, once per event-loop turn --------------------------------------


def test_concurrent_requests_each_get_their_own_valid_token(planner, shop):
    async def ask_many() -> list[httpx.Response]:
        headers = {"Authorization": basic(shop.key_id, shop.secret), "Content-Type": FORM}
        async with httpx.AsyncClient(base_url=planner.url, headers=headers) as client:
            return await asyncio.gather(
                *(client.post("/auth/token", content=GRANT) for _ in range(40))
            )

    responses = asyncio.run(ask_many())
    assert all(r.status_code == 200 for r in responses)
    tokens = [r.json()["access_token"] for r in responses]
    claims = [planner.core.verifier.verify_access_token(t) for t in tokens]
    assert len({c.jti for c in claims}) == 40
    assert all(c.entity_id == shop.entity.id for c in claims)


INPUT = b"header.payload"  # a token's signing input


def test_a_batch_signs_every_token_it_was_given():
    batch = SigningBatch()

    async def sign_together() -> list[bytes]:
        return await asyncio.gather(
            *(batch.sign(INPUT, lambda d, i=i: d + b"%d" % i) for i in range(5))
        )

    assert asyncio.run(sign_together()) == [b"header.payload%d" % i for i in range(5)]


def test_a_failed_signature_reaches_its_own_request_only():
    batch = SigningBatch()

    def broken(data: bytes) -> bytes:
        raise ValueError("no key")

    async def sign_together() -> list[object]:
        good, bad = batch.sign(INPUT, lambda d: b"sig"), batch.sign(INPUT, broken)
        return await asyncio.gather(good, bad, return_exceptions=True)

    good, bad = asyncio.run(sign_together())
    assert good == b"sig" and isinstance(bad, ValueError)


def test_a_request_gone_before_its_turn_is_skipped():
    batch = SigningBatch()
    signed: list[bytes] = []

    def record(data: bytes) -> bytes:
        signed.append(data)
        return b"sig"

    async def cancel_one() -> bytes:
        gone = asyncio.ensure_future(batch.sign(INPUT, lambda d: pytest.fail("signed")))
        await asyncio.sleep(0)  # queued
        gone.cancel()
        return await batch.sign(INPUT, record)

    assert asyncio.run(cancel_one()) == b"sig" and signed == [b"header.payload"]
