"""The demo shop's back-end against a real planner origin: page, session, POST /planner-token."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from planner_bridge.addresses import TrustedProxies
from planner_bridge.clock import FrozenClock
from planner_bridge.demo.accounts import LoginBrakes, write_users
from planner_bridge.demo.host_config import HostConfig
from planner_bridge.demo.seed import seed_catalog
from planner_bridge.demo.sessions import IDLE, LIFETIME
from planner_bridge.demo.shop import create_app
from planner_bridge.serving import ThreadedServer, blocking

PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-2"}
NAMES = {"alice": "Alice", "bob": "Bob </script><script>alert(1)</script>"}
TOKEN_HEADERS = {"X-Requested-With": "planner-bridge"}
JKT_A, JKT_B = "A" * 43, "B" * 43  # thumbprints' form: the token service checks no more


@dataclasses.dataclass
class HostServer:
    url: str
    config: HostConfig
    http: httpx.Client

    def token(self, json_body: Any = None, **headers: str) -> httpx.Response:
        sent = {"Origin": self.url, **TOKEN_HEADERS, **headers}
        return self.http.post("/planner-token", headers=sent, json=json_body)

    def login(self, username: str, password: str, **headers: str) -> httpx.Response:
        sent = {"Origin": self.url, **TOKEN_HEADERS, **headers}
        form = {"username": username, "password": password}
        return self.http.post("/login", headers=sent, data=form)


def write_host_files(directory: Path, secret: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    secret_file = directory / "credentials.json"
    secret_file.write_text(json.dumps({"secret": secret}))
    users_file = directory / "users.json"
    write_users(users_file, {u: (NAMES[u], p) for u, p in PASSWORDS.items()})
    return secret_file, users_file


@pytest.fixture
def start_host(planner, tmp_path) -> Iterator[Callable[..., HostServer]]:
    """Start the shop back-end for a new entity registered on `planner` for the shop's origin."""
    started: list[tuple[ThreadedServer, httpx.Client]] = []

    def start(*, allow_write=True, secret=None, host_url=None, **config: Any) -> HostServer:
        configs: list[HostConfig] = []

        def build(url: str) -> Any:
            origin = host_url or url
            entity, key = blocking(
                planner.core.entities.create("Shop", [origin], allow_write=allow_write)
            )
            files = write_host_files(tmp_path / entity.id, secret or key.secret)
            configs.append(
                HostConfig(
                    origin,
                    planner.url,
                    entity.id,
                    key.key_id,
                    *files,
                    session_key="k" * 32,
                    allow_write=allow_write,
                    **config,
                )
            )
            return create_app(configs[0])

        server = ThreadedServer(build, url_host="localhost").__enter__()
        client = httpx.Client(base_url=server.url)
        started.append((server, client))
        return HostServer(configs[0].host_url, configs[0], client)

    yield start
    for server, client in reversed(started):
        client.close()
        server.__exit__(None, None, None)


@pytest.fixture
def host(start_host) -> HostServer:
    return start_host()


def session_of(response: httpx.Response) -> tuple[dict[str, Any], str]:
    """The session cookie's payload (itsdangerous: base64 JSON, then the signature) and its
    Set-Cookie attributes."""
    header = next(h for h in response.headers.get_list("set-cookie") if "shop_session=" in h)
    value = header.split(";", 1)[0].split("=", 1)[1]
    payload = value.split(".", 1)[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))), header.lower()


def page_config(page: str) -> dict[str, Any]:
    return json.loads(page.split('id="shop-config">', 1)[1].split("</script>", 1)[0])


def test_the_shop_page_loads_the_sdk_from_the_planner_origin_under_a_strict_csp(host):
    page = host.http.get("/")
    csp = page.headers["content-security-policy"]
    assert page.status_code == 200
    assert f"script-src 'self' {host.config.planner_url}" in csp
    assert f"frame-src {host.config.planner_url}" in csp and "frame-ancestors 'none'" in csp
    assert '<script type="module" src="/static/shop.js"></script>' in page.text
    assert "<script>" not in page.text.replace('<script type="application/json"', "")
    script = host.http.get("/static/shop.js")
    assert script.status_code == 200 and "/sdk/planner-bridge.js" in script.text


def test_json_reaches_the_page_only_escaped(host):
    host.login("bob", PASSWORDS["bob"])
    page = host.http.get("/").text
    assert "<script>alert(1)" not in page
    assert page_config(page)["user"] == {"id": "bob", "name": NAMES["bob"]}


