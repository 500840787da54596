"""Revocation within a second across two `planner-bridge serve` processes on one real PostgreSQL
(LISTEN/NOTIFY): each way to revoke, made through one instance (or the CLI), is refused by the
other within the contract, other tokens untouched; a revoked token's socket on the other
instance closes with 4401; an instance restarted, or cut from the database and reconnected,
misses no revocation made meanwhile."""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from planner_bridge.demo.host_config import HostConfig
from planner_bridge.demo.shop import create_app as create_host_app
from planner_bridge.serving import ThreadedServer
from revocation_helpers import (
    client_credentials_token,
    exchanged_token,
    oauth_revoke,
    refused_within_contract,
    signed_call,
    status,
    user_token,
)
from support import wait_until
from test_admin_console import CSRF
from test_cli import SCRIPT, _first_line_url, environment
from test_integrator import PASSWORDS, TOKEN_HEADERS, write_host_files
from test_several_instances import ORIGIN, cli_json, instances, shared  # noqa: F401


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """One `serve` process; its URL once it listens (it has loaded the revocations then)."""
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**env),
    )
    try:
        yield _first_line_url(process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


@pytest.fixture
def shop(shared) -> dict:  # noqa: F811
    return cli_json(shared, "entity", "create", "Shop", "--origin", ORIGIN, "--allow-write")


def creds(shop: dict) -> tuple[str, str]:
    return shop["api_key"], shop["secret"]


def both(instances: list[str], token: str) -> list:  # noqa: F811
    return [lambda url=url: status(url, token) for url in instances]


def cli(shared: dict[str, str], *args: str) -> subprocess.CompletedProcess:  # noqa: F811
    done = subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, timeout=60, env=environment(**shared)
    )
    assert done.returncode == 0, done.stderr
    return done


def test_oauth_revoke_through_one_instance_is_refused_by_the_other(instances, shop):  # noqa: F811
    a = instances[0]
    revoked, kept = (client_credentials_token(a, *creds(shop)) for _ in range(2))
    assert oauth_revoke(a, *creds(shop), revoked).status_code == 200
    refused_within_contract("oauth/revoke, two instances", *both(instances, revoked))
    assert [status(url, kept) for url in instances] == [200, 200]


def test_a_revoked_tokens_socket_on_the_other_instance_closes_with_4401(instances, shop):  # noqa: F811
    a, b = instances
    revoked, kept = (user_token(a, *creds(shop), "alice") for _ in range(2))
    live = b.replace("http://", "ws://") + "/v1/live"
    with connect(live) as ws, connect(live) as other:
        for socket, token in ((ws, revoked), (other, kept)):
            socket.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(socket.recv(timeout=10))["type"] == "authenticated"
        assert oauth_revoke(a, *creds(shop), revoked).status_code == 200
        refusal = json.loads(ws.recv(timeout=1.0 + 0.5))  # the contract, and the slack
        assert refusal["error"] == "invalid_token"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4401
        other.ping().wait(5)  # the other token's socket stays


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_an_api_token_disabled_or_deleted_on_one_instance(instances, shop, how):  # noqa: F811
    a, b = instances
    token_id, exchanged = exchanged_token(a, *creds(shop), "alice")
    _, other = exchanged_token(b, *creds(shop), "alice")
    path = f"/v1/api-tokens/{token_id}"
    if how == "disable":
        answer = signed_call(b, *creds(shop), "PATCH", path, {"disabled": True})
    else:
        answer = signed_call(b, *creds(shop), "DELETE", path)
    assert answer.status_code in (200, 204), answer.text
    refused_within_contract(f"api-token {how}, two instances", *both(instances, exchanged))
    assert [status(url, other) for url in instances] == [200, 200]


def test_key_revoke_by_the_cli_reaches_both_instances(instances, shared, shop):  # noqa: F811
    a, b = instances
    second = cli_json(shared, "key", "create", shop["id"])
    minted = [client_credentials_token(a, *creds(shop)), user_token(b, *creds(shop), "alice")]
    kept = client_credentials_token(a, second["api_key"], second["secret"])
    cli(shared, "key", "revoke", shop["api_key"])
    checks = [check for token in minted for check in both(instances, token)]
    refused_within_contract("key revoke (CLI), two instances", *checks)
    assert [status(url, kept) for url in instances] == [200, 200]


def test_user_sign_out_by_the_cli_reaches_both_instances(instances, shared, shop):  # noqa: F811
    a, b = instances
    alice = [user_token(a, *creds(shop), "alice"), exchanged_token(b, *creds(shop), "alice")[1]]
    bob = user_token(a, *creds(shop), "bob")
    cli(shared, "user", "sign-out", "--entity", shop["id"], "--user", "alice")
    checks = [check for token in alice for check in both(instances, token)]
    refused_within_contract("user sign-out (CLI), two instances", *checks)
    assert [status(url, bob) for url in instances] == [200, 200]


