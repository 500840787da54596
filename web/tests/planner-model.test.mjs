// The planner's model in millimetres without a browser: snapping, no overlaps, the first free spot
// along a wall, wall units on walls above base units, undo/redo of every change, designs stored
// in the release-1 shape, the parts list and what the host is told.
import assert from "node:assert/strict";
import { test } from "node:test";

import { isDesign, isDesignItem } from "../sdk/protocol.js";
import { Design } from "../planner/design.js";
import { collide, extent, snap } from "../planner/layout.js";
import { cartOf } from "../planner/planner-events.js";
import { groupOf } from "../planner/catalog-groups.js";
import { readStored } from "../planner/stored-design.js";

const asset = (id, name, data) => ({ id, owner: null, name, kind: "cabinet", data });
const BASE = asset("base60", "Base cabinet 60", { width: 600, depth: 600, height: 880, price: 129 });
const TALL = asset("tall60", "Tall larder unit 60", { width: 600, depth: 600, height: 2200, price: 389 });
const WALL = asset("wall60", "Wall cabinet 60",
  { width: 600, depth: 350, height: 720, price: 99, mount: "wall", elevation: 1400 });
const WORKTOP = asset("top", "Oak worktop 186", { width: 1860, depth: 635, height: 38, price: 249, elevation: 880 });

function model({ canSave = false } = {}) {
  const sent = [];
  const api = {
    create: async (f) => { sent.push(f); return { id: "d1", name: f.name, data: f.data }; },
    update: async (id, f) => { sent.push(f); return { id, name: f.name, data: f.data }; },
  };
  return { design: new Design({ api, canSave: () => canSave, onError: (e) => { throw e; } }), sent };
}

const noOverlaps = (items) => items.every((a, i) => items.every((b, j) => i === j || !collide(a, b)));
const insideRoom = (room, items) => items.every((i) => i.x >= 0 && i.y >= 0 &&
  i.x + extent(i).width <= room.width && i.y + extent(i).depth <= room.depth);

test("new items go to the first free spot along the walls, and never overlap however many", () => {
  const { design } = model();
  const first = design.place(BASE);
  assert.deepEqual([first.x, first.y, first.rotation], [0, 0, 0]); // back wall, left corner
  const second = design.place(BASE);
  assert.deepEqual([second.x, second.y, second.rotation], [600, 0, 0]); // next to it
  let placed = 2;
  while (design.place(BASE)) placed += 1;
  const { room, items } = design.state;
  assert.ok(placed > 12, `only ${placed} fitted`);
  assert.ok(noOverlaps(items) && insideRoom(room, items));
  assert.ok(items.some((i) => i.rotation === 270) && items.some((i) => i.rotation === 90),
    "the side walls are used, their backs to the wall");
});

test("a move onto another item is pushed aside to touch it, or refused", () => {
  const { design } = model();
  const a = design.place(BASE);
  const b = design.place(BASE, { x: 2000, y: 1500 });
  assert.deepEqual([b.x, b.y], [2000, 1500]);
  assert.equal(design.move(a.id, 1900, 1500), true); // would overlap b by 500 mm
  const moved = design.item(a.id);
  assert.ok(noOverlaps(design.state.items));
  assert.ok(moved.x + 600 <= 2000 && moved.x > 0, `pushed back to ${moved.x}`);
  assert.equal(design.move(a.id, 2000, 1500, false) && collide(design.item(a.id), design.item(b.id)), false);
});

test("pointer moves snap to the walls, neighbours' edges and the grid; keyboard moves do not", () => {
  const room = { width: 4000, depth: 3000 };
  const item = { id: "i", x: 73, y: 1234, rotation: 0, width: 600, depth: 600, height: 880, mount: "floor" };
  assert.deepEqual([snap(item, room, []).x, snap(item, room, []).y], [0, 1250]); // wall, grid
  const neighbour = { ...item, id: "n", x: 1000, y: 0 };
  assert.equal(snap({ ...item, x: 1670 }, room, [neighbour]).x, 1600); // flush with its right edge
  const { design } = model();
  const placed = design.place(BASE, { x: 1000, y: 1000 });
  design.move(placed.id, 1010, 1000, false);
  assert.equal(design.item(placed.id).x, 1010);
  design.move(placed.id, 1030, 1000);
  assert.equal(design.item(placed.id).x, 1050);
});

