"""Revocation within a second (SPEC), on one planner origin (real uvicorn, SQLite): each way to
revoke, what it refuses and what it leaves alone, RFC 7009's answers, the live socket's 4401,
and a restart that misses nothing. Across PostgreSQL instances: test_revocation_instances.py."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from websockets.sync.client import connect

from asset_helpers import mint
from planner_bridge import audit
from planner_bridge.core import Core
from planner_bridge.errors import InvalidToken
from planner_bridge.serving import blocking
from revocation_helpers import (
    client_credentials_token,
    exchanged_token,
    oauth_revoke,
    refused_within_contract,
    signed_call,
    status,
    user_token,
)
from served import cli_env, run_cli
from support import register_shop
from test_admin_console import sign_in
from test_integrator import PASSWORDS, TOKEN_HEADERS, host, start_host  # noqa: F401
from test_live import close_code, open_live

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def trail(planner, shop) -> list[tuple[str, str, str]]:
    """The entity's audit trail, newest first: (actor, action, object)."""
    events = blocking(audit.recent(planner.core.store, shop.entity.id))
    return [(e.actor, e.action, e.object_id) for e in events]


# -- POST /oauth/revoke (RFC 7009) ----------------------------------------------------------------


def test_oauth_revoke_refuses_that_token_within_a_second_and_no_other(planner, shop):
    url, key, secret = planner.url, shop.key_id, shop.secret
    revoked, kept = (client_credentials_token(url, key, secret) for _ in range(2))
    alice = user_token(url, key, secret, "alice")
    answer = oauth_revoke(url, key, secret, revoked)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["cache-control"] == "no-store"
    refused_within_contract("oauth/revoke, one instance", lambda: status(url, revoked))
    assert status(url, kept) == 200 and status(url, alice) == 200
    jti = jwt.decode(revoked, options={"verify_signature": False})["jti"]
    assert trail(planner, shop)[0] == (f"api-key:{key}", "token.revoked", jti)


def test_oauth_revoke_answers_200_and_leaves_another_entitys_token_alone(planner, shop):
    other = register_shop(planner.core, name="Other Store")
    theirs = client_credentials_token(planner.url, other.key_id, other.secret)
    for token in (theirs, "not-a-token", "a.b.c", "x" * 5000):
        assert oauth_revoke(planner.url, shop.key_id, shop.secret, token).status_code == 200
    assert status(planner.url, theirs) == 200
    assert len(planner.core.revocations) == 0


def test_oauth_revoke_authenticates_the_client_as_auth_token_does(planner, shop):
    url, token = planner.url, client_credentials_token(planner.url, shop.key_id, shop.secret)
    wrong = oauth_revoke(url, shop.key_id, "wrong-secret", token)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    unsent = httpx.post(url + "/oauth/revoke", data={"token": token})
    assert unsent.status_code == 401 and unsent.json()["error"] == "invalid_client"
    no_token = httpx.post(url + "/oauth/revoke", auth=(shop.key_id, shop.secret), data={})
    assert no_token.status_code == 400 and no_token.json()["error"] == "invalid_request"
    assert status(url, token) == 200  # nothing refused so far
    posted = {"token": token, "client_id": shop.key_id, "client_secret": shop.secret}
    assert httpx.post(url + "/oauth/revoke", data=posted).status_code == 200  # client_secret_post
    refused_within_contract("oauth/revoke (client_secret_post)", lambda: status(url, token))


