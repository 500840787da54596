// resize.js: Resize {height} for the host's height: "auto", rounded up, changes only, coalesced.
import assert from "node:assert/strict";
import { test } from "node:test";

import { reportSize } from "../planner/resize.js";

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
