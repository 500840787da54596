"""Several `planner-bridge serve` processes on one real PostgreSQL (SPEC: "Several instances").

Each instance is a real process on its own port with a data dir of its own; they share only
the database, the master key and the issuer (the signing key ring is in the database). What one
instance, or the CLI, does holds on the other at once (a rotation within a second or two).
"""

from __future__ import annotations

import base64
import json
import secrets
import signal
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from dpop_keys import DPoPKey
from planner_bridge.clients.signatures import sign_request
from support import wait_until
from test_cli import SCRIPT, _first_line_url, assert_one_line_refusal, environment

ORIGIN = "http://localhost:8000"
ISSUER = "http://planner.test"


@pytest.fixture
def shared(tmp_path, postgres_server) -> dict[str, str]:
    """What every instance of one deployment gets: database URL, master key, issuer."""
    return {
        "PLANNER_BRIDGE_DATABASE_URL": postgres_server.create_database("instances"),
        "PLANNER_BRIDGE_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PLANNER_BRIDGE_ISSUER": ISSUER,
        "PLANNER_BRIDGE_DATA_DIR": str(tmp_path / "data"),
    }


def cli_json(shared: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [SCRIPT, *args, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(**shared),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def instances(shared, tmp_path) -> Iterator[list[str]]:
    """Two `serve` processes on one database; yields their URLs once both listen."""
    processes = [
        subprocess.Popen(
            [SCRIPT, "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(
                **{**shared, "PLANNER_BRIDGE_DATA_DIR": str(tmp_path / f"instance-{i}")}
            ),
        )
        for i in range(2)
    ]
    try:
        yield [_first_line_url(process) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(10)
            process.stdout.close()
            process.stderr.close()


@pytest.fixture
def shop(shared) -> dict:
    return cli_json(shared, "entity", "create", "Shop", "--origin", ORIGIN, "--allow-write")


def signed_token_request(
    shop: dict, body: dict, method: str = "POST", path: str = "/v1/tokens"
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    headers = sign_request(
        method=method,
        url="http://any-instance" + path,  # the signature covers the path, not the host
        body=raw,
        key_id=shop["api_key"],
        secret=shop["secret"],
    )
    return raw, {**headers, "Content-Type": "application/json"}


def user_token(url: str, shop: dict) -> str:
    body = {"type": "user", "user": {"id": "alice", "name": "Alice"}, "rights": ["read", "write"]}
    raw, headers = signed_token_request(shop, body)
    response = httpx.post(url + "/v1/tokens", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def test_a_token_minted_on_one_instance_verifies_on_the_other(instances, shop):
    a, b = instances
    token = user_token(a, shop)
    created = httpx.post(
        b + "/v1/assets",
        json={"name": "Sofa", "kind": "sofa"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    read = httpx.get(
        a + f"/v1/assets/{created.json()['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert read.status_code == 200 and read.json()["name"] == "Sofa"


def test_a_nonce_used_on_one_instance_is_refused_on_the_other(instances, shop):
    a, b = instances
    raw, headers = signed_token_request(shop, {"type": "legal_entity"})
    assert httpx.post(a + "/v1/tokens", content=raw, headers=headers).status_code == 201
    replay = httpx.post(b + "/v1/tokens", content=raw, headers=headers)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert "nonce" in replay.json()["error_description"]


def test_one_idempotency_key_sent_to_both_instances_makes_one_asset(instances, shop):
    a, b = instances
    headers = {"Authorization": f"Bearer {user_token(a, shop)}", "Idempotency-Key": "k-1"}
    body = {"name": "Once", "kind": "table"}
    first = httpx.post(a + "/v1/assets", json=body, headers=headers)
    second = httpx.post(b + "/v1/assets", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    listed = httpx.get(b + "/v1/assets", headers=headers).json()["assets"]
    assert [asset["name"] for asset in listed] == ["Once"]


FORM = b"grant_type=client_credentials"


def basic(shop: dict) -> dict[str, str]:
    credentials = base64.b64encode(f"{shop['api_key']}:{shop['secret']}".encode()).decode()
    return {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_a_key_revoked_through_the_cli_is_refused_by_both_within_a_second(instances, shared, shop):
    def statuses() -> list[int]:
        return [
            httpx.post(u + "/auth/token", content=FORM, headers=basic(shop)).status_code
            for u in instances
        ]

    def signed_statuses() -> list[int]:
        answers = []
        for url in instances:
            raw, headers = signed_token_request(shop, {"type": "legal_entity"})
            answers.append(httpx.post(url + "/v1/tokens", content=raw, headers=headers))
        return [answer.status_code for answer in answers]

    assert statuses() == [200, 200] and signed_statuses() == [201, 201]
    cli_json(shared, "key", "revoke", shop["api_key"])
    # Each instance remembers an active key 1 s (EntityRegistry.recent_active_key).
    wait_until(lambda: statuses() == [401, 401] and signed_statuses() == [401, 401], timeout=5)


def test_an_api_token_disabled_through_one_instance_is_refused_by_the_other(instances, shop):
    a, b = instances
    body = {"name": "sync", "user": {"id": "alice", "name": "Alice"}, "expires_in_days": 30}
    raw, headers = signed_token_request(shop, body, path="/v1/api-tokens")
    issued = httpx.post(a + "/v1/api-tokens", content=raw, headers=headers)
    assert issued.status_code == 201, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert httpx.post(b + "/v1/api-tokens/exchange", headers=bearer).status_code == 200

    path = f"/v1/api-tokens/{issued.json()['id']}"
    raw, headers = signed_token_request(shop, {"disabled": True}, method="PATCH", path=path)
    assert httpx.patch(a + path, content=raw, headers=headers).status_code == 200
    refused = httpx.post(b + "/v1/api-tokens/exchange", headers=bearer)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_a_rotation_by_the_cli_reaches_both_instances(instances, shared, shop, tmp_path):
    a, b = instances
    assert not list(tmp_path.glob("*/keys"))  # no ring on disk: it is in the database

    def kids(url: str) -> list[str]:
        return [key["kid"] for key in httpx.get(url + "/.well-known/jwks.json").json()["keys"]]

    assert kids(a) == kids(b) and len(kids(a)) == 1
    rotated = cli_json(shared, "keys", "rotate")
    wait_until(lambda: kids(a)[0] == kids(b)[0] == rotated["kid"], timeout=5)
    assert kids(a) == kids(b) and len(kids(a)) == 2  # the old key still verifies
    token = user_token(b, shop)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == rotated["kid"]
    listed = httpx.get(a + "/v1/assets", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text


def test_an_asset_written_through_one_instance_reaches_live_clients_of_the_other(instances, shop):
    a, b = instances
    token = user_token(a, shop)
    live_url = b.replace("http://", "ws://") + "/v1/live"
    with connect(live_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "authenticated"
        written = httpx.post(
            a + "/v1/assets",
            json={"name": "Lamp", "kind": "lamp"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert written.status_code == 201, written.text
        event = json.loads(ws.recv(timeout=5))
    assert event["type"] == "asset.changed"
    assert event["asset"]["id"] == written.json()["id"] and event["asset"]["deleted"] is False


# -- the database goes away and comes back -------------------------------------------------------


def test_writes_answer_503_while_the_database_is_down_then_resume(own_postgres, shared, tmp_path):
    env = {**shared, "PLANNER_BRIDGE_DATABASE_URL": own_postgres.create_database("fault")}
    shop = cli_json(env, "entity", "create", "Shop", "--origin", ORIGIN, "--allow-write")
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**env),
    )
    try:
        url = _first_line_url(process)
        headers = {"Authorization": f"Bearer {user_token(url, shop)}"}

        def write(name: str) -> httpx.Response:
            return httpx.post(url + "/v1/assets", json={"name": name, "kind": "k"}, headers=headers)

        assert write("before").status_code == 201
        key = DPoPKey()
        bound = httpx.post(
            url + "/auth/token",
            content=FORM,
            headers={**basic(shop), "DPoP": key.proof("POST", ISSUER + "/auth/token")},
        ).json()["access_token"]

        def dpop_read(nonce: str | None) -> httpx.Response:
            proof = key.proof("GET", ISSUER + "/v1/assets", token=bound, nonce=nonce)
            return httpx.get(
                url + "/v1/assets", headers={"Authorization": f"DPoP {bound}", "DPoP": proof}
            )

        own_postgres.stop()
        down = [write(f"down {i}") for i in range(3)]
        assert {r.status_code for r in down} == {503}
        assert down[0].json()["error"] == "temporarily_unavailable"
        assert down[0].headers["retry-after"] == "2"
        # A DPoP call's answer carries the nonce whatever it is (SPEC), a 503 too.
        asked = dpop_read(None)
        nonce = asked.headers["DPoP-Nonce"]  # nonces need no database
        unavailable = dpop_read(nonce)
        assert unavailable.status_code == 503, unavailable.text
        assert unavailable.json()["error"] == "temporarily_unavailable"
        assert unavailable.headers["DPoP-Nonce"] == nonce
        raw, signed = signed_token_request(shop, {"type": "legal_entity"})
        assert httpx.post(url + "/v1/tokens", content=raw, headers=signed).status_code == 503
        unready = httpx.get(url + "/readyz")  # a load balancer sends its traffic elsewhere
        assert unready.status_code == 503
        assert unready.json() == {"status": "unavailable", "reason": "database: not answering"}
        seen: set[int] = set()  # /auth/token: served from its 1 s key cache, then 503

        def client_credentials() -> bool:
            answer = httpx.post(url + "/auth/token", content=FORM, headers=basic(shop))
            seen.add(answer.status_code)
            return 503 in seen

        wait_until(client_credentials, timeout=5)
        assert seen <= {200, 503}
        own_postgres.start(own_postgres.port)
        wait_until(lambda: write("after").status_code == 201, timeout=10)
        assert httpx.get(url + "/readyz").json() == {"status": "ready"}
        names = [a["name"] for a in httpx.get(url + "/v1/assets", headers=headers).json()["assets"]]
        assert names[0] == "before" and not any(n.startswith("down") for n in names)
        assert process.poll() is None  # it kept running all along
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


# -- start-up refusals -------------------------------------------------------------------------


def serve_once(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(**env),
    )


def test_serve_with_an_unreachable_database_exits_naming_host_and_port(tmp_path):
    url = "postgresql://planner:s3cret-pw@127.0.0.1:1/planner"
    done = serve_once(
        {"PLANNER_BRIDGE_DATABASE_URL": url, "PLANNER_BRIDGE_DATA_DIR": str(tmp_path)}
    )
    assert_one_line_refusal(done, 1, "cannot reach PostgreSQL at 127.0.0.1:1")
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_serve_with_a_malformed_url_exits_without_echoing_the_password(tmp_path):
    url = "postgresql://planner:s3cret-pw@127.0.0.1:port/planner"
    done = serve_once(
        {"PLANNER_BRIDGE_DATABASE_URL": url, "PLANNER_BRIDGE_DATA_DIR": str(tmp_path)}
    )
    assert_one_line_refusal(done, 1, "PLANNER_BRIDGE_DATABASE_URL")
    assert "s3cret-pw" not in done.stderr + done.stdout
