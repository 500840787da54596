// The design's saving without a browser: every change is one call, the first creates the asset
// and the others wait for it, a failed creation is tried again, nothing is sent without an account.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Design } from "../planner/design.js";
import { DEFAULT_ROOM as ROOM } from "../planner/stored-design.js";
import { settle } from "./fakes.mjs";

const CABINET = { id: "cab", owner: null, name: "Base cabinet 60", kind: "cabinet",
  data: { width: 600, depth: 560, height: 880, price: 129 } };

/** An assets API whose answers the test releases one by one. */
class Api {
  calls = [];
  create = (fields) => this.#call("create", null, fields);
  update = (id, fields) => this.#call("update", id, fields);
  #call(kind, id, fields) {
    return new Promise((resolve, reject) => {
      this.calls.push({ kind, id, fields, resolve, reject });
    });
  }
  answer(i, id = "design-1") {
    const call = this.calls[i];
    call.resolve({ id: call.id ?? id, name: call.fields.name, data: call.fields.data });
  }
}

function setUp({ canSave = true } = {}) {
  const api = new Api();
  const errors = [];
  const states = [];
  const design = new Design({ api, canSave: () => canSave, onChange: (s) => states.push(s),
    onError: (e) => errors.push(e) });
  return { api, errors, states, design };
}

test("the first change creates the design, later ones wait for it and then patch it in order", async () => {
  const { api, design } = setUp();
  const key = design.place(CABINET).id;
  design.move(key, 1000, 500);
  design.rotate(key);
  await settle();
  assert.deepEqual(api.calls.map((c) => c.kind), ["create"]);
  api.answer(0);
  await settle();
  assert.deepEqual(api.calls.map((c) => [c.kind, c.id]),
    [["create", null], ["update", "design-1"], ["update", "design-1"]]);
  const placed = (i) => api.calls[i].fields.data.items.map(({ catalogId, x, y, rotation }) =>
    ({ catalogId, x, y, rotation }));
  assert.deepEqual(placed(1), [{ catalogId: "cab", x: 1000, y: 500, rotation: 0 }]);
  assert.deepEqual(placed(2), [{ catalogId: "cab", x: 1000, y: 500, rotation: 90 }]);
  api.answer(1);
  api.answer(2);
  await design.whenSaved();
  assert.equal(design.acknowledged, 3);
  assert.equal(design.state.id, "design-1");
  assert.equal(design.state.saving, 0);
});

test("items stay inside the room, turned or not", () => {
  const { design } = setUp({ canSave: false });
  const key = design.place(CABINET).id; // 600 x 560 mm
  design.move(key, 100_000, 1200);
  assert.deepEqual([design.state.items[0].x, design.state.items[0].y], [ROOM.width - 600, 1200]);
  design.rotate(key); // now 560 wide, 600 deep
  design.move(key, 100_000, 100_000);
  assert.deepEqual([design.state.items[0].x, design.state.items[0].y],
    [ROOM.width - 560, ROOM.depth - 600]);
  design.remove(key);
  assert.deepEqual(design.state.items, []);
});

test("without an account nothing is sent and the design says it is not saved", async () => {
  const { api, design } = setUp({ canSave: false });
  design.place(CABINET);
  assert.equal(await design.save(), false);
  assert.equal(api.calls.length, 0);
  assert.equal(design.state.unsaved, true);
});

test("a failed creation is reported and the next change creates the design again", async () => {
  const { api, errors, design } = setUp();
  const key = design.place(CABINET).id;
  api.calls[0].reject(Object.assign(new Error("x"), { code: "TokenRefreshTimeout" }));
  await settle();
  assert.equal(errors[0].code, "TokenRefreshTimeout");
  assert.equal(design.state.unsaved, true);
  design.move(key, 1000, 1000);
  await settle();
  assert.deepEqual(api.calls.map((c) => c.kind), ["create", "create"]);
  api.answer(1, "design-2");
  await design.whenSaved();
  assert.equal(design.state.id, "design-2");
  assert.equal(design.state.unsaved, false);
});

test("a design left for another still gets its pending calls sent", async () => {
  const { api, design } = setUp();
  design.startNew("Kitchen");
  void design.save();
  design.startNew("Bathroom");
  void design.save();
  await settle();
  assert.deepEqual(api.calls.map((c) => c.fields.name), ["Kitchen", "Bathroom"]);
  api.answer(0, "k");
  api.answer(1, "b");
  await design.whenSaved();
  assert.equal(design.state.id, "b");
  assert.equal(design.state.name, "Bathroom");
});
