"""`planner-bridge serve --workers 2` on one real PostgreSQL (SPEC: "Several instances").

The workers are real processes accepting on one socket. Which worker answered a request is
read from the kernel, not from the server: the worker process holding the accepted end of the
request's TCP connection (/proc/net/tcp and /proc/PID/fd), so nothing test-only is served.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support import wait_until
from test_cli import SCRIPT, _first_line_url, assert_one_line_refusal, environment
from test_several_instances import shared, shop, signed_token_request, user_token  # noqa: F401


class Served:
    """A running `serve` process, its URL, and what it printed since."""

    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # stderr drained too: a worker that cannot start says why there, and a full pipe would
        # block the process that writes to it.
        self.error_reader = threading.Thread(target=self._read_errors, daemon=True)
        self.error_reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def _read_errors(self) -> None:
        for line in self.process.stderr:
            self.errors.append(line)

    def worker_pids(self, count: int) -> set[int]:
        """The pids of the `count` workers, once each has said it is ready."""
        try:
            wait_until(lambda: len(self.ready_lines()) == count, timeout=30)
        except AssertionError:
            said = "".join(self.lines + self.errors)[-4000:]
            raise AssertionError(f"{count} workers not ready; the process said:\n{said}") from None
        return {int(line.split()[1]) for line in self.ready_lines()}

    def ready_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("worker ")]


def start_serve(env: dict[str, str], *args: str) -> Served:
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**env),
    )
    return Served(process, _first_line_url(process))


def stop(served: Served) -> None:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGINT)
        served.process.wait(20)
    served.reader.join(10)  # at the end of the output: every worker has closed it too
    served.error_reader.join(10)
    served.process.stdout.close()
    served.process.stderr.close()


@pytest.fixture
def workers(shared) -> Iterator[Served]:  # noqa: F811
    served = start_serve(shared, "--workers", "2")
    try:
        yield served
    finally:
        stop(served)


def descendants(pid: int) -> set[int]:
    """Every process under `pid` (workers, and the resource tracker multiprocessing starts)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found |= {int(child), *descendants(int(child))}
    return found


def answering_pid(server_port: int, client_port: int, candidates: set[int]) -> int:
    """The process among `candidates` holding the server end of the connection that
    `client_port` opened to `server_port` on 127.0.0.1."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            inodes.add(fields[9])
    for pid in candidates:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except FileNotFoundError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def ask(url: str, method: str, path: str, body: bytes | None, headers: dict[str, str], pids=()):
    """One request on a fresh connection: (the pid among `pids` that answered, or 0; status,
    body, headers). The pid is looked up while the connection is still open."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        client_port = connection.sock.getsockname()[1]
        pid = answering_pid(address.port, client_port, set(pids)) if pids else 0
        return pid, response.status, content, dict(response.getheaders())
    finally:
        connection.close()


def on_every_worker(served: Served, pids: set[int], method: str, path: str, body, headers):
    """Send the same request on fresh connections until each worker has answered it at least
    once; returns every (status, body, headers) answered, with the pid that answered."""
    answers: list[tuple[int, int, bytes, dict[str, str]]] = []

    def one_more() -> bool:
        answers.append(ask(served.url, method, path, body, headers, pids))
        return {answer[0] for answer in answers} == pids

    wait_until(one_more, timeout=30)
    return answers


