"""JSON logs (PLANNER_BRIDGE_LOG_FORMAT=json) over the whole token and API-token lifecycle, on a
real `planner-bridge serve` and the commands run beside it: one access line per request, the
events an operator must see, a request id in and out, and never a token, a secret, a password
or an Authorization value in any line."""

from __future__ import annotations

import base64
import json

import httpx

from planner_bridge.clients.signatures import sign_request
from served import cli_env, run_cli, running
from support import wait_until

ACCESS_FIELDS = {"method", "route", "status", "duration_ms", "request_id"}


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def signed(planner: str, shop: dict, method: str, path: str, payload=None) -> httpx.Response:
    body = b"" if payload is None else json.dumps(payload).encode()
    url = planner + path
    headers = sign_request(
        method=method, url=url, body=body, key_id=shop["api_key"], secret=shop["secret"]
    )
    if payload is not None:
        headers["Content-Type"] = "application/json"
    return httpx.request(method, url, content=body, headers=headers)


def parsed(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if line.strip()]


def lifecycle(planner: str, shop: dict, secrets: list[str]) -> None:
    """Every way to get a token, use it and lose it; every token and secret seen is collected."""
    for kind in ({"type": "legal_entity"}, {"type": "user", "user": {"id": "u1", "name": "Ann"}}):
        minted = signed(planner, shop, "POST", "/v1/tokens", kind)
        assert minted.status_code == 201
        secrets.append(minted.json()["token"])
    grant = {"grant_type": "client_credentials"}
    basic_auth = basic(shop["api_key"], shop["secret"])
    secrets.append(basic_auth["Authorization"].split()[1])
    by_basic = httpx.post(planner + "/auth/token", data=grant, headers=basic_auth)
    posted = {**grant, "client_id": shop["api_key"], "client_secret": shop["secret"]}
    by_post = httpx.post(planner + "/auth/token", data=posted)
    secrets += [by_basic.json()["access_token"], by_post.json()["access_token"]]
    assert (
        httpx.post(
            planner + "/auth/token", data=grant, headers=basic(shop["api_key"], "x")
        ).status_code
        == 401
    )

    payload = {"name": "nightly", "user": {"id": "u1", "name": "Ann"}, "rights": ["read"]}
    created = signed(planner, shop, "POST", "/v1/api-tokens", payload).json()
    api_token, token_id = created["token"], created["id"]
    secrets.append(api_token)
    assert signed(planner, shop, "GET", "/v1/api-tokens").status_code == 200
    bearer = {"Authorization": f"Bearer {api_token}"}
    exchanged = httpx.post(planner + "/v1/api-tokens/exchange", headers=bearer)
    access = exchanged.json()["access_token"]
    secrets.append(access)
    assets = httpx.get(
        planner + "/v1/assets",
        headers={"Authorization": f"Bearer {access}", "X-Request-Id": "trace-123"},
    )
    assert assets.status_code == 200 and assets.headers["x-request-id"] == "trace-123"
    odd = httpx.get(planner + "/healthz", headers={"X-Request-Id": "x" * 500})
    assert odd.headers["x-request-id"] != "x" * 500 and len(odd.headers["x-request-id"]) == 32
    path = f"/v1/api-tokens/{token_id}"
    assert signed(planner, shop, "PATCH", path, {"disabled": True}).status_code == 200
    assert httpx.post(planner + "/v1/api-tokens/exchange", headers=bearer).status_code == 401
    assert signed(planner, shop, "PATCH", path, {"disabled": False}).status_code == 200
    assert signed(planner, shop, "DELETE", path).status_code == 204


def test_the_whole_lifecycle_in_json_lines_without_a_secret(tmp_path):
    env = cli_env(PLANNER_BRIDGE_LOG_FORMAT="json")
    data = ["--data-dir", str(tmp_path / "data")]
    created = run_cli(
        "entity", "create", "Log Shop", "--origin", "http://localhost:8000", "--allow-write",
        "--json", *data, env=env,
    )  # fmt: skip
    shop = json.loads(created.stdout)
    secrets = [shop["secret"], "Authorization", "Bearer ", "Basic "]
    command_lines = created.stderr.splitlines()
    with running("serve", "--port", "0", *data, env=env) as server:
        planner = server.wait_for_line(r"planner origin on (http://\S+)").group(1)
        lifecycle(planner, shop, secrets)

        rotated = run_cli("keys", "rotate", *data, env=env)
        assert rotated.returncode == 0
        # The server notices the rotation made by the command on its next look at the ring.
        wait_until(
            lambda: (
                httpx.get(planner + "/.well-known/jwks.json")
                and any("signing key rotated" in line for line in server.stderr)
            )
        )
        for _ in range(100):  # wrong secrets until the brake engages (429)
            refused = httpx.post(
                planner + "/auth/token",
                data={"grant_type": "client_credentials"},
                headers=basic(shop["api_key"], "wrong"),
            )
            if refused.status_code == 429:
                break
        assert refused.status_code == 429
        key = run_cli("key", "create", shop["id"], "--json", *data, env=env)
        revoked = run_cli("key", "revoke", json.loads(key.stdout)["api_key"], *data, env=env)
        assert revoked.returncode == 0
        secrets.append(json.loads(key.stdout)["secret"])
        command_lines += rotated.stderr.splitlines() + revoked.stderr.splitlines()
        command_lines += key.stderr.splitlines()
    server_lines = parsed(server.stderr)
    everything = server_lines + parsed(command_lines)  # every line is one JSON object

    access = [line for line in server_lines if line["logger"] == "planner_bridge.access"]
    assert access and all(set(line) >= ACCESS_FIELDS for line in access)
    assert {"route": "/v1/assets", "request_id": "trace-123", "status": 200}.items() <= next(
        line for line in access if line["request_id"] == "trace-123"
    ).items()
    assert {line["route"] for line in access} >= {
        "/v1/tokens", "/auth/token", "/v1/api-tokens", "/v1/api-tokens/exchange",
        "/v1/api-tokens/{token_id}", "/healthz",
    }  # fmt: skip
    events = {line["message"] for line in everything if line["logger"] == "planner_bridge.events"}
    assert events >= {"key revoked", "signing key rotated", "API token disabled", "brake engaged"}

    text = "\n".join(server.stderr + command_lines)
    for secret in secrets:
        assert secret not in text, secret[:12]
