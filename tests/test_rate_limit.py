"""Brute-force brakes: failed client authentications and exchanges braked per client address.

Requests come from distinct loopback source addresses (127.0.0.x all reach the server on
127.0.0.1 under Linux), so a stranger failing for a known key id at one address and the key's
holder at another are told apart on a real server: the one who fails pays, never the holder.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections.abc import Iterator

import httpx
import pytest

from planner_bridge import logs
from planner_bridge.clients.signatures import sign_request
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidClient, InvalidRequest, TooManyRequests
from planner_bridge.ratelimit import FailureLimiter
from support import PlannerServer, Shop, register_shop

GRANT = b"grant_type=client_credentials"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LIMIT = 10  # the core's limiter: 10 failures per 60 s


def from_address(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address))


def basic(key_id: str, secret: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}", **FORM}


def client_credentials(planner: PlannerServer, key_id: str, secret: str, address: str):
    with from_address(address) as http:
        return http.post(planner.url + "/auth/token", content=GRANT, headers=basic(key_id, secret))


def signed_request(
    planner: PlannerServer,
    shop: Shop,
    address: str,
    path: str,
    payload: dict,
    secret: str | None = None,
):
    body = json.dumps(payload).encode()
    url = planner.url + path
    headers = sign_request(
        method="POST", url=url, body=body, key_id=shop.key_id, secret=secret or shop.secret
    )
    with from_address(address) as http:
        return http.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


def signed_token(planner: PlannerServer, shop: Shop, address: str, secret: str | None = None):
    return signed_request(planner, shop, address, "/v1/tokens", {"type": "legal_entity"}, secret)


def create_api_token(planner: PlannerServer, shop: Shop, address: str, secret: str | None = None):
    payload = {"name": "sync", "user": {"id": "alice", "name": "Alice"}}
    return signed_request(planner, shop, address, "/v1/api-tokens", payload, secret)


def exchange(planner: PlannerServer, token: str, address: str):
    with from_address(address) as http:
        url = planner.url + "/v1/api-tokens/exchange"
        return http.post(url, headers={"Authorization": f"Bearer {token}"})


def assert_braked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["error"] == "too_many_requests"
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" not in response.json() and "token" not in response.json()


def assert_holder_served(planner: PlannerServer, shop: Shop, address: str) -> None:
    """The key's holder, at an address that never failed, is served on every endpoint."""
    response = client_credentials(planner, shop.key_id, shop.secret, address)
    assert response.status_code == 200, response.text
    assert signed_token(planner, shop, address).status_code == 201
    assert create_api_token(planner, shop, address).status_code == 201


# -- a known key id, attacked from other addresses: its holder is never stopped (SPEC) ----------


def test_wrong_basic_secrets_for_a_known_key_never_stop_its_holder(planner, shop):
    for attacker in ("127.0.0.10", "127.0.0.11"):
        for _ in range(LIMIT):
            response = client_credentials(planner, shop.key_id, "wrong", attacker)
            assert response.status_code == 401
        # The address that failed pays: braked, even with the right secret.
        assert_braked(client_credentials(planner, shop.key_id, "wrong", attacker))
        assert_braked(client_credentials(planner, shop.key_id, shop.secret, attacker))
        assert_braked(signed_token(planner, shop, attacker))
    assert_holder_served(planner, shop, "127.0.0.50")


