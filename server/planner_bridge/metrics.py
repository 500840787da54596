"""The planner origin's Prometheus metrics (SPEC "Operating it"), one `CollectorRegistry` per app.

Labels take bounded values only: a route *template* (never a path), a method, a status, a token
kind, a grant name, an error code. No label ever carries a token, a secret, a key id or a user
id: those would leak, and would make a new time series per caller.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "planner_bridge"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Grants (how a token was earned), as the `grant` label names them.
SIGNED_REQUEST = "signed_request"  # POST /v1/tokens, POST /v1/api-tokens
CLIENT_CREDENTIALS = "client_credentials"  # POST /auth/token
API_TOKEN_EXCHANGE = "api_token_exchange"  # POST /v1/api-tokens/exchange
# Why an authentication failed, as the `reason` label names it (RFC 6749/6750 codes).
AUTH_FAILURE_REASONS = (
    "invalid_client",
    "invalid_token",
    "missing_credentials",
    "invalid_dpop_proof",  # RFC 9449 §7.1
    "use_dpop_nonce",  # not an attack: the client retries once with the server's nonce
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.tokens_issued = Counter(
            f"{PREFIX}_tokens_issued",
            "Tokens minted, by kind (legal_entity, user, api_token) and grant",
            ["kind", "grant"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            f"{PREFIX}_auth_failures",
            "Refused authentications (401), by route template and error code",
            ["endpoint", "reason"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            registry=self.registry,
        )
        self.live_connections = Gauge(
            f"{PREFIX}_live_connections",
            "Open /v1/live WebSocket connections",
            registry=self.registry,
        )

    def token_issued(self, kind: str, grant: str) -> None:
        self.tokens_issued.labels(kind=kind, grant=grant).inc()

    def request_answered(self, route: str, method: str, status: int, seconds: float) -> None:
        self.http_requests.labels(route=route, method=method, status=str(status)).inc()
        self.http_duration.labels(route=route).observe(seconds)

    def auth_failed(self, endpoint: str, reason: str) -> None:
        reason = reason if reason in AUTH_FAILURE_REASONS else "other"
        self.auth_failures.labels(endpoint=endpoint, reason=reason).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of everything in this registry."""
        return generate_latest(self.registry)
