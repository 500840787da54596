"""The planner never scrolls the shop's page by moving focus on its own: the shop sizes the frame
to its content (height: auto), so a focus deep in the frame would scroll the shop's page down to
it, away from what the shopper was looking at (and, in the soak, under the pointer of the next
click). The rename field takes focus where it opens, and a list drawn again gives focus back
where it was, both without scrolling. Two origins, real servers, Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Frame, FrameLocator, Page, expect

from bridge_e2e import OWN_ROWS, Bridge, add_asset_for, planner_frame
from test_planner_drafts import add_item, logged_in

pytestmark = pytest.mark.browser

RENAME_BY_SCRIPT = """() => {
  document.querySelector("[data-testid=my-assets] [data-testid=asset] [data-testid=rename-asset]")
    .click();
  return document.activeElement?.dataset.testid ?? null;
}"""
FOCUSED = "() => document.activeElement?.dataset.testid ?? null"


def short_window_with_a_design(page: Page, bridge: Bridge) -> tuple[FrameLocator, Frame]:
    """A window shorter than the planner, Alice's design saved, the shop's page at its top with
    the design's row below the fold."""
    page.set_viewport_size({"width": 1200, "height": 480})
    planner = logged_in(page, bridge)
    add_item(planner)
    expect(planner.locator(OWN_ROWS)).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    row = planner.locator(OWN_ROWS).first.bounding_box()
    assert row is not None and row["y"] > 480, "the row must be out of sight for this test"
    return planner, planner_frame(page, bridge)


def test_the_rename_field_takes_focus_without_scrolling_the_shop(page, bridge):
    _, frame = short_window_with_a_design(page, bridge)
    assert frame.evaluate(RENAME_BY_SCRIPT) == "rename-input"
    assert page.evaluate("window.scrollY") == 0


def test_a_list_drawn_again_gives_focus_back_without_scrolling_the_shop(page, bridge):
    planner, frame = short_window_with_a_design(page, bridge)
    row = planner.locator(OWN_ROWS).first
    row.get_by_test_id("rename-asset").click()  # a real click: the page scrolls to the row
    expect(row.get_by_test_id("rename-input")).to_be_focused()
    page.evaluate("window.scrollTo(0, 0)")  # the shopper scrolls back up to the shop
    add_asset_for(bridge, "alice", "A design from another tab")
    frame.evaluate("window.planner.refresh()")
    expect(planner.locator(OWN_ROWS)).to_have_count(2)
    assert frame.evaluate(FOCUSED) == "rename-input"  # still typing where they were
    assert page.evaluate("window.scrollY") == 0
