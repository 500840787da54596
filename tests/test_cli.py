"""The real `planner-bridge` console script: entity, key, keys and serve, and how it refuses."""

from __future__ import annotations

import base64
import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import wait_until

SCRIPT = str(Path(sys.executable).with_name("planner-bridge"))
ORIGIN = "http://localhost:8000"


def environment(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_BRIDGE_")}
    return {**clean, **extra}


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [SCRIPT, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or environment(),
    )


def cli_json(data_dir: Path, *args: str) -> Any:
    done = cli(data_dir, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_one_line_refusal(done: subprocess.CompletedProcess, status: int, mentions: str) -> None:
    assert done.returncode == status, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("planner-bridge: "), done.stderr
    assert mentions in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def basic(key: str, secret: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An existing, empty data dir (commands that only read refuse one that does not exist)."""
    made = tmp_path / "data"
    made.mkdir(mode=0o700)
    return made


# -- entity, key, keys --------------------------------------------------------------------------


def test_entity_create_prints_the_spec_json_once(data_dir):
    created = cli_json(
        data_dir, "entity", "create", "Demo Store", "--origin", ORIGIN, "--allow-write"
    )
    assert set(created) == {"id", "name", "origins", "allow_write", "api_key", "secret"}
    assert (created["name"], created["origins"], created["allow_write"]) == (
        "Demo Store",
        [ORIGIN],
        True,
    )
    database = (data_dir / "planner-bridge.sqlite3").read_bytes()
    assert created["secret"].encode() not in database  # never stored in clear
    assert created["api_key"].encode() in database


def test_entity_create_human_output_shows_the_secret_once(data_dir):
    done = cli(data_dir, "entity", "create", "Shop", "--origin", ORIGIN, "--origin", ORIGIN + "/")
    assert done.returncode == 0, done.stderr
    assert "secret" in done.stdout and "pbk_" in done.stdout
    (listed,) = cli_json(data_dir, "entity", "list")
    assert listed["origins"] == [ORIGIN]  # normalised and deduplicated
    assert "secret" not in json.dumps(listed)


def test_entity_list(data_dir):
    assert cli_json(data_dir, "entity", "list") == []
    first = cli_json(data_dir, "entity", "create", "One", "--origin", ORIGIN)
    second = cli_json(data_dir, "entity", "create", "Two", "--origin", "https://two.example")
    listed = cli_json(data_dir, "entity", "list")
    assert [e["id"] for e in listed] == [first["id"], second["id"]]
    assert listed[0]["api_keys"] == [first["api_key"]]
    assert listed[1]["allow_write"] is False
    assert "no entities" not in cli(data_dir, "entity", "list").stdout


def test_entity_dpop_policy_is_set_at_creation_and_listed(data_dir):
    strict = cli_json(
        data_dir, "entity", "create", "Strict", "--origin", ORIGIN, "--dpop", "required"
    )
    cli_json(data_dir, "entity", "create", "Lenient", "--origin", ORIGIN)
    listed = cli_json(data_dir, "entity", "list")
    assert [(e["id"] == strict["id"], e["dpop"]) for e in listed] == [
        (True, "required"),
        (False, "optional"),
    ]
    assert "dpop=required" in cli(data_dir, "entity", "list").stdout
    refused = cli(data_dir, "entity", "create", "X", "--origin", ORIGIN, "--dpop", "maybe")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr


def test_key_create_and_revoke(data_dir):
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    spare = cli_json(data_dir, "key", "create", created["id"])
    assert spare["entity"] == created["id"] and spare["api_key"] != created["api_key"]
    assert spare["secret"]
    revoked = cli_json(data_dir, "key", "revoke", created["api_key"])
    assert revoked == {"api_key": created["api_key"], "revoked": True}
    (listed,) = cli_json(data_dir, "entity", "list")
    assert listed["api_keys"] == [spare["api_key"]]


def test_keys_rotate(data_dir):
    cli_json(data_dir, "entity", "list")  # first start: makes the first key
    rotated = cli_json(data_dir, "keys", "rotate")
    assert rotated["alg"] == "ES256" and rotated["dropped_old"] is False
    ring = stored_ring(data_dir)
    assert [k["kid"] for k in ring][-1] == rotated["kid"] and len(ring) == 2
    dropped = cli_json(data_dir, "keys", "rotate", "--drop-old")
    ring = stored_ring(data_dir)
    assert all(k["dropped"] for k in ring if k["kid"] != dropped["kid"])


def stored_ring(data_dir) -> list[sqlite3.Row]:
    """The signing keys in the data dir's database, oldest first."""
    with sqlite3.connect(data_dir / "planner-bridge.sqlite3") as db:
        db.row_factory = sqlite3.Row
        ring = db.execute("SELECT * FROM signing_keys ORDER BY created, retired IS NULL").fetchall()
    db.close()
    return ring


def test_signing_algorithm_from_the_environment(data_dir):
    env = environment(PLANNER_BRIDGE_SIGNING_ALG="EdDSA")
    done = cli(data_dir, "keys", "rotate", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["alg"] == "EdDSA"


# -- bad input: non-zero, one line, no traceback --------------------------------------------------


def test_missing_origin_is_a_usage_error(data_dir):
    assert_one_line_refusal(cli(data_dir, "entity", "create", "Shop"), 2, "--origin")


@pytest.mark.parametrize(
    "origin",
    [
        "localhost:8000",
        "ftp://x",
        "http://x/path",
        "http://u@x",
        "http://:pw@host",
        "http://shop.example;script-src *",
        "http://a b.example",
    ],
)
def test_bad_origin_is_refused(data_dir, origin):
    done = cli(data_dir, "entity", "create", "Shop", "--origin", origin)
    assert_one_line_refusal(done, 1, "not an origin")
    assert cli_json(data_dir, "entity", "list") == []  # nothing half-registered


def test_empty_entity_name_is_refused(data_dir):
    done = cli(data_dir, "entity", "create", "  ", "--origin", ORIGIN)
    assert_one_line_refusal(done, 1, "name")


def test_key_for_an_unknown_entity_is_refused(data_dir):
    assert_one_line_refusal(cli(data_dir, "key", "create", "ent_nope"), 1, "ent_nope")


def test_revoking_an_unknown_or_revoked_key_is_refused(data_dir):
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    cli_json(data_dir, "key", "revoke", created["api_key"])
    assert_one_line_refusal(cli(data_dir, "key", "revoke", created["api_key"]), 1, "no such")
    assert_one_line_refusal(cli(data_dir, "key", "revoke", "pbk_nope"), 1, "pbk_nope")


def test_unknown_command_is_a_usage_error(data_dir):
    assert_one_line_refusal(cli(data_dir, "entity", "destroy"), 2, "invalid choice")


@pytest.mark.parametrize(
    ("variable", "value", "mentions"),
    [
        ("PLANNER_BRIDGE_LEEWAY", "soon", "PLANNER_BRIDGE_LEEWAY"),
        ("PLANNER_BRIDGE_SIGNING_ALG", "none", "PLANNER_BRIDGE_SIGNING_ALG"),
        ("PLANNER_BRIDGE_DATABASE_URL", "postgres://nowhere", "DATABASE_URL"),
        ("PLANNER_BRIDGE_MASTER_KEY", "dG9vLXNob3J0", "MASTER_KEY"),
    ],
)
def test_bad_configuration_is_one_line(data_dir, variable, value, mentions):
    done = cli(data_dir, "entity", "list", env=environment(**{variable: value}))
    assert_one_line_refusal(done, 1, mentions)


def test_unwritable_data_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = cli(blocker / "data", "entity", "list")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "99999"),
        ("serve", "--port", "-1"),
        ("serve", "--port", "http"),
        ("demo", "--host-port", "99999"),
        ("demo", "--planner-port", "65536"),
    ],
)
def test_a_port_out_of_range_is_a_usage_error(tmp_path, args):
    data_dir = tmp_path / "data"
    done = cli(data_dir, *args)
    assert_one_line_refusal(done, 2, "0 to 65535")
    assert not data_dir.exists()  # refused before anything was written


def test_a_corrupt_database_is_one_line_naming_the_file(data_dir):
    cli_json(data_dir, "entity", "list")
    database = data_dir / "planner-bridge.sqlite3"
    database.write_bytes(b"this is not an SQLite file" * 100)
    done = cli(data_dir, "entity", "list")
    assert_one_line_refusal(done, 1, str(database))
    assert "not a database" in done.stderr


def test_a_database_newer_than_the_program_is_one_line_naming_the_file(data_dir):
    cli_json(data_dir, "entity", "list")
    database = data_dir / "planner-bridge.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    done = cli(data_dir, "entity", "list")
    assert_one_line_refusal(done, 1, str(database))
    assert "newer than this program" in done.stderr


@pytest.mark.parametrize("ring", ["{}", "not json", '{"keys": [{"alg": "ES256"}]}', "[]"])
def test_a_malformed_key_ring_is_one_line_naming_the_file(data_dir, ring):
    cli_json(data_dir, "entity", "list")
    ring_file = data_dir / "keys" / "ring.json"  # an earlier release's ring, still to import
    ring_file.parent.mkdir()
    ring_file.write_text(ring)
    done = cli(data_dir, "entity", "list")
    assert_one_line_refusal(done, 1, str(ring_file))


# -- serve ------------------------------------------------------------------------------------


@pytest.fixture
def served(data_dir) -> Iterator[tuple[str, subprocess.Popen]]:
    """`planner-bridge serve --port 0` as a real process; yields its URL once it listens."""
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        yield _first_line_url(process), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(10)
        process.stdout.close()
        process.stderr.close()


def _first_line_url(process: subprocess.Popen) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=30), "serve printed nothing"
    line = process.stdout.readline()
    assert line.startswith("planner origin on http://127.0.0.1:"), line
    return line.split()[3]


