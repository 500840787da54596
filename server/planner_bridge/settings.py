"""Configuration: the one place that reads the environment (`PLANNER_BRIDGE_*` variables, here
and for the demo shop's `DemoSettings`) and checks every value at once.

Every option, its variable and its default:

    data_dir            PLANNER_BRIDGE_DATA_DIR        ./data       keys, master key, SQLite file
    database_url        PLANNER_BRIDGE_DATABASE_URL    sqlite:///<data_dir>/planner-bridge.sqlite3
                                                       or postgresql://USER:PASSWORD@HOST:PORT/DB
    issuer              PLANNER_BRIDGE_ISSUER          the URL `serve` listens on
    signing_alg         PLANNER_BRIDGE_SIGNING_ALG     ES256        ES256, EdDSA or RS256
    min_token_ttl       PLANNER_BRIDGE_MIN_TOKEN_TTL   60           shortest lifetime granted (s)
    max_token_ttl       PLANNER_BRIDGE_MAX_TOKEN_TTL   86400        longest lifetime granted (s)
    default_token_ttl   PLANNER_BRIDGE_DEFAULT_TOKEN_TTL 3600       lifetime when none is asked
    exchange_token_ttl  PLANNER_BRIDGE_EXCHANGE_TOKEN_TTL 900       API-token exchange (≤ 900 s)
    api_token_days      PLANNER_BRIDGE_API_TOKEN_DAYS  30           default API-token lifetime
    leeway              PLANNER_BRIDGE_LEEWAY          30           clock skew allowed (≤ 60 s)
    jwks_url            PLANNER_BRIDGE_JWKS_URL        (none)       verify against a remote JWKS
    master_key          PLANNER_BRIDGE_MASTER_KEY      (file)       base64url, 32 bytes; else
                                                                    <data_dir>/master.key
    trusted_proxies     PLANNER_BRIDGE_TRUSTED_PROXIES (none)       addresses or CIDR blocks whose
                                                                    X-Forwarded-For is believed
    log_format          PLANNER_BRIDGE_LOG_FORMAT      text         text or json (one object a line)
    metrics_port        PLANNER_BRIDGE_METRICS_PORT    (off)        Prometheus /metrics listener
                                                                    on the serving host (0: any)

The master key never leaves the server; API secrets are derived from it (see `credentials`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .addresses import parse_networks
from .clients.entities import origin_of
from .storage.location import BadDatabaseUrl, DatabaseLocation, locate_database

PREFIX = "PLANNER_BRIDGE_"
SIGNING_ALGORITHMS = ("ES256", "EdDSA", "RS256")
LOG_FORMATS = ("text", "json")
METRICS_OFF = -1


class SettingsError(ValueError):
    """Raised with one line per mistake, so an operator fixes them all in one go."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def environment(
    names: Iterable[str], environ: Mapping[str, str] | None = None, prefix: str = PREFIX
) -> dict[str, str]:
    """The `PLANNER_BRIDGE_<NAME>` variables set for these names, by name: the only reader of
    the process environment (None: os.environ)."""
    environ = os.environ if environ is None else environ
    variables = {name: prefix + name.upper() for name in names}
    return {name: environ[variable] for name, variable in variables.items() if variable in environ}


def typed_values(
    cls: Any, raw: Mapping[str, object], problems: list[str], prefix: str = PREFIX
) -> dict[str, object]:
    """`raw` converted to the types of the dataclass `cls`'s fields (int, Path, str); each value
    that does not convert is a problem, named by its variable."""
    values: dict[str, object] = {}
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    for name, value in raw.items():
        if types[name] == "int":
            try:
                values[name] = int(str(value))
            except ValueError:
                problems.append(f"{prefix}{name.upper()} must be a whole number")
        elif types[name] == "Path":
            values[name] = Path(str(value))
        else:
            values[name] = str(value)
    return values


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    issuer: str = "http://127.0.0.1:8001"
    signing_alg: str = "ES256"
    min_token_ttl: int = 60
    max_token_ttl: int = 86400
    default_token_ttl: int = 3600
    exchange_token_ttl: int = 900
    api_token_days: int = 30
    leeway: int = 30
    jwks_url: str = ""
    master_key: str = ""
    trusted_proxies: str = ""  # see `addresses`
    log_format: str = "text"
    metrics_port: int = METRICS_OFF
    # The fields the environment set (not overrides): `serve` lets PLANNER_BRIDGE_ISSUER win
    # over the URL it listens on.
    from_environment: frozenset[str] = dataclasses.field(
        default=frozenset(), compare=False, repr=False
    )

    @property
    def database(self) -> DatabaseLocation:
        return locate_database(self.database_url, self.data_dir / "planner-bridge.sqlite3")

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "planner-bridge.sqlite3"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from the environment, then explicit overrides (command-line flags)."""
        names = [f.name for f in dataclasses.fields(cls) if f.name != "from_environment"]
        raw: dict[str, object] = dict(environment(names, environ))
        given = frozenset(raw)
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls._validated(raw, given)

    @classmethod
    def _validated(cls, raw: dict[str, object], given: frozenset[str]) -> Settings:
        problems: list[str] = []
        values = typed_values(cls, raw, problems)
        # The other checks run on the defaults of the fields that failed, so every mistake is
        # reported in one go, not only the first kind found.
        settings = cls(**values, from_environment=given)  # type: ignore[arg-type]
        settings._check(problems)
        if problems:
            raise SettingsError(problems)
        return settings

    def _check(self, problems: list[str]) -> None:
        if self.signing_alg not in SIGNING_ALGORITHMS:
            problems.append(f"{PREFIX}SIGNING_ALG must be one of {', '.join(SIGNING_ALGORITHMS)}")
        if not 1 <= self.min_token_ttl <= self.max_token_ttl:
            problems.append(f"{PREFIX}MIN_TOKEN_TTL must be between 1 and MAX_TOKEN_TTL")
        if not self.min_token_ttl <= self.default_token_ttl <= self.max_token_ttl:
            problems.append(f"{PREFIX}DEFAULT_TOKEN_TTL must lie between MIN and MAX_TOKEN_TTL")
        if not 1 <= self.exchange_token_ttl <= 900:
            problems.append(f"{PREFIX}EXCHANGE_TOKEN_TTL must be between 1 and 900")
        if not 0 <= self.leeway <= 60:
            problems.append(f"{PREFIX}LEEWAY must be between 0 and 60")
        if self.api_token_days < 1:
            problems.append(f"{PREFIX}API_TOKEN_DAYS must be at least 1")
        try:
            self.database  # noqa: B018 (checked here, once, for every command)
        except BadDatabaseUrl as exc:
            problems.append(f"{PREFIX}DATABASE_URL {exc}")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            problems.append(f"{PREFIX}TRUSTED_PROXIES: {exc}")
        if self.log_format not in LOG_FORMATS:
            problems.append(f"{PREFIX}LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        if self.metrics_port != METRICS_OFF and not 0 <= self.metrics_port <= 65535:
            problems.append(f"{PREFIX}METRICS_PORT must be a port number (0 to 65535)")
        if not _has_origin(self.issuer):
            # The planner page takes its origin and live URL from the issuer (never from Host).
            problems.append(
                f"{PREFIX}ISSUER must be an http(s) URL with a valid host name and port,"
                " e.g. https://planner.example"
            )

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _has_origin(url: str) -> bool:
    try:
        origin_of(url)
    except ValueError:
        return False
    return True
