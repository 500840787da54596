import test from "node:test";
import assert from "node:assert/strict";

import { coalesced } from "../planner/coalesce.js";

/** Work whose runs the test ends one by one. */
function controlledWork() {
  /** @type {(() => void)[]} */
  const pending = [];
  let runs = 0;
  /** @type {Promise<void>} */
  let current = Promise.resolve();
  const work = () => {
    runs += 1;
    current = new Promise((resolve) => pending.push(resolve));
    return current;
  };
  return {
    work,
    get runs() { return runs; },
    get current() { return current; },
    finish() { pending.shift()?.(); },
  };
}

test("calls made while a run goes ask for one more run, not one each", async () => {
  const w = controlledWork();
  const refresh = coalesced(w.work);
  const first = refresh();
  const joined = [refresh(), refresh(), refresh()];
  assert.equal(w.runs, 1);
  w.finish();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(w.runs, 2);
  w.finish();
  await Promise.all([first, ...joined]);
  assert.equal(w.runs, 2);
});

test("a call made as a run's work resolves, before its promise settles, still gets a run", async () => {
  // The token keeper completes calls in order, one microtask after another: a DELETE's
  // continuation may call refresh() right after the listing's answer ended the loop.
  const w = controlledWork();
  const refresh = coalesced(w.work);
  const first = refresh();
  /** @type {Promise<void> | null} */
  let late = null;
  void w.current.then(() => { late = refresh(); });
  w.finish();
  await first;
  assert.ok(late, "the late call was made");
  assert.equal(w.runs, 2, "the late call started a run of its own");
  w.finish();
  await late;
});

test("a failed run lets the next call start afresh", async () => {
  let runs = 0;
  const refresh = coalesced(async () => {
    runs += 1;
    if (runs === 1) throw new Error("listing failed");
  });
  await assert.rejects(refresh(), /listing failed/);
  await refresh();
  assert.equal(runs, 2);
});
