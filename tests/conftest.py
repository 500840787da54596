"""Shared fixtures: a real planner origin (uvicorn on an ephemeral port) over a tmp data dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from planner_bridge.apps.planner import create_app
from planner_bridge.core import Core
from planner_bridge.serving import ThreadedServer, blocking
from planner_bridge.settings import Settings
from postgres_server import PostgresServer, started_postgres
from support import PlannerServer, Shop, register_shop


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "min_token_ttl": 1}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def core(make_settings: Callable[..., Settings]) -> Iterator[Core]:
    """A core on a tmp data dir, not served (issuer: the default URL)."""
    opened = blocking(Core.connect(make_settings()))
    yield opened
    blocking(opened.aclose())


@pytest.fixture
def start_planner(
    make_settings: Callable[..., Settings],
) -> Iterator[Callable[..., PlannerServer]]:
    """Start a planner origin with the given setting overrides; stopped after the test."""
    started: list[tuple[ThreadedServer, Core]] = []

    def start(**overrides: Any) -> PlannerServer:
        cores: list[Core] = []

        def build(url: str) -> Any:
            cores.append(blocking(Core.connect(make_settings(issuer=url, **overrides))))
            return create_app(cores[0])

        server = ThreadedServer(build).__enter__()
        started.append((server, cores[0]))
        return PlannerServer(server.url, cores[0])

    yield start
    for server, opened in reversed(started):
        server.__exit__(None, None, None)
        blocking(opened.aclose())


@pytest.fixture
def planner(start_planner: Callable[..., PlannerServer]) -> PlannerServer:
    """The planner origin with default settings (shortest token lifetime lowered to 1 s)."""
    return start_planner()


@pytest.fixture
def shop(planner: PlannerServer) -> Shop:
    """A legal entity allowed to ask for write rights, registered on `planner`."""
    return register_shop(planner.core)


@pytest.fixture
def readonly_shop(planner: PlannerServer) -> Shop:
    """A legal entity created without --allow-write, registered on `planner`."""
    return register_shop(planner.core, allow_write=False, name="Read-only Store")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL of this test session (tests/postgres_server.py): started on first use,
    stopped and removed at the end. `postgres_server.create_database()` gives a test its own."""
    server = started_postgres()
    yield server
    server.destroy()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of the test's own, which it may stop and start (fault tests)."""
    server = started_postgres()
    yield server
    server.destroy()