def test_two_workers_answer_and_a_token_minted_verifies_on_each(workers, shop):  # noqa: F811
    pids = workers.worker_pids(2)
    assert len(pids) == 2 and workers.process.pid not in pids
    token = user_token(workers.url, shop)
    created = ask(
        workers.url,
        "POST",
        "/v1/assets",
        json.dumps({"name": "Sofa", "kind": "sofa"}).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert created[1] == 201, created[2]
    path = f"/v1/assets/{json.loads(created[2])['id']}"
    answers = on_every_worker(
        workers, pids, "GET", path, None, {"Authorization": f"Bearer {token}"}
    )
    assert {pid for pid, *_ in answers} == pids
    assert all(
        status == 200 and json.loads(body)["name"] == "Sofa" for _, status, body, _ in answers
    )


def test_a_nonce_used_once_is_refused_by_whichever_worker_answers(workers, shop):  # noqa: F811
    pids = workers.worker_pids(2)
    raw, headers = signed_token_request(shop, {"type": "legal_entity"})
    first = ask(workers.url, "POST", "/v1/tokens", raw, headers)
    assert first[1] == 201, first[2]
    replays = on_every_worker(workers, pids, "POST", "/v1/tokens", raw, headers)
    for _, status, body, _ in replays:
        assert status == 401 and json.loads(body)["error"] == "invalid_client"
        assert "nonce" in json.loads(body)["error_description"]


def test_an_idempotency_key_replayed_on_both_workers_writes_once(workers, shop):  # noqa: F811
    pids = workers.worker_pids(2)
    bearer = {"Authorization": f"Bearer {user_token(workers.url, shop)}"}
    headers = {**bearer, "Idempotency-Key": "k-1", "Content-Type": "application/json"}
    body = json.dumps({"name": "Once", "kind": "table"}).encode()
    answers = on_every_worker(workers, pids, "POST", "/v1/assets", body, headers)
    assert {status for _, status, _, _ in answers} == {201}
    assert len({content for _, _, content, _ in answers}) == 1  # the first answer, every time
    assert all(h["idempotent-replayed"] == "true" for *_, h in answers[1:])
    listed = ask(workers.url, "GET", "/v1/assets", None, bearer)
    assert [asset["name"] for asset in json.loads(listed[2])["assets"]] == ["Once"]


def test_sigterm_stops_the_parent_and_every_worker(workers):
    pids = workers.worker_pids(2)
    under = descendants(workers.process.pid)
    assert pids <= under
    workers.process.send_signal(signal.SIGTERM)
    assert workers.process.wait(20) == 0
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in under), timeout=10)


def test_serve_runs_on_uvloop_with_one_worker_or_two(tmp_path):
    # uvloop comes with uvicorn[standard], a dependency: an ImportError fails, never skips.
    import uvloop  # noqa: F401

    for args in ([], ["--workers", "2"]):
        served = start_serve({"PLANNER_BRIDGE_DATA_DIR": str(tmp_path / f"data{len(args)}")}, *args)
        try:
            count = 2 if args else 1
            wait_until(lambda: len(served.ready_lines()) == count, timeout=30)
            assert all(line.endswith("(event loop uvloop)\n") for line in served.ready_lines())
        finally:
            stop(served)


@pytest.mark.parametrize(
    ("database_url", "mentions"),
    [
        ("postgresql://planner:s3cret-pw@127.0.0.1:1/planner", "127.0.0.1:1"),
        ("postgresql://planner:s3cret-pw@127.0.0.1:port/planner", "PLANNER_BRIDGE_DATABASE_URL"),
    ],
)
def test_bad_settings_are_one_line_from_the_parent_before_any_worker(
    tmp_path, database_url, mentions
):
    env = {"PLANNER_BRIDGE_DATABASE_URL": database_url, "PLANNER_BRIDGE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [SCRIPT, "serve", "--port", "0", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(**env),
    )
    assert_one_line_refusal(done, 1, mentions)
    assert "s3cret-pw" not in done.stderr + done.stdout
    assert "worker" not in done.stdout  # refused before any worker started


@pytest.mark.parametrize("count", ["0", "-1", "two", "65"])
def test_a_bad_worker_count_is_one_line(tmp_path, count):
    done = subprocess.run(
        [SCRIPT, "serve", "--port", "0", f"--workers={count}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(PLANNER_BRIDGE_DATA_DIR=str(tmp_path)),
    )
    assert_one_line_refusal(done, 2, f"{count!r} is not a worker count (1 to 64)")


def test_metrics_with_several_workers_is_refused_before_any_worker(tmp_path):
    # Each worker would count apart and only one could hold the metrics port.
    done = subprocess.run(
        [SCRIPT, "serve", "--port", "0", "--workers", "2", "--metrics-port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(PLANNER_BRIDGE_DATA_DIR=str(tmp_path)),
    )
    assert_one_line_refusal(done, 1, "--metrics-port works with --workers 1 only")
    assert "worker" not in done.stdout
