"""Prometheus metrics on their own listener (`serve --metrics-port`), read with prometheus_client's
own text parser: the counters move after a mint, a failed authentication and a request; nothing
identifying is in a label; the public port has no /metrics."""

from __future__ import annotations

import base64
import json

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from served import run_cli, running
from support import wait_until


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample, keyed by (name, sorted labels)."""
    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def sample(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def test_metrics_listener_counts_mints_failures_requests_and_live_connections(tmp_path):
    data = ["--data-dir", str(tmp_path / "data")]
    created = run_cli(
        "entity", "create", "Metrics Shop", "--origin", "http://localhost:8000", "--json", *data
    )
    shop = json.loads(created.stdout)
    with running("serve", "--port", "0", "--metrics-port", "0", *data) as server:
        planner = server.wait_for_line(r"planner origin on (http://\S+)").group(1)
        metrics = server.wait_for_line(r"metrics on (http://\S+/metrics)").group(1)
        before = scrape(metrics)

        grant = {"grant_type": "client_credentials"}
        minted = httpx.post(
            planner + "/auth/token", data=grant, headers=basic(shop["api_key"], shop["secret"])
        )
        assert minted.status_code == 200
        refused = httpx.post(
            planner + "/auth/token", data=grant, headers=basic(shop["api_key"], "wrong")
        )
        assert refused.status_code == 401
        assert httpx.get(planner + "/v1/assets").status_code == 401  # no credentials at all
        assert httpx.get(planner + "/healthz").status_code == 200
        assert httpx.get(f"{planner}/v1/assets/some-asset-id").status_code == 401

        after = scrape(metrics)

        def moved(name: str, **labels: str) -> float:
            return sample(after, name, **labels) - sample(before, name, **labels)

        issued = "planner_bridge_tokens_issued_total"
        assert moved(issued, kind="legal_entity", grant="client_credentials") == 1
        failures = "planner_bridge_auth_failures_total"
        assert moved(failures, endpoint="/auth/token", reason="invalid_client") == 1
        assert moved(failures, endpoint="/v1/assets", reason="missing_credentials") == 1
        requests = "planner_bridge_http_requests_total"
        assert moved(requests, route="/healthz", method="GET", status="200") == 1
        assert moved(requests, route="/auth/token", method="POST", status="401") == 1
        # A path with an id is counted under its template, never under the path itself.
        assert moved(requests, route="/v1/assets/{asset_id}", method="GET", status="401") == 1
        assert moved("planner_bridge_http_request_duration_seconds_count", route="/healthz") == 1
        labels = " ".join(str(key) for key in after)
        for secret_or_id in (
            shop["api_key"],
            shop["secret"],
            shop["id"],
            minted.json()["access_token"],
            "some-asset-id",
        ):
            assert secret_or_id not in labels

        token = minted.json()["access_token"]
        live = planner.replace("http://", "ws://") + "/v1/live"
        with connect(live) as socket:
            socket.send(json.dumps({"type": "auth", "token": token}))
            wait_until(lambda: sample(scrape(metrics), "planner_bridge_live_connections") == 1)
        wait_until(lambda: sample(scrape(metrics), "planner_bridge_live_connections") == 0)

        assert httpx.get(planner + "/metrics").status_code == 404  # never on the public port


def test_metrics_are_off_unless_asked(tmp_path):
    with running("serve", "--port", "0", "--data-dir", str(tmp_path / "data")) as server:
        planner = server.wait_for_line(r"planner origin on (http://\S+)").group(1)
        assert httpx.get(planner + "/metrics").status_code == 404
        assert httpx.get(planner + "/healthz").status_code == 200
    assert not any("metrics on" in line for line in list(server.stdout.queue))
