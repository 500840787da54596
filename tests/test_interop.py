"""Interoperability with code nobody here wrote: Authlib's and requests-oauthlib's OAuth2
clients, PyJWT's JWKS client and the http-message-signatures library's own signer, against a
real planner origin."""

from __future__ import annotations

import datetime
import json
import secrets
import warnings
from types import SimpleNamespace

import authlib.deprecate  # installs its own "always" filter; ours below must come after it
import httpx
import jwt
import pytest
from authlib.integrations.base_client.errors import OAuthError
from http_message_signatures import HTTPMessageSigner, algorithms
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from planner_bridge.serving import blocking
from support import PlannerServer, SharedSecret, Shop, register_shop

with warnings.catch_warnings():
    # Authlib now nudges towards httpx2 at import; httpx is what this project and its
    # integrators use, and the client below is Authlib's own, unchanged.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client


def authlib_client(planner: PlannerServer, shop: Shop, **kwargs) -> OAuth2Client:
    return OAuth2Client(
        client_id=shop.key_id,
        client_secret=shop.secret,
        token_endpoint_auth_method="client_secret_basic",
        **kwargs,
    )


def verify_with_jwks_client(planner: PlannerServer, token: str, alg: str) -> dict:
    jwks = jwt.PyJWKClient(planner.url + "/.well-known/jwks.json", cache_keys=False)
    signing_key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=[alg],
        audience="planner",
        issuer=planner.url,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def test_authlib_oauth2_client_gets_a_token_by_client_credentials(planner, shop):
    with authlib_client(planner, shop) as client:
        token = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "read"
    assert token["expires_in"] == 3600 and token["expires_at"] > 0  # Authlib computes expires_at
    claims = planner.core.verifier.verify_access_token(token["access_token"])
    assert (claims.entity_id, claims.kind, claims.client_id) == (
        shop.entity.id,
        "legal_entity",
        shop.key_id,
    )


def test_authlib_client_asks_for_scopes(planner, shop):
    with authlib_client(planner, shop, scope="read write") as client:
        token = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    assert token["scope"] == "read write"


def test_authlib_client_finds_the_endpoint_through_rfc_8414_metadata(planner, shop):
    metadata_url = planner.url + "/.well-known/oauth-authorization-server"
    metadata = httpx.get(metadata_url).json()
    with authlib_client(planner, shop) as client:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert verify_with_jwks_client(planner, token["access_token"], "ES256")["sub"] == shop.entity.id


def test_authlib_client_sees_invalid_client_for_a_wrong_secret(planner, shop):
    client = OAuth2Client(client_id=shop.key_id, client_secret="wrong")
    with client, pytest.raises(OAuthError) as caught:
        client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    assert caught.value.error == "invalid_client"


def test_authlib_client_sees_invalid_scope(planner, readonly_shop):
    client = authlib_client(planner, readonly_shop, scope="read write")
    with client, pytest.raises(OAuthError) as caught:
        client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    assert caught.value.error == "invalid_scope"


def test_authlib_client_secret_post_gets_a_token(planner, shop):
    sent: list[httpx.Request] = []
    client = OAuth2Client(
        client_id=shop.key_id,
        client_secret=shop.secret,
        token_endpoint_auth_method="client_secret_post",
        scope="read write",
        event_hooks={"request": [sent.append]},
    )
    with client:
        token = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    assert token["scope"] == "read write"
    assert "authorization" not in sent[0].headers and b"client_secret=" in sent[0].content
    assert planner.core.verifier.verify_access_token(token["access_token"]).client_id == shop.key_id


def test_requests_oauthlib_with_client_id_in_the_body_gets_a_token(planner, shop, monkeypatch):
    # requests-oauthlib refuses plain http unless told; the test servers speak http only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    session = OAuth2Session(client=BackendApplicationClient(client_id=shop.key_id))
    sent = []
    session.register_compliance_hook("access_token_response", lambda r: sent.append(r) or r)
    with session:
        token = session.fetch_token(
            planner.url + "/auth/token",
            client_id=shop.key_id,
            client_secret=shop.secret,
            include_client_id=True,
        )
    assert token["token_type"] == "Bearer" and token["scope"] == ["read"]
    request = sent[0].request
    assert "Authorization" not in request.headers and "client_secret=" in request.body
    assert planner.core.verifier.verify_access_token(token["access_token"]).kind == "legal_entity"


@pytest.mark.anyio
async def test_authlib_async_client_gets_a_token(planner, shop):
    async with AsyncOAuth2Client(client_id=shop.key_id, client_secret=shop.secret) as client:
        token = await client.fetch_token(
            planner.url + "/auth/token", grant_type="client_credentials"
        )
    assert planner.core.verifier.verify_access_token(token["access_token"]).kind == "legal_entity"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_pyjwkclient_verifies_minted_tokens_from_the_jwks_url(start_planner, alg):
    planner = start_planner(signing_alg=alg)
    shop = register_shop(planner.core)
    with authlib_client(planner, shop) as client:
        token = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    claims = verify_with_jwks_client(planner, token["access_token"], alg)
    assert claims["entity"] == shop.entity.id and claims["kind"] == "legal_entity"
    assert jwt.get_unverified_header(token["access_token"])["alg"] == alg


def test_pyjwkclient_verifies_tokens_of_a_retired_key_after_rotation(planner, shop):
    with authlib_client(planner, shop) as client:
        old = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
        blocking(planner.core.keyring.rotate())
        new = client.fetch_token(planner.url + "/auth/token", grant_type="client_credentials")
    old_token, new_token = old["access_token"], new["access_token"]
    assert (
        jwt.get_unverified_header(old_token)["kid"] != jwt.get_unverified_header(new_token)["kid"]
    )
    for token in (old_token, new_token):
        assert verify_with_jwks_client(planner, token, "ES256")["sub"] == shop.entity.id


def test_request_signed_by_the_librarys_own_signer_is_accepted(planner, shop):
    url = planner.url + "/v1/tokens"
    body = json.dumps({"type": "user", "user": {"id": "u-7", "name": "Grace"}}).encode()
    message = SimpleNamespace(method="POST", url=url, headers={"Content-Type": "application/json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=SharedSecret(shop.key_id, shop.secret),
    )
    signer.sign(
        message,
        key_id=shop.key_id,
        created=datetime.datetime.now(datetime.UTC),
        nonce=secrets.token_hex(16),
        covered_component_ids=("@method", "@path", "content-digest"),
        body=body,
    )
    assert "Content-Digest" in message.headers  # made by the library, not by us
    response = httpx.post(url, content=body, headers=message.headers)
    assert response.status_code == 201, response.text
    assert verify_with_jwks_client(planner, response.json()["token"], "ES256")["sub"] == "u-7"
