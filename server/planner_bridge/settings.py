"""Configuration: one place that reads `PLANNER_BRIDGE_*` variables and checks them all at once.

Every option, its variable and its default:

    data_dir            PLANNER_BRIDGE_DATA_DIR        ./data       keys, master key, SQLite file
    database_url        PLANNER_BRIDGE_DATABASE_URL    sqlite:///<data_dir>/planner-bridge.sqlite3
    issuer              PLANNER_BRIDGE_ISSUER          the URL `serve` listens on
    signing_alg         PLANNER_BRIDGE_SIGNING_ALG     ES256        ES256, EdDSA or RS256
    min_token_ttl       PLANNER_BRIDGE_MIN_TOKEN_TTL   60           shortest lifetime granted (s)
    max_token_ttl       PLANNER_BRIDGE_MAX_TOKEN_TTL   86400        longest lifetime granted (s)
    default_token_ttl   PLANNER_BRIDGE_DEFAULT_TOKEN_TTL 3600       lifetime when none is asked
    exchange_token_ttl  PLANNER_BRIDGE_EXCHANGE_TOKEN_TTL 900       API-token exchange (≤ 900 s)
    api_token_days      PLANNER_BRIDGE_API_TOKEN_DAYS  30           default API-token lifetime
    leeway              PLANNER_BRIDGE_LEEWAY          30           clock skew allowed (≤ 60 s)
    jwks_url            PLANNER_BRIDGE_JWKS_URL        (none)       verify against a remote JWKS
    demo_token_ttl      PLANNER_BRIDGE_DEMO_TOKEN_TTL  3600         lifetime the demo host asks for
                                                                    (within MIN..MAX_TOKEN_TTL)
    demo_password       PLANNER_BRIDGE_DEMO_PASSWORD   (generated)  password of alice and bob
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
from collections.abc import Mapping
from pathlib import Path

from .addresses import parse_networks
from .entities import origin_of

PREFIX = "PLANNER_BRIDGE_"
SIGNING_ALGORITHMS = ("ES256", "EdDSA", "RS256")
LOG_FORMATS = ("text", "json")
METRICS_OFF = -1


class SettingsError(ValueError):
    """Raised with one line per mistake, so an operator fixes them all in one go."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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
    demo_token_ttl: int = 3600
    demo_password: str = ""
    master_key: str = ""
    trusted_proxies: str = ""  # see `addresses`
    log_format: str = "text"
    metrics_port: int = METRICS_OFF

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "planner-bridge.sqlite3"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from the environment, then explicit overrides (command-line flags)."""
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            name = PREFIX + field.name.upper()
            if name in environ:
                raw[field.name] = environ[name]
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls._validated(raw)

    @classmethod
    def _validated(cls, raw: dict[str, object]) -> Settings:
        problems: list[str] = []
        values: dict[str, object] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, value in raw.items():
            if types[name] == "int":
                try:
                    values[name] = int(str(value))
                except ValueError:
                    problems.append(f"{PREFIX}{name.upper()} must be a whole number")
            elif types[name] == "Path":
                values[name] = Path(str(value))
            else:
                values[name] = str(value)
        # The other checks run on the defaults of the fields that failed, so every mistake is
        # reported in one go, not only the first kind found.
        settings = cls(**values)  # type: ignore[arg-type]
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
        if not self.min_token_ttl <= self.demo_token_ttl <= self.max_token_ttl:
            # The demo shop asks for exactly this lifetime: out of bounds, every token it asks
            # for would be refused and its /planner-token would answer 502.
            problems.append(
                f"{PREFIX}DEMO_TOKEN_TTL must lie between MIN and MAX_TOKEN_TTL"
                f" ({self.min_token_ttl} to {self.max_token_ttl} s); for expiry demos,"
                f" lower {PREFIX}MIN_TOKEN_TTL as well"
            )
        if not 1 <= self.exchange_token_ttl <= 900:
            problems.append(f"{PREFIX}EXCHANGE_TOKEN_TTL must be between 1 and 900")
        if not 0 <= self.leeway <= 60:
            problems.append(f"{PREFIX}LEEWAY must be between 0 and 60")
        if self.api_token_days < 1:
            problems.append(f"{PREFIX}API_TOKEN_DAYS must be at least 1")
        if self.database_url and not self.database_url.startswith("sqlite:///"):
            problems.append(
                f"{PREFIX}DATABASE_URL: only sqlite:///PATH is supported in this version"
            )
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
