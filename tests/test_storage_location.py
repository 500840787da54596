"""Which database PLANNER_BRIDGE_DATABASE_URL names, and that no message repeats its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner_bridge.settings import Settings, SettingsError
from planner_bridge.storage.location import locate_database


def test_no_url_is_the_sqlite_file_in_the_data_dir():
    settings = Settings.from_env({"PLANNER_BRIDGE_DATA_DIR": "/srv/pb"})
    assert settings.database.backend == "sqlite"
    assert settings.database.path == Path("/srv/pb/planner-bridge.sqlite3")


def test_a_postgresql_url_is_taken_apart_and_described_without_its_password():
    url = "postgresql://planner:s%2Fecret@db.example:6543/planner_prod?sslmode=require"
    location = Settings.from_env({"PLANNER_BRIDGE_DATABASE_URL": url}).database
    assert (location.backend, location.host, location.port) == ("postgresql", "db.example", 6543)
    assert (location.user, location.database, location.dsn) == ("planner", "planner_prod", url)
    assert location.describe() == "postgresql://planner@db.example:6543/planner_prod"
    assert "ecret" not in repr(location) + location.describe()


def test_the_port_defaults_to_postgresqls_own():
    location = locate_database("postgres://u:p@db.example/planner", Path("unused"))
    assert (location.backend, location.port) == ("postgresql", 5432)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:topsecret@db.example:0/planner",
        "postgresql://u:topsecret@db.example:65536/planner",
        "postgresql://u:topsecret@db.example/",
        "postgresql://u:topsecret@db.example/a/b",
        "postgresql://u:topsecret@db.example/planner#x",
        "postgresql://:topsecret@db.example/planner",
        "postgresql:///planner",
        "http://u:topsecret@db.example/planner",
    ],
)
def test_a_malformed_url_is_one_problem_without_the_password(url):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PLANNER_BRIDGE_DATABASE_URL": url})
    [problem] = caught.value.problems
    assert problem.startswith("PLANNER_BRIDGE_DATABASE_URL ")
    assert "topsecret" not in problem and "\n" not in problem
