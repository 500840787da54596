import test from "node:test";
import assert from "node:assert/strict";

import { placement } from "../planner/view3d.js";

const item = (fields) => ({ id: "item-1", catalogId: "c", name: "Unit", x: 1000, y: 0,
  rotation: 0, width: 600, depth: 560, height: 720, mount: "floor", unitPrice: 1, ...fields });

test("a floor item's box stands on the floor, centred on what it covers on the plan", () => {
  assert.deepEqual(placement(item({})), { x: 1300, y: 280, bottom: 0, rotation: 0 });
});

test("a turned item covers its depth across and its width deep, from the same corner", () => {
  assert.deepEqual(placement(item({ rotation: 90 })), { x: 1280, y: 300, bottom: 0, rotation: 90 });
  assert.deepEqual(placement(item({ rotation: 180 })), { x: 1300, y: 280, bottom: 0, rotation: 180 });
});

test("a wall unit hangs at its elevation, or at the usual height when the catalog gave none", () => {
  assert.equal(placement(item({ mount: "wall", elevation: 1500 })).bottom, 1500);
  assert.equal(placement(item({ mount: "wall" })).bottom, 1400);
  assert.equal(placement(item({ mount: "floor", elevation: 0 })).bottom, 0);
});
