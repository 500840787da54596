"""The real `planner-bridge` script: `admin create|list|delete` and `key create --comment|list`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planner_bridge.admin.accounts import AdminBook
from planner_bridge.core import Core
from planner_bridge.serving import blocking
from planner_bridge.settings import Settings

SCRIPT = str(Path(sys.executable).with_name("planner-bridge"))
ORIGIN = "http://localhost:8000"


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_BRIDGE_")}
    return subprocess.run(
        [SCRIPT, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        input=stdin,
    )


def cli_json(data_dir: Path, *args: str, stdin: str | None = None) -> Any:
    done = cli(data_dir, *args, "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(done: subprocess.CompletedProcess, mentions: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("planner-bridge: ") and mentions in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def entity(data_dir: Path) -> str:
    return cli_json(data_dir, "entity", "create", "Shop", "--origin", ORIGIN)["id"]


def password_works(data_dir: Path, username: str, password: str) -> bool:
    core = blocking(Core.connect(Settings(data_dir=data_dir)))
    try:
        return blocking(AdminBook(core.store, core.clock).check(username, password)) is not None
    finally:
        blocking(core.aclose())


def test_admin_create_prints_a_generated_password_once(data_dir, entity):
    created = cli_json(data_dir, "admin", "create", "--entity", entity, "--username", "ada")
    assert set(created) == {"username", "entity", "password"}
    assert (created["username"], created["entity"]) == ("ada", entity)
    assert len(created["password"]) >= 20
    assert password_works(data_dir, "ada", created["password"])
    assert not password_works(data_dir, "ada", created["password"] + "x")
    listed = cli_json(data_dir, "admin", "list", "--entity", entity)
    assert [a["username"] for a in listed] == ["ada"] and "password" not in listed[0]
    database = (data_dir / "planner-bridge.sqlite3").read_bytes()
    assert created["password"].encode() not in database


def test_admin_create_reads_a_password_from_stdin(data_dir, entity):
    args = ("admin", "create", "--entity", entity, "--username", "bob", "--password-stdin")
    created = cli_json(data_dir, *args, stdin="correct horse battery\n")
    assert created["password"] is None  # SPEC's key, never the password echoed back
    assert password_works(data_dir, "bob", "correct horse battery")
    short = (*args[:-3], "--username", "eve", "--password-stdin")
    refused(cli(data_dir, *short, stdin="short\n"), "12")


def test_admin_create_refuses_a_taken_name_an_unknown_entity_and_a_bad_name(data_dir, entity):
    cli_json(data_dir, "admin", "create", "--entity", entity, "--username", "ada")
    refused(cli(data_dir, "admin", "create", "--entity", entity, "--username", "ada"), "taken")
    refused(cli(data_dir, "admin", "create", "--entity", "ent_x", "--username", "z"), "entity")
    refused(cli(data_dir, "admin", "create", "--entity", entity, "--username", "a b"), "username")


def test_admin_delete(data_dir, entity):
    created = cli_json(data_dir, "admin", "create", "--entity", entity, "--username", "ada")
    assert cli_json(data_dir, "admin", "delete", "ada") == {"username": "ada", "deleted": True}
    assert not password_works(data_dir, "ada", created["password"])
    assert cli_json(data_dir, "admin", "list", "--entity", entity) == []
    refused(cli(data_dir, "admin", "delete", "ada"), "no such administrator")


def test_key_create_with_a_comment_and_key_list(data_dir, entity):
    spare = cli_json(data_dir, "key", "create", entity, "--comment", "ERP sync, ticket 42")
    listed = cli_json(data_dir, "key", "list", entity)
    assert [k["api_key"] for k in listed][-1] == spare["api_key"]
    assert listed[-1]["comment"] == "ERP sync, ticket 42"
    assert listed[-1]["last_used"] is None and listed[-1]["revoked"] is None
    assert all("secret" not in k for k in listed)
    text = cli(data_dir, "key", "list", entity).stdout
    assert "ERP sync, ticket 42" in text and "last used never" in text
    with sqlite3.connect(data_dir / "planner-bridge.sqlite3") as db:
        (comment,) = db.execute(
            "SELECT comment FROM api_keys WHERE key_id = ?", (spare["api_key"],)
        ).fetchone()
    db.close()
    assert comment == "ERP sync, ticket 42"


def test_key_comment_with_a_control_character_is_refused(data_dir, entity):
    refused(cli(data_dir, "key", "create", entity, "--comment", "a\nb"), "comment")
    refused(cli(data_dir, "key", "list", "ent_nope"), "no such entity")