def test_sign_out_everywhere_in_one_instances_console(instances, shared, shop):  # noqa: F811
    a, b = instances
    alice, bob = user_token(b, *creds(shop), "alice"), user_token(b, *creds(shop), "bob")
    entity = shop["id"]
    password = cli_json(shared, "admin", "create", "--entity", entity, "--username", "ada")[
        "password"
    ]
    with httpx.Client(base_url=a) as browser:
        csrf = CSRF.search(browser.get("/admin/").text)[1]
        form = {"csrf": csrf, "username": "ada", "password": password}
        assert browser.post("/admin/sign-in", data=form).status_code == 303
        csrf = CSRF.search(browser.get("/admin/").text)[1]
        answer = browser.post("/admin/users/sign-out", data={"csrf": csrf, "user_id": "alice"})
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/"
    refused_within_contract("console sign out everywhere, two instances", *both(instances, alice))
    assert [status(url, bob) for url in instances] == [200, 200]


def test_the_demo_shops_logout_through_one_instance_reaches_the_other(
    instances,  # noqa: F811
    shared,  # noqa: F811
    tmp_path,
):
    a, b = instances
    started: list[HostConfig] = []

    def build(url: str):
        shop = cli_json(shared, "entity", "create", "Shop", "--origin", url, "--allow-write")
        files = write_host_files(tmp_path / "host", shop["secret"])
        config = HostConfig(url, a, shop["id"], shop["api_key"], *files, "k" * 32)
        started.append(config)
        return create_host_app(config)

    with (
        ThreadedServer(build, url_host="localhost") as host,
        httpx.Client(base_url=host.url) as browser,
    ):
        headers = {"Origin": host.url, **TOKEN_HEADERS}
        form = {"username": "alice", "password": PASSWORDS["alice"]}
        assert browser.post("/login", headers=headers, data=form).status_code == 200
        handed = browser.post("/planner-token", headers=headers).json()["token"]
        assert status(b, handed) == 200
        assert browser.post("/logout", headers=headers).status_code == 200
        refused_within_contract("demo logout, two instances", *both(instances, handed))


# -- an instance that was away misses nothing ------------------------------------------------


def test_an_instance_restarted_refuses_what_was_revoked_while_it_was_down(
    shared,  # noqa: F811
    shop,
    tmp_path,
):
    env = {**shared, "PLANNER_BRIDGE_DATA_DIR": str(tmp_path / "b")}
    with serving(env) as b:
        token = user_token(b, *creds(shop), "alice")
        kept = user_token(b, *creds(shop), "bob")
    cli(shared, "user", "sign-out", "--entity", shop["id"], "--user", "alice")
    with serving(env) as b:
        answer = httpx.get(b + "/v1/assets", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401  # its very first answer
        assert answer.json()["error_description"] == "token has been revoked"
        assert status(b, kept) == 200


def test_an_instance_cut_from_the_database_misses_nothing_revoked_meanwhile(
    postgres_server,
    shared,  # noqa: F811
    shop,
    tmp_path,
):
    # B connects as a role of its own, so it alone can be cut off (and let back in).
    role, password = f"instance_{secrets.token_hex(4)}", secrets.token_hex(12)
    postgres_server.psql(f"CREATE ROLE {role} SUPERUSER LOGIN PASSWORD '{password}'")
    database = shared["PLANNER_BRIDGE_DATABASE_URL"].rsplit("/", 1)[1]
    b_url = f"postgresql://{role}:{quote(password)}@127.0.0.1:{postgres_server.port}/{database}"
    env = {**shared, "PLANNER_BRIDGE_DATABASE_URL": b_url}
    env["PLANNER_BRIDGE_DATA_DIR"] = str(tmp_path / "b")
    with serving(env) as b:
        token, kept = user_token(b, *creds(shop), "alice"), user_token(b, *creds(shop), "bob")
        assert status(b, token) == 200
        postgres_server.psql(f"ALTER ROLE {role} NOLOGIN")
        postgres_server.psql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
        )
        # Cut off, it vouches for no token: a revocation may be under way that it cannot hear.
        wait_until(lambda: status_code(b, token) == 503, timeout=10)
        cli(shared, "user", "sign-out", "--entity", shop["id"], "--user", "alice")
        assert status_code(b, token) == 503
        postgres_server.psql(f"ALTER ROLE {role} LOGIN")
        answers = []

        def back() -> bool:
            answers.append(status_code(b, token))
            return answers[-1] != 503

        wait_until(back, timeout=15)
        assert answers[-1] == 401 and 200 not in answers  # never accepted in between
        assert status(b, kept) == 200
        assert httpx.get(b + "/readyz").json() == {"status": "ready"}


def status_code(url: str, token: str) -> int:
    return httpx.get(url + "/v1/assets", headers={"Authorization": f"Bearer {token}"}).status_code