def test_serve_answers_on_its_url_and_uses_it_as_issuer(served, data_dir):
    url, _ = served
    metadata = httpx.get(url + "/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == url
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    response = httpx.post(
        url + "/auth/token",
        content=b"grant_type=client_credentials",
        headers=basic(created["api_key"], created["secret"]),
    )
    assert response.status_code == 200, response.text


def create_api_token(data_dir: Path, entity_id: str) -> str:
    """`api-token create` for alice, as a background job's operator would run it."""
    done = cli_json(
        data_dir, "api-token", "create", "--entity", entity_id, "--user", "alice", "--name", "sync"
    )
    return done["token"]


def test_an_api_token_made_beside_a_running_server_names_that_server(served, data_dir):
    """No PLANNER_BRIDGE_ISSUER anywhere: the CLI mints for the issuer `serve` remembered."""
    url, _ = served
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    token = create_api_token(data_dir, created["id"])
    exchanged = httpx.post(
        url + "/v1/api-tokens/exchange", headers={"Authorization": f"Bearer {token}"}
    )
    assert exchanged.status_code == 200, exchanged.text
    assert (data_dir / "issuer").read_text().strip() == url


@pytest.mark.parametrize("content", ["", "not a url\n", "http://bad host\n", "\xff"])
def test_an_odd_remembered_issuer_is_not_used(data_dir, content):
    """A damaged `<data dir>/issuer` never stops a command: it falls back to the default."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "issuer").write_text(content, encoding="latin-1")
    assert cli(data_dir, "entity", "list").returncode == 0
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    token = create_api_token(data_dir, created["id"])
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == "http://127.0.0.1:8001"


def test_a_key_revoked_by_the_cli_is_refused_by_a_running_server(served, data_dir):
    url, _ = served
    created = cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)
    headers = basic(created["api_key"], created["secret"])

    def status() -> int:
        form = b"grant_type=client_credentials"
        return httpx.post(url + "/auth/token", content=form, headers=headers).status_code

    assert status() == 200
    cli_json(data_dir, "key", "revoke", created["api_key"])
    wait_until(lambda: status() == 401)  # within a second: the hot path remembers keys 1 s


def test_a_rotation_by_the_cli_reaches_a_running_server(served, data_dir):
    url, _ = served
    before = [k["kid"] for k in httpx.get(url + "/.well-known/jwks.json").json()["keys"]]
    rotated = cli_json(data_dir, "keys", "rotate")

    def published() -> list[str]:
        return [k["kid"] for k in httpx.get(url + "/.well-known/jwks.json").json()["keys"]]

    wait_until(lambda: published()[0] == rotated["kid"])
    assert published() == [rotated["kid"], *before]  # the old key still verifies
    cli_json(data_dir, "keys", "rotate", "--drop-old")
    wait_until(lambda: len(published()) == 1)


def test_serve_stops_cleanly_on_ctrl_c(served):
    url, process = served
    assert httpx.get(url + "/.well-known/jwks.json").status_code == 200
    process.send_signal(signal.SIGINT)
    process.wait(10)
    assert process.returncode in (0, 130)
    assert "Traceback" not in process.stderr.read()


def test_serve_on_a_busy_port_is_one_line(served, data_dir, tmp_path):
    url, _ = served
    port = url.rsplit(":", 1)[1]
    done = subprocess.run(
        [SCRIPT, "serve", "--port", port, "--data-dir", str(tmp_path / "other")],
        capture_output=True,
        text=True,
        timeout=30,
        env=environment(),
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