def test_wrong_signatures_for_a_known_key_never_stop_its_holder(planner, shop):
    for attacker in ("127.0.0.10", "127.0.0.11"):
        for _ in range(LIMIT // 2):
            assert signed_token(planner, shop, attacker, secret="wrong").status_code == 401
            response = create_api_token(planner, shop, attacker, secret="wrong")
            assert response.status_code == 401
        assert_braked(signed_token(planner, shop, attacker))
        assert_braked(create_api_token(planner, shop, attacker))
        assert_braked(client_credentials(planner, shop.key_id, shop.secret, attacker))
    assert_holder_served(planner, shop, "127.0.0.50")


def test_failed_exchanges_elsewhere_never_stop_a_good_api_token(planner, shop):
    created = create_api_token(planner, shop, "127.0.0.50")
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    for _ in range(LIMIT):
        assert exchange(planner, token + "x", "127.0.0.10").status_code == 401
    assert_braked(exchange(planner, token, "127.0.0.10"))
    assert exchange(planner, token, "127.0.0.50").status_code == 200


def test_failures_from_one_address_lock_that_address_for_every_key(planner, shop):
    for i in range(LIMIT):  # a different (unknown) key each time
        response = client_credentials(planner, f"pbk_guess{i}", "wrong", "127.0.0.2")
        assert response.status_code == 401
    assert_braked(client_credentials(planner, shop.key_id, shop.secret, "127.0.0.2"))
    assert client_credentials(planner, shop.key_id, shop.secret, "127.0.0.3").status_code == 200


def test_the_limit_is_not_reached_below_it(planner, shop):
    for _ in range(LIMIT - 1):
        assert client_credentials(planner, shop.key_id, "wrong", "127.0.0.2").status_code == 401
    assert client_credentials(planner, shop.key_id, shop.secret, "127.0.0.2").status_code == 200


def test_successes_never_count(planner, shop):
    for _ in range(3 * LIMIT):
        assert client_credentials(planner, shop.key_id, shop.secret, "127.0.0.2").status_code == 200


def test_malformed_authorization_counts_as_a_failure(planner, shop):
    with from_address("127.0.0.2") as http:
        for _ in range(LIMIT):
            headers = {"Authorization": "Basic !!!", **FORM}
            assert http.post(planner.url + "/auth/token", content=GRANT, headers=headers).is_error
    assert_braked(client_credentials(planner, shop.key_id, shop.secret, "127.0.0.2"))


def test_signed_requests_are_braked_per_address(planner, shop):
    other = register_shop(planner.core, name="Other Store")
    for _ in range(LIMIT):
        assert signed_token(planner, shop, "127.0.0.2", secret="wrong").status_code == 401
    assert_braked(signed_token(planner, other, "127.0.0.2"))
    assert signed_token(planner, other, "127.0.0.3").status_code == 201


@contextlib.contextmanager
def brake_lines() -> Iterator[list[dict]]:
    """The "brake engaged" lines logged inside the block (JSON lines), once it ends."""
    stream = io.StringIO()
    handler = logs.configure("json", stream)
    found: list[dict] = []
    try:
        yield found
    finally:
        logs.unconfigure(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    found += [line for line in lines if line["message"] == "brake engaged"]


def test_a_brake_logs_once_per_address_naming_it(planner, shop):
    with brake_lines() as lines:
        statuses = [
            client_credentials(planner, shop.key_id, "wrong", "127.0.0.7").status_code
            for _ in range(4 * LIMIT)
        ]
    assert statuses == [401] * LIMIT + [429] * 3 * LIMIT
    assert [(line["brake"], line["address"]) for line in lines] == [
        ("client authentication", "127.0.0.7")
    ]


# -- the limiter itself, on a frozen clock ------------------------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def test_limiter_brakes_after_max_failures_until_the_oldest_leaves_the_window(clock):
    limiter = FailureLimiter(clock, max_failures=3, window=60)
    for _ in range(3):
        limiter.check("key:a")
        limiter.record_failure("key:a")
        clock.advance(10)
    with pytest.raises(TooManyRequests) as caught:
        limiter.check("key:a")
    assert caught.value.retry_after == 30  # the first failure, 30 s ago, leaves at 60 s
    clock.advance(29)
    with pytest.raises(TooManyRequests):
        limiter.check("key:a")
    clock.advance(1)
    limiter.check("key:a")  # one failure has left the window


def test_a_named_limiter_logs_each_time_a_subject_becomes_braked(clock):
    limiter = FailureLimiter(clock, max_failures=3, window=60, brake="test")
    with brake_lines() as lines:
        for _ in range(10):  # more failures than the limit: braked once, in one window
            limiter.record_failure("addr:10.0.0.1")
        for _ in range(3):  # the address only, never the username sent beside it
            limiter.record_failure("admin:addr:10.0.0.2|alice\nforged=1")
        clock.advance(61)  # the window passes; braked again: a second line for that address
        for _ in range(3):
            limiter.record_failure("addr:10.0.0.1")
    assert [line["address"] for line in lines] == ["10.0.0.1", "10.0.0.2", "10.0.0.1"]
    assert all(line["brake"] == "test" for line in lines)
    unnamed = FailureLimiter(clock, max_failures=1, window=60)
    with brake_lines() as lines:
        unnamed.record_failure("addr:10.0.0.3")
    assert lines == []  # a count that is no brake logs nothing


def test_limiter_subjects_are_independent(clock):
    limiter = FailureLimiter(clock, max_failures=2, window=60)
    limiter.record_failure("addr:1", "key:a")
    limiter.record_failure("addr:2", "key:a")
    with pytest.raises(TooManyRequests):
        limiter.check("addr:3", "key:a")
    limiter.check("addr:1", "key:b")


def test_limiter_checks_do_not_extend_a_lockout(clock):
    limiter = FailureLimiter(clock, max_failures=1, window=60)
    limiter.record_failure("key:a")
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limiter.check("key:a")
        clock.advance(10)
    clock.advance(11)
    limiter.check("key:a")


def test_a_guarded_attempt_counts_only_the_failure_it_names(clock):
    limiter = FailureLimiter(clock, max_failures=2, window=60)
    for error in (InvalidRequest("bad form"), InvalidClient("wrong secret")):
        with pytest.raises(type(error)), limiter.guarding("addr:1", counts=InvalidClient):
            raise error
    with limiter.guarding("addr:1", counts=InvalidClient):
        pass  # a success counts for nothing either
    assert limiter.recent("addr:1") == 1
    with pytest.raises(InvalidClient), limiter.guarding("addr:1", counts=InvalidClient):
        raise InvalidClient("wrong again")
    assert limiter.recent("addr:1") == 2


def test_a_guarded_attempt_is_braked_before_it_starts(clock):
    limiter = FailureLimiter(clock, max_failures=1, window=60)
    limiter.record_failure("addr:1")
    started = []
    with pytest.raises(TooManyRequests), limiter.guarding("addr:1", counts=InvalidClient):
        started.append(True)
    assert started == []
    assert limiter.recent("addr:1") == 1  # the refusal itself is no new failure


def test_limiter_refuses_nonsense_settings(clock):
    with pytest.raises(ValueError):
        FailureLimiter(clock, max_failures=0)
    with pytest.raises(ValueError):
        FailureLimiter(clock, window=0)