def test_an_anonymous_visitor_gets_a_read_only_legal_entity_token(host, planner):
    answer = host.token()
    body = answer.json()
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("no-store")
    assert body["kind"] == "legal_entity" and "user" not in body
    assert 0 < body["expiresIn"] <= 3600
    claims = planner.core.verifier.verify_access_token(body["token"])
    assert claims.entity_id == host.config.entity_id and claims.rights == ("read",)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"X-Requested-With": "XMLHttpRequest"},
        {"X-Requested-With": ""},
    ],
)
def test_planner_token_refuses_anything_but_our_own_pages(host, headers):
    answer = host.token(**headers)
    assert answer.status_code == 403
    assert answer.json()["error"] == "invalid_request" and "token" not in answer.json()


def test_planner_token_refuses_a_request_without_origin(host):
    answer = host.http.post("/planner-token", headers=TOKEN_HEADERS)
    assert answer.status_code == 403


def test_login_keeps_only_a_random_session_id_in_a_signed_httponly_cookie(host, planner):
    login = host.login("alice", PASSWORDS["alice"])
    session, attributes = session_of(login)
    assert login.status_code == 200 and login.json() == {"user": {"id": "alice", "name": "Alice"}}
    assert list(session) == ["sid"] and len(session["sid"]) >= 43  # 256 random bits
    assert "alice" not in json.dumps(session).lower()
    assert "httponly" in attributes and "samesite=lax" in attributes and "secure" not in attributes
    assert "max-age=28800" in attributes  # 8 hours, not Starlette's default fortnight
    body = host.token().json()
    assert body["kind"] == "user" and body["user"] == {"id": "alice", "name": "Alice"}
    assert body["token"] not in json.dumps(session)
    claims = planner.core.verifier.verify_access_token(body["token"])
    assert claims.user_id == "alice" and claims.rights == ("read", "write")


def test_users_of_a_read_only_shop_get_read_rights(start_host, planner):
    host = start_host(allow_write=False)
    host.login("alice", PASSWORDS["alice"])
    token = host.token().json()["token"]
    assert planner.core.verifier.verify_access_token(token).rights == ("read",)


def test_the_session_cookie_is_secure_under_https(start_host):
    host = start_host(host_url="https://shop.example")
    login = host.login("alice", PASSWORDS["alice"])
    assert login.status_code == 200 and "secure" in session_of(login)[1]


@pytest.mark.parametrize("username", ["alice", "mallory"])
def test_a_wrong_password_and_an_unknown_user_are_refused_alike(host, username):
    answer = host.login(username, "not-the-password")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert "shop_session=" not in answer.headers.get("set-cookie", "")
    assert host.token().json()["kind"] == "legal_entity"


