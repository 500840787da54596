"""The planner as a shopper uses it (SPEC "The planner as shoppers use it"): a room to scale where
items never overlap, wall units hang on walls, every change can be undone, the parts list goes to
the shop's basket, it works on a phone and in German; and the host's commands, each with its
value or its error code. Shop at localhost, planner at 127.0.0.1."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Browser, expect

from bridge_e2e import CATALOG_ROWS, bridge_events, log_in, open_shop, planner_frame
from planner_bridge.planner.assets import AssetCatalog
from planner_bridge.serving import blocking
from planner_bridge.storage import Asset
from planner_bridge.testing.recorder import WAIT_MS
from test_planner_ui import violations

pytestmark = pytest.mark.browser

ITEMS = "[data-testid=plan-item]"
DESIGN = "() => window.planner.design.toJSON()"
# A command as the host link runs it; its error comes back as its code.
RUN = """([name, args]) => window.planner.runCommand(name, args).then(
  (value) => ({ ok: true, value: value ?? null }), (e) => ({ ok: false, code: e.code }))"""
# The shop's page keeps what the planner origin sent it, as a shop listening for AddToCart would.
KEEP_CARTS = """window.__carts = [];
window.addEventListener("message", (e) => {
  if (e.data && e.data.event === "AddToCart") {
    window.__carts.push({ origin: e.origin, ...e.data.content });
  }
});"""


def add(planner, name: str) -> None:
    row = planner.locator(f'{CATALOG_ROWS}:has([data-testid=asset-name]:text-is("{name}"))')
    row.get_by_test_id("add-to-design").click()


def extent(item: dict) -> tuple[int, int]:
    turned = item["rotation"] % 180 != 0
    return (item["depth"], item["width"]) if turned else (item["width"], item["depth"])


def overlap(a: dict, b: dict) -> bool:
    """Same floor area and same heights (a wall unit above a base unit is fine)."""
    (aw, ad), (bw, bd) = extent(a), extent(b)
    a0, b0 = a.get("elevation", 0), b.get("elevation", 0)
    return (
        a["x"] < b["x"] + bw
        and b["x"] < a["x"] + aw
        and a["y"] < b["y"] + bd
        and b["y"] < a["y"] + ad
        and a0 < b0 + b["height"]
        and b0 < a0 + a["height"]
    )


def on_a_wall(item: dict, room: dict) -> bool:
    width, depth = extent(item)
    return (
        item["x"] == 0
        or item["y"] == 0
        or item["x"] + width == room["width"]
        or item["y"] + depth == room["depth"]
    )


def test_many_items_added_never_overlap_and_their_names_stay_inside(page, bridge):
    planner = open_shop(page, bridge)
    expect(planner.get_by_test_id("identity")).to_have_text("Demo Store")
    names = ["Base cabinet 60", "Sink unit 80 with steel sink", "Hob unit 60 with induction hob"]
    names += ["Wall cabinet 60", "Tall larder unit 60", "Fridge-freezer 60", "Drawer unit 60"]
    names += ["Oak worktop 186", "Cooker hood 60", "Dishwasher 60", "Base cabinet 40"] * 2
    for name in names:
        add(planner, name)
    frame = planner_frame(page, bridge)
    design = frame.evaluate(DESIGN)
    expect(planner.locator(ITEMS)).to_have_count(len(design["items"]))
    assert len(design["items"]) == len(names)
    for a, b in itertools.combinations(design["items"], 2):
        assert not overlap(a, b), (a["name"], a["x"], a["y"], b["name"], b["x"], b["y"])
    assert spilled_labels(frame) == []
    assert violations(page, bridge) == []


def spilled_labels(frame) -> list[str]:
    """The plan items whose name runs out of their shape."""
    return frame.evaluate("""() => [...document.querySelectorAll("[data-testid=plan-item]")]
      .filter((g) => {
        const t = g.querySelector(".label").getBBox();
        const b = g.querySelector(".body").getBBox();
        return t.width > 0 && (t.x < b.x || t.y < b.y || t.x + t.width > b.x + b.width ||
          t.y + t.height > b.y + b.height); }).map((g) => g.dataset.key)""")


def test_a_long_name_of_wide_letters_is_cut_to_fit_its_shape(page, bridge):
    now = bridge.core.clock.now()
    name = "WMWMWMWM Wall-to-wall MMMM WWWW extra-wide cabinet with a very long name 40"
    data = {"width": 400, "depth": 600, "height": 880, "price": 99}
    asset_id = AssetCatalog(bridge.core.store, bridge.core.clock).new_id()
    stored = Asset(asset_id, bridge.entity_id, None, name, "cabinet", data, now, now, 1)
    blocking(bridge.core.store.add_asset(stored))
    planner = open_shop(page, bridge)
    add(planner, name)
    expect(planner.locator(ITEMS)).to_have_count(1)
    frame = planner_frame(page, bridge)
    label = planner.locator(f"{ITEMS} .label")
    expect(label).to_have_text(re.compile("…$"))
    assert spilled_labels(frame) == []


def test_a_wall_unit_hangs_on_a_wall_above_the_base_units_wherever_it_is_dragged(page, bridge):
    planner = open_shop(page, bridge)
    add(planner, "Base cabinet 60")
    add(planner, "Wall cabinet 60")
    wall = planner.locator(f'{ITEMS}[data-mount="wall"]')
    expect(wall).to_have_attribute("data-x", "0")
    frame = planner_frame(page, bridge)
    base_item, wall_item = frame.evaluate(DESIGN)["items"]
    assert (wall_item["mount"], wall_item["elevation"]) == ("wall", 1400)
    assert (wall_item["x"], wall_item["y"]) == (base_item["x"], base_item["y"])  # hung above it
    assert "wall" in (wall.get_attribute("class") or "")
    box = wall.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 170, steps=6)  # into the middle of the room
    page.mouse.up()
    expect(wall).not_to_have_attribute("data-x", "0")
    design = frame.evaluate(DESIGN)
    assert on_a_wall(design["items"][1], design["room"]), design["items"][1]


def test_undo_and_redo_with_buttons_and_shortcuts_cover_moves_and_deletes(page, bridge):
    planner = open_shop(page, bridge)
    add(planner, "Base cabinet 60")
    item = planner.locator(ITEMS)
    item.focus()
    page.keyboard.press("ArrowDown")  # 50 mm into the room
    expect(item).to_have_attribute("data-y", "50")
    page.keyboard.press("Delete")
    expect(item).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-y", "50")
    planner.get_by_test_id("undo").click()
    expect(item).to_have_attribute("data-y", "0")
    page.keyboard.press("Control+Shift+z")
    expect(item).to_have_attribute("data-y", "50")
    planner.get_by_test_id("redo").click()
    expect(item).to_have_count(0)
    expect(planner.get_by_test_id("redo")).to_be_disabled()
    # A command's change is undone the same way.
    planner_frame(page, bridge).evaluate(RUN, ["setRoom", {"width": 5200, "depth": 3400}])
    expect(planner.get_by_test_id("room-plan")).to_have_attribute("data-width", "5200")
    planner.get_by_test_id("undo").click()
    expect(planner.get_by_test_id("room-plan")).to_have_attribute("data-width", "4000")


def test_add_to_cart_sends_the_parts_list_and_total_to_the_shop(page, bridge):
    page.add_init_script(KEEP_CARTS)
    planner = open_shop(page, bridge)
    for name in ("Base cabinet 60", "Base cabinet 60", "Wall cabinet 60"):
        add(planner, name)
    lines = planner.get_by_test_id("part-line")
    expect(lines).to_have_count(2)
    expect(lines.first.get_by_test_id("part-quantity")).to_have_text("2")
    expect(planner.get_by_test_id("parts-total")).to_have_text("€357.00")
    planner.get_by_test_id("add-to-cart").click()
    page.wait_for_function("() => window.__carts.length === 1")
    (cart,) = page.evaluate("window.__carts")
    assert cart["origin"] == bridge.planner_url
    assert [(line["name"], line["quantity"], line["unitPrice"]) for line in cart["lines"]] == [
        ("Base cabinet 60", 2, 129),
        ("Wall cabinet 60", 1, 99),
    ]
    assert cart["total"] == {"amount": 357, "currency": "EUR"} and cart["designId"] is None
    assert violations(page, bridge) == []


def test_on_a_phone_nothing_scrolls_sideways_and_touch_drags_an_item(browser: Browser, bridge):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        planner = open_shop(page, bridge)
        add(planner, "Base cabinet 60")
        frame = planner_frame(page, bridge)
        wide = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert frame.evaluate(wide) <= 0
        assert page.evaluate(wide) <= 0
        item = planner.locator(ITEMS)
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        touch = context.new_cdp_session(page)

        def finger(kind: str, at: tuple[float, float]) -> None:
            points = [] if kind == "touchEnd" else [{"x": at[0], "y": at[1]}]
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        finger("touchStart", (x, y))
        for step in range(1, 7):
            finger("touchMove", (x + step * 15, y + step * 12))
        finger("touchEnd", (x + 90, y + 72))
        expect(item).not_to_have_attribute("data-y", "0")
        assert int(item.get_attribute("data-x") or 0) > 0
        assert violations(page, bridge) == []
    finally:
        context.close()


def test_in_german_with_euros_every_word_and_price_follows(page, bridge):
    planner = open_shop(page, bridge)
    add(planner, "Base cabinet 60")
    frame = planner_frame(page, bridge)
    assert frame.evaluate(RUN, ["setLocale", {"locale": "de-DE", "currency": "EUR"}])["ok"]
    expect(planner.get_by_test_id("add-to-cart")).to_have_text("In den Warenkorb")
    expect(planner.get_by_test_id("parts-total")).to_have_text(re.compile(r"^129,00\s€$"))
    expect(planner.get_by_test_id("identity-lead")).to_have_text("Katalog von")
    expect(planner.locator(CATALOG_ROWS).first.get_by_test_id("add-to-design")).to_have_text(
        "In den Raum"
    )
    assert frame.evaluate("document.documentElement.lang") == "de"
    assert violations(page, bridge) == []
    assert frame.evaluate(RUN, ["setLocale", {"locale": "de", "currency": "CHF"}])["ok"]
    expect(planner.get_by_test_id("parts-total")).to_have_text(re.compile(r"^129,00\sCHF$"))


def test_each_command_answers_its_value_or_its_error_code(page, bridge):
    planner = open_shop(page, bridge)
    frame = planner_frame(page, bridge)

    def run(name: str, args: dict | None = None) -> dict:
        return frame.evaluate(RUN, [name, args or {}])

    catalog_id = next(a.id for a in bridge.assets(None) if a.name == "Base cabinet 60")
    fresh = run("newDesign", {"name": "Galley"})["value"]
    assert (fresh["name"], fresh["items"], fresh["id"]) == ("Galley", [], None)
    expect(planner.get_by_test_id("design-name")).to_have_value("Galley")
    item = run("addItem", {"catalogId": catalog_id, "x": 1000, "y": 1000, "rotation": 90})["value"]
    assert (item["x"], item["y"], item["rotation"], item["width"]) == (1000, 1000, 90, 600)
    expect(planner.locator(ITEMS)).to_have_count(1)
    assert run("setRoom", {"width": 4500, "depth": 3200}) == {"ok": True, "value": None}
    assert run("getDesign")["value"]["room"] == {"width": 4500, "depth": 3200}
    assert run("setTheme", {"accent": "#0a5c36", "font": "Georgia"})["ok"]
    accent = "getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    assert frame.evaluate(accent).strip() == "#0a5c36"
    assert run("removeItem", {"itemId": item["id"]})["ok"]
    expect(planner.locator(ITEMS)).to_have_count(0)

    errors = {
        "saveDesign": run("saveDesign"),
        "openDesign": run("openDesign", {"id": "any"}),
        "removeItem": run("removeItem", {"itemId": item["id"]}),
        "addItem": run("addItem", {"catalogId": "no-such"}),
        "setRoom": run("setRoom", {"width": 5, "depth": 3000}),
        "setTheme": run("setTheme", {"accent": "red; x: y"}),
        "setLocale": run("setLocale", {"locale": "fr"}),
        "fly": run("fly"),
    }
    assert {name: answer.get("code") for name, answer in errors.items()} == {
        "saveDesign": "LoginRequired",
        "openDesign": "LoginRequired",
        "removeItem": "NotFound",
        "addItem": "NotFound",
        "setRoom": "InvalidArgument",
        "setTheme": "InvalidArgument",
        "setLocale": "InvalidArgument",
        "fly": "UnknownCommand",
    }
    assert "LoginRequired" in bridge_events(page)

    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    run("addItem", {"catalogId": catalog_id})
    saved = run("saveDesign")["value"]
    assert saved["saved"] and saved["id"]
    (stored,) = [a for a in bridge.assets("alice") if a.kind == "design"]
    assert stored.id == saved["id"] and [i["catalogId"] for i in stored.data["items"]] == [
        catalog_id
    ]
    run("newDesign")
    opened = run("openDesign", {"id": saved["id"]})["value"]
    assert (opened["id"], len(opened["items"])) == (saved["id"], 1)
    assert run("openDesign", {"id": "someone-elses"})["code"] == "NotFound"


def test_the_room_size_is_shown_and_the_shopper_changes_it(page, bridge):
    planner = open_shop(page, bridge)
    plan = planner.get_by_test_id("room-plan")
    expect(plan).to_have_attribute("data-width", "4000")
    expect(plan.locator("text.dimension").first).to_have_text("4000 mm")
    expect(planner.get_by_test_id("room-width")).to_have_value("4000")
    add(planner, "Drawer unit 60")
    planner.get_by_test_id("room-width").fill("2400")
    planner.get_by_test_id("room-depth").fill("2000")
    planner.get_by_test_id("room-apply").click()
    expect(plan).to_have_attribute("data-width", "2400")
    expect(plan.locator("text.dimension").first).to_have_text("2400 mm")
    expect(plan.locator("text.dimension").last).to_have_text("2000 mm")
    # A size no kitchen has is refused by the field itself; the room stays as it was.
    planner.get_by_test_id("room-width").fill("12")
    planner.get_by_test_id("room-apply").click()
    expect(plan).to_have_attribute("data-width", "2400")


def test_a_design_saved_by_the_first_release_opens_in_millimetres(page, bridge):
    planner = open_shop(page, bridge)
    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    base = next(a for a in bridge.assets(None) if a.name == "Base cabinet 60")
    # Release 1 stored centimetres in a 6 x 4 m room, each item by its catalog asset's id.
    old = {"items": [{"asset": base.id, "x": 120, "y": 45, "rotation": 90}]}
    now = bridge.core.clock.now()
    asset_id = AssetCatalog(bridge.core.store, bridge.core.clock).new_id()
    stored = Asset(asset_id, bridge.entity_id, "alice", "Old kitchen", "design", old, now, now, 1)
    blocking(bridge.core.store.add_asset(stored))
    planner_frame(page, bridge).evaluate("() => window.planner.refresh()")
    row = planner.locator("[data-testid=my-assets] [data-testid=asset]", has_text="Old kitchen")
    row.get_by_test_id("open-asset").click()
    item = planner.locator(ITEMS)
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-x", "1200")
    expect(item).to_have_attribute("data-y", "450")
    expect(item).to_have_attribute("data-rotation", "90")
    expect(planner.get_by_test_id("room-plan")).to_have_attribute("data-width", "6000")
    expect(planner.get_by_test_id("parts-total")).to_have_text("€129.00")
