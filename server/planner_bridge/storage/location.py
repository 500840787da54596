"""Which database a `PLANNER_BRIDGE_DATABASE_URL` names, checked once, never echoing a password.

`sqlite:///PATH` (or no URL: the SQLite file in the data dir) or
`postgresql://USER:PASSWORD@HOST:PORT/DB` (`postgres://` too; query parameters such as
`sslmode=require` are handed to the driver).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote, urlsplit

POSTGRESQL_SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432


class BadDatabaseUrl(ValueError):
    """The URL cannot name a database; the message never repeats the URL (it may hold a
    password)."""


@dataclasses.dataclass(frozen=True)
class DatabaseLocation:
    backend: str  # "sqlite" or "postgresql"
    path: Path | None = None  # SQLite
    dsn: str = dataclasses.field(default="", repr=False)  # PostgreSQL, password included
    host: str = ""
    port: int = 0
    database: str = ""
    user: str = ""

    def describe(self) -> str:
        """Where it is, for messages and logs: no password."""
        if self.backend == "sqlite":
            return str(self.path)
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def locate_database(url: str, default_sqlite: Path) -> DatabaseLocation:
    if not url:
        return DatabaseLocation("sqlite", path=default_sqlite)
    if url.startswith("sqlite:///"):
        return DatabaseLocation("sqlite", path=Path(url.removeprefix("sqlite:///")))
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in POSTGRESQL_SCHEMES:
        raise BadDatabaseUrl("must be sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB")
    return _postgresql(url)


def _postgresql(url: str) -> DatabaseLocation:
    form = "postgresql://USER:PASSWORD@HOST:PORT/DB"
    try:
        parts = urlsplit(url)
        port = DEFAULT_PORT if parts.port is None else parts.port
        if port == 0:
            raise ValueError(port)
    except ValueError:
        raise BadDatabaseUrl(f"malformed, expected {form} (the port is 1 to 65535)") from None
    database = unquote(parts.path.removeprefix("/"))
    if not parts.hostname or not parts.username or not database or "/" in database:
        raise BadDatabaseUrl(f"malformed, expected {form}")
    if parts.fragment:
        raise BadDatabaseUrl(f"malformed, expected {form} (no #fragment)")
    return DatabaseLocation(
        "postgresql",
        dsn=url,
        host=parts.hostname,
        port=port,
        database=database,
        user=unquote(parts.username),
    )
