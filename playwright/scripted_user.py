"""A scripted shopper for the soak and fault tests: the one place those tests touch the pages.

Every step goes through the planner's stable hooks (data-testid, documented in web/planner/app.js;
the row selectors are bridge_e2e's OWN_ROWS) and the shop page's login bar; when the planner's UI
changes, re-point this module (and bridge_e2e's selectors) only.

The planner's "Create" starts a new design of that name and saves it: one create call, after which
the design is open (its row marked open); renaming a row is one update call, deleting it one
delete call (an open design renamed or deleted from its row sends nothing more). So each action
below is still exactly one web-service call.

Each planner action runs as one script in the planner frame: it opens the form, fills it and
submits it in the same task, so a redraw (a live push refreshing the list) cannot come between
the steps as it could between separate Playwright clicks. The action then goes through the
planner's own handlers (view.js → app.js → the keeper), exactly as a click does.

A probe in the frame listens to the keeper's public events: expiries (TokenExpired asks), errors
by name, and for actions made while no valid token was at hand, how long they waited for one.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, FrameLocator, Page, expect

from bridge_e2e import (
    NAMES,
    OWN_ROWS,
    WAIT_MS,
    Bridge,
    expect_error,
    log_in,
    open_shop,
    planner_frame,
)

PROBE = """() => {
  if (window.__soak) return;
  const keeper = window.planner.keeper;
  const soak = { expiries: 0, errors: [], waits: [], pending: [] };
  Object.defineProperty(window, "__soak", { value: soak });
  keeper.on("ask", (ask) => { if (ask.event === "TokenExpired") soak.expiries += 1; });
  keeper.on("error", (error) => soak.errors.push(error.code));
  keeper.on("change", (state) => {
    if (!state.valid || soak.pending.length === 0) return;
    const now = performance.now();
    for (const at of soak.pending.splice(0)) soak.waits.push(now - at);
  });
}"""

# Run before each action, in the same task: clear the last error (so the outcome seen is this
# action's) and note whether the action finds a valid token (else it waits: measured).
PREPARE = """
  const soak = window.__soak;
  const state = window.planner.keeper.state;
  if (!state.valid) soak.pending.push(performance.now());
  else if (state.asking) soak.waits.push(0);
  const dismiss = document.querySelector("[data-testid=error-dismiss]");
  if (!document.querySelector("[data-testid=error-box]").hidden) dismiss.click();
  const own = (id) =>
    [...document.querySelectorAll(OWN_ROWS)].find((row) => row.dataset.assetId === id);
"""
ADD = (
    "(name) => {"
    + PREPARE
    + """
  const form = document.querySelector("[data-testid=add-asset]");
  form.querySelector("[data-testid=asset-name-input]").value = name;
  form.requestSubmit();
}"""
)
RENAME = (
    "([id, name]) => {"
    + PREPARE
    + """
  const row = own(id);
  row.querySelector("[data-testid=rename-asset]").click();
  row.querySelector("[data-testid=rename-input]").value = name;
  row.querySelector("[data-testid=rename-form]").requestSubmit();
}"""
)
DELETE = (
    "(id) => {"
    + PREPARE
    + """
  own(id).querySelector("[data-testid=delete-asset]").click();
  document.querySelector("[data-testid=confirm-yes]").click(); // deleting asks first
}"""
)
# The action's outcome as the page shows it: its error by name, or the row as expected
# (added or renamed: a row with the name; deleted: no row with the id). Null until then.
# What the page shows for the action is read before any error: an error shown at the same time
# may be another call's (a listing that waited through the same token outage and failed after
# the action's form was sent), and must not pass for the action's own failure.
OUTCOME = """([kind, id, name]) => {
  const rows = [...document.querySelectorAll(OWN_ROWS)];
  const nameOf = (row) => row.querySelector("[data-testid=asset-name]").textContent;
  const row = rows.find((r) => (id ? r.dataset.assetId === id : nameOf(r) === name));
  if (kind === "delete" && !row) return { ok: true, id };
  const done = kind !== "delete" && row && nameOf(row) === name;
  if (done) return { ok: true, id: row.dataset.assetId };
  if (!document.querySelector("[data-testid=error-box]").hidden) {
    return { error: document.querySelector("[data-testid=error]").dataset.code };
  }
  return null;
}"""
SHOWN_ROWS = """() => [...document.querySelectorAll(OWN_ROWS)]
  .map((row) => [row.dataset.assetId, row.querySelector("[data-testid=asset-name]").textContent])"""


def in_page(script: str) -> str:
    """A page script with bridge_e2e's row selector written in where it says OWN_ROWS."""
    return script.replace("OWN_ROWS", json.dumps(OWN_ROWS))


