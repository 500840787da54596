"""The console's post/redirect/get, its sign-in CSRF bound to the server, its registered origins
and its Activity page, over a real server as a browser without JavaScript uses it."""

from __future__ import annotations

import re

import httpx
import pytest

from planner_bridge.admin.accounts import AdminBook
from planner_bridge.serving import blocking
from support import HOST_ORIGIN
from test_admin_console import CSRF, Admin, shown_once, sign_in_as, token_fields

__all__ = ["sign_in_as"]  # a fixture, shared with test_admin_console

ACTION_URLS = [
    "/admin/sign-in",
    "/admin/sign-out",
    "/admin/origins",
    "/admin/origins/remove",
    "/admin/api-keys",
    "/admin/api-keys/pbk_any/revoke",
    "/admin/tokens",
    "/admin/tokens/apt_any/delete",
    "/admin/tokens/apt_any/disable",
]


@pytest.fixture
def admin(sign_in_as, shop) -> Admin:
    return sign_in_as(shop, "ada")


def frame_ancestors(planner, entity_id: str) -> str:
    page = httpx.get(planner.url + "/planner/", params={"entity": entity_id})
    return next(
        part.strip()
        for part in page.headers["content-security-policy"].split(";")
        if part.strip().startswith("frame-ancestors")
    )


# -- signing in: the CSRF value is the server's own ------------------------------------------


def new_admin(planner, shop) -> str:
    book = AdminBook(planner.core.store, planner.core.clock)
    return blocking(book.create(shop.entity.id, "ada"))[1]


def test_sign_in_refuses_a_csrf_value_that_differs_from_its_cookie(planner, shop):
    password = new_admin(planner, shop)
    with httpx.Client(base_url=planner.url) as client:
        csrf = CSRF.search(client.get("/admin/").text)[1]
        other = CSRF.search(httpx.get(planner.url + "/admin/").text)[1]  # also the server's
        assert other != csrf
        form = {"csrf": other, "username": "ada", "password": password}
        assert client.post("/admin/sign-in", data=form).status_code == 403
        assert "pb_admin" not in client.cookies
        form["csrf"] = csrf
        assert client.post("/admin/sign-in", data=form).status_code == 303


def test_sign_in_refuses_a_cookie_and_form_pair_the_server_did_not_make(planner, shop):
    password = new_admin(planner, shop)
    made, _, mac = CSRF.search(httpx.get(planner.url + "/admin/").text)[1].partition(".")
    for chosen in ["A" * 43, f"{'B' * 32}.{mac}", f"{made}.{'0' * 64}", f"{made}."]:
        with httpx.Client(base_url=planner.url, cookies={"pb_admin_sign_in": chosen}) as client:
            form = {"csrf": chosen, "username": "ada", "password": password}
            assert client.post("/admin/sign-in", data=form).status_code == 403, chosen
            assert "pb_admin" not in client.cookies
            # The form page does not adopt the planted value either: it makes its own.
            assert CSRF.search(client.get("/admin/").text)[1] != chosen


# -- post/redirect/get ---------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_gets_of_action_urls_go_to_the_console(planner, sign_in_as, shop, signed_in):
    if signed_in:
        gets_go_to_the_console(sign_in_as(shop, "ada").client, signed_in)
        return
    with httpx.Client(base_url=planner.url) as client:
        gets_go_to_the_console(client, signed_in)


def gets_go_to_the_console(client: httpx.Client, signed_in: bool) -> None:
    for url in ACTION_URLS:
        answer = client.get(url)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/", url
        assert answer.headers["cache-control"] == "no-store"
    page = client.get("/admin/api-keys", follow_redirects=True)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert ("Sign out" if signed_in else ">Sign in</button>") in page.text


def test_what_is_shown_once_waits_sealed_and_a_reload_creates_and_shows_nothing(planner, admin):
    store, entity = planner.core.store, admin.shop.entity.id
    keys_before = len(blocking(store.list_api_keys(entity)))
    assert admin.post("/admin/api-keys", comment="reload test").status_code == 303
    (new,) = [k for k in blocking(store.list_api_keys(entity)) if k.comment == "reload test"]
    secret = planner.core.entities.deriver.secret_for(new.key_id)
    database = planner.core.settings.sqlite_path
    wal = database.with_name(database.name + "-wal")
    stored = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert secret.encode() not in stored  # waiting for its page, sealed
    assert secret in shown_once(admin.console())
    for _ in range(2):  # a reload, then Back and forth: the page again, without it
        again = admin.console()
        assert 'data-testid="shown-once"' not in again.text and secret not in again.text
    assert len(blocking(store.list_api_keys(entity))) == keys_before + 1


