"""The planner origin's Prometheus metrics (SPEC "Operating it"), one `CollectorRegistry` per app.

Labels take bounded values only: a route *template* (never a path), a method, a status, a token
kind, a grant name, an error code. No label ever carries a token, a secret, a key id or a user
id: those would leak, and would make a new time series per caller.

Counted in plain lists, read when scraped (issue 19): every request adds to a counter and a
histogram, and prometheus_client's children take a lock and run their own code for each (about
a tenth of a cheap request's whole cost). Here a request adds to numbers in a list found by one
dictionary lookup, on the event loop's thread that serves the app (one per app, so no lock);
`Counted` folds them into the very families, names, labels and values prometheus_client's
`Counter` and `Histogram` would serve (`_total`, `_created`, `_bucket`, `_count`, `_sum`).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from . import logs

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
# The duration histogram's upper bounds: prometheus_client's defaults, +Inf last.
BOUNDS = tuple(float(b) for b in Histogram.DEFAULT_BUCKETS)
# An answered request's numbers: [created, count, sum of seconds, one count per bucket].
COUNT, SUM, BUCKETS = 1, 2, 3


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._answered: dict[tuple[str, str, int], list[float]] = {}
        self._issued: dict[tuple[str, str], list[float]] = {}  # [created, count]
        self._failed: dict[tuple[str, str], list[float]] = {}
        self.registry.register(Counted(self))
        self.live_connections = Gauge(
            f"{PREFIX}_live_connections",
            "Open /v1/live WebSocket connections",
            registry=self.registry,
        )
        self.registry.register(DroppedLogLines())

    def token_issued(self, kind: str, grant: str) -> None:
        _count(self._issued, (kind, grant))

    def auth_failed(self, endpoint: str, reason: str) -> None:
        reason = reason if reason in AUTH_FAILURE_REASONS else "other"
        _count(self._failed, (endpoint, reason))

    def request_answered(self, route: str, method: str, status: int, seconds: float) -> None:
        numbers = self._answered.get((route, method, status))
        if numbers is None:
            numbers = self._answered[route, method, status] = [time.time(), 0, 0.0]
            numbers += [0] * len(BOUNDS)
        numbers[COUNT] += 1
        numbers[SUM] += seconds
        numbers[BUCKETS + bisect.bisect_left(BOUNDS, seconds)] += 1  # `le`: at most the bound

    def exposition(self) -> bytes:
        """The Prometheus text format of everything in this registry."""
        return generate_latest(self.registry)


def _count(counts: dict[Any, list[float]], key: Any) -> None:
    numbers = counts.get(key)
    if numbers is None:
        numbers = counts[key] = [time.time(), 0]
    numbers[COUNT] += 1


class Counted(Collector):
    """The counters and the duration histogram, as prometheus_client's would serve them."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        yield _counter(
            "tokens_issued",
            "Tokens minted, by kind (legal_entity, user, api_token) and grant",
            ["kind", "grant"],
            m._issued,
        )
        yield _counter(
            "auth_failures",
            "Refused authentications (401), by route template and error code",
            ["endpoint", "reason"],
            m._failed,
        )
        answered = dict(m._answered)  # a scrape may run beside the requests that add to it
        counts = {(r, method, str(status)): n for (r, method, status), n in answered.items()}
        yield _counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            counts,
        )
        yield _histogram(answered)


def _counter(name: str, help_text: str, labels: list[str], counts: dict) -> Metric:
    family = CounterMetricFamily(f"{PREFIX}_{name}", help_text, labels=labels)
    created = prometheus_metrics._use_created
    for key, numbers in list(counts.items()):
        family.add_metric(key, numbers[COUNT], numbers[0] if created else None)
    return family


def _histogram(answered: dict[tuple[str, str, int], list[float]]) -> Metric:
    name = f"{PREFIX}_http_request_duration_seconds"
    family = HistogramMetricFamily(
        name, "Time to answer an HTTP request, by route template", labels=["route"]
    )
    routes: dict[str, list[float]] = {}  # each route's numbers, over its methods and statuses
    for (route, _, _), numbers in answered.items():
        folded = routes.get(route)
        if folded is None:
            routes[route] = list(numbers)
        else:
            folded[0] = min(folded[0], numbers[0])
            for i in range(COUNT, len(numbers)):
                folded[i] += numbers[i]
    for route, numbers in routes.items():
        cumulative, buckets = 0.0, []
        for bound, count in zip(BOUNDS, numbers[BUCKETS:], strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))
        family.add_metric([route], buckets, numbers[SUM])
        if prometheus_metrics._use_created:
            family.samples.append(Sample(f"{name}_created", {"route": route}, numbers[0]))
    return family


class DroppedLogLines(Collector):
    """Log lines lost because their writer's buffer was full (`line_writer`): counted by the
    writer, read when scraped."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            f"{PREFIX}_log_lines_dropped",
            "Log lines dropped because the log's reader fell behind (each loss is also logged)",
            value=logs.dropped_lines(),
        )
