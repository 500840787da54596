"""A real, throw-away PostgreSQL for tests: Debian's binaries run into a temp dir, never :5432.

`PostgresServer` initialises a cluster (initdb) in a fresh temp dir, starts it on a free TCP
port of 127.0.0.1 with its unix socket in that dir, and removes it all on `stop()`. Nothing is
assumed to be running already. PostgreSQL refuses to run as root, so under root (CI) the
cluster belongs to an unprivileged user (`nobody`) and its commands run through `runuser`.
Other suites (multi-instance, Playwright, fault tests) reuse it: `stop()` and `start()` pause
and resume the same cluster (on the same port or a new one), `create_database()` gives each
user of a session its own database, `psql()` runs SQL as the superuser.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "planner_test"
UNPRIVILEGED_USER = "nobody"


def postgres_bin_dir() -> Path:
    """Debian's newest installed PostgreSQL (`make postgres` installs it when missing)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: run `make postgres`"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="planner-bridge-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self._user = pwd.getpwnam(UNPRIVILEGED_USER) if os.geteuid() == 0 else None
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self._initdb()

    def _run(self, *command: str) -> None:
        argv = list(command)
        if self._user is not None:
            argv = ["runuser", "-u", self._user.pw_name, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {done.stderr}{done.stdout}{log}")

    def _initdb(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self._user is not None:
            os.chown(password_file, self._user.pw_uid, self._user.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",  # a test cluster: speed over surviving a power cut
        )
        password_file.unlink()

    def start(self, port: int | None = None) -> None:
        """Start on `port`, else a fresh free one (again after `stop`: the data stays; give
        the old port back to let clients that know it reconnect)."""
        self.port = port or free_port()
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """`postgresql://USER:PASSWORD@HOST:PORT/DB`, the form the settings take."""
        password = quote(self.password, safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` in `database` (a name, or a URL from `create_database`); its output."""
        url = database if database.startswith("postgresql://") else self.url(database)
        done = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def started_postgres() -> PostgresServer:
    server = PostgresServer()
    try:
        server.start()
    except BaseException:
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server
