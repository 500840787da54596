"""The serving process's start-up, through Starlette's lifespan: the core is opened there, and a
start that fails is told to the server in one line (no traceback), with nothing raised past it."""

from __future__ import annotations

import asyncio
import socket

from planner_bridge.apps.process import PlannerProcess
from planner_bridge.settings import Settings


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when this returns: nothing listens there


def run_lifespan(process: PlannerProcess, *incoming: str) -> list[dict]:
    sent: list[dict] = []
    messages = [{"type": f"lifespan.{name}"} for name in incoming]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(process({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    return sent


def test_a_start_that_cannot_reach_the_database_is_told_in_one_line(tmp_path):
    url = f"postgresql://planner:secret@127.0.0.1:{closed_port()}/planner"
    process = PlannerProcess(Settings(data_dir=tmp_path, database_url=url))
    [failed] = run_lifespan(process, "startup")
    assert failed["type"] == "lifespan.startup.failed"
    assert failed["message"] and "\n" not in failed["message"]
    assert "Traceback" not in failed["message"] and "secret" not in failed["message"]
    assert process.app is None


def test_a_start_builds_the_app_and_the_shutdown_completes(tmp_path, capsys):
    process = PlannerProcess(Settings(data_dir=tmp_path))
    sent = run_lifespan(process, "startup", "shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert process.app is not None
    assert "ready (event loop" in capsys.readouterr().out