test("wall units hang on the nearest wall at their height, above base units but not in tall ones", () => {
  const { design } = model();
  const base = design.place(BASE);
  const wall = design.place(WALL);
  assert.deepEqual([wall.x, wall.y, wall.rotation, wall.elevation], [0, 0, 0, 1400]);
  assert.ok(collide({ ...base }, { ...wall, elevation: 0 }) && !collide(base, wall), "above, not in");
  design.move(wall.id, 3000, 1500); // towards the right wall
  const moved = design.item(wall.id);
  assert.deepEqual([moved.x + extent(moved).width, moved.rotation], [4000, 90]);
  const top = design.place(WORKTOP, { x: 0, y: 0 }); // lies on the base unit
  assert.deepEqual([top.x, top.y], [0, 0]);
  const tall = design.place(TALL, { x: 0, y: 0 }); // the corner is taken at its height: elsewhere
  assert.ok(noOverlaps(design.state.items) && !(tall.x === 0 && tall.y === 0));
});

test("undo and redo cover adding, moving, turning, removing and resizing the room", () => {
  const { design } = model();
  const item = design.place(BASE);
  design.move(item.id, 1000, 1000);
  design.rotate(item.id);
  design.setRoom({ width: 5000, depth: 3500 });
  design.remove(item.id);
  assert.equal(design.state.items.length, 0);
  design.undo();
  assert.deepEqual(design.item(item.id).rotation, 90);
  design.undo();
  assert.deepEqual(design.state.room, { width: 4000, depth: 3000 });
  design.undo();
  design.undo();
  assert.deepEqual([design.item(item.id).x, design.item(item.id).y], [0, 0]);
  design.undo();
  assert.equal(design.state.items.length, 0);
  assert.equal(design.undo(), false);
  design.redo();
  design.redo();
  assert.deepEqual([design.item(item.id).x, design.item(item.id).y], [1000, 1000]);
  design.place(BASE); // a new change: nothing left to redo
  assert.equal(design.state.canRedo, false);
});

test("an undo is saved like any change", async () => {
  const { design, sent } = model({ canSave: true });
  const item = design.place(BASE);
  design.remove(item.id);
  design.undo();
  await design.whenSaved();
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[2].data.items.map((i) => i.id), [item.id]);
  assert.equal(design.saved, true);
});

test("a design stored in the release-1 shape (cm, asset keys) opens in millimetres", () => {
  const old = { items: [{ asset: "base60", x: 120, y: 45, rotation: 90 }, { asset: "gone", x: 0, y: 0, rotation: 0 }] };
  const { room, items } = readStored(old, [BASE]);
  assert.deepEqual(room, { width: 6000, depth: 4000 });
  assert.equal(items.length, 1); // an item the catalog no longer has is left out
  assert.deepEqual([items[0].catalogId, items[0].x, items[0].y, items[0].rotation, items[0].width,
    items[0].unitPrice], ["base60", 1200, 450, 90, 600, 129]);
  const { design } = model();
  design.open({ id: "d-old", name: "Old kitchen", data: old }, [BASE]);
  assert.equal(design.saved, true);
  assert.ok(isDesign(design.toJSON()), "the SPEC shape");
});

test("toJSON and restore carry a design across (a draft), unsaved unless it says so", () => {
  const { design } = model();
  design.place(BASE);
  design.place(WALL);
  const draft = JSON.parse(JSON.stringify(design.toJSON()));
  assert.ok(isDesign(draft) && draft.items.every(isDesignItem));
  const { design: other } = model();
  const seen = [];
  other.on("change", (d) => seen.push(d));
  other.restore(draft);
  assert.deepEqual(other.toJSON().items, draft.items);
  assert.equal(other.saved, false);
  assert.equal(other.state.unsaved, true);
  assert.ok(seen.length > 0 && isDesign(seen.at(-1)));
  assert.equal(other.place(BASE).id, "item-3"); // ids go on from the restored ones
});

test("the parts list counts each catalog item once, with its unit price and the total", () => {
  const { design } = model();
  design.place(BASE);
  design.place(BASE);
  design.place(WALL);
  design.currency = "SEK";
  const cart = cartOf(design.state.items, design.currency);
  assert.deepEqual(cart.lines, [
    { catalogId: "base60", name: "Base cabinet 60", quantity: 2, unitPrice: 129 },
    { catalogId: "wall60", name: "Wall cabinet 60", quantity: 1, unitPrice: 99 },
  ]);
  assert.deepEqual(cart.total, { amount: 357, currency: "SEK" });
  assert.deepEqual(design.toJSON().total, cart.total);
});

test("the catalog sorts itself into a kitchen shop's groups by each item's data", () => {
  const fridge = { ...asset("fridge", "Fridge-freezer 60", { width: 600, depth: 650, height: 1860 }), kind: "appliance" };
  const bare = asset("x", "Something", {}); // a shop's own item without sizes: a base unit
  assert.deepEqual([BASE, TALL, fridge, WORKTOP, WALL, bare].map(groupOf),
    ["base", "tall", "appliances", "worktops", "wall", "base"]);
});
