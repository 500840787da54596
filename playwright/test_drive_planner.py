"""Driving the planner from the page (SPEC "Driving the planner from the page"), on two origins in
a real Chromium: every command and every event through the demo shop's embedding (its `?debug`
handle, window.shopPlanner), the shop's basket and product card, auto-size, theme and locale."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from bridge_e2e import log_in, planner_frame, wait_until

pytestmark = pytest.mark.browser

# Collects every planner event the page hears, in order, with its content.
LISTEN = """() => {
  window.heard = [];
  for (const name of ["Loaded", "DesignOpened", "DesignChanged", "DesignSaved", "ItemAdded",
    "ItemRemoved", "SelectionChanged", "AddToCart", "Resize"]) {
    window.shopPlanner.on(name, (content) => window.heard.push([name, content]));
  }
}"""


def open_debug_shop(page: Page, host_url: str) -> None:
    page.goto(f"{host_url}/?debug")
    page.wait_for_function("() => window.shopPlanner !== undefined")
    page.evaluate("() => window.shopPlanner.ready")


def run(page: Page, script: str) -> Any:
    """Run `script` (an async function body with `p` the planner) and return its value, or
    {code, message} of the PlannerBridgeError it rejected with."""
    return page.evaluate(
        f"""async () => {{
          const p = window.shopPlanner;
          try {{ return await (async () => {{ {script} }})(); }}
          catch (error) {{ return {{ code: error.code, message: error.message }}; }}
        }}"""
    )


def heard(page: Page, name: str) -> list[Any]:
    return page.evaluate(
        "(name) => window.heard.filter(([n]) => n === name).map(([, c]) => c)", name
    )


def product_id(page: Page) -> str:
    return str(page.get_by_test_id("product").get_attribute("data-catalog-id"))


def test_every_command_answers_through_the_bridge(page, bridge, recorder):
    open_debug_shop(page, bridge.host_url)
    page.evaluate(LISTEN)
    cabinet = product_id(page)
    design = run(page, "return await p.getDesign();")
    assert design["items"] == [] and design["saved"] in (True, False)
    fresh = run(page, 'return await p.newDesign({ name: "Galley" });')
    assert fresh["name"] == "Galley" and fresh["id"] is None
    item = run(page, f'return await p.addItem("{cabinet}", {{ x: 0, y: 0, rotation: 0 }});')
    assert item["catalogId"] == cabinet and (item["x"], item["y"], item["rotation"]) == (0, 0, 0)
    assert item["width"] == 600 and item["mount"] == "floor"
    assert run(page, "return await p.setRoom({ width: 4000, depth: 3200 });") is None
    assert run(page, "return (await p.getDesign()).room;") == {"width": 4000, "depth": 3200}
    assert run(page, f'return await p.removeItem("{item["id"]}");') is None
    assert run(page, f'return await p.removeItem("{item["id"]}");')["code"] == "NotFound"
    assert run(page, 'return await p.addItem("no-such-item");')["code"] == "NotFound"
    assert run(page, "return await p.setRoom({ width: 1, depth: 1 });")["code"] == "InvalidArgument"
    # Saving and opening need an account: LoginRequired, and the planner asks the shop.
    assert run(page, "return await p.saveDesign();")["code"] == "LoginRequired"
    assert run(page, 'return await p.openDesign("x");')["code"] == "LoginRequired"
    recorder.wait_for("LoginRequired")
    log_in(page, "alice")
    recorder.wait_for("LoginSucceeded")
    saved = run(page, "return await p.saveDesign();")
    assert saved["saved"] is True and saved["id"]
    opened = run(page, f'return await p.openDesign("{saved["id"]}");')
    assert opened["id"] == saved["id"] and opened["name"] == "Galley"
    assert run(page, 'return await p.setTheme({ accent: "#c0392b", font: "Georgia" });') is None
    assert run(page, 'return await p.setLocale("de", { currency: "EUR" });') is None
    assert run(page, 'return await p.setTheme({ accent: "red" });')["code"] == "InvalidOption"
    assert run(page, 'return await p.setLocale("xx-nope-123456789");')["code"] == "InvalidOption"
    names = [e.name for e in recorder.events if e.name in ("Command", "CommandResult")]
    assert names.count("Command") == names.count("CommandResult") > 10


def test_every_event_reaches_the_page(page, bridge):
    open_debug_shop(page, bridge.host_url)
    page.evaluate(LISTEN)
    cabinet = product_id(page)
    log_in(page, "alice")
    page.wait_for_function("() => document.querySelector('[data-testid=shop-user]').textContent")
    item = run(page, f'return await p.addItem("{cabinet}");')
    page.wait_for_function("() => window.heard.some(([n]) => n === 'ItemAdded')")
    assert heard(page, "ItemAdded") == [{"item": item}]
    page.wait_for_function("() => window.heard.some(([n]) => n === 'DesignChanged')")
    assert heard(page, "DesignChanged")[-1]["design"]["items"][0]["id"] == item["id"]
    frame = planner_frame(page, bridge)
    frame.locator(f"[data-testid=plan-item][data-key='{item['id']}']").click()
    page.wait_for_function(
        "() => window.heard.some(([n, c]) => n === 'SelectionChanged' && c.item)"
    )
    assert heard(page, "SelectionChanged")[-1] == {"item": item}
    saved = run(page, "return await p.saveDesign();")
    page.wait_for_function("() => window.heard.some(([n]) => n === 'DesignSaved')")
    assert heard(page, "DesignSaved")[-1]["design"]["id"] == saved["id"]
    run(page, f'return await p.openDesign("{saved["id"]}");')
    page.wait_for_function("() => window.heard.some(([n]) => n === 'DesignOpened')")
    assert heard(page, "DesignOpened")[-1]["design"]["id"] == saved["id"]
    opened_item = heard(page, "DesignOpened")[-1]["design"]["items"][0]
    run(page, f'return await p.removeItem("{opened_item["id"]}");')
    page.wait_for_function("() => window.heard.some(([n]) => n === 'ItemRemoved')")
    assert heard(page, "ItemRemoved")[-1]["item"]["id"] == opened_item["id"]
    run(page, f'return await p.addItem("{cabinet}");')
    frame.get_by_role("button", name="Add to cart").click()
    page.wait_for_function("() => window.heard.some(([n]) => n === 'AddToCart')")
    cart = heard(page, "AddToCart")[-1]
    assert [(line["catalogId"], line["quantity"]) for line in cart["lines"]] == [(cabinet, 1)]
    assert heard(page, "Resize")[-1]["height"] > 0


def test_loaded_waits_for_the_catalog_the_web_services_show_to_the_token(page, bridge, recorder):
    # The planner page carries no catalog (the web services show it to tokens only): the
    # planner is usable, and says Loaded, once its first listing has answered.
    held: list[Route] = []
    listing = re.compile(r".*/v1/assets.*")
    page.route(listing, lambda route: held.append(route))  # the listing waits
    page.goto(f"{bridge.host_url}/?debug")
    recorder.wait_for("Authentication")
    wait_until(page, lambda: bool(held), "the first listing is on its way")
    frame = planner_frame(page, bridge)
    assert frame.locator("[data-testid=catalog] [data-testid=asset]").count() == 0
    assert recorder.count("Loaded") == 0
    for route in held:
        route.continue_()
    page.unroute(listing)
    loaded = recorder.wait_for("Loaded")
    assert loaded.origin == bridge.planner_url
    names = recorder.names("to_host")
    assert names.index("AuthenticationSucceeded") < names.index("Loaded")
    assert frame.locator("[data-testid=catalog] [data-testid=asset]").count() > 0
    assert recorder.count("Loaded") == 1


def test_the_product_card_plans_the_cabinet_and_the_basket_takes_the_parts_list(page, bridge):
    open_debug_shop(page, bridge.host_url)
    expect(page.get_by_test_id("plan-with-product")).to_have_text("Plan with this cabinet")
    page.get_by_test_id("plan-with-product").click()
    expect(page.get_by_test_id("product-note")).to_have_text("Base cabinet 60 is in your plan.")
    frame = planner_frame(page, bridge)
    expect(frame.locator("[data-testid=plan-item]")).to_have_count(1)
    expect(page.get_by_test_id("basket-empty")).to_be_visible()
    frame.get_by_role("button", name="Add to cart").click()
    line = page.locator("[data-testid=basket-line]")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-catalog-id", product_id(page))
    expect(line.locator("td").nth(0)).to_have_text("Base cabinet 60")
    expect(line.locator("td").nth(1)).to_have_text("1")
    expect(page.get_by_test_id("basket-total")).to_have_text("€129.00")
    expect(page.get_by_test_id("basket-empty")).to_be_hidden()


def test_the_frame_follows_the_planners_height_without_a_scrollbar_of_its_own(page, bridge):
    open_debug_shop(page, bridge.host_url)
    frame = planner_frame(page, bridge)
    # The iframe is as tall as the planner's content (never below the shop's minHeight, 480)...
    frame.wait_for_function(
        "() => document.documentElement.scrollHeight <= window.innerHeight", polling=100
    )
    content = frame.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
    iframe_height = page.evaluate(
        "() => document.querySelector('[data-testid=planner-container] iframe').clientHeight"
    )
    assert iframe_height == max(480, content)


def test_the_shop_fits_a_phone_without_sideways_scrolling(browser, bridge):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = phone.new_page()
        page.goto(bridge.host_url + "/")
        planner = page.frame_locator("[data-testid=planner-container] iframe")
        expect(planner.get_by_test_id("identity")).not_to_have_attribute("data-kind", "none")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        expect(page.get_by_test_id("bridge-debug")).to_have_count(0)
        expect(page.get_by_test_id("login-button")).to_have_text("Log in")
    finally:
        phone.close()


def test_theme_and_locale_reach_the_planner(page, bridge):
    open_debug_shop(page, bridge.host_url)
    frame = planner_frame(page, bridge)
    theme = '{ accent: "#c0392b", background: "rgb(1, 2, 3)", font: "Georgia" }'
    run(page, f"return await p.setTheme({theme});")
    style = frame.evaluate(
        """() => ["--accent", "--background", "--font"].map(
             (v) => document.documentElement.style.getPropertyValue(v))"""
    )
    assert style == ["#c0392b", "rgb(1, 2, 3)", "Georgia"]
    run(page, 'return await p.setLocale("de", { currency: "EUR" });')
    frame.wait_for_function("() => document.documentElement.lang === 'de'")
