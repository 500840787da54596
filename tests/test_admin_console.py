"""The /admin/ console over a real server, as a browser without JavaScript would use it: forms,
cookies, CSRF tokens, what is shown once, one entity per administrator, and its headers."""

from __future__ import annotations

import dataclasses
import html
import re

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from planner_bridge.addresses import TrustedProxies, brake_subject
from planner_bridge.admin.accounts import AdminBook
from planner_bridge.admin.sessions import SessionBook
from planner_bridge.apps.admin_session import USERNAME_FAILURES, Guard, SignInBrakes
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import TooManyRequests
from planner_bridge.serving import blocking
from support import PlannerServer, Shop, register_shop, wait_until

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SHOWN_ONCE = re.compile(r'data-testid="shown-once">(.*?)</div>', re.S)


@dataclasses.dataclass
class Admin:
    client: httpx.Client
    shop: Shop
    username: str
    password: str

    def console(self) -> httpx.Response:
        return self.client.get("/admin/")

    def csrf(self) -> str:
        return CSRF.search(self.console().text)[1]

    def post(self, path: str, with_csrf: bool = True, **fields: str) -> httpx.Response:
        form = {"csrf": self.csrf(), **fields} if with_csrf else fields
        return self.client.post(path, data=form)


def sign_in(planner: PlannerServer, shop: Shop, username: str) -> Admin:
    _, password = blocking(
        AdminBook(planner.core.store, planner.core.clock).create(shop.entity.id, username)
    )
    client = httpx.Client(base_url=planner.url)
    form = client.get("/admin/")
    csrf = CSRF.search(form.text)[1]
    answer = client.post(
        "/admin/sign-in", data={"csrf": csrf, "username": username, "password": password}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/"
    return Admin(client, shop, username, password)


@pytest.fixture
def sign_in_as(planner):
    """Sign in as a new administrator of a shop; its client is closed after the test."""
    opened: list[Admin] = []

    def open_as(shop: Shop, username: str) -> Admin:
        opened.append(sign_in(planner, shop, username))
        return opened[-1]

    yield open_as
    for signed_in in opened:
        signed_in.client.close()


@pytest.fixture
def admin(sign_in_as, shop) -> Admin:
    return sign_in_as(shop, "ada")


def shown_once(page: httpx.Response) -> str:
    found = SHOWN_ONCE.search(page.text)
    assert found, "no shown-once element"
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1]))


def client_credentials(planner: PlannerServer, key_id: str, secret: str) -> int:
    data = {"grant_type": "client_credentials"}
    return httpx.post(planner.url + "/auth/token", auth=(key_id, secret), data=data).status_code


# -- signing in ------------------------------------------------------------------------------


def test_the_sign_in_page_and_its_headers(planner):
    page = httpx.get(planner.url + "/admin/")
    assert page.status_code == 200
    for words in ('<label for="username">Username</label>', "Password", ">Sign in</button>"):
        assert words in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "<script>" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin/" in cookie
    assert "Secure" not in cookie  # plain http here; see the next test for https


def test_cookies_are_secure_when_the_planner_origin_is_https(planner):
    guard = Guard(SessionBook(planner.core.store, planner.core.clock), secure=True)
    response = Response()
    guard.set_cookie(response, "pb_admin", "value")
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_session_cookie_is_httponly_strict_and_holds_no_stored_value(planner, admin):
    (cookie,) = [c for c in admin.client.cookies.jar if c.name == "pb_admin"]
    assert cookie.path == "/admin/"
    assert cookie.has_nonstandard_attr("HttpOnly")
    database = (planner.core.settings.sqlite_path).read_bytes()
    assert cookie.value.encode() not in database


def test_a_wrong_password_is_refused_in_words(planner, shop):
    blocking(AdminBook(planner.core.store, planner.core.clock).create(shop.entity.id, "ada"))
    with httpx.Client(base_url=planner.url) as client:
        csrf = CSRF.search(client.get("/admin/").text)[1]
        answer = client.post(
            "/admin/sign-in", data={"csrf": csrf, "username": "ada", "password": "wrong" * 4}
        )
        assert answer.status_code == 401
        assert "Wrong username or password." in answer.text
        assert "pb_admin" not in client.cookies


def test_the_sign_in_form_without_its_csrf_token_is_403(planner, shop):
    _, password = blocking(
        AdminBook(planner.core.store, planner.core.clock).create(shop.entity.id, "ada")
    )
    with httpx.Client(base_url=planner.url) as client:
        client.get("/admin/")
        answer = client.post("/admin/sign-in", data={"username": "ada", "password": password})
        assert answer.status_code == 403
        assert "pb_admin" not in client.cookies


