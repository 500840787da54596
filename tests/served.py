"""`planner-bridge` run as a real process, as an operator runs it: its stdout lines as they come,
everything it wrote to stderr, always stopped (SIGINT, then killed) however the test ends."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

CLI = str(Path(sys.executable).parent / "planner-bridge")
LINE_TIMEOUT = 60


class Running:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(process.stdout, self.stdout.put)),
            threading.Thread(target=self._read, args=(process.stderr, self.stderr.append)),
        ]
        for reader in self.readers:
            reader.start()

    def close(self) -> None:
        """After the process ended: the readers reach the end of its output; the pipes close."""
        for reader in self.readers:
            reader.join(30)
        self.process.stdout.close()
        self.process.stderr.close()

    @staticmethod
    def _read(stream, put) -> None:
        for line in stream:
            put(line)

    def wait_for_line(self, pattern: str) -> re.Match:
        seen: list[str] = []
        while True:
            try:
                seen.append(self.stdout.get(timeout=LINE_TIMEOUT))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r}; got {seen} {self.stderr}"
                ) from None
            if match := re.search(pattern, seen[-1]):
                return match


def cli_env(**variables: str) -> dict[str, str]:
    """This environment without any PLANNER_BRIDGE_* setting, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_BRIDGE_")}
    return {**env, **variables}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args], env=env or cli_env(), capture_output=True, text=True, timeout=60
    )


@contextlib.contextmanager
def running(
    *args: str, env: dict[str, str] | None = None, cli: str = CLI, cwd: Path | None = None
) -> Iterator[Running]:
    """`cli` (this environment's planner-bridge unless told) run with `args`."""
    process = subprocess.Popen(
        [cli, *args],
        cwd=cwd,
        env=env or cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    handle = Running(process)
    try:
        yield handle
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        handle.close()