def test_oauth_revoke_refuses_a_body_that_is_not_a_form(planner, shop):
    answer = httpx.post(
        planner.url + "/oauth/revoke",
        auth=(shop.key_id, shop.secret),
        content=json.dumps({"token": "x"}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_the_revocation_endpoint_is_in_the_metadata_and_the_openapi_document(planner):
    metadata = httpx.get(planner.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["revocation_endpoint"] == planner.url + "/oauth/revoke"
    assert "client_secret_basic" in metadata["revocation_endpoint_auth_methods_supported"]
    document = httpx.get(planner.url + "/openapi.json").json()
    assert "post" in document["paths"]["/oauth/revoke"]


# -- API tokens, keys and users --------------------------------------------------------------------


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_disabling_or_deleting_an_api_token_refuses_what_it_was_exchanged_for(planner, shop, how):
    url, key, secret = planner.url, shop.key_id, shop.secret
    token_id, exchanged = exchanged_token(url, key, secret, "alice")
    _, other_exchanged = exchanged_token(url, key, secret, "alice")  # same user, other token
    alice = user_token(url, key, secret, "alice")
    path = f"/v1/api-tokens/{token_id}"
    if how == "disable":
        answer = signed_call(url, key, secret, "PATCH", path, {"disabled": True})
    else:
        answer = signed_call(url, key, secret, "DELETE", path)
    assert answer.status_code in (200, 204), answer.text
    refused_within_contract(f"api-token {how}, one instance", lambda: status(url, exchanged))
    assert status(url, other_exchanged) == 200 and status(url, alice) == 200


def test_key_revoke_from_the_cli_refuses_every_token_the_key_minted(planner, shop):
    url, key, secret = planner.url, shop.key_id, shop.secret
    second = blocking(planner.core.entities.issue_key(shop.entity.id))
    minted = [client_credentials_token(url, key, secret), user_token(url, key, secret, "alice")]
    kept = client_credentials_token(url, second.key_id, second.secret)
    data_dir = str(planner.core.settings.data_dir)
    done = run_cli("key", "revoke", key, "--data-dir", data_dir, env=cli_env())
    assert done.returncode == 0, done.stderr  # another process, on the same SQLite file
    refused_within_contract(
        "key revoke (CLI), one instance", *(lambda t=t: status(url, t) for t in minted)
    )
    assert status(url, kept) == 200


def test_user_sign_out_from_the_cli_refuses_every_token_of_that_user(planner, shop):
    url, key, secret = planner.url, shop.key_id, shop.secret
    alice = [user_token(url, key, secret, "alice"), exchanged_token(url, key, secret, "alice")[1]]
    kept = [user_token(url, key, secret, "bob"), client_credentials_token(url, key, secret)]
    other = register_shop(planner.core, name="Other Store")
    kept.append(user_token(url, other.key_id, other.secret, "alice"))  # another shop's alice
    done = run_cli(
        "user", "sign-out", "--entity", shop.entity.id, "--user", "alice", "--json",
        "--data-dir", str(planner.core.settings.data_dir), env=cli_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "entity": shop.entity.id,
        "user": "alice",
        "signed_out": True,
    }
    refused_within_contract(
        "user sign-out (CLI), one instance", *(lambda t=t: status(url, t) for t in alice)
    )
    assert [status(url, t) for t in kept] == [200, 200, 200]
    assert trail(planner, shop)[0] == ("cli", "user.signed_out", "alice")


def test_user_sign_out_names_an_existing_entity(planner):
    done = run_cli(
        "user", "sign-out", "--entity", "ent_nope", "--user", "alice",
        "--data-dir", str(planner.core.settings.data_dir), env=cli_env(),
    )  # fmt: skip
    assert done.returncode == 1 and "no such entity: ent_nope" in done.stderr


def test_sign_out_everywhere_in_the_console(planner, shop):
    url, key, secret = planner.url, shop.key_id, shop.secret
    _, exchanged = exchanged_token(url, key, secret, "alice")
    alice = user_token(url, key, secret, "alice")
    bob = user_token(url, key, secret, "bob")
    admin = sign_in(planner, shop, "ada")
    try:
        page = admin.console().text
        assert "Sign out everywhere" in page and 'name="user_id" value="alice"' in page
        answer = admin.post("/admin/users/sign-out", user_id="alice")
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/"
        refused_within_contract(
            "console sign out everywhere, one instance",
            lambda: status(url, alice),
            lambda: status(url, exchanged),
        )
        assert status(url, bob) == 200
        assert trail(planner, shop)[0] == ("ada", "user.signed_out", "alice")
        forged = admin.post("/admin/users/sign-out", with_csrf=False, user_id="bob")
        assert forged.status_code == 403 and status(url, bob) == 200
    finally:
        admin.client.close()


def test_the_demo_shops_logout_revokes_the_user_token_it_handed_out(planner, host):  # noqa: F811
    assert host.login("alice", PASSWORDS["alice"]).status_code == 200
    handed = host.token().json()
    assert handed["kind"] == "user" and status(planner.url, handed["token"]) == 200
    bob_token = user_token(planner.url, host.config.api_key, _secret(host), "bob")
    answer = host.http.post("/logout", headers={"Origin": host.url, **TOKEN_HEADERS})
    assert answer.status_code == 200 and answer.json() == {"user": None}
    refused_within_contract("demo logout", lambda: status(planner.url, handed["token"]))
    assert status(planner.url, bob_token) == 200


def _secret(shop_host) -> str:
    return json.loads(shop_host.config.secret_file.read_text())["secret"]


# -- the live channel ---------------------------------------------------------------------------


def test_a_revoked_tokens_live_socket_is_closed_with_4401(planner, shop):
    url, key, secret = planner.url, shop.key_id, shop.secret
    revoked, kept = user_token(url, key, secret, "alice"), user_token(url, key, secret, "alice")
    with open_live(planner, revoked) as ws, open_live(planner, kept) as other:
        assert oauth_revoke(url, key, secret, revoked).status_code == 200
        refusal = json.loads(ws.recv(timeout=1.0 + 0.5))  # the contract, and the slack
        assert refusal == {
            "type": "error",
            "error": "invalid_token",
            "error_description": "token has been revoked",
        }
        assert close_code(ws) == 4401
        other.ping().wait(5)  # still open
    with connect(url.replace("http://", "ws://") + "/v1/live") as again:
        again.send(json.dumps({"type": "auth", "token": revoked}))
        assert json.loads(again.recv(timeout=10))["error"] == "invalid_token"
        assert close_code(again) == 4401


# -- a restart misses nothing ---------------------------------------------------------------------


def test_a_restarted_instance_refuses_what_was_revoked_while_it_was_down(make_settings):
    settings = make_settings()
    first = blocking(Core.connect(settings))
    try:
        shop = register_shop(first)
        token = mint(first, shop.entity.id, user="alice")
        first.verifier.verify_access_token(token)
    finally:
        blocking(first.aclose())  # the instance is gone
    done = run_cli(
        "user", "sign-out", "--entity", shop.entity.id, "--user", "alice",
        "--data-dir", str(settings.data_dir), env=cli_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = blocking(Core.connect(settings))
    try:
        # Refused from the first check on: the set is loaded before the core is handed out.
        assert again.revocations.current
        with pytest.raises(InvalidToken, match="revoked"):
            again.verifier.verify_access_token(token)
    finally:
        blocking(again.aclose())