def test_the_console_shows_the_entity_and_its_origins(admin):
    page = admin.console()
    assert page.status_code == 200
    assert admin.shop.entity.name in page.text and "http://localhost:8000" in page.text
    assert admin.shop.key_id in page.text  # the entity's first key, without its secret
    assert admin.shop.secret not in page.text
    assert "DPoP: optional" in page.text  # the entity's policy, shown (set with the CLI)


# -- API keys --------------------------------------------------------------------------------


def test_a_generated_key_is_shown_once_and_works(planner, admin):
    page = admin.post("/admin/api-keys", comment="ERP sync, ticket 42")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    key_id, secret = re.search(r"Key id\s+(\S+)\s+Secret\s+(\S+)", shown_once(page)).groups()
    assert client_credentials(planner, key_id, secret) == 200
    # /auth/token notes the key's use in the background: it is there soon after the answer.
    wait_until(lambda: blocking(planner.core.store.get_api_key(key_id)).last_used is not None)
    later = admin.console()
    assert secret not in later.text and key_id in later.text
    assert "ERP sync, ticket 42" in later.text
    assert 'data-testid="shown-once"' not in later.text
    assert blocking(planner.core.store.get_api_key(key_id)).comment == "ERP sync, ticket 42"


def test_a_comment_with_a_control_character_is_refused_next_to_its_field(planner, admin):
    keys_before = blocking(planner.core.store.list_api_keys(admin.shop.entity.id))
    page = admin.post("/admin/api-keys", comment="two\nlines")
    assert page.status_code == 400
    assert 'id="comment-error"' in page.text and "control characters" in page.text
    assert blocking(planner.core.store.list_api_keys(admin.shop.entity.id)) == keys_before


def test_revoking_a_key_in_the_console(planner, admin):
    assert client_credentials(planner, admin.shop.key_id, admin.shop.secret) == 200
    answer = admin.post(f"/admin/api-keys/{admin.shop.key_id}/revoke")
    assert answer.status_code == 303
    wait_until(lambda: client_credentials(planner, admin.shop.key_id, admin.shop.secret) == 401)


def test_a_form_without_its_csrf_token_is_403_and_changes_nothing(planner, admin):
    keys_before = blocking(planner.core.store.list_api_keys(admin.shop.entity.id))
    assert admin.post("/admin/api-keys", with_csrf=False, comment="x").status_code == 403
    answer = admin.client.post("/admin/api-keys", data={"csrf": "forged", "comment": "x"})
    assert answer.status_code == 403
    revoke = admin.post(f"/admin/api-keys/{admin.shop.key_id}/revoke", with_csrf=False)
    assert revoke.status_code == 403
    assert blocking(planner.core.store.list_api_keys(admin.shop.entity.id)) == keys_before


# -- web service tokens ----------------------------------------------------------------------


def token_fields(**changes: str) -> dict[str, str]:
    fields = {"name": "Nightly sync", "user_id": "alice", "user_name": "Alice", "days": "30"}
    return {**fields, "rights": "read", **changes}


def test_a_generated_token_is_shown_once_and_exchanges(planner, admin):
    page = admin.post("/admin/tokens", **token_fields())
    assert page.status_code == 200 and "will not be shown again" in page.text
    token = shown_once(page).strip()
    exchanged = httpx.post(
        planner.url + "/v1/api-tokens/exchange", headers={"Authorization": f"Bearer {token}"}
    )
    assert exchanged.status_code == 200
    later = admin.console().text
    assert token not in later and "Nightly sync" in later and "alice" in later


def test_never_expires_asks_for_a_confirmation_first(planner, admin):
    tokens = planner.core.api_tokens()
    page = admin.post("/admin/tokens", **token_fields(never="yes"))
    assert page.status_code == 200 and "never expires" in page.text
    assert 'data-testid="shown-once"' not in page.text
    assert blocking(tokens.of_entity(admin.shop.entity.id)) == []
    confirmed = admin.post("/admin/tokens", **token_fields(never="yes", confirm="yes", days=""))
    assert 'data-testid="shown-once"' in confirmed.text
    (record,) = blocking(tokens.of_entity(admin.shop.entity.id))
    assert record.expires is None


def test_token_form_errors_are_worded_next_to_their_fields(planner, admin):
    page = admin.post("/admin/tokens", **token_fields(days="forever", user_id=" "))
    assert page.status_code == 400
    assert 'id="days-error"' in page.text and 'id="user_id-error"' in page.text
    assert "User id is required." in page.text
    assert blocking(planner.core.api_tokens().of_entity(admin.shop.entity.id)) == []


