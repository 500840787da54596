"""The administration console in Debian's Chromium over a real planner origin: signing in, API
keys and web service tokens from generation to revocation and deletion, what is shown once and
nowhere else (later pages, the database files with their WAL, the logs), CSRF, sign-out and one
entity per administrator. Also makes docs/admin-console.png, the README's screenshot."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from bridge_e2e import screenshot_path, wait_until
from planner_bridge.admin.accounts import AdminBook
from planner_bridge.apps import planner
from planner_bridge.core import Core
from planner_bridge.serving import ThreadedServer, blocking
from planner_bridge.settings import Settings
from planner_bridge.storage import Entity

pytestmark = pytest.mark.browser


@dataclasses.dataclass
class Console:
    url: str
    core: Core
    logs: list[str]

    def register(self, name: str, username: str, allow_write: bool = True) -> tuple[Entity, str]:
        """A legal entity (origins of a shop) and its administrator's password."""
        entity, _ = blocking(
            self.core.entities.create(
                name, ["https://shop.example", "http://localhost:8000"], allow_write=allow_write
            )
        )
        _, password = blocking(
            AdminBook(self.core.store, self.core.clock).create(entity.id, username)
        )
        return entity, password

    def stored_bytes(self) -> bytes:
        """Every database file as it is on disk now: the main file, its WAL and shared memory."""
        main = self.core.settings.sqlite_path
        files = [main, *(main.with_name(main.name + s) for s in ("-wal", "-shm"))]
        return b"".join(f.read_bytes() for f in files if f.exists())

    def client_credentials(self, key_id: str, secret: str) -> int:
        data = {"grant_type": "client_credentials"}
        return httpx.post(self.url + "/auth/token", auth=(key_id, secret), data=data).status_code

    def exchange(self, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.post(self.url + "/v1/api-tokens/exchange", headers=headers).status_code


class Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """A planner origin on a tmp data dir, with every server log line recorded."""
    cores: list[Core] = []
    logs: list[str] = []
    handler = Lines(logs)
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "uvicorn.access")]
    for logger in loggers:
        logger.addHandler(handler)

    def build(url: str) -> Any:
        cores.append(blocking(Core.connect(Settings(data_dir=tmp_path / "planner", issuer=url))))
        return planner.create_app(cores[0])

    try:
        with ThreadedServer(build) as server:
            yield Console(server.url, cores[0], logs)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        for core in cores:
            blocking(core.aclose())


def sign_in(page: Page, console: Console, username: str, password: str) -> None:
    page.goto(console.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def assert_nowhere(secret: str, console: Console, pages: list[str]) -> None:
    assert all(secret not in page for page in pages), "shown again on a later page"
    assert secret.encode() not in console.stored_bytes(), "written to the database"
    assert all(secret not in line for line in console.logs), "written to a log"


def generate_token(page: Page, name: str, **options: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("User id").fill(options.get("user_id", "alice"))
    page.get_by_label("User name").fill(options.get("user_name", "Alice"))
    if options.get("never"):
        page.get_by_label("Never expires").check()
    else:
        page.get_by_label("Expires in days").fill(options.get("days", "30"))
    page.get_by_label("Rights").select_option(options.get("rights", "read"))
    page.get_by_role("button", name="Generate new token").click()


def token_row(page: Page, name: str) -> Any:
    return page.locator("tr[data-token]", has_text=name)


def test_an_api_key_from_generation_to_revocation(page, console):
    _, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    page.get_by_label("Comment").fill("ERP nightly sync, ticket 42")
    page.get_by_role("button", name="Generate API key").click()
    once = page.get_by_test_id("shown-once")
    expect(once).to_be_visible()
    key_id, secret = (
        once.locator("#shown-once-key").inner_text(),
        once.locator("#shown-once-value").inner_text(),
    )
    assert console.client_credentials(key_id, secret) == 200

    page.goto(console.url + "/admin/")
    row = page.locator(f'tr[data-key="{key_id}"]')
    expect(row).to_contain_text("ERP nightly sync, ticket 42")
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    later = [page.content()]
    row.get_by_role("button", name="Revoke").click()
    later.append(page.content())  # the confirmation step
    page.get_by_role("button", name="Yes, revoke it").click()
    expect(row).to_contain_text("revoked")
    later.append(page.content())
    # `/auth/token` remembers a key for up to a second: wait for the refusal, not a fixed time.
    wait_until(page, lambda: console.client_credentials(key_id, secret) == 401, "the revocation")
    assert_nowhere(secret, console, later)


def test_a_web_service_token_from_generation_to_deletion(page, context, console):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.url)
    _, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    generate_token(page, "Nightly sync", days="7")
    once = page.get_by_test_id("shown-once")
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    token = once.inner_text().strip()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert console.exchange(token) == 200

    later: list[str] = []
    page.goto(console.url + "/admin/")
    row = token_row(page, "Nightly sync")
    expect(row).to_contain_text("Alice")
    expect(row.locator(".status")).to_have_text("active")
    later.append(page.content())
    row.get_by_role("button", name="Disable").click()
    expect(row.locator(".status")).to_have_text("disabled")
    later.append(page.content())
    assert console.exchange(token) == 401
    row.get_by_role("button", name="Enable").click()
    expect(row.locator(".status")).to_have_text("active")
    assert console.exchange(token) == 200
    row.get_by_role("button", name="Delete").click()
    later.append(page.content())  # the confirmation step
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_text("No web service tokens.")).to_be_visible()
    later.append(page.content())
    assert console.exchange(token) == 401
    assert_nowhere(token, console, later)


