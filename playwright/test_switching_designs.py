"""Nothing lost when switching designs: a shopper changes design A while its saves fail (the
network is lost for them), opens design B, and A's change still reaches the server by itself,
exactly once, when saves go through again; also after a reload in between. Two origins, real
servers, Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from bridge_e2e import OWN_ROWS, Bridge
from test_planner_drafts import add_item, block_saves, logged_in, no_violations

pytestmark = pytest.mark.browser

ITEMS = "[data-testid=plan-item]"
SECOND_ITEM = "Wall cabinet 60"


def two_saved_designs(page: Page, bridge: Bridge) -> tuple[FrameLocator, str]:
    """Alice with "My design" (one item) and an empty "Bathroom", both saved, Bathroom open.
    Returns the planner and My design's id."""
    planner = logged_in(page, bridge)
    add_item(planner)
    status = planner.get_by_test_id("save-status")
    expect(status).to_have_attribute("data-state", "saved")
    planner.get_by_test_id("asset-name-input").fill("Bathroom")
    planner.get_by_test_id("add-asset-submit").click()
    expect(planner.locator(OWN_ROWS)).to_have_count(2)
    expect(status).to_have_attribute("data-state", "saved")
    [kitchen] = [a for a in bridge.assets("alice") if a.name == "My design"]
    return planner, kitchen.id


def open_design(planner: FrameLocator, name: str, items: int) -> None:
    planner.locator(OWN_ROWS).filter(has_text=name).get_by_test_id("open-asset").click()
    expect(planner.get_by_test_id("design-name")).to_have_value(name)
    expect(planner.locator(ITEMS)).to_have_count(items)


def change_a_then_open_b(page: Page, planner: FrameLocator) -> None:
    open_design(planner, "My design", 1)
    block_saves(page)
    add_item(planner, SECOND_ITEM)
    status = planner.get_by_test_id("save-status")
    expect(status).to_have_attribute("data-state", "failed")
    open_design(planner, "Bathroom", 0)
    # Bathroom has nothing to save, but My design's change has not landed: the line says so.
    expect(status).to_have_attribute("data-state", "failed")
    expect(status).to_contain_text("Not saved yet")


def kitchen_items(bridge: Bridge, kitchen: str) -> list[str]:
    [asset] = [a for a in bridge.assets("alice") if a.id == kitchen]
    return sorted(item["name"] for item in asset.data.get("items", []))


def patches_of(bridge: Bridge, design_id: str) -> list[int]:
    return [r.status for r in bridge.writes() if r.method == "PATCH" and r.path.endswith(design_id)]


def test_a_change_left_unsaved_for_another_design_lands_by_itself_once(page, bridge):
    planner, kitchen = two_saved_designs(page, bridge)
    change_a_then_open_b(page, planner)
    no_violations(page, bridge)
    before = len(patches_of(bridge, kitchen))

    page.unroute("**/v1/assets**")
    status = planner.get_by_test_id("save-status")
    expect(status).to_have_attribute("data-state", "saved")  # by itself: nothing was clicked
    assert kitchen_items(bridge, kitchen) == sorted(["Base cabinet 60", SECOND_ITEM])
    assert patches_of(bridge, kitchen)[before:] == [200]  # exactly once
    expect(planner.get_by_test_id("design-name")).to_have_value("Bathroom")  # still B


def test_a_reload_keeps_a_change_left_unsaved_for_another_design(page, bridge):
    planner, kitchen = two_saved_designs(page, bridge)
    change_a_then_open_b(page, planner)
    page.reload()
    planner = page.frame_locator("[data-testid=planner-container] iframe")
    expect(planner.get_by_test_id("identity")).to_have_attribute("data-kind", "user")
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "failed")
    before = len(patches_of(bridge, kitchen))

    page.unroute("**/v1/assets**")
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    assert kitchen_items(bridge, kitchen) == sorted(["Base cabinet 60", SECOND_ITEM])
    assert patches_of(bridge, kitchen)[before:] == [200]


def test_opening_a_design_whose_change_is_waiting_shows_the_change(page, bridge):
    planner, kitchen = two_saved_designs(page, bridge)
    change_a_then_open_b(page, planner)
    open_design(planner, "My design", 2)  # the server still has 1: the shopper sees their own
    page.unroute("**/v1/assets**")
    expect(planner.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    assert kitchen_items(bridge, kitchen) == sorted(["Base cabinet 60", SECOND_ITEM])