def test_write_rights_beyond_the_entitys_are_refused_next_to_rights(sign_in_as, readonly_shop):
    admin = sign_in_as(readonly_shop, "rita")
    page = admin.post("/admin/tokens", **token_fields(rights="read write"))
    assert page.status_code == 400 and 'id="rights-error"' in page.text
    assert "may not grant write rights" in page.text


def test_disable_enable_and_delete_with_confirmation(planner, admin):
    tokens = planner.core.api_tokens()
    admin.post("/admin/tokens", **token_fields())
    (record,) = blocking(tokens.of_entity(admin.shop.entity.id))
    assert admin.post(f"/admin/tokens/{record.id}/disable").status_code == 303
    assert blocking(tokens.get(record.id)).disabled
    assert "Enable" in admin.console().text
    assert admin.post(f"/admin/tokens/{record.id}/enable").status_code == 303
    assert not blocking(tokens.get(record.id)).disabled
    asked = admin.post(f"/admin/tokens/{record.id}/delete")
    assert asked.status_code == 200 and "Yes, delete it" in asked.text
    assert blocking(tokens.of_entity(admin.shop.entity.id)) == [record]  # not yet
    assert admin.post(f"/admin/tokens/{record.id}/delete", confirm="yes").status_code == 303
    assert blocking(tokens.of_entity(admin.shop.entity.id)) == []


# -- one entity per administrator ------------------------------------------------------------


def test_an_administrator_cannot_see_or_touch_another_entitys_records(planner, admin):
    other = register_shop(planner.core, name="Other Store")
    issued = blocking(
        planner.core.api_tokens().issue(
            other.entity, name="theirs", user_id="bob", rights=["read"], expires_in_days=5
        )
    )
    page = admin.console().text
    assert other.key_id not in page and "theirs" not in page and "Other Store" not in page
    assert admin.post(f"/admin/api-keys/{other.key_id}/revoke").status_code == 404
    for action in ("disable", "enable", "delete"):
        answer = admin.post(f"/admin/tokens/{issued.record.id}/{action}", confirm="yes")
        assert answer.status_code == 404
    assert blocking(planner.core.store.get_api_key(other.key_id)).active
    assert blocking(planner.core.api_tokens().get(issued.record.id)) == issued.record


# -- signing out -----------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_the_old_cookie_is_worthless(planner, admin):
    old = admin.client.cookies["pb_admin"]
    csrf = admin.csrf()
    answer = admin.post("/admin/sign-out")
    assert answer.status_code == 303
    with httpx.Client(base_url=planner.url, cookies={"pb_admin": old}) as replay:
        assert ">Sign in</button>" in replay.get("/admin/").text
        revoked = replay.post(f"/admin/api-keys/{admin.shop.key_id}/revoke", data={"csrf": csrf})
        assert revoked.status_code == 303 and revoked.headers["location"] == "/admin/"
    assert blocking(planner.core.store.get_api_key(admin.shop.key_id)).active


# -- brakes on signing in --------------------------------------------------------------------


def request_from(address: str) -> Request:
    return Request({"type": "http", "client": (address, 5000), "headers": []})


def test_sign_in_brakes_hold_one_address_and_username_not_the_real_admin_elsewhere():
    direct = TrustedProxies()  # no proxy: the peer is the client
    brakes = SignInBrakes(FrozenClock(), lambda scope: brake_subject(direct.client_address(scope)))
    stranger, admin = request_from("203.0.113.9"), request_from("198.51.100.7")
    for _ in range(USERNAME_FAILURES):
        brakes.check(stranger, "ada")
        brakes.record_failure(stranger, "ada")
    with pytest.raises(TooManyRequests):
        brakes.check(stranger, "ada")
    brakes.check(admin, "ada")  # the real administrator, elsewhere, signs in as usual
    brakes.check(stranger, "bob")  # the address itself is not yet over its own limit


def test_too_many_failed_sign_ins_answer_429_in_words(planner, shop):
    blocking(AdminBook(planner.core.store, planner.core.clock).create(shop.entity.id, "ada"))
    with httpx.Client(base_url=planner.url) as client:
        csrf = CSRF.search(client.get("/admin/").text)[1]
        form = {"csrf": csrf, "username": "ada", "password": "not the password"}
        statuses = [client.post("/admin/sign-in", data=form).status_code for _ in range(6)]
        assert statuses == [401] * USERNAME_FAILURES + [429]
        answer = client.post("/admin/sign-in", data=form)
        assert "Too many failed sign-ins" in answer.text and int(answer.headers["retry-after"]) > 0


def test_names_are_escaped_in_the_pages(planner, sign_in_as):
    shop = register_shop(planner.core, name="<img src=x onerror=alert(1)>")
    admin = sign_in_as(shop, "ada")
    admin.post("/admin/tokens", **token_fields(name="<script>alert(1)</script>"))
    page = admin.console().text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
