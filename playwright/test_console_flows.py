"""The console's post/redirect/get in Chromium: a reload or Back after a shown-once page creates
and shows nothing, a GET of an action's URL lands on the console, "Revoke" asks first, origins
are added and removed, and the Activity page lists what was done, by whom."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from planner_bridge.serving import blocking
from test_administration import Console, console, generate_token, sign_in, token_row

__all__ = ["console"]  # the fixture, shared with test_administration
pytestmark = pytest.mark.browser


def signed_in(page: Page, console: Console) -> str:
    entity, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    return entity.id


def test_a_reload_after_a_shown_once_page_creates_and_shows_nothing(page, console):
    entity = signed_in(page, console)
    keys_before = len(blocking(console.core.store.list_api_keys(entity)))
    page.get_by_label("Comment").fill("reload me")
    page.get_by_role("button", name="Generate API key").click()
    expect(page.get_by_test_id("shown-once")).to_be_visible()
    assert page.url == console.url + "/admin/"  # the page the redirect landed on
    page.reload()
    expect(page.get_by_role("heading", name="API clients")).to_be_visible()
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    assert len(blocking(console.core.store.list_api_keys(entity))) == keys_before + 1

    generate_token(page, "Nightly sync")
    expect(page.get_by_test_id("shown-once")).to_be_visible()
    page.reload()
    expect(token_row(page, "Nightly sync")).to_be_visible()
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    assert len(blocking(console.core.store.list_api_tokens(entity))) == 1


def test_back_and_forward_after_a_form_repeat_nothing(page, console):
    entity = signed_in(page, console)
    generate_token(page, "Nightly sync")
    token = page.get_by_test_id("shown-once").inner_text().strip()
    page.get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()
    page.go_back()
    expect(token_row(page, "Nightly sync")).to_be_visible()
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    assert token not in page.content()
    page.go_back()  # the console before the form was sent: no resubmission, nothing new
    expect(page.get_by_role("button", name="Generate new token")).to_be_visible()
    page.go_forward()
    page.go_forward()
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()
    assert len(blocking(console.core.store.list_api_tokens(entity))) == 1


def test_an_action_url_opened_directly_lands_on_the_console(page, console):
    signed_in(page, console)
    for path in ("/admin/api-keys", "/admin/tokens", "/admin/origins", "/admin/sign-in"):
        answer = page.goto(console.url + path)
        assert answer is not None and answer.status == 200 and page.url == console.url + "/admin/"
        expect(page.get_by_role("heading", name="API clients")).to_be_visible()


def test_revoke_asks_for_a_confirmation(page, console):
    entity = signed_in(page, console)
    (key,) = blocking(console.core.store.list_api_keys(entity))
    row = page.locator(f'tr[data-key="{key.key_id}"]')
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("heading", name=f"Revoke the API key {key.key_id}?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(row).to_contain_text("active")
    assert blocking(console.core.store.get_api_key(key.key_id)).active
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke it").click()
    expect(row).to_contain_text("revoked")
    assert not blocking(console.core.store.get_api_key(key.key_id)).active


def test_registered_origins_are_added_and_removed(page, console):
    entity = signed_in(page, console)
    origins = page.locator("ul.origins li")
    page.get_by_label("Origin", exact=True).fill("https://staging.shop.example:8443")
    page.get_by_role("button", name="Add origin").click()
    expect(origins).to_have_count(3)
    expect(page.locator('li[data-origin="https://staging.shop.example:8443"]')).to_be_visible()
    page.get_by_role("button", name="Remove https://shop.example").click()
    expect(origins).to_have_count(2)
    policy = httpx.get(console.url + "/planner/", params={"entity": entity}).headers
    ancestors = policy["content-security-policy"]
    assert "https://staging.shop.example:8443" in ancestors
    assert "https://shop.example " not in ancestors + " "
    page.get_by_label("Origin", exact=True).fill("not an origin")
    page.get_by_role("button", name="Add origin").click()
    expect(page.locator("#origin-error")).to_contain_text("Not an origin")
    expect(origins).to_have_count(2)


def test_the_activity_page_lists_what_was_done_newest_first(page, console):
    signed_in(page, console)
    page.get_by_label("Origin", exact=True).fill("https://www.shop.example")
    page.get_by_role("button", name="Add origin").click()
    generate_token(page, "Nightly sync")
    token = page.get_by_test_id("shown-once").inner_text().strip()
    token_row(page, "Nightly sync").get_by_role("button", name="Disable").click()
    page.get_by_role("link", name="Activity").click()
    rows = page.locator("tr[data-action]")
    expect(rows.first).to_contain_text("api_token.disabled")
    expect(rows.nth(1)).to_contain_text("api_token.created")
    expect(rows.nth(2)).to_contain_text("origin.added")
    expect(rows.nth(2)).to_contain_text("https://www.shop.example")
    expect(rows.nth(3)).to_contain_text("admin.signed_in")
    for n in range(4):
        expect(rows.nth(n).locator("td").nth(1)).to_have_text("ada")
    expect(page.locator("tr[data-action='admin.created'] td").nth(1)).to_have_text("cli")
    assert token not in page.content()