def test_a_shown_once_token_is_for_its_own_session_only(planner, sign_in_as, shop):
    ada, bob = sign_in_as(shop, "ada"), sign_in_as(shop, "bob")
    assert ada.post("/admin/tokens", **token_fields()).status_code == 303
    assert 'data-testid="shown-once"' not in bob.console().text
    assert shown_once(ada.console()).strip().count(".") == 2  # a JWT


# -- registered origins --------------------------------------------------------------------


def test_origins_are_added_and_removed_and_the_planner_follows(planner, admin):
    entity = admin.shop.entity.id
    done = admin.post("/admin/origins", origin="https://WWW.Shop.Example:443/")
    assert done.status_code == 303
    page = admin.console().text
    assert 'data-origin="https://www.shop.example"' in page
    assert "https://www.shop.example" in frame_ancestors(planner, entity)
    assert admin.post("/admin/origins/remove", origin=HOST_ORIGIN).status_code == 303
    assert blocking(planner.core.store.get_entity(entity)).origins == ("https://www.shop.example",)
    assert HOST_ORIGIN not in frame_ancestors(planner, entity)


def test_a_bad_origin_or_removing_the_last_is_refused_in_words(planner, admin):
    entity = admin.shop.entity.id
    bad = admin.post("/admin/origins", origin="https://shop.example/path")
    assert bad.status_code == 400 and 'id="origin-error"' in bad.text
    assert "Not an origin" in bad.text and 'value="https://shop.example/path"' in bad.text
    last = admin.post("/admin/origins/remove", origin=HOST_ORIGIN)
    assert last.status_code == 400 and 'id="origins-error"' in last.text
    assert "at least one origin" in last.text
    assert blocking(planner.core.store.get_entity(entity)).origins == (HOST_ORIGIN,)


# -- activity ------------------------------------------------------------------------------


def activity(admin: Admin) -> list[tuple[str, str, str]]:
    page = admin.client.get("/admin/activity")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    rows = re.findall(
        r"<tr data-action=\"[^\"]+\">\s*<td>[^<]+</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>"
        r"\s*<td><code>([^<]+)</code></td>",
        page.text,
    )
    return [tuple(row) for row in rows]


def test_activity_lists_the_changes_newest_first_under_their_actors(planner, admin):
    admin.post("/admin/origins", origin="https://www.shop.example")
    admin.post("/admin/api-keys", comment="for the ERP")
    (key,) = [k for k in blocking(planner.core.store.list_api_keys(admin.shop.entity.id))
              if k.comment == "for the ERP"]  # fmt: skip
    admin.post(f"/admin/api-keys/{key.key_id}/revoke", confirm="yes")
    events = activity(admin)
    assert events[:4] == [
        ("ada", "key.revoked", key.key_id),
        ("ada", "key.created", key.key_id),
        ("ada", "origin.added", "https://www.shop.example"),
        ("ada", "admin.signed_in", "ada"),
    ]
    assert ("cli", "admin.created", "ada") in events and events[-1][1] == "entity.created"
    secret = planner.core.entities.deriver.secret_for(key.key_id)
    assert secret not in admin.client.get("/admin/activity").text
    admin.post("/admin/sign-out")
    assert admin.client.get("/admin/activity").status_code == 303  # signed out: no activity
    trail = blocking(planner.core.store.list_audit_events(admin.shop.entity.id))
    assert (trail[0].actor, trail[0].action) == ("ada", "admin.signed_out")


def test_every_field_the_core_refuses_is_worded_beside_it_at_once(planner, admin):
    hidden = "a\u202eb"
    page = admin.post("/admin/tokens", **token_fields(name=hidden, user_id=hidden, days="9999"))
    assert page.status_code == 400
    for field in ("name", "user_id", "days"):
        assert f'id="{field}-error"' in page.text, field
    assert blocking(planner.core.store.list_api_tokens(admin.shop.entity.id)) == []