def test_never_expires_needs_a_confirmation(page, console):
    entity, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    generate_token(page, "Forever", never="yes")
    expect(page.get_by_role("heading", name="A token that never expires?")).to_be_visible()
    expect(page.get_by_test_id("shown-once")).to_have_count(0)
    assert blocking(console.core.store.list_api_tokens(entity.id)) == []
    page.get_by_role("button", name="Yes, create a token that never expires").click()
    expect(page.get_by_test_id("shown-once")).to_be_visible()
    (record,) = blocking(console.core.store.list_api_tokens(entity.id))
    assert record.expires is None
    page.goto(console.url + "/admin/")
    expect(token_row(page, "Forever")).to_contain_text("never")


def test_signing_out_ends_the_session_and_the_old_cookie_is_refused(
    page, context, browser, console
):
    _, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    old_cookies = context.cookies()
    assert [c["httpOnly"] for c in old_cookies if c["name"] == "pb_admin"] == [True]
    assert [c["sameSite"] for c in old_cookies if c["name"] == "pb_admin"] == ["Strict"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    replay = browser.new_context()
    try:
        replay.add_cookies(old_cookies)
        stolen = replay.new_page()
        stolen.goto(console.url + "/admin/")
        expect(stolen.get_by_role("button", name="Sign in")).to_be_visible()
        expect(stolen.get_by_role("button", name="Sign out")).to_have_count(0)
    finally:
        replay.close()


def test_a_form_posted_without_its_csrf_token_is_refused(page, console):
    entity, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    keys_before = blocking(console.core.store.list_api_keys(entity.id))
    form = page.locator('form[action="/admin/api-keys"]')
    form.locator('input[name="csrf"]').evaluate("input => input.remove()")
    with page.expect_response(console.url + "/admin/api-keys") as answer:
        page.get_by_role("button", name="Generate API key").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("did not come from this console")
    assert blocking(console.core.store.list_api_keys(entity.id)) == keys_before


def test_an_administrator_sees_and_touches_only_its_own_entity(page, console):
    _, password = console.register("Fjord & Pine", "ada")
    other, _ = console.register("Other Store", "bob")
    (their_key,) = blocking(console.core.store.list_api_keys(other.id))
    sign_in(page, console, "ada", password)
    expect(page.locator("body")).not_to_contain_text("Other Store")
    expect(page.locator(f'tr[data-key="{their_key.key_id}"]')).to_have_count(0)
    # A real form of this console, pointed at the other entity's key.
    form = page.locator('form[action$="/revoke"]').first
    form.evaluate(
        "(form, id) => { form.action = `/admin/api-keys/${id}/revoke`; }", their_key.key_id
    )
    with page.expect_response(lambda r: r.url.endswith(f"{their_key.key_id}/revoke")) as answer:
        form.get_by_role("button", name="Revoke").click()
    assert answer.value.status == 404
    assert blocking(console.core.store.get_api_key(their_key.key_id)).active


def test_the_console_reads_on_a_phone_and_makes_the_readme_screenshot(page, console, tmp_path):
    _, password = console.register("Fjord & Pine", "ada")
    sign_in(page, console, "ada", password)
    page.get_by_label("Comment").fill("ERP nightly sync")
    page.get_by_role("button", name="Generate API key").click()
    generate_token(page, "Nightly sync", days="30")
    generate_token(page, "Reporting", user_id="bob", user_name="Bob", days="90")
    page.goto(console.url + "/admin/")
    token_row(page, "Reporting").get_by_role("button", name="Disable").click()
    expect(token_row(page, "Reporting").locator(".status")).to_have_text("disabled")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone (only tables may)"
    box = page.get_by_role("button", name="Generate new token").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot = screenshot_path(tmp_path, "admin-console.png")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_the_console_works_without_javascript(browser, console):
    entity, password = console.register("Fjord & Pine", "ada")
    no_script = browser.new_context(java_script_enabled=False)
    try:
        page = no_script.new_page()
        sign_in(page, console, "ada", password)
        generate_token(page, "Nightly sync", days="3")
        expect(page.get_by_test_id("shown-once")).to_be_visible()
        expect(page.get_by_role("button", name="Copy")).to_be_hidden()  # needs the script
        page.goto(console.url + "/admin/")
        token_row(page, "Nightly sync").get_by_role("button", name="Disable").click()
        expect(token_row(page, "Nightly sync").locator(".status")).to_have_text("disabled")
        (record,) = blocking(console.core.store.list_api_tokens(entity.id))
        assert record.disabled
    finally:
        no_script.close()
