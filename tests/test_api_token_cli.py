"""`planner-bridge api-token ...` against the data dir of a running planner origin: what the CLI
issues, disables, enables and deletes takes effect on the server's very next exchange."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from planner_bridge.cli import main


@pytest.fixture
def cli(planner, monkeypatch, capsys):
    """Run the CLI in-process on the planner's data dir and issuer; returns (code, out, err)."""
    monkeypatch.setenv("PLANNER_BRIDGE_ISSUER", planner.url)
    data_dir = str(planner.core.settings.data_dir)

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([*argv, "--data-dir", data_dir])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def create_json(cli, entity: str, *extra: str) -> dict[str, Any]:
    code, out, err = cli(
        "api-token", "create", "--entity", entity, "--user", "alice:Alice Liddell",
        "--name", "nightly sync", "--json", *extra,
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def exchange(planner, token: str) -> httpx.Response:
    return httpx.post(
        planner.url + "/v1/api-tokens/exchange", headers={"Authorization": f"Bearer {token}"}
    )


def listed(cli, entity: str) -> dict[str, dict[str, Any]]:
    code, out, err = cli("api-token", "list", "--entity", entity, "--json")
    assert code == 0, err
    return {t["id"]: t for t in json.loads(out)}


def test_cli_lifecycle_takes_effect_on_the_running_server(planner, shop, cli):
    created = create_json(cli, shop.entity.id, "--days", "7", "--rights", "read,write")
    assert set(created) == {"id", "name", "token", "expires_at"}
    answer = exchange(planner, created["token"])
    assert answer.status_code == 200, answer.text
    claims = planner.core.verifier.verify_access_token(answer.json()["access_token"])
    assert (claims.user_id, claims.name, claims.rights) == (
        "alice",
        "Alice Liddell",
        ("read", "write"),
    )

    row = listed(cli, shop.entity.id)[created["id"]]
    assert row["user"] == {"id": "alice", "name": "Alice Liddell"}
    assert row["expires_at"] == created["expires_at"] and row["never_expires"] is False
    assert row["last_used"] is not None
    assert created["token"] not in json.dumps(row)

    assert cli("api-token", "disable", created["id"])[0] == 0
    assert exchange(planner, created["token"]).status_code == 401
    assert listed(cli, shop.entity.id)[created["id"]]["disabled"] is True
    assert cli("api-token", "enable", created["id"])[0] == 0
    assert exchange(planner, created["token"]).status_code == 200
    code, out, _ = cli("api-token", "delete", created["id"])
    assert code == 0 and created["id"] in out
    assert exchange(planner, created["token"]).status_code == 401
    assert listed(cli, shop.entity.id) == {}


def test_human_output_prints_the_token_once_and_lists_which_never_expire(shop, cli):
    code, out, _ = cli(
        "api-token", "create", "--entity", shop.entity.id, "--user", "bob",
        "--name", "gateway", "--never", "--yes",
    )  # fmt: skip
    assert code == 0
    token_line = next(line for line in out.splitlines() if line.startswith("token"))
    token = token_line.split()[1]
    assert token.count(".") == 2
    assert "expires    never" in out
    create_json(cli, shop.entity.id)
    code, out, _ = cli("api-token", "list", "--entity", shop.entity.id)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert sum("expires=NEVER" in line for line in lines) == 1
    assert token not in out
    rows = listed(cli, shop.entity.id).values()
    assert sorted(r["never_expires"] for r in rows) == [False, True]


@pytest.mark.parametrize("answer", ["", "n\n", "maybe\n"])
def test_never_without_a_yes_creates_nothing(shop, cli, answer):
    code, out, err = cli(
        "api-token", "create", "--entity", shop.entity.id, "--user", "bob",
        "--name", "gateway", "--never", stdin=answer,
    )  # fmt: skip
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "not confirmed" in err and "--yes" in err
    assert listed(cli, shop.entity.id) == {}


def test_never_confirmed_on_stdin(shop, cli):
    code, out, err = cli(
        "api-token", "create", "--entity", shop.entity.id, "--user", "bob",
        "--name", "gateway", "--never", "--json", stdin="yes\n",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["expires_at"] is None


def test_never_from_a_real_process_without_stdin_is_refused(planner, shop):
    env = {
        **os.environ,
        "PLANNER_BRIDGE_ISSUER": planner.url,
        "PLANNER_BRIDGE_DATA_DIR": str(planner.core.settings.data_dir),
    }
    command = [
        str(Path(sys.executable).with_name("planner-bridge")),
        "api-token", "create", "--entity", shop.entity.id, "--user", "bob",
        "--name", "gateway", "--never",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.startswith("planner-bridge: not confirmed")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert planner.core.store.list_api_tokens(shop.entity.id) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--entity", "ent_nope", "--user", "bob", "--name", "x"], "no such entity"),
        (["--entity", "{entity}", "--user", "bob", "--name", "x", "--days", "0"], "--days"),
        (["--entity", "{entity}", "--user", "", "--name", "x"], "--user"),
        (["--entity", "{entity}", "--user", "bob", "--name", " "], "--name"),
        (["--entity", "{entity}", "--user", "bob", "--name", "x", "--rights", "admin"], "--rights"),
        (["--entity", "{ro}", "--user", "bob", "--name", "x", "--rights", "read,write"], "write"),
    ],
)
def test_bad_create_input_is_one_line_and_creates_nothing(shop, readonly_shop, cli, argv, message):
    argv = [a.format(entity=shop.entity.id, ro=readonly_shop.entity.id) for a in argv]
    code, out, err = cli("api-token", "create", *argv)
    assert code == 1 and out == ""
    assert err.startswith("planner-bridge: ") and err.count("\n") == 1
    assert message in err
    assert listed(cli, shop.entity.id) == {} and listed(cli, readonly_shop.entity.id) == {}


def test_days_and_never_together_is_a_usage_error(shop, cli):
    with pytest.raises(SystemExit) as exited:
        cli(
            "api-token", "create", "--entity", shop.entity.id, "--user", "bob",
            "--name", "x", "--days", "3", "--never", "--yes",
        )  # fmt: skip
    assert exited.value.code == 2


def test_unknown_ids_are_one_line_errors(shop, cli):
    for action in ("disable", "enable", "delete"):
        code, out, err = cli("api-token", action, "apt_nope")
        assert code == 1 and out == ""
        assert err == "planner-bridge: no such API token: apt_nope\n"
    code, _, err = cli("api-token", "list", "--entity", "ent_nope")
    assert code == 1 and err == "planner-bridge: no such entity: ent_nope\n"