QUIET = "() => { const s = window.planner.keeper.state; return s.waiting === 0 && s.held === 0; }"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What the page showed for one action: ok (with the asset's id) or an error's name;
    error "no_outcome" when the page showed neither within the wait."""

    ok: bool
    asset_id: str | None = None
    error: str | None = None


class ScriptedUser:
    """Drives the shop page and its planner frame."""

    def __init__(self, page: Page, bridge: Bridge) -> None:
        self.page, self.bridge = page, bridge
        self.planner: FrameLocator | None = None
        self.frame: Frame | None = None

    # -- the shop page ------------------------------------------------------------------------

    def open(self) -> FrameLocator:
        """Load the shop page, wait for the planner to act for someone, install the probe."""
        self.planner = open_shop(self.page, self.bridge)
        self.attach()
        return self.planner

    def attach(self) -> Frame:
        """(Re)find the planner frame, e.g. after it reloaded, and install the probe in it."""
        self.frame = planner_frame(self.page, self.bridge)
        self.frame.wait_for_function("() => window.planner !== undefined")
        self.frame.evaluate(PROBE)
        return self.frame

    def log_in(self, username: str, own_assets: int | None = None) -> None:
        """Log in on the shop page; wait until the planner acts for the user and, if given,
        shows that many own assets (the list it loaded for the new identity)."""
        log_in(self.page, username)
        self.expect_identity(NAMES[username], "user")
        if own_assets is not None:
            expect(self.rows()).to_have_count(own_assets)

    def log_out(self) -> None:
        # The script clicks the planner's row buttons from JavaScript, rows the shop's page may
        # have scrolled out of sight (the frame is as tall as its content). The rename field and
        # a list drawn again now focus without scrolling, but the delete question is a modal
        # dialog, and showModal() focuses it with scrolling (no preventScroll there): the shop's
        # page then sits at the frame, and Playwright's scroll back to the header's button now
        # and then clicks into the frame instead. A shopper's real click is on a row in sight,
        # with the question opening beside it; the script scrolls up first, as a shopper would.
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.get_by_test_id("logout-button").click()
        expect(self.page.get_by_test_id("login-button")).to_be_visible()
        self.expect_identity(None, "legal_entity")
        expect(self.rows()).to_have_count(0)

    def expect_identity(self, name: str | None, kind: str) -> None:
        identity = self.locator().get_by_test_id("identity")
        expect(identity).to_have_attribute("data-kind", kind)
        if name is not None:
            expect(identity).to_have_text(name)

    def shop_status(self) -> str:
        return self.page.get_by_test_id("bridge-status").inner_text()

    def shop_events(self, name: str) -> int:
        """How many times the shop page logged this bridge event."""
        return self.page.locator(f"[data-testid=bridge-log] li[data-event={name}]").count()

    # -- the planner ---------------------------------------------------------------------------

    def locator(self) -> FrameLocator:
        assert self.planner is not None, "open() first"
        return self.planner

    def rows(self) -> Any:
        return self.locator().locator(OWN_ROWS)

    def add(self, name: str) -> Outcome:
        self.submit_add(name)
        return self.outcome_of_add(name)

    def submit_add(self, name: str) -> None:
        """Submit the add form and return at once (outcome_of_add waits for what it shows)."""
        self._frame().evaluate(in_page(ADD), name)

    def outcome_of_add(self, name: str) -> Outcome:
        return self._outcome("add", None, name)

    def create_quietly(self, name: str) -> str:
        """Create an asset through the planner's API client, not its form: the planner does not
        reload its list for it, so only a live push can make it appear. Returns its id."""
        return self._frame().evaluate(
            """async (name) =>
              (await window.planner.api.create({ name, kind: "design", data: {} })).id""",
            name,
        )

    def rename(self, asset_id: str, name: str) -> Outcome:
        self._frame().evaluate(in_page(RENAME), [asset_id, name])
        return self._outcome("rename", asset_id, name)

    def delete(self, asset_id: str) -> Outcome:
        self._frame().evaluate(in_page(DELETE), asset_id)
        return self._outcome("delete", asset_id, None)

    def own_assets(self) -> dict[str, str]:
        """The rows the planner shows under "My assets": id → name."""
        return dict(self._frame().evaluate(in_page(SHOWN_ROWS)))

    def error_shown(self) -> tuple[str, str]:
        """The planner's error box: (code, the sentence the person reads). The code is the
        error's data-code (bridge_e2e.expect_error), never shown as text."""
        planner = self.locator()
        code = planner.get_by_test_id("error").get_attribute("data-code") or ""
        expect_error(planner, code)
        return code, planner.get_by_test_id("error").inner_text()

    def live_status(self) -> str:
        return self.locator().get_by_test_id("live").get_attribute("data-status") or ""

    def expect_live(self, live: bool = True) -> None:
        """The live channel authenticated (or, live=False, not: closed or connecting)."""
        status = self.locator().get_by_test_id("live")
        if live:
            expect(status).to_have_attribute("data-status", "live")
        else:
            expect(status).not_to_have_attribute("data-status", "live")

    def wait_token_expired(self) -> None:
        self._frame().wait_for_function("() => !window.planner.keeper.state.valid")

    def expect_waiting(self, count: int) -> None:
        expect(self.locator().get_by_test_id("queue-count")).to_have_text(str(count))

    def wait_quiet(self) -> None:
        """Until no call waits for a token or behind another."""
        self._frame().wait_for_function(QUIET)

    def probe(self) -> dict[str, Any]:
        """The probe's counts: expiries, errors (names), waits (ms, actions made at expiry)."""
        return self._frame().evaluate(
            "() => ({ expiries: window.__soak.expiries, errors: [...window.__soak.errors],"
            " waits: [...window.__soak.waits] })"
        )

    def reload_planner_from_shop(self) -> None:
        """The shop page loads the planner's iframe again (its src set anew), as a page script
        re-mounting the planner would; attach() once the new document is up."""
        self.page.locator("[data-testid=planner-container] iframe").evaluate(
            "(frame) => { frame.src = frame.src; }"
        )

    def received(self) -> list[dict[str, Any]]:
        """The messages the planner frame received (bridge_e2e.RECORD_MESSAGES)."""
        return self._frame().evaluate("window.__bridgeReceived")

    def _frame(self) -> Frame:
        assert self.frame is not None, "open() first"
        return self.frame

    def _outcome(self, kind: str, asset_id: str | None, name: str | None) -> Outcome:
        try:
            handle = self._frame().wait_for_function(
                in_page(OUTCOME), arg=[kind, asset_id, name], timeout=WAIT_MS
            )
        except PlaywrightError:
            return Outcome(False, asset_id, "no_outcome")
        shown = handle.json_value()
        if "error" in shown:
            return Outcome(False, asset_id, shown["error"])
        return Outcome(True, shown["id"])
