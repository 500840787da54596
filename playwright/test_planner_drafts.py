"""Nothing a shopper did is lost, and the 3D view follows the plan: drafts in the planner origin's
(partitioned) IndexedDB survive a reload and a login that reloads the page; a save blocked then
unblocked lands by itself; "Retry now" saves at once; deleting a design asks first; the 3D
canvas follows a move. axe-core on every state visited. Two origins, real servers, Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Frame, FrameLocator, Page, Route, expect

from bridge_e2e import (
    CATALOG_ROWS,
    OWN_ROWS,
    PASSWORDS,
    Bridge,
    log_in,
    open_shop,
    planner_frame,
    screenshot_path,
    wait_until,
)
from planner_bridge.testing import JWT

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ITEMS = "[data-testid=plan-item]"
SIZE_HOOKS = ("x", "y", "width", "depth")
# Whether the 3D view's one box has its centre at [x, y] (mm).
BOX_AT = (
    "([x, y]) => { const [p] = window.planner.view3d.positions(); return p.x === x && p.y === y; }"
)
FIRST_ITEM = "Base cabinet 60"
AXE_RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""
# The planner's draft for a person ("" before a login), read through the page's own Drafts.
DRAFT = """async (person) => {
  const config = JSON.parse(document.getElementById("planner-config").textContent);
  const key = `${config.entity}/${person || "anonymous"}`;
  return window.planner.drafts.get(key);
}"""


def no_violations(page: Page, bridge: Bridge) -> None:
    frame = planner_frame(page, bridge)
    if not frame.evaluate("Boolean(window.axe)"):
        frame.evaluate(AXE.read_text() + "\n;undefined")
    assert frame.evaluate(AXE_RUN) == []


def add_item(planner: FrameLocator, name: str = FIRST_ITEM) -> None:
    before = planner.locator(ITEMS).count()
    row = planner.locator(CATALOG_ROWS).filter(
        has=planner.get_by_test_id("asset-name").get_by_text(name, exact=True)
    )
    row.get_by_test_id("add-to-design").click()
    expect(planner.locator(ITEMS)).to_have_count(before + 1)


def draft_items(frame: Frame, person: str) -> int | None:
    draft = frame.evaluate(DRAFT, person)
    return None if draft is None else len(draft["design"]["items"])


def saved_designs(bridge: Bridge, owner: str) -> list[list[dict]]:
    return [a.data.get("items", []) for a in bridge.assets(owner) if a.kind == "design"]


def block_saves(page: Page) -> None:
    """The planner's saves (POST and PATCH of /v1/assets) never reach the server: the network
    is lost for them; listings still work."""

    def refuse(route: Route) -> None:
        if route.request.method in ("POST", "PATCH"):
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/v1/assets**", refuse)


def test_reload_keeps_the_draft(page, bridge):
    planner = open_shop(page, bridge)
    frame = planner_frame(page, bridge)
    assert frame.evaluate("window.planner.drafts.ready()") == "indexeddb"
    add_item(planner)
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "local")
    expect(planner.get_by_test_id("save-status")).to_contain_text("not saved: log in")
    wait_until(page, lambda: draft_items(frame, "") == 1, "the draft written")
    draft = frame.evaluate(DRAFT, "")
    assert sorted(draft) == ["design", "updated"]
    assert not JWT.search(json.dumps(draft)), "a token in the draft"
    no_violations(page, bridge)

    page.reload()
    expect(planner.locator(ITEMS)).to_have_count(1)
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "local")
    expect(planner.get_by_test_id("save-status")).to_contain_text("not saved: log in")
    no_violations(page, bridge)


def test_a_login_that_reloads_carries_the_draft_into_the_account(page, bridge):
    planner = open_shop(page, bridge)
    add_item(planner)
    add_item(planner, "Wall cabinet 60")
    frame = planner_frame(page, bridge)
    wait_until(page, lambda: draft_items(frame, "") == 2, "the anonymous draft written")
    # The shop logs in as examples/shop does: its back-end, then a reload of the page.
    page.evaluate(
        """(password) => fetch("/login", { method: "POST", credentials: "same-origin",
          headers: { "X-Requested-With": "planner-bridge" },
          body: new URLSearchParams({ username: "alice", password }) })
          .then((r) => { if (!r.ok) throw new Error(`login answered ${r.status}`); })""",
        PASSWORDS["alice"],
    )
    page.reload()
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    expect(planner.locator(ITEMS)).to_have_count(2)
    wait_until(page, lambda: [len(i) for i in saved_designs(bridge, "alice")] == [2], "saved")
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    frame = planner_frame(page, bridge)
    wait_until(page, lambda: draft_items(frame, "alice") is None, "the saved draft dropped")
    assert draft_items(frame, "") is None, "the anonymous draft is carried, not copied"
    no_violations(page, bridge)


def test_a_login_without_reload_saves_the_design_made_before(page, bridge):
    planner = open_shop(page, bridge)
    add_item(planner)
    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    wait_until(page, lambda: [len(i) for i in saved_designs(bridge, "alice")] == [1], "saved")
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")


def logged_in(page: Page, bridge: Bridge) -> FrameLocator:
    planner = open_shop(page, bridge)
    log_in(page, "alice")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    return planner


def test_a_save_blocked_then_unblocked_lands_by_itself(page, bridge):
    planner = logged_in(page, bridge)
    block_saves(page)
    add_item(planner)
    status = planner.get_by_test_id("save-status")
    expect(status).to_have_attribute("data-state", "failed")
    expect(status).to_contain_text("Not saved yet")
    expect(planner.get_by_test_id("retry-save")).to_be_visible()
    frame = planner_frame(page, bridge)
    wait_until(page, lambda: draft_items(frame, "alice") == 1, "kept as a draft meanwhile")
    no_violations(page, bridge)

    page.unroute("**/v1/assets**")
    expect(status).to_have_attribute("data-state", "saved")  # by itself: nothing was clicked
    expect(planner.get_by_test_id("retry-save")).to_be_hidden()
    assert [len(items) for items in saved_designs(bridge, "alice")] == [1]


def test_retry_now_saves_at_once(page, bridge):
    planner = logged_in(page, bridge)
    # The planner's clock stands still: no retry can come from its timer, only from the button.
    page.clock.install()
    block_saves(page)
    add_item(planner)
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "failed")
    page.unroute("**/v1/assets**")
    assert saved_designs(bridge, "alice") == []
    planner.get_by_test_id("retry-save").click()
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    assert [len(items) for items in saved_designs(bridge, "alice")] == [1]


def test_deleting_a_design_asks_first(page, bridge):
    planner = logged_in(page, bridge)
    planner.get_by_test_id("asset-name-input").fill("Kitchen to delete")
    planner.get_by_test_id("add-asset-submit").click()
    row = planner.locator(OWN_ROWS).filter(has_text="Kitchen to delete")
    expect(row).to_have_count(1)

    row.get_by_test_id("delete-asset").click()
    dialog = planner.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Kitchen to delete")
    expect(planner.get_by_test_id("confirm-no")).to_be_focused()
    no_violations(page, bridge)
    planner.get_by_test_id("confirm-no").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    assert [a.name for a in bridge.assets("alice")] == ["Kitchen to delete"]

    row.get_by_test_id("delete-asset").click()
    planner.get_by_test_id("confirm-yes").click()
    expect(row).to_have_count(0)
    assert bridge.assets("alice") == []


def centre(item) -> tuple[int, int]:
    """The centre of a plan item, in mm, from its hooks (its place and its size as turned)."""
    x, y, width, depth = (
        int(item.get_attribute(f"data-{k}")) for k in ("x", "y", "width", "depth")
    )
    return x + width // 2, y + depth // 2


def test_the_3d_canvas_follows_a_move(page, bridge):
    planner = logged_in(page, bridge)
    add_item(planner)
    assert bridge.planner_log.matching("GET", "/vendor/three/") == [], "three.js loads on demand"
    planner.get_by_test_id("open-3d").click()
    canvas = planner.get_by_test_id("view-3d")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("data-items", "1")
    assert len(bridge.planner_log.matching("GET", "/vendor/three/")) == 1
    frame = planner_frame(page, bridge)
    (before,) = frame.evaluate("window.planner.view3d.positions()")
    item = planner.locator(ITEMS)
    start = item.get_attribute("data-x"), item.get_attribute("data-y")  # along the back wall
    assert (before["x"], before["y"]) == centre(item)
    item.focus()  # moved with the keyboard, as the plan's help says
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(item).not_to_have_attribute("data-x", start[0] or "")
    moved = centre(item)
    frame.wait_for_function(BOX_AT, arg=list(moved))
    expect(canvas).to_have_attribute("data-items", "1")
    no_violations(page, bridge)


# WebGL refused, as by a browser or a machine without it.
NO_WEBGL = """(() => {
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /webgl/.test(kind) ? null : getContext.call(this, kind, ...rest);
  };
})();"""


def test_without_webgl_the_3d_view_says_so_and_the_plan_still_works(context, bridge):
    context.add_init_script(NO_WEBGL)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    planner = open_shop(page, bridge)
    planner.get_by_test_id("open-3d").click()
    expect(planner.get_by_test_id("view-3d-unavailable")).to_contain_text("needs WebGL")
    expect(planner.get_by_test_id("view-3d")).to_have_count(0)
    add_item(planner)  # the 2D plan is untouched
    no_violations(page, bridge)
    assert errors == []


KITCHEN = (
    "Fridge-freezer 60",
    "Base cabinet 60",
    "Sink unit 80 with steel sink",
    "Dishwasher 60",
    "Hob unit 60 with induction hob",
    "Drawer unit 60",
    "Wall cabinet 60",
    "Wall cabinet 80",
    "Cooker hood 60",
    "Glass-door wall cabinet 60",
)


def test_the_readme_screenshots_a_kitchen_in_2d_and_3d_and_on_a_phone(page, bridge, tmp_path):
    """`make screenshots` writes these into docs/: a logged-in shopper's real kitchen, its 3D
    view, and the planner at a phone's width (390 px), each state checked with axe-core."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    planner = logged_in(page, bridge)
    for name in KITCHEN:
        add_item(planner, name)
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    frame = planner_frame(page, bridge)
    frame.evaluate("window.planner.design.whenSaved()")
    no_violations(page, bridge)
    iframe = page.locator("[data-testid=planner-container] iframe")
    iframe.screenshot(path=screenshot_path(tmp_path, "planner-kitchen.png"))

    planner.get_by_test_id("open-3d").click()
    expect(planner.get_by_test_id("view-3d")).to_have_attribute("data-items", str(len(KITCHEN)))
    planner.get_by_test_id("view-3d").scroll_into_view_if_needed()
    no_violations(page, bridge)
    planner.get_by_test_id("view-3d").screenshot(path=screenshot_path(tmp_path, "planner-3d.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(planner.locator(ITEMS)).to_have_count(0)  # saved, so no draft: a fresh design
    scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(scroll), "the shop scrolls sideways at 390 px"
    assert planner_frame(page, bridge).evaluate(scroll), "the planner scrolls sideways"
    planner.locator(OWN_ROWS).first.get_by_test_id("open-asset").click()
    expect(planner.locator(ITEMS)).to_have_count(len(KITCHEN))
    no_violations(page, bridge)
    planner.get_by_test_id("room-plan").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_path(tmp_path, "planner-phone.png"), full_page=False)
