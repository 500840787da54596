"""`planner-bridge db migrate` and `db status` on both backends, as real processes."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from planner_bridge.storage.migrations import LATEST, MIGRATIONS
from test_cli import SCRIPT, assert_one_line_refusal, cli_json, environment, stored_ring
from test_keys import write_file_ring


def db(data_dir, *args: str, url: str = "") -> subprocess.CompletedProcess:
    extra = {"PLANNER_BRIDGE_DATABASE_URL": url} if url else {}
    return subprocess.run(
        [SCRIPT, "db", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(**extra),
    )


def status(data_dir, url: str = "") -> dict:
    done = db(data_dir, "status", "--json", url=url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sqlite_status_then_migrate(tmp_path):
    data_dir = tmp_path / "data"
    assert status(data_dir) == {"backend": "sqlite", "version": 0, "latest": LATEST}
    assert not (data_dir / "planner-bridge.sqlite3").exists()  # status only reads
    done = db(data_dir, "migrate")
    assert done.returncode == 0, done.stderr
    assert f"schema {LATEST}, latest {LATEST}" in done.stdout
    assert status(data_dir) == {"backend": "sqlite", "version": LATEST, "latest": LATEST}


def test_postgresql_status_then_migrate(tmp_path, postgres_server):
    url = postgres_server.create_database("cli")
    assert status(tmp_path, url) == {"backend": "postgresql", "version": 0, "latest": LATEST}
    done = db(tmp_path, "migrate", "--json", url=url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == LATEST
    assert status(tmp_path, url) == {"backend": "postgresql", "version": LATEST, "latest": LATEST}
    assert postgres_server.password not in done.stdout + done.stderr


def test_ten_instances_migrating_at_once_make_one_schema(tmp_path, postgres_server):
    url = postgres_server.create_database("race")
    command = [SCRIPT, "db", "migrate", "--json", "--data-dir", str(tmp_path)]
    env = environment(PLANNER_BRIDGE_DATABASE_URL=url)
    running = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(10)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in running]
    for process in running:
        process.stdout.close()
        process.stderr.close()

    assert [(code, err) for code, _, err in outcomes] == [(0, b"")] * 10
    assert all(json.loads(out)["version"] == LATEST for _, out, _ in outcomes)
    versions = postgres_server.psql("SELECT version FROM schema_migrations ORDER BY version", url)
    assert versions.split() == [str(m.version) for m in MIGRATIONS]  # each step once
    tables = postgres_server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", url)
    assert int(tables) == 11  # ten of the store and schema_migrations, no duplicate or leftover


def test_a_role_that_may_not_create_tables_is_one_line(tmp_path, postgres_server):
    url = postgres_server.create_database("weak")
    postgres_server.psql("CREATE ROLE weak_role LOGIN PASSWORD 'weak-pw'")
    weak = url.replace(f"planner_test:{postgres_server.password}", "weak_role:weak-pw")
    done = db(tmp_path, "migrate", url=weak)
    assert_one_line_refusal(done, 1, f"127.0.0.1:{postgres_server.port}")
    assert "permission denied" in done.stderr and "weak-pw" not in done.stderr


@pytest.mark.parametrize("action", ["migrate", "status"])
def test_an_unreachable_database_is_one_line_naming_host_and_port(tmp_path, action):
    url = "postgresql://planner:s3cret-pw@127.0.0.1:1/planner"
    done = db(tmp_path, action, url=url)
    assert_one_line_refusal(done, 1, "127.0.0.1:1")
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_a_wrong_password_is_one_line_without_it(tmp_path, postgres_server):
    url = postgres_server.url().replace(postgres_server.password, "not-the-password")
    done = db(tmp_path, "status", url=url)
    assert_one_line_refusal(done, 1, f"127.0.0.1:{postgres_server.port}")
    assert "password authentication failed" in done.stderr
    assert "not-the-password" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://planner:s3cret-pw@127.0.0.1:99999/planner",
        "postgresql://planner:s3cret-pw@127.0.0.1:port/planner",
        "postgresql://planner:s3cret-pw@127.0.0.1:5/",
        "postgresql://:s3cret-pw@127.0.0.1:5/planner",
        "postgresql://planner:s3cret-pw@/planner",
        "mysql://planner:s3cret-pw@127.0.0.1/planner",
    ],
)
def test_a_malformed_url_is_one_line_without_the_password(tmp_path, url):
    done = db(tmp_path, "status", url=url)
    assert_one_line_refusal(done, 1, "PLANNER_BRIDGE_DATABASE_URL")
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_migrate_imports_an_earlier_releases_key_ring_once(tmp_path):
    data_dir = tmp_path / "data"
    kids = write_file_ring(data_dir / "keys", time.time())
    done = db(data_dir, "migrate", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported_signing_keys"] == 2
    again = db(data_dir, "migrate", "--json")
    assert again.returncode == 0 and "imported_signing_keys" not in json.loads(again.stdout)
    ring = stored_ring(data_dir)
    assert [k["kid"] for k in ring] == kids and [k["retired"] is None for k in ring] == [0, 1]
    assert not any(b"PRIVATE" in k["sealed_key"] for k in ring)  # sealed, never in clear
    assert not list((data_dir / "keys").glob("*.pem"))
    rotated = cli_json(data_dir, "keys", "rotate")  # the imported ring is the ring
    assert [k["kid"] for k in stored_ring(data_dir)] == [*kids, rotated["kid"]]