def test_repeated_login_failures_are_braked(host):
    statuses = [host.login("alice", "wrong").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    braked = host.login("alice", PASSWORDS["alice"])
    assert braked.status_code == 429 and 1 <= int(braked.headers["retry-after"]) <= 60


# -- the login brakes: the one who guesses pays, never the account's owner (SPEC "Under attack")
# Many client addresses are simulated through a trusted proxy (127.0.0.1) and X-Forwarded-For.


@pytest.fixture
def proxied_host(start_host) -> HostServer:
    return start_host(proxies=TrustedProxies.parse("127.0.0.1"))


def login_from(host: HostServer, address: str, username: str, password: str) -> httpx.Response:
    return host.login(username, password, **{"X-Forwarded-For": address})


def test_a_correct_password_from_a_clean_address_goes_through_while_another_guesses(
    proxied_host,
):
    for _ in range(5):
        assert login_from(proxied_host, "203.0.113.7", "alice", "guess").status_code == 400
    assert login_from(proxied_host, "203.0.113.7", "alice", PASSWORDS["alice"]).status_code == 429
    answer = login_from(proxied_host, "198.51.100.20", "alice", PASSWORDS["alice"])
    assert answer.status_code == 200 and answer.json()["user"]["id"] == "alice"
    assert proxied_host.token().json()["kind"] == "user"


def test_an_account_attacked_from_many_addresses_is_slowed_not_locked(proxied_host):
    for i in range(12):  # 12 guesses at alice, 2 per address: no address is braked
        answer = login_from(proxied_host, f"203.0.113.{i // 2 + 1}", "alice", "guess")
        assert answer.status_code == 400
    answer = login_from(proxied_host, "198.51.100.20", "alice", PASSWORDS["alice"])
    assert answer.status_code == 200 and answer.json()["user"]["id"] == "alice"


def test_an_address_guessing_many_accounts_is_braked_for_all_of_them(proxied_host):
    for i in range(LoginBrakes.ADDRESS_FAILURES):
        assert login_from(proxied_host, "203.0.113.7", f"user{i}", "guess").status_code == 400
    assert login_from(proxied_host, "203.0.113.7", "bob", PASSWORDS["bob"]).status_code == 429
    assert login_from(proxied_host, "203.0.113.8", "bob", PASSWORDS["bob"]).status_code == 200


def test_the_account_delay_grows_with_failures_and_is_bounded():
    brakes = LoginBrakes(FrozenClock())
    delays = []
    for i in range(40):
        delays.append(brakes.check(f"addr:10.0.{i}.1", "alice"))
        brakes.failed(f"addr:10.0.{i}.1", "alice")
    assert delays[: LoginBrakes.PAIR_FAILURES] == [0.0] * LoginBrakes.PAIR_FAILURES
    assert 0 < delays[LoginBrakes.PAIR_FAILURES] < delays[LoginBrakes.PAIR_FAILURES + 1]
    assert max(delays) == delays[-1] == LoginBrakes.MAX_DELAY
    assert brakes.check("addr:10.9.9.9", "bob") == 0.0  # other accounts are not slowed


# -- sessions live on the server: logout, idle and absolute timeouts end them


def test_a_cookie_replayed_after_logout_gets_no_user_token(host):
    host.login("alice", PASSWORDS["alice"])
    stolen = host.http.cookies["shop_session"]
    assert host.token().json()["kind"] == "user"
    assert host.http.post("/logout", headers={"Origin": host.url}).status_code == 303
    with httpx.Client(base_url=host.url, cookies={"shop_session": stolen}) as replay:
        answer = replay.post("/planner-token", headers={"Origin": host.url, **TOKEN_HEADERS})
        assert answer.status_code == 200
        assert answer.json()["kind"] == "legal_entity" and "user" not in answer.json()
        assert page_config(replay.get("/").text)["user"] is None


def test_a_new_login_ends_the_previous_session(host):
    host.login("alice", PASSWORDS["alice"])
    before = host.http.cookies["shop_session"]
    host.login("bob", PASSWORDS["bob"])
    assert host.http.cookies["shop_session"] != before
    with httpx.Client(base_url=host.url, cookies={"shop_session": before}) as replay:
        answer = replay.post("/planner-token", headers={"Origin": host.url, **TOKEN_HEADERS})
        assert answer.json()["kind"] == "legal_entity"


def test_a_session_ends_when_idle(start_host, planner):
    clock = FrozenClock(planner.core.clock.now())
    host = start_host(clock=clock)
    host.login("alice", PASSWORDS["alice"])
    for _ in range(3):  # in use: kept alive past the idle timeout
        clock.advance(IDLE - 60)
        assert host.token().json()["kind"] == "user"
    clock.advance(IDLE)
    assert host.token().json()["kind"] == "legal_entity"


def test_a_session_ends_eight_hours_after_login_however_busy(start_host, planner):
    clock = FrozenClock(planner.core.clock.now())
    host = start_host(clock=clock)
    host.login("alice", PASSWORDS["alice"])
    logged_in = clock.now()
    while clock.now() + IDLE / 2 < logged_in + LIFETIME:
        clock.advance(IDLE / 2)
        assert host.token().json()["kind"] == "user"
    clock.advance(IDLE / 2)
    assert host.token().json()["kind"] == "legal_entity"


def test_a_cross_site_login_form_is_refused(host):
    answer = host.login("alice", PASSWORDS["alice"], Origin="http://evil.example")
    assert answer.status_code == 403 and "shop_session=" not in answer.headers.get("set-cookie", "")


def test_the_login_form_works_without_javascript(host):
    form = {"username": "alice", "password": PASSWORDS["alice"]}
    answer = host.http.post("/login", data=form, headers={"Origin": host.url})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "Logged in as" in host.http.get("/").text and "Alice" in host.http.get("/").text
    failed = host.http.post("/login", data={**form, "password": "x"}, headers={"Origin": host.url})
    assert failed.status_code == 400 and "wrong username or password" in failed.text


def test_logout_goes_back_to_the_legal_entity_token(host):
    host.login("alice", PASSWORDS["alice"])
    assert host.token().json()["kind"] == "user"
    answer = host.http.post("/logout", headers={"Origin": host.url, **TOKEN_HEADERS})
    assert answer.status_code == 200 and answer.json() == {"user": None}
    assert host.token().json()["kind"] == "legal_entity"


def test_a_cached_token_is_answered_with_its_remaining_lifetime(start_host, planner):
    clock = FrozenClock(planner.core.clock.now())
    host = start_host(clock=clock)
    first = host.token().json()
    clock.advance(1000)
    second = host.token().json()
    assert second["token"] == first["token"]
    assert first["expiresIn"] - 1001 <= second["expiresIn"] <= first["expiresIn"] - 999


def test_a_rejected_token_reason_gets_a_freshly_minted_token(host):
    first = host.token().json()["token"]
    assert host.token({"reason": "expired"}).json()["token"] == first
    assert host.token({"reason": "invalid_token"}).json()["token"] != first


@pytest.mark.parametrize("body", [b"[1]", b"{", b'{"reason": 7}'])
def test_a_malformed_body_is_a_clear_error(host, body):
    headers = {"Origin": host.url, **TOKEN_HEADERS, "Content-Type": "application/json"}
    answer = host.http.post("/planner-token", headers=headers, content=body)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_the_pages_jkt_binds_the_token_and_each_key_gets_its_own(host):
    first = host.token({"jkt": JKT_A}).json()["token"]
    assert jwt.decode(first, options={"verify_signature": False})["cnf"] == {"jkt": JKT_A}
    assert host.token({"jkt": JKT_A}).json()["token"] == first  # cached for that key
    other = host.token({"jkt": JKT_B}).json()["token"]
    assert jwt.decode(other, options={"verify_signature": False})["cnf"] == {"jkt": JKT_B}


@pytest.mark.parametrize("jkt", [7, "", "short", "A" * 42 + "=", "A" * 44])
def test_a_jkt_that_is_no_thumbprint_is_a_clear_error(host, jkt):
    answer = host.token({"jkt": jkt})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_a_token_service_refusal_is_a_502_that_names_no_secret(start_host):
    host = start_host(secret="not-the-real-secret")
    answer = host.token()
    assert answer.status_code == 502 and answer.json()["error"] == "token_service_error"
    assert "not-the-real-secret" not in answer.text


def host_config(tmp_path: Path, **changes: Any) -> HostConfig:
    files = write_host_files(tmp_path, "not-a-real-secret")
    return HostConfig(
        "http://localhost:8000",
        "http://127.0.0.1:8001",
        "ent_1",
        "pbk_1",
        *files,
        session_key="k" * 32,
        **changes,
    )


@pytest.mark.parametrize("deadline", [None, 100, 30_000, 600_000])
def test_an_answer_deadline_the_sdk_accepts_is_kept(tmp_path, deadline):
    assert host_config(tmp_path, answer_deadline_ms=deadline).answer_deadline_ms == deadline


@pytest.mark.parametrize("deadline", [0, 99, 600_001, -5, 1500.5, True, "30000"])
def test_an_answer_deadline_the_sdk_would_refuse_is_a_value_error(tmp_path, deadline):
    with pytest.raises(ValueError, match="answer_deadline_ms must be a whole number from 100"):
        host_config(tmp_path, answer_deadline_ms=deadline)


def test_the_page_frames_the_planner_in_its_html_before_any_script_loads(start_host):
    host = start_host(answer_deadline_ms=2500)
    page = host.http.get("/")
    config = host.config
    planner_page = (
        f"{config.planner_url}/planner/?entity={config.entity_id}&amp;answerDeadlineMs=2500"
    )
    frame = f'<iframe id="planner-frame" src="{planner_page}" title="Planner"'
    early = '<script src="/static/planner-early.js"></script>'
    assert early in page.text and frame in page.text
    assert page.text.index(early) < page.text.index(frame) < page.text.index("/static/shop.js")
    # The SDK's embed check (load failures named) may reach the planner origin; nothing else may.
    assert (
        f"connect-src 'self' {host.config.planner_url};" in page.headers["content-security-policy"]
    )


def test_the_bridge_events_panel_is_only_for_developers(host):
    assert 'data-testid="bridge-log"' not in host.http.get("/").text
    assert 'data-testid="bridge-log"' in host.http.get("/?debug").text


def test_the_product_card_names_the_cabinet_from_the_planners_catalog(start_host, planner):
    clock = FrozenClock(planner.core.clock.now())
    host = start_host(clock=clock)
    assert page_config(host.http.get("/").text)["product"] is None  # an empty catalog: no card
    blocking(seed_catalog(planner.core, host.config.entity_id))
    assert page_config(host.http.get("/").text)["product"] is None  # asked at most once a minute
    clock.advance(60)
    product = page_config(host.http.get("/").text)["product"]
    assert (product["name"], product["priceText"]) == ("Base cabinet 60", "129.00 EUR")
    stored = blocking(planner.core.store.get_asset(product["catalogId"]))
    assert stored.name == "Base cabinet 60" and stored.owner_id is None
    assert (
        'data-testid="plan-with-product">Plan with this cabinet</button>' in host.http.get("/").text
    )
