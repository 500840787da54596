"""/healthz and /readyz (SPEC "Operating it"): what a load balancer asks before sending traffic."""

from __future__ import annotations

import httpx


def test_healthz_answers_while_the_process_runs(planner):
    answer = httpx.get(planner.url + "/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_database_and_a_signing_key(planner):
    answer = httpx.get(planner.url + "/readyz")
    assert answer.status_code == 200 and answer.json() == {"status": "ready"}
    assert answer.headers["cache-control"] == "no-store"


def test_readyz_says_unavailable_when_the_database_stops_answering(planner):
    planner.core.store.close()  # the database is gone from under the running server
    answer = httpx.get(planner.url + "/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "reason": "database: not answering"}
    assert httpx.get(planner.url + "/healthz").status_code == 200  # alive, just not ready


def test_health_endpoints_need_no_credentials_and_refuse_writes(planner):
    assert httpx.post(planner.url + "/readyz").status_code == 405
