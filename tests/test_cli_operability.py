"""What a newcomer meets at the command line: a busy port is named, every bad setting is
reported at once, a command that reads refuses a data dir that does not exist, every flag of
serve and demo has help, and errors speak of flags, never of internal field names."""

from __future__ import annotations

import json
import re
import socket

import pytest

from served import cli_env, run_cli


def one_line_error(done) -> str:
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.startswith("planner-bridge: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.mark.parametrize(
    "command", [["serve", "--port"], ["demo", "--host-port", "0", "--planner-port"]]
)
def test_a_port_in_use_is_named(tmp_path, command):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        refused = run_cli(*command, port, "--data-dir", str(tmp_path / "data"))
    assert f"127.0.0.1:{port}" in one_line_error(refused)
    assert not (tmp_path / "data").exists()


def test_every_bad_setting_is_reported_at_once_one_line_each(tmp_path):
    env = cli_env(
        PLANNER_BRIDGE_LEEWAY="soon",
        PLANNER_BRIDGE_SIGNING_ALG="HS256",
        PLANNER_BRIDGE_LOG_FORMAT="xml",
        PLANNER_BRIDGE_METRICS_PORT="70000",
    )
    refused = run_cli("serve", "--port", "0", "--data-dir", str(tmp_path / "data"), env=env)
    lines = refused.stderr.splitlines()
    assert refused.returncode == 1 and refused.stdout == ""
    assert len(lines) == 4 and all(
        line.startswith("planner-bridge: PLANNER_BRIDGE_") for line in lines
    )
    for name in ("LEEWAY", "SIGNING_ALG", "LOG_FORMAT", "METRICS_PORT"):
        assert any(f"PLANNER_BRIDGE_{name} " in line for line in lines), name


@pytest.mark.parametrize(
    "command",
    [
        ["entity", "list"],
        ["key", "create", "ent_x"],
        ["key", "revoke", "pbk_x"],
        ["keys", "rotate"],
        ["api-token", "list", "--entity", "ent_x"],
        ["api-token", "disable", "apt_x"],
    ],
)
def test_commands_refuse_a_data_dir_that_does_not_exist(tmp_path, command):
    typo = tmp_path / "typo"
    refused = run_cli(*command, "--data-dir", str(typo))
    assert f"data dir {typo} does not exist" in one_line_error(refused)
    assert not typo.exists()  # no store was created there


def test_entity_create_starts_a_new_data_dir(tmp_path):
    created = run_cli(
        "entity",
        "create",
        "Shop",
        "--origin",
        "https://shop.example",
        "--data-dir",
        str(tmp_path / "new"),
    )
    assert created.returncode == 0 and (tmp_path / "new").is_dir()


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_every_flag_of_serve_and_demo_has_help(command):
    shown = run_cli(command, "--help")
    assert shown.returncode == 0
    options = shown.stdout.split("options:", 1)[1]
    flags = re.findall(r"^  (-[-\w]+(?:, --[-\w]+)?)(?: [A-Z_]+)?(.*)$", options, re.M)
    assert len(flags) >= 4
    for flag, same_line_help in flags:
        # Help on the same line, or on the next (indented) line when the flag is long.
        follows = re.search(rf"^  {re.escape(flag)}.*\n(\s{{10,}}\S.*)?", options, re.M)
        assert same_line_help.strip() or (follows and follows.group(1)), flag


def test_api_token_errors_name_flags_not_request_fields(tmp_path):
    data = ["--data-dir", str(tmp_path / "data")]
    entity = json.loads(
        run_cli(
            "entity", "create", "Shop", "--origin", "https://shop.example", "--json", *data
        ).stdout
    )["id"]
    base = ["api-token", "create", "--entity", entity, "--user", "u1", *data]
    too_long = one_line_error(run_cli(*base, "--name", "job", "--days", "99999"))
    assert "--days" in too_long and "expires_in_days" not in too_long
    bad_rights = one_line_error(run_cli(*base, "--name", "job", "--rights", "read,admin"))
    assert "--rights" in bad_rights
    long_name = one_line_error(run_cli(*base, "--name", "x" * 500))
    assert long_name.startswith("planner-bridge: --name ")
