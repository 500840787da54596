"""`metrics.Metrics` counts in plain lists and folds them into families when scraped (issue 19):
what it serves is what prometheus_client's own `Counter` and `Histogram` serve for the same
events, sample for sample (names, labels, values, bucket bounds, `_created` series), parsed
back by prometheus_client's text parser."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from planner_bridge.metrics import PREFIX, Metrics

# (route, method, status, seconds): on bucket bounds, between them, past the last one.
ANSWERS = [
    ("/healthz", "GET", 200, 0.0001),
    ("/healthz", "GET", 200, 0.005),  # exactly a bound: counted in that bucket (le)
    ("/healthz", "HEAD", 405, 0.0051),
    ("/auth/token", "POST", 200, 0.3),
    ("/auth/token", "POST", 401, 12.0),  # past 10 s: only +Inf
    ("/v1/assets/{asset_id}", "GET", 401, 0.075),
]
MINTS = [("legal_entity", "client_credentials")] * 3 + [("user", "signed_request")]
FAILURES = [("/auth/token", "invalid_client"), ("/v1/assets", "whatever_else")]


def reference() -> CollectorRegistry:
    """The same events through prometheus_client's own children."""
    registry = CollectorRegistry()
    issued = Counter(
        f"{PREFIX}_tokens_issued",
        "Tokens minted, by kind (legal_entity, user, api_token) and grant",
        ["kind", "grant"],
        registry=registry,
    )
    failures = Counter(
        f"{PREFIX}_auth_failures",
        "Refused authentications (401), by route template and error code",
        ["endpoint", "reason"],
        registry=registry,
    )
    requests = Counter(
        f"{PREFIX}_http_requests",
        "HTTP requests answered, by route template, method and status",
        ["route", "method", "status"],
        registry=registry,
    )
    duration = Histogram(
        f"{PREFIX}_http_request_duration_seconds",
        "Time to answer an HTTP request, by route template",
        ["route"],
        registry=registry,
    )
    for kind, grant in MINTS:
        issued.labels(kind=kind, grant=grant).inc()
    failures.labels("/auth/token", "invalid_client").inc()
    failures.labels("/v1/assets", "other").inc()
    for route, method, status, seconds in ANSWERS:
        requests.labels(route=route, method=method, status=str(status)).inc()
        duration.labels(route=route).observe(seconds)
    return registry


def samples(text: str) -> list[tuple]:
    """Every sample in order, `_created` values replaced by whether they are recent."""
    now = time.time()
    found = []
    for family in text_string_to_metric_families(text):
        found.append((family.name, family.type, family.documentation))
        for s in family.samples:
            value = abs(now - s.value) < 60 if s.name.endswith("_created") else s.value
            found.append((s.name, tuple(sorted(s.labels.items())), value))
    return found


def test_what_is_served_is_what_prometheus_clients_children_serve():
    metrics = Metrics()
    for kind, grant in MINTS:
        metrics.token_issued(kind, grant)
    for endpoint, reason in FAILURES:
        metrics.auth_failed(endpoint, reason)
    for answer in ANSWERS:
        metrics.request_answered(*answer)
    ours = samples(metrics.exposition().decode())
    theirs = samples(generate_latest(reference()).decode())
    ours_counted = [s for s in ours if "live_connections" not in s[0] and "dropped" not in s[0]]
    assert ours_counted == theirs
    assert (
        f"{PREFIX}_http_request_duration_seconds_bucket",
        (("le", "0.005"), ("route", "/healthz")),
        2.0,
    ) in ours
    assert any(s[0] == f"{PREFIX}_live_connections" for s in ours)


def test_a_fresh_registry_serves_the_families_with_no_samples():
    ours = samples(Metrics().exposition().decode())
    names = [s[0] for s in ours if len(s) == 3 and s[1] in ("counter", "histogram", "gauge")]
    assert names[:4] == [
        f"{PREFIX}_tokens_issued",
        f"{PREFIX}_auth_failures",
        f"{PREFIX}_http_requests",
        f"{PREFIX}_http_request_duration_seconds",
    ]
    assert samples(generate_latest(CollectorRegistry()).decode()) == []
