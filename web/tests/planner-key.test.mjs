// What the host knows of the planner's DPoP key (planner-key.js): the jkt remembered from the last
// page load, the one the planner names, and when the key counts as known.
import assert from "node:assert/strict";
import { test } from "node:test";

import { PlannerKey } from "../sdk/planner-key.js";
import { settle } from "./fakes.mjs";

const KEY_A = "A".repeat(43);
const never = new Promise(() => {});

/** A jkt memory in a variable, recording what is set. */
function memory(initial) {
  const set = [];
  return { set, jktMemory: { get: () => initial, set: (jkt) => { set.push(jkt); } } };
}

test("a key remembered from the last page load is known at once: whenKnown needs no planner",
  async () => {
    const key = new PlannerKey(memory(KEY_A).jktMemory);
    assert.equal(key.known, true);
    assert.equal(key.jkt, KEY_A);
    let known = false;
    key.whenKnown(never).then(() => { known = true; });
    await settle();
    assert.equal(known, true);
  });

test("a planner remembered as keyless is known too, with no jkt", () => {
  const key = new PlannerKey(memory(undefined).jktMemory);
  assert.equal(key.known, true);
  assert.equal(key.jkt, undefined);
});

test("a planner never heard from: unknown until it names its key, then remembered", async () => {
  const { set, jktMemory } = memory(null);
  const key = new PlannerKey(jktMemory);
  assert.equal(key.known, false);
  let known = false;
  key.whenKnown(never).then(() => { known = true; });
  await settle();
  assert.equal(known, false);
  key.named(KEY_A);
  await settle();
  assert.equal(known, true);
  assert.deepEqual([key.known, key.jkt, set], [true, KEY_A, [KEY_A]]);
});

test("whenKnown settles as its fallback does when the key never comes", async () => {
  const key = new PlannerKey(memory(null).jktMemory);
  await assert.rejects(key.whenKnown(Promise.reject(new Error("removed"))), { message: "removed" });
});

test("anything but a string named is a planner without a key, remembered as undefined, never null",
  () => {
    const { set, jktMemory } = memory(KEY_A);
    const key = new PlannerKey(jktMemory);
    key.named(null); // null in the memory would mean "unknown planner" on the next page load
    assert.deepEqual([key.known, key.jkt, set], [true, undefined, [undefined]]);
  });
