"""`planner-bridge demo`: first-run seeding, reuse on later runs, and the command itself."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import jwt
import pytest

from planner_bridge.core import Core
from planner_bridge.demo import seed as demo
from planner_bridge.demo.settings import DemoSettings
from planner_bridge.passwords import verify_password
from planner_bridge.serving import blocking

HOST_URL = "http://localhost:8000"
PLANNER_URL = "http://127.0.0.1:8001"


def prepare(make_settings, password: str = "") -> tuple[Core, demo.DemoSetup]:
    core = blocking(Core.connect(make_settings()))
    options = DemoSettings(password=password)
    return core, blocking(demo.prepare(core, options, host_url=HOST_URL, planner_url=PLANNER_URL))


def owner_only(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_first_run_seeds_the_shop_its_users_and_a_catalog(make_settings):
    core, setup = prepare(make_settings)
    host_dir = core.settings.data_dir / "host"
    credentials = json.loads((host_dir / "credentials.json").read_text())
    entity = blocking(core.store.get_entity(setup.host.entity_id))
    assert entity.name == "Demo Store" and entity.origins == (HOST_URL,) and entity.allow_write
    assert entity.dpop_required  # SPEC: the demo shop's entity requires DPoP
    assert credentials["api_key"] == setup.host.api_key
    assert core.deriver.matches(setup.host.api_key, credentials["secret"])
    users = json.loads((host_dir / "users.json").read_text())["users"]
    assert set(users) == {"alice", "bob"}
    assert setup.generated_password and setup.generated_password not in json.dumps(users)
    assert all(verify_password(setup.generated_password, u["hash"]) for u in users.values())
    assert all(owner_only(host_dir / f) for f in ("credentials.json", "users.json", "session.key"))
    catalog = blocking(core.store.list_assets(entity.id, (None,)))
    assert [a.name for a in catalog] == [name for name, _, _ in demo.CATALOG]
    assert len(blocking(core.store.list_signing_keys())) == 1  # the ring's first key, sealed
    blocking(core.aclose())


def test_second_run_reuses_everything_and_shows_no_password(make_settings):
    first_core, first = prepare(make_settings)
    blocking(first_core.aclose())
    core, second = prepare(make_settings)
    assert second.host.entity_id == first.host.entity_id
    assert second.host.api_key == first.host.api_key
    assert second.host.session_key == first.host.session_key
    assert second.generated_password is None and not second.new_entity
    assert len(blocking(core.store.list_entities())) == 1
    assert len(blocking(core.store.list_assets(second.host.entity_id, (None,)))) == len(
        demo.CATALOG
    )
    blocking(core.aclose())


def test_the_password_comes_from_the_environment_when_set(make_settings):
    core, setup = prepare(make_settings, password="correct horse")
    users = json.loads(setup.host.users_file.read_text())["users"]
    assert setup.generated_password is None and setup.password_from_env
    assert verify_password("correct horse", users["bob"]["hash"])
    assert "correct horse" not in setup.host.users_file.read_text()
    blocking(core.aclose())


def test_another_host_port_gets_an_entity_registered_for_that_origin(make_settings):
    core, first = prepare(make_settings)
    other = blocking(
        demo.prepare(
            core, DemoSettings(), host_url="http://localhost:9000", planner_url=PLANNER_URL
        )
    )
    assert other.new_entity and other.host.entity_id != first.host.entity_id
    assert blocking(core.store.get_entity(other.host.entity_id)).origins == (
        "http://localhost:9000",
    )
    assert other.generated_password is None  # the users file is reused
    blocking(core.aclose())


def test_a_run_that_dies_while_seeding_the_catalog_is_seeded_again(make_settings):
    core = blocking(Core.connect(make_settings()))
    with sqlite3.connect(core.store.path) as db:  # the process "dies" at the third asset
        db.execute(
            "CREATE TRIGGER crash BEFORE INSERT ON assets WHEN NEW.name = 'Oak worktop 186'"
            " BEGIN SELECT RAISE(ABORT, 'process killed'); END"
        )
    with pytest.raises(sqlite3.DatabaseError, match="process killed"):
        blocking(demo.prepare(core, DemoSettings(), host_url=HOST_URL, planner_url=PLANNER_URL))
    blocking(core.aclose())
    assert not (core.settings.data_dir / "host" / "credentials.json").exists()
    with sqlite3.connect(core.store.path) as db:
        db.execute("DROP TRIGGER crash")

    again, setup = prepare(make_settings)

    assert setup.new_entity
    catalog = blocking(again.store.list_assets(setup.host.entity_id, (None,)))
    assert [a.name for a in catalog] == [name for name, _, _ in demo.CATALOG]
    reused = blocking(
        demo.prepare(again, DemoSettings(), host_url=HOST_URL, planner_url=PLANNER_URL)
    )
    assert reused.host.entity_id == setup.host.entity_id and not reused.new_entity
    blocking(again.aclose())


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def read_until(lines: queue.Queue, pattern: str) -> list[str]:
    """The lines printed up to and including the first that matches `pattern`."""
    seen: list[str] = []
    while not seen or not re.search(pattern, seen[-1]):
        try:
            seen.append(lines.get(timeout=60))
        except queue.Empty:
            pytest.fail(f"no line matching {pattern!r}; got {seen}")
    return seen


def wait_for_line(lines: queue.Queue, pattern: str) -> re.Match:
    match = re.search(pattern, read_until(lines, pattern)[-1])
    assert match
    return match


def test_demo_command_serves_both_origins_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PLANNER_BRIDGE_DEMO_PASSWORD": "demo-pass-123"}
    command = [str(Path(sys.executable).parent / "planner-bridge"), "demo", "--host-port", "0"]
    command += ["--planner-port", "0", "--data-dir", str(tmp_path / "data")]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        host = wait_for_line(lines, r"shop \(host origin\):\s+(http://localhost:\d+)/").group(1)
        planner = wait_for_line(lines, r"planner origin:\s+(http://127\.0\.0\.1:\d+)").group(1)
        logins = wait_for_line(lines, r"demo logins:\s+(.*)").group(1)
        assert "alice" in logins and "bob" in logins and "demo-pass-123" not in logins
        page = httpx.get(host + "/")
        assert page.status_code == 200 and "Demo Store" in page.text
        headers = {"Origin": host, "X-Requested-With": "planner-bridge"}
        # The demo entity requires DPoP: the shop page passes on the planner's key, as here.
        unbound = httpx.post(host + "/planner-token", headers=headers)
        assert unbound.status_code == 502 and "invalid_request" in unbound.text
        jkt = "A" * 43
        token = httpx.post(host + "/planner-token", headers=headers, json={"jkt": jkt})
        assert token.status_code == 200, token.text
        assert token.json()["kind"] == "legal_entity"
        claims = jwt.decode(token.json()["token"], options={"verify_signature": False})
        assert claims["cnf"] == {"jkt": jkt}
        jwks = httpx.get(planner + "/.well-known/jwks.json")
        assert jwks.status_code == 200 and jwks.json()["keys"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode in (0, 130)
    assert "Traceback" not in stderr


def test_demo_command_prints_json_and_refuses_a_busy_port_in_one_line(tmp_path):
    command = [str(Path(sys.executable).parent / "planner-bridge"), "demo", "--json"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        refused = subprocess.run(
            [*command, "--planner-port", port, "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("planner-bridge: ") and refused.stderr.count("\n") == 1
    assert not (tmp_path / "data").exists()  # nothing written before the ports were had


def test_demo_command_json_output_names_both_origins(tmp_path):
    command = [str(Path(sys.executable).parent / "planner-bridge"), "demo", "--json"]
    command += ["--host-port", "0", "--planner-port", "0", "--data-dir", str(tmp_path / "data")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        printed = json.loads("".join(read_until(lines, r"^\}")))
        assert printed["host_url"].startswith("http://localhost:")
        assert printed["planner_url"].startswith("http://127.0.0.1:")
        assert printed["users"] == ["alice", "bob"] and len(printed["password"]) >= 12
        assert httpx.get(printed["host_url"] + "/").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode in (0, 130)


def test_the_shop_page_preloads_the_sdks_whole_module_graph():
    """The demo shop asks for every module of the SDK with the page (`modulepreload`), so
    none is found only one level at a time below another: the list is kept by hand, so every
    module that the SDK's entry imports, directly or not, must be on it, and nothing else."""
    sdk = Path(__file__).resolve().parents[1] / "web" / "sdk"
    graph, todo = set(), ["planner-bridge.js"]
    while todo:
        name = todo.pop()
        if name not in graph:
            graph.add(name)
            todo += re.findall(r'from\s+"\./([\w-]+\.js)"', (sdk / name).read_text())
    template = sdk.parent / "templates" / "shop.html"
    preloads = re.findall(
        r'rel="modulepreload" href="[^"]*/sdk/([\w-]+\.js)"', template.read_text()
    )
    assert len(preloads) == len(set(preloads)), "each module once"
    assert set(preloads) == graph
