"""Where a warm embed's time goes: marks taken in the shop page and in the planner frame (bench
only, injected by Playwright; nothing of it ships), as ms since the shop's navigation start.

Both frames stamp `performance.timeOrigin + performance.now()` (epoch ms, one monotonic clock
for every process of the browser), so marks from the cross-origin frame line up with the shop's.
"""

from __future__ import annotations

import statistics
from typing import Any

from playwright.sync_api import Page

# Runs first in every frame of the page (Playwright's init scripts bypass the page's CSP).
MARKS = """(() => {
  const at = () => performance.timeOrigin + performance.now();
  const marks = (window.__marks = {});
  const mark = (name) => { marks[name] ??= at(); };
  const timed = (match, start, end) => {
    const original = window.fetch;
    window.fetch = (url, init) => {
      const ours = String(url instanceof Request ? url.url : url).includes(match);
      if (ours) mark(start);
      const answer = original.call(window, url, init);
      if (ours) answer.then(() => mark(end), () => {});
      return answer;
    };
  };
  const top = window.top === window;
  const who = top ? "host got " : "planner got ";
  window.addEventListener("message", (e) => {
    if (e.data && typeof e.data.event === "string") mark(who + e.data.event);
  }, true);
  mark(top ? "shop document created (renderer up)" : "planner document created (renderer up)");
  window.__navigation = () => {
    const n = performance.getEntriesByType("navigation")[0];
    const abs = (t) => performance.timeOrigin + t;
    const scripts = performance.getEntriesByType("resource").filter((r) => r.name.includes(".js"));
    const who = top ? "shop" : "planner";
    const out = {
      [`${who} request start`]: abs(n.requestStart),
      [`${who} response start`]: abs(n.responseStart),
      [`${who} response end`]: abs(n.responseEnd),
      [`${who} DOMContentLoaded`]: abs(n.domContentLoadedEventStart),
    };
    const call = performance.getEntriesByType("resource").find((r) => r.name.includes("/v1/"));
    if (call) {
      out[`${who} web-service request sent`] = abs(call.requestStart);
      out[`${who} web-service response start`] = abs(call.responseStart);
    }
    const ends = scripts.map((r) => r.responseEnd);
    if (ends.length) out[`${who} last script fetched`] = abs(Math.max(...ends));
    out[`${who} scripts from network`] = scripts.filter((r) => r.transferSize > 0).length;
    return out;
  };
  if (top) {
    marks["shop navigation start"] = performance.timeOrigin;
    document.addEventListener("DOMContentLoaded", () => mark("shop DOMContentLoaded"));
    new MutationObserver(() => { if (document.querySelector("iframe")) mark("iframe created"); })
      .observe(document, { childList: true, subtree: true });
    timed("/planner-token", "host fetchToken start", "host fetchToken answered");
    const listen = window.addEventListener.bind(window);
    let mine = true;
    window.addEventListener = (type, ...rest) => {
      if (type === "message" && !mine) mark("SDK embedPlanner called");
      return listen(type, ...rest);
    };
    mine = false;
    return;
  }
  timed("/v1/", "planner first web-service call", "planner web-service call answered");
  Object.defineProperty(window, "planner", { configurable: true, set(value) {
    mark("planner app.js ran (modules evaluated)");
    Object.defineProperty(window, "planner", { value, configurable: true });
  } });
  marks["planner navigation start"] = performance.timeOrigin;
})();"""


def take(page: Page) -> dict[str, float]:
    """One embed's marks in ms since the shop's navigation start (once AuthenticationSucceeded)."""
    shop: dict[str, float] = page.evaluate("({...window.__marks, ...window.__navigation()})")
    frame = page.frames[1]
    planner: dict[str, float] = frame.evaluate("({...window.__marks, ...window.__navigation()})")
    zero = shop["shop navigation start"]
    both = {**shop, **planner}
    counts = {k: v for k, v in both.items() if " scripts from" in k}
    times = {k: v - zero for k, v in both.items() if k not in counts}
    return {**times, **counts}


def breakdown(timelines: list[dict[str, Any]]) -> list[str]:
    """Median of each mark, in the order they happen."""
    names = {name for t in timelines for name in t}
    medians = {n: statistics.median(t[n] for t in timelines if n in t) for n in names}
    counts = sorted(n for n in medians if " scripts from" in n)
    lines = [
        f"     {medians[n]:7.1f} ms  {n}"
        for n in sorted(medians, key=lambda n: medians[n])
        if n not in counts
    ]
    return lines + [f"     {medians[n]:7.1f}     {n} (count)" for n in counts]
