// resize.js: Resize {height} for the host's height: "auto", rounded up, changes only, coalesced.
import assert from "node:assert/strict";
import { test } from "node:test";

import { reportPageSize, reportSize } from "../planner/resize.js";

function setUp(height) {
  const posted = [];
  const frames = [];
  let onChange = () => {};
  const size = { height };
  reportSize({ post: (event, content) => posted.push([event, content]), measure: () => size.height,
    observe: (fn) => { onChange = fn; }, nextFrame: (fn) => frames.push(fn) });
  const flush = () => { for (const fn of frames.splice(0)) fn(); };
  return { posted, size, change: () => onChange(), flush, frames };
}

test("the first height is posted at once, rounded up", () => {
  const { posted } = setUp(700.1);
  assert.deepEqual(posted, [["Resize", { height: 701 }]]);
});

test("changes are posted once per frame; an unchanged height is not posted again", () => {
  const { posted, size, change, flush, frames } = setUp(700);
  size.height = 820;
  change();
  change();
  assert.equal(frames.length, 1, "one frame asked for however many changes");
  flush();
  change();
  flush();
  assert.deepEqual(posted, [["Resize", { height: 700 }], ["Resize", { height: 820 }]]);
});

test("a zero height (a hidden page) is not posted", () => {
  const { posted, size, change, flush } = setUp(0);
  change();
  flush();
  assert.deepEqual(posted, []);
  size.height = 10;
  change();
  flush();
  assert.deepEqual(posted, [["Resize", { height: 10 }]]);
});

test("without a nextFrame, a change is measured and posted at once", () => {
  const posted = [];
  let onChange = () => {};
  const size = { height: 300 };
  reportSize({ post: (event, content) => posted.push([event, content]), measure: () => size.height,
    observe: (fn) => { onChange = fn; } });
  size.height = 320;
  onChange();
  assert.deepEqual(posted, [["Resize", { height: 300 }], ["Resize", { height: 320 }]]);
});

test("the page's height is the body's box plus its margins, watched on the body, sent per frame",
  (t) => {
    const body = { box: 600.2 };
    body.getBoundingClientRect = () => ({ height: body.box });
    const observed = [];
    const frames = [];
    Object.assign(globalThis, {
      document: { body },
      getComputedStyle: (element) => (element === body ? { marginTop: "8px", marginBottom: "4px" } : {}),
      ResizeObserver: class { constructor(fn) { this.fn = fn; } observe(el) { observed.push([el, this.fn]); } },
      requestAnimationFrame: (fn) => { frames.push(fn); },
    });
    t.after(() => {
      for (const name of ["document", "getComputedStyle", "ResizeObserver", "requestAnimationFrame"]) {
        delete globalThis[name];
      }
    });
    const posted = [];
    reportPageSize((event, content) => posted.push([event, content]));
    assert.deepEqual(posted, [["Resize", { height: 613 }]], "600.2 + 8 + 4, rounded up");
    assert.equal(observed.length, 1);
    assert.equal(observed[0][0], body, "the body, not the document element (the viewport)");
    body.box = 700;
    observed[0][1]();
    assert.equal(posted.length, 1, "not before the next animation frame");
    for (const fn of frames.splice(0)) fn();
    assert.deepEqual(posted, [["Resize", { height: 613 }], ["Resize", { height: 712 }]]);
  });
